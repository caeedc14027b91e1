// Live session page: the engine runs on the server; this page shows its state, speaks its cues,
// sends key presses and the phone's tilt. Hand-written only where browser APIs demand it.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const symptomKeys = {};
  document.querySelectorAll(".symptom").forEach((b) => {
    const key = b.title.replace("key ", "");
    symptomKeys[key] = b.dataset.symptom;
  });
  let socket = null;
  let phase = "checklist";
  let beta0 = null;
  let lastBeta = null;
  let lastSent = 0;

  function connect() {
    socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/session");
    socket.onmessage = (message) => handle(JSON.parse(message.data));
    socket.onclose = () => setTimeout(connect, 1000);
  }
  function send(data) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(data));
  }
  function speak(text) {
    if (!("speechSynthesis" in window)) return;
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.rate = 0.95;
    window.speechSynthesis.speak(utterance);
  }
  function beep() {
    try {
      const context = new (window.AudioContext || window.webkitAudioContext)();
      const osc = context.createOscillator();
      osc.frequency.value = 880;
      osc.connect(context.destination);
      osc.start();
      osc.stop(context.currentTime + 0.3);
    } catch (e) { /* no audio device */ }
  }
  function show(section) {
    ["checklist", "running", "survey", "finished"].forEach((id) => { $(id).hidden = id !== section; });
  }
  function clock(seconds) {
    if (seconds === null || seconds === undefined) return "--:--";
    const s = Math.ceil(seconds);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }
  function handle(msg) {
    if (msg.type === "state") {
      phase = msg.phase;
      if (phase === "survey") show("survey");
      else if (phase === "done") show("finished");
      else if (phase !== "checklist") show("running");
      $("phase").textContent = phase.replace("_", " ").toUpperCase();
      $("countdown").textContent = clock(msg.remaining_s);
      $("target").textContent = Math.round(msg.target_deg);
      if (beta0 === null && msg.angle_deg !== null && msg.angle_deg !== undefined) {
        $("measured").textContent = Math.round(msg.angle_deg);  // a motorized table reports its own angle
      }
      const banner = $("banner");
      if (msg.alarming) { banner.className = "alarm"; banner.textContent = "ALARM: press I'm OK if you are all right"; }
      else if (msg.checkin_pending) { banner.className = "checkin"; banner.textContent = "Check-in: press I'm OK"; }
      else { banner.className = ""; banner.textContent = ""; }
    } else if (msg.type === "command") {
      if (msg.command === "say") { $("cue").textContent = msg.text; speak(msg.text); }
      else if (msg.command === "stop_speech" && "speechSynthesis" in window) window.speechSynthesis.cancel();
      else if (msg.command === "warn") {
        const kind = msg.kind === "above_cap" ? "Above your cap" : "Steeper than prescribed";
        $("warning").textContent = kind + ": " + Math.round(msg.angle_deg) + "° (limit " + Math.round(msg.limit_deg) + "°)";
      } else if (msg.command === "alarm" || msg.command === "chime") beep();
      else if (msg.command === "alert_buddy") $("warning").textContent = "Your buddy has been alerted.";
    } else if (msg.type === "finished") {
      show("finished");
      $("finished-text").textContent = "Ended: " + (msg.end_reason || "done") + ".";
    } else if (msg.type === "error") {
      $("checklist-error").textContent = msg.detail;
    }
  }

  // Angle from the phone's motion sensor: tilt of the table is the change in beta since calibration.
  function onOrientation(event) {
    if (event.beta === null) return;
    lastBeta = event.beta;
    if (beta0 === null) { $("sensor-status").textContent = "Sensor found: calibrate with the table at horizontal."; return; }
    const angle = Math.max(0, Math.min(90, Math.abs(event.beta - beta0)));
    $("measured").textContent = Math.round(angle);
    $("sensor-status").textContent = "Measured angle: " + Math.round(angle) + "°";
    sendAngle(angle);
  }
  // At most ~2 readings a second, but the latest reading is always sent (sensors go quiet when still).
  let pendingAngle = null;
  let trailing = null;
  function sendAngle(angle) {
    if (phase === "checklist") return;
    pendingAngle = angle;
    const wait = 400 - (Date.now() - lastSent);
    if (wait <= 0) flushAngle();
    else if (trailing === null) trailing = setTimeout(flushAngle, wait);
  }
  function flushAngle() {
    trailing = null;
    if (pendingAngle === null) return;
    lastSent = Date.now();
    send({ type: "angle", angle_deg: pendingAngle });
    pendingAngle = null;
  }
  window.addEventListener("deviceorientation", onOrientation);
  $("calibrate").addEventListener("click", async () => {
    if (typeof DeviceOrientationEvent !== "undefined" && typeof DeviceOrientationEvent.requestPermission === "function") {
      try { await DeviceOrientationEvent.requestPermission(); } catch (e) { /* denied: manual confirmation */ }
    }
    if (lastBeta === null) { $("sensor-status").textContent = "No sensor on this device: confirm the angle with I'm OK."; return; }
    beta0 = lastBeta;
    $("sensor-status").textContent = "Calibrated at horizontal.";
  });

  $("checklist-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const items = Array.from(document.querySelectorAll("input[name=items]:checked")).map((i) => i.value);
    const required = document.querySelectorAll("input[name=items]").length;
    if (items.length < required) { $("checklist-error").textContent = "Please confirm every item first."; return; }
    if ("speechSynthesis" in window) speak("Starting.");
    send({ type: "start", items: items, pain_before: Number($("pain-before").value) });
  });
  $("survey-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send({
      type: "survey",
      pain_after: Number($("pain-after").value),
      tolerance: document.querySelector("input[name=tolerance]:checked").value,
      symptoms: Array.from(document.querySelectorAll("input[name=symptoms]:checked")).map((i) => i.value),
    });
  });
  $("ok").addEventListener("click", () => send({ type: "ok" }));
  $("stop").addEventListener("click", () => send({ type: "stop" }));
  document.querySelectorAll(".symptom").forEach((b) => b.addEventListener("click", () => send({ type: "symptom", symptom: b.dataset.symptom })));
  $("flip").addEventListener("click", () => $("live").classList.toggle("upside-down"));
  document.addEventListener("keydown", (event) => {
    if ($("running").hidden) return;
    const key = event.key.toLowerCase();
    if (key === " " || key === "enter") { event.preventDefault(); send({ type: "ok" }); }
    else if (key === "x" || key === "escape") send({ type: "stop" });
    else if (symptomKeys[key]) send({ type: "symptom", symptom: symptomKeys[key] });
  });
  connect();
})();
