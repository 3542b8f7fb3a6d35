// The composer's "Send survey": a dialog listing the workspace's surveys (loaded from the server when it
// first opens); choosing one sends it in the conversation. The message and the "Survey sent" line also
// arrive over the live socket; the message is shown at once from the answer in case the socket is down.
(function () {
  "use strict";
  var $ = Parley.byId;
  var tool = $("survey-tool");
  if (!tool || tool.dataset.ready) return;
  tool.dataset.ready = "1";
  var button = $("survey-button"), dialog = $("survey-picker"), box = $("survey-choices");
  var closeButton = $("survey-close"), fallback = $("survey-fallback"), errorEl = $("survey-error");
  var loaded = false, sending = false;

  fallback.hidden = true;
  button.hidden = false;

  function say(text) { Parley.announce("survey-status", text); }
  function showError(text) { errorEl.textContent = text || ""; }
  function choices() { return Array.prototype.slice.call(box.querySelectorAll(".survey-choice")); }
  function isOpen() { return !dialog.hidden; }
  function focusFirst() {
    var list = choices();
    (list.length ? list[0] : closeButton).focus();
  }
  function load() {
    var note = document.createElement("p");
    note.className = "muted";
    note.textContent = tool.dataset.loadingText || "Loading surveys…";
    box.replaceChildren(note);
    Parley.get(tool.dataset.url).then(function (res) {
      if (!res.ok) throw new Error(String(res.status));
      box.replaceChildren(Parley.parse(res.text));
      loaded = true;
      if (isOpen()) focusFirst();
    }).catch(function () {
      note.textContent = tool.dataset.failedText || "The surveys could not be loaded. Try again.";
    });
  }
  // Keep the dialog inside the window on narrow screens (it opens from the button's left edge).
  function place() {
    dialog.style.left = "";
    var rect = dialog.getBoundingClientRect();
    var over = rect.right - (document.documentElement.clientWidth - 8);
    if (over > 0) dialog.style.left = -Math.min(over, Math.max(0, rect.left - 8)) + "px";
  }
  function open() {
    dialog.hidden = false;
    place();
    button.setAttribute("aria-expanded", "true");
    showError("");
    if (loaded) focusFirst(); else { closeButton.focus(); load(); }
  }
  function close(returnFocus) {
    if (!isOpen()) return;
    dialog.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (returnFocus) button.focus();
  }
  function showMessage(html) {
    var el = Parley.fragment(html), history = $("history");
    if (!el || !history || !el.id || document.getElementById(el.id)) return;
    history.appendChild(el);
    history.scrollTop = history.scrollHeight;
  }
  function send(choice) {
    if (sending) return;
    sending = true;
    choice.disabled = true;
    showError("");
    var data = new FormData();
    data.append("survey", choice.dataset.surveyId);
    Parley.post(tool.dataset.url, data).then(function (res) {
      if (!res.ok) { showError(res.text); return; }
      showMessage(res.text);
      close(true);
      say(Parley.format(tool.dataset.sentText, { title: choice.dataset.title }));
    }).catch(function () {
      showError(tool.dataset.networkText || "Could not reach the server. Try again.");
    }).finally(function () {
      sending = false;
      choice.disabled = false;
    });
  }

  button.addEventListener("click", function () { if (isOpen()) close(true); else open(); });
  closeButton.addEventListener("click", function () { close(true); });
  box.addEventListener("click", function (e) {
    var choice = e.target.closest ? e.target.closest(".survey-choice") : null;
    if (choice) send(choice);
  });
  window.addEventListener("resize", function () { if (isOpen()) place(); });
  document.addEventListener("mousedown", function (e) {
    if (isOpen() && !tool.contains(e.target)) close(false);
  });
  dialog.addEventListener("keydown", function (e) {
    var stops = [closeButton].concat(choices());
    var at = stops.indexOf(document.activeElement);
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close(true);
    } else if ((e.key === "ArrowDown" || e.key === "ArrowUp") && at > 0) {
      e.preventDefault();
      var list = choices(), i = list.indexOf(document.activeElement);
      list[(i + (e.key === "ArrowDown" ? 1 : list.length - 1)) % list.length].focus();
    } else if (e.key === "Tab" && at !== -1) {  // focus stays in the dialog until it is closed
      e.preventDefault();
      stops[(at + (e.shiftKey ? stops.length - 1 : 1)) % stops.length].focus();
    }
  });
})();
