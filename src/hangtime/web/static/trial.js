// The personal trial's chart: daily pain from /api/trial, blocks with inversion shaded (uPlot, vendored, MIT).
(function () {
  "use strict";
  const DAY = 86400;
  function seconds(day) { return Date.parse(day + "T00:00:00Z") / 1000; }

  async function main() {
    const target = document.getElementById("trial-plot");
    if (!target || typeof uPlot === "undefined") return;
    const response = await fetch("/api/trial", { credentials: "same-origin" });
    if (!response.ok) { target.textContent = "The chart could not be loaded."; return; }
    const trial = await response.json();
    const blocks = trial.blocks.map((b) => ({ from: seconds(b.start), to: seconds(b.end) + DAY, arm: b.arm }));
    const x = [], pain = [];
    for (const entry of trial.diary) { x.push(seconds(entry.date) + DAY / 2); pain.push(entry.pain); }
    if (!x.length) { target.textContent = "No diary days yet."; return; }
    const shade = {
      hooks: {
        drawClear: [(u) => {
          const ctx = u.ctx;
          ctx.save();
          for (const b of blocks) {
            const left = u.valToPos(b.from, "x", true), right = u.valToPos(b.to, "x", true);
            ctx.fillStyle = b.arm === "A" ? "rgba(21, 101, 192, 0.14)" : "rgba(0, 0, 0, 0.03)";
            ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
          }
          ctx.restore();
        }],
      },
    };
    const options = {
      width: Math.min(target.clientWidth || 640, 900), height: 240,
      plugins: [shade],
      scales: { x: { time: true, auto: false, range: [blocks[0].from, blocks[blocks.length - 1].to] }, y: { range: [0, 10] } },
      axes: [
        { incrs: [DAY, 2 * DAY, 7 * DAY, 14 * DAY], space: 90,
          values: (u, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(0, 10)) },
        { label: "Pain (0-10)" },
      ],
      series: [{}, { label: "Daily pain", stroke: "#c62828", width: 2, spanGaps: false, points: { show: true, size: 5 } }],
    };
    target.textContent = "";
    new uPlot(options, [x, pain], target);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main); else main();
})();
