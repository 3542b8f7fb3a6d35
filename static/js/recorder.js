// Voice notes in the composer: record with MediaRecorder, play back, delete, or send with the composer.
// The recording joins the composer's FormData as "voice" on "parley:composer-collect" (see inbox.js);
// typed text goes with it as the caption. The server decodes and limits it again (inbox/services/voice.py).
(function () {
  "use strict";
  var box = document.getElementById("voice-recorder");
  var composer = document.getElementById("composer-form");
  if (!box || !composer) return;

  var $ = Parley.byId, clockText = Parley.formatDuration;
  var recordBtn = $("voice-record"), stopBtn = $("voice-stop"), deleteBtn = $("voice-delete"), sendBtn = $("voice-send");
  var live = $("voice-live"), take = $("voice-take"), player = $("voice-player");
  var clock = $("voice-clock"), spoken = $("voice-clock-spoken"), notice = $("voice-notice"), errorEl = $("voice-error");
  var text = box.dataset;
  var maxSeconds = Math.max(1, parseInt(text.maxSeconds, 10) || 300);
  var TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];
  var EXTENSIONS = { "audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a", "audio/mpeg": "mp3" };

  var recorder = null, stream = null, chunks = [], startedAt = 0, ticker = 0, limitTimer = 0;
  var blob = null, blobUrl = "", stoppedByLimit = false, lastSpoken = -1, attached = false;

  // Spoken to screen readers; shown on screen too when `visible` (the limit notice).
  function say(message, visible) {
    notice.classList.toggle("visually-hidden", !visible);
    Parley.announce(notice, message);
  }
  function fail(message) {
    errorEl.textContent = message;
  }
  function setState(state) {
    box.dataset.state = state;
    recordBtn.hidden = state !== "idle";
    live.hidden = state !== "recording";
    take.hidden = state !== "recorded";
  }

  // ---- recording -------------------------------------------------------------------------------
  function pickType() {
    if (!window.MediaRecorder || typeof MediaRecorder.isTypeSupported !== "function") return "";
    for (var i = 0; i < TYPES.length; i++) if (MediaRecorder.isTypeSupported(TYPES[i])) return TYPES[i];
    return "";
  }
  function micError(err) {
    var name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") return text.textDenied;
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") return text.textNoDevice;
    if (name === "NotReadableError" || name === "AbortError" || name === "TrackStartError") return text.textBusy;
    return text.textFailed;
  }
  function releaseMic() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
  }
  function tick() {
    var elapsed = (performance.now() - startedAt) / 1000;
    clock.textContent = clockText(Math.min(elapsed, maxSeconds)) + " / " + clockText(maxSeconds);
    // Screen readers hear the timer every 30 s and 10 s before the end, not every second
    // (a voice reading out numbers each second would end up in the recording).
    var mark = Math.floor(elapsed / 30);
    var left = maxSeconds - elapsed;
    if (left <= 10 && left > 9 && maxSeconds > 20 && lastSpoken !== -2) {
      lastSpoken = -2;
      spoken.textContent = text.textRemaining;
    } else if (mark > 0 && mark !== lastSpoken && lastSpoken !== -2) {
      lastSpoken = mark;
      spoken.textContent = Parley.format(text.textElapsed, { elapsed: clockText(mark * 30), limit: clockText(maxSeconds) });
    }
  }
  function start() {
    errorEl.textContent = "";
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.MediaRecorder) {
      fail(text.textUnsupported);
      return;
    }
    recordBtn.disabled = true;
    navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } })
      .then(function (s) {
        stream = s;
        var type = pickType();
        var options = { audioBitsPerSecond: 32000 };
        if (type) options.mimeType = type;
        try {
          recorder = new MediaRecorder(stream, options);
        } catch (e) {
          recorder = new MediaRecorder(stream);
        }
        chunks = [];
        stoppedByLimit = false;
        lastSpoken = -1;
        recorder.addEventListener("dataavailable", function (e) { if (e.data && e.data.size) chunks.push(e.data); });
        recorder.addEventListener("stop", finish);
        recorder.addEventListener("error", function () { reset(); fail(text.textFailed); });
        recorder.addEventListener("start", armLimit);  // the clock counts from the first recorded moment
        recorder.start(1000);
        armLimit();
        spoken.textContent = "";
        tick();
        ticker = window.setInterval(tick, 250);
        setState("recording");
        say(text.textStarted);
        stopBtn.focus();
      })
      .catch(function (err) {
        releaseMic();
        fail(micError(err));
        recordBtn.focus();
      })
      .finally(function () { recordBtn.disabled = false; });
  }
  function armLimit() {
    startedAt = performance.now();
    window.clearTimeout(limitTimer);
    limitTimer = window.setTimeout(function () { stop(true); }, maxSeconds * 1000);
  }
  function stop(byLimit) {
    if (!recorder || recorder.state === "inactive") return;
    stoppedByLimit = !!byLimit;
    window.clearInterval(ticker);
    window.clearTimeout(limitTimer);
    recorder.stop();  // "stop" → finish()
  }
  function finish() {
    var type = (recorder && recorder.mimeType) || (chunks[0] && chunks[0].type) || "audio/webm";
    releaseMic();
    recorder = null;
    if (!chunks.length) { reset(); fail(text.textFailed); return; }
    blob = new Blob(chunks, { type: type.split(";")[0] });
    chunks = [];
    blobUrl = URL.createObjectURL(blob);
    player.src = blobUrl;
    setState("recorded");
    if (stoppedByLimit) say(text.textLimit + " " + text.textReady, true);
    else say(text.textReady);
    player.focus();
  }
  // A browser's webm recording carries no duration: seek far once so the player learns it.
  player.addEventListener("loadedmetadata", function () {
    if (player.duration !== Infinity) return;
    player.addEventListener("timeupdate", function rewind() {
      player.removeEventListener("timeupdate", rewind);
      player.currentTime = 0;
    });
    player.currentTime = 1e101;
  });

  // ---- after recording -------------------------------------------------------------------------
  function reset() {
    window.clearInterval(ticker);
    window.clearTimeout(limitTimer);
    if (recorder && recorder.state !== "inactive") {
      recorder.removeEventListener("stop", finish);
      recorder.stop();
    }
    recorder = null;
    releaseMic();
    if (blobUrl) URL.revokeObjectURL(blobUrl);
    player.pause();
    player.removeAttribute("src");
    player.load();
    blob = null; blobUrl = ""; attached = false;
    spoken.textContent = "";
    clock.textContent = clockText(0) + " / " + clockText(maxSeconds);
    setState("idle");
  }
  function filename() {
    var base = (blob && blob.type || "audio/webm").split(";")[0];
    return "voice-note." + (EXTENSIONS[base] || "webm");
  }
  function noteChecked() {
    var note = $("composer-note");
    return !!(note && note.checked);
  }

  recordBtn.addEventListener("click", start);
  stopBtn.addEventListener("click", function () { stop(false); });
  deleteBtn.addEventListener("click", function () {
    reset();
    errorEl.textContent = "";
    say(text.textDeleted);
    recordBtn.focus();
  });
  sendBtn.addEventListener("click", function () {
    var send = $("composer-send");
    if (!blob || (send && send.disabled)) return;  // a send is already on its way
    if (noteChecked()) { fail(text.textNote); return; }
    errorEl.textContent = "";
    say(text.textSending);
    composer.requestSubmit();
  });

  // Any send of the composer (Send, Enter, Send voice note) carries a ready recording along.
  composer.addEventListener("parley:composer-collect", function (e) {
    attached = !!blob && !noteChecked();
    if (attached) e.detail.formData.append("voice", blob, filename());
  });
  composer.addEventListener("parley:composer-sent", function () {
    if (!attached) return;
    reset();
    say("");
  });
  window.addEventListener("pagehide", releaseMic);

  setState("idle");
  box.hidden = false;
})();
