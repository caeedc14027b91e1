// The history charts, drawn in the browser from /api/history/days with uPlot (vendored, MIT): the server sends
// numbers, not pictures, so a long history costs it no drawing.
(function () {
  "use strict";
  const DAY = 86400;
  // Whole days, weeks and months on the time axis: never a half-day tick.
  const DAY_STEPS = [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 61 * DAY, 91 * DAY, 182 * DAY, 365 * DAY];
  const axisX = {
    incrs: DAY_STEPS, space: 90,
    values: (u, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(0, 10)),
  };
  // The days shown, a week at the least, so one session is a point in a week, not in years.
  function rangeX(x) {
    const first = x[0], last = x[x.length - 1];
    return [Math.min(first, last - 7 * DAY) - DAY, last + DAY];
  }

  function seconds(day) { return Date.parse(day + "T00:00:00Z") / 1000; }

  function weekly(days) {
    const weeks = new Map();
    for (const d of days) {
      const t = seconds(d.day);
      const monday = t - ((new Date(t * 1000).getUTCDay() + 6) % 7) * DAY;
      weeks.set(monday, (weeks.get(monday) || 0) + d.inverted_s / 60);
    }
    const keys = Array.from(weeks.keys()).sort((a, b) => a - b);
    return [keys, keys.map((k) => Math.round(weeks.get(k) * 10) / 10)];
  }

  function draw(target, series, data, yLabel, bars, yRange) {
    const width = Math.min(target.clientWidth || 640, 900);
    const options = {
      width: width, height: 220,
      scales: { x: { time: true, auto: false, range: rangeX(data[0]) }, y: yRange ? { range: yRange } : {} },
      axes: [axisX, { label: yLabel }],
      series: [{}].concat(series.map((s) => Object.assign({ spanGaps: true, points: { show: true, size: 4 } }, s,
        bars ? { paths: uPlot.paths.bars({ size: [0.6, 40] }), points: { show: false } } : {}))),
    };
    target.textContent = "";
    return new uPlot(options, data, target);
  }

  async function main() {
    const area = document.getElementById("charts");
    if (!area || typeof uPlot === "undefined") return;
    const response = await fetch("/api/history/days", { credentials: "same-origin" });
    if (!response.ok) { area.textContent = "The charts could not be loaded."; return; }
    const data = await response.json();
    const days = data.days;
    if (!days.length) { area.textContent = "No sessions in the last 12 months."; return; }
    const x = days.map((d) => seconds(d.day));
    const series = [
      { label: "Pain before", stroke: "#c62828", width: 2 },
      { label: "Pain after", stroke: "#1565c0", width: 2 },
    ];
    const values = [x, days.map((d) => d.pain_before), days.map((d) => d.pain_after)];
    const baseline = data.pain_change.baseline;
    if (baseline !== null) {
      const mic = data.minimal_important_change;
      series.push({ label: "Baseline + " + mic, stroke: "#888", dash: [6, 4], points: { show: false } });
      series.push({ label: "Baseline - " + mic, stroke: "#888", dash: [6, 4], points: { show: false } });
      values.push(x.map(() => baseline + mic), x.map(() => baseline - mic));
    }
    draw(document.getElementById("pain-plot"), series, values, "Pain (0-10)", false, [0, 10]);
    draw(document.getElementById("minutes-plot"), [{ label: "Minutes inverted", stroke: "#2e7d32", fill: "#2e7d3255" }],
      weekly(days), "Minutes a week", true, (u, min, max) => [0, Math.max(1, Math.ceil(max))]);
    draw(document.getElementById("angle-plot"), [{ label: "Angle", stroke: "#6a1b9a", width: 2 }],
      [x, days.map((d) => d.angle_deg)], "Degrees", false, [0, 90]);
    area.dataset.drawn = "true";
  }

  main();
})();
