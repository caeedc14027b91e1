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
  // Voice on or off is the person's choice, kept in this browser; the screen always shows every cue.
  const VOICE_KEY = "hangtime-voice";
  const voiceBox = $("voice-on");
  if (voiceBox) {
    voiceBox.checked = localStorage.getItem(VOICE_KEY) !== "off";
    voiceBox.addEventListener("change", () => localStorage.setItem(VOICE_KEY, voiceBox.checked ? "on" : "off"));
    if (!("speechSynthesis" in window)) {
      $("voice-note").textContent = "This browser cannot speak: watch the screen for every cue, and keep the sound on for the alarm.";
      voiceBox.disabled = true;
      $("voice-test").disabled = true;
    }
    $("voice-test").addEventListener("click", () => {
      speak("This is how Hangtime will speak to you during the session.");
      $("voice-note").textContent = voiceBox.checked ? "Did you hear it? If not, turn the volume up."
        : "The voice is off: cues show on the screen, and check-ins, the alarm and safety warnings are still spoken.";
    });
  }
  // Spoken even with the voice off: a person inverted may not be looking at the screen when their safety is at stake.
  const ALWAYS_SPOKEN = new Set(["checkin", "alarm", "warning", "fault", "limit", "symptom"]);
  function speak(text, evenIfOff) {
    if (!("speechSynthesis" in window)) return;
    if (!evenIfOff && voiceBox && !voiceBox.checked) return;
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
      if (msg.alarming) { banner.className = "alarm"; banner.textContent = "ALARM: " + msg.alarm_text; }
      else if (msg.checkin_pending) { banner.className = "checkin"; banner.textContent = "Check-in: press I'm OK"; }
      else { banner.className = ""; banner.textContent = ""; }
      // A reopened tab learns everything from the state: the last cue and whether the buddy was alerted.
      if (msg.cue && !$("cue").textContent) $("cue").textContent = msg.cue;
      $("buddy-status").textContent = msg.buddy_alerted ? "Your buddy has been alerted." : "";
      if (phase !== "checklist" && phase !== "survey" && phase !== "done") keepScreenOn();
      else releaseScreen();
    } else if (msg.type === "command") {
      if (msg.command === "say") { $("cue").textContent = msg.text; speak(msg.text, ALWAYS_SPOKEN.has(msg.cue)); }
      else if (msg.command === "stop_speech" && "speechSynthesis" in window) window.speechSynthesis.cancel();
      else if (msg.command === "warn") {
        const kind = msg.kind === "above_cap" ? "Above your cap" : "Steeper than prescribed";
        $("warning").textContent = kind + ": " + Math.round(msg.angle_deg) + "° (limit " + Math.round(msg.limit_deg) + "°)";
      } else if (msg.command === "alarm" || msg.command === "chime") beep();
      else if (msg.command === "alert_buddy") $("buddy-status").textContent = "Your buddy has been alerted.";
    } else if (msg.type === "idle") {
      // The server holds no session for us: if this page shows one, the server restarted. Reload to be told.
      if (!$("running").hidden || !$("survey").hidden) location.reload();
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
  $("confirm").addEventListener("click", () => send({ type: "confirm" }));
  $("stop").addEventListener("click", () => send({ type: "stop" }));
  document.querySelectorAll(".symptom").forEach((b) => b.addEventListener("click", () => send({ type: "symptom", symptom: b.dataset.symptom })));
  // Upside-down display for reading the screen while inverted: remembered on this device.
  function setUpsideDown(on) {
    $("live").classList.toggle("upside-down", on);
    $("flip").setAttribute("aria-pressed", on ? "true" : "false");
    try { localStorage.setItem("hangtime.upsideDown", on ? "1" : "0"); } catch (e) { /* private mode */ }
  }
  $("flip").addEventListener("click", () => setUpsideDown(!$("live").classList.contains("upside-down")));
  try { if (localStorage.getItem("hangtime.upsideDown") === "1") setUpsideDown(true); } catch (e) { /* private mode */ }

  // Keep the screen on while on the table (Screen Wake Lock API); say so where the browser refuses.
  let wakeLock = null;
  let wakeLockWanted = false;
  async function keepScreenOn() {
    wakeLockWanted = true;
    if (wakeLock !== null) return;
    if (!("wakeLock" in navigator)) {
      $("wakelock-note").textContent = "This browser cannot keep the screen on: set the screen timeout to its longest before you start.";
      return;
    }
    try {
      wakeLock = await navigator.wakeLock.request("screen");
      wakeLock.addEventListener("release", () => { wakeLock = null; });
      $("wakelock-note").textContent = "";
    } catch (e) {
      $("wakelock-note").textContent = "The screen may turn off (" + e.name + "): set the screen timeout to its longest.";
    }
  }
  function releaseScreen() {
    wakeLockWanted = false;
    if (wakeLock !== null) { wakeLock.release(); wakeLock = null; }
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && wakeLockWanted) keepScreenOn();
  });
  document.addEventListener("keydown", (event) => {
    if ($("running").hidden) return;
    // On a focused control, Enter and Space belong to it: the browser clicks the button that has the focus.
    const tag = event.target && event.target.tagName;
    if (tag === "BUTTON" || tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || tag === "A") {
      if (event.key === "Escape") send({ type: "stop" });
      return;
    }
    const key = event.key.toLowerCase();
    if (key === " " || key === "k") { event.preventDefault(); send({ type: "ok" }); }
    else if (key === "enter" || key === "y") { event.preventDefault(); send({ type: "confirm" }); }
    else if (key === "x" || key === "escape") send({ type: "stop" });
    else if (symptomKeys[key]) send({ type: "symptom", symptom: symptomKeys[key] });
  });
  connect();
})();
