// Composer snippets: "/" at the start of the message opens a searchable list of snippets.
// The textbox keeps its role and name ("Message"); while the list is open it points at it
// (aria-controls) and at the highlighted option (aria-activedescendant). Arrow keys move, Enter
// inserts, Escape closes and leaves the text. The chosen snippet is rendered on the server for this
// conversation; its text goes in through .value (plain text), its warnings are shown (aria-live)
// and its files become removable chips carried as hidden "snippet_attachment" inputs.
(function () {
  "use strict";
  var root = document.getElementById("inbox");
  var form = document.getElementById("composer-form");
  var textarea = document.getElementById("composer-body");
  var popup = document.getElementById("snippet-popup");
  if (!root || !form || !textarea || !popup) return;

  var conversationId = root.dataset.conversationId || "";
  var baseUrl = popup.dataset.baseUrl;
  var listbox = document.getElementById("snippet-listbox");
  var emptyEl = document.getElementById("snippet-empty");
  var statusEl = document.getElementById("snippet-status");
  var tray = document.getElementById("snippet-tray");
  var warningsEl = document.getElementById("snippet-warnings");
  var chips = document.getElementById("snippet-chips");

  var results = [];
  var active = -1;
  var open = false;
  var suppressed = false;  // Escape closed the list: stay closed until the "/" is gone
  var requestSeq = 0;
  var timer = null;
  var pending = false;  // a chosen snippet is being rendered: Enter must not send the "/query"

  var format = Parley.format;
  function say(text) { Parley.announce(statusEl, text); }

  // The "/query" token: from the start of the text to the first whitespace, when the caret is in it.
  function token() {
    var value = textarea.value;
    if (value.charAt(0) !== "/") return null;
    var caret = textarea.selectionStart;
    var end = value.search(/\s/);
    if (end === -1) end = value.length;
    if (caret === null || caret > end || caret < 1) return null;
    return { query: value.slice(1, end), end: end };
  }

  // ---- the list --------------------------------------------------------------------------------
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-haspopup", "listbox");

  function show() {
    if (open) return;
    open = true;
    popup.hidden = false;
    textarea.setAttribute("aria-controls", "snippet-listbox");
  }
  function hide() {
    open = false;
    popup.hidden = true;
    active = -1;
    results = [];
    listbox.textContent = "";
    textarea.removeAttribute("aria-activedescendant");
    textarea.removeAttribute("aria-controls");
    window.clearTimeout(timer);
    requestSeq += 1;  // answers still on their way are ignored
  }
  function optionId(i) { return "snippet-option-" + results[i].id; }
  function highlight(i) {
    var options = listbox.querySelectorAll("[role=option]");
    if (!options.length) return;
    active = (i + options.length) % options.length;
    Array.prototype.forEach.call(options, function (el, n) {
      el.setAttribute("aria-selected", n === active ? "true" : "false");
    });
    textarea.setAttribute("aria-activedescendant", optionId(active));
    options[active].scrollIntoView({ block: "nearest" });
  }
  function renderList(query) {
    listbox.textContent = "";
    results.forEach(function (item, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = optionId(i);
      li.setAttribute("aria-selected", "false");
      li.className = "snippet-option";
      var head = document.createElement("span");
      head.className = "snippet-option-head";
      var shortcut = document.createElement("span");
      shortcut.className = "snippet-shortcut";
      shortcut.textContent = "/" + item.shortcut;
      var name = document.createElement("span");
      name.className = "snippet-name";
      name.textContent = item.name;
      head.appendChild(shortcut);
      head.appendChild(name);
      if (item.personal) {
        var badge = document.createElement("span");
        badge.className = "snippet-badge";
        badge.textContent = popup.dataset.personalText || "Personal";
        head.appendChild(badge);
      }
      var preview = document.createElement("span");
      preview.className = "snippet-preview";
      preview.textContent = item.preview;
      li.appendChild(head);
      li.appendChild(preview);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep focus in the textbox
      li.addEventListener("click", function () { choose(i); });
      listbox.appendChild(li);
    });
    listbox.hidden = results.length === 0;
    emptyEl.hidden = results.length !== 0;
    if (!results.length) {
      emptyEl.textContent = query ? format(popup.dataset.emptyText, { query: query }) : popup.dataset.noneText;
      textarea.removeAttribute("aria-activedescendant");
      active = -1;
      say(emptyEl.textContent);
      return;
    }
    highlight(0);
    say(results.length === 1 ? popup.dataset.oneText : format(popup.dataset.countText, { count: results.length }));
  }
  function search(query) {
    var seq = ++requestSeq;
    Parley.getJSON(baseUrl + "search/?q=" + encodeURIComponent(query))
      .catch(function (err) { if (err.status) return []; throw err; })  // a refusal empties the list
      .then(function (items) {
        if (seq !== requestSeq || !open) return;
        results = Array.isArray(items) ? items : [];
        renderList(query);
      }).catch(function () { /* offline: the list stays as it was */ });
  }
  function update() {
    var t = token();
    if (!t) {
      if (textarea.value.charAt(0) !== "/") suppressed = false;
      if (open) hide();
      return;
    }
    if (suppressed) return;
    show();
    window.clearTimeout(timer);
    var query = t.query;
    timer = window.setTimeout(function () { search(query); }, results.length ? 120 : 0);
  }

  // ---- choosing --------------------------------------------------------------------------------
  function showWarnings(warnings) {
    warningsEl.textContent = "";
    (warnings || []).forEach(function (w) {
      var p = document.createElement("p");
      p.className = "snippet-warning";
      p.textContent = w.message;
      warningsEl.appendChild(p);
    });
    refreshTray();
  }
  function refreshTray() {
    chips.hidden = chips.children.length === 0;
    tray.hidden = chips.hidden && warningsEl.children.length === 0;
  }
  function addChip(file) {
    if (chips.querySelector('input[value="' + String(Number(file.id)) + '"]')) return;
    var li = document.createElement("li");
    li.className = "snippet-chip";
    var name = document.createElement("span");
    name.className = "snippet-chip-name";
    name.textContent = file.name;
    var size = document.createElement("span");
    size.className = "muted";
    size.textContent = Parley.formatSize(file.size || 0);
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "snippet-chip-remove";
    remove.setAttribute("aria-label", format(popup.dataset.removeText, { name: file.name }));
    remove.textContent = "×";
    remove.addEventListener("click", function () {
      li.remove();
      refreshTray();
      textarea.focus();
    });
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "snippet_attachment";
    input.value = String(Number(file.id));
    li.appendChild(name);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(size);
    li.appendChild(remove);
    li.appendChild(input);
    chips.appendChild(li);
  }
  function choose(i) {
    var item = results[i];
    var t = token();
    if (!item || !t) return;
    hide();
    pending = true;
    say(popup.dataset.loadingText);
    var url = baseUrl + encodeURIComponent(item.id) + "/render/?conversation=" + encodeURIComponent(conversationId);
    Parley.getJSON(url)
      .then(function (data) {
        var current = token();  // the text may have changed while we waited
        var end = current ? current.end : 0;
        var rest = textarea.value.slice(end);
        textarea.value = data.text + rest;
        var caret = data.text.length;
        textarea.setSelectionRange(caret, caret);
        textarea.focus();
        (data.attachments || []).forEach(addChip);
        showWarnings(data.warnings);
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      })
      .catch(function () { showWarnings([{ message: popup.dataset.failedText }]); })
      .finally(function () { pending = false; });
  }

  // ---- events ----------------------------------------------------------------------------------
  textarea.addEventListener("input", update);
  textarea.addEventListener("click", update);
  textarea.addEventListener("keyup", function (e) {
    if (["ArrowLeft", "ArrowRight", "Home", "End"].indexOf(e.key) !== -1) update();
  });
  textarea.addEventListener("blur", function () { window.setTimeout(function () { if (open) hide(); }, 150); });
  // Captured on the form, so these keys never reach the composer's own Enter-to-send handler.
  form.addEventListener("keydown", function (e) {
    if (e.target !== textarea || e.isComposing) return;
    if (pending && e.key === "Enter") { e.preventDefault(); e.stopPropagation(); return; }
    if (!open) return;
    var handled = true;
    if (e.key === "ArrowDown") highlight(active + 1);
    else if (e.key === "ArrowUp") highlight(active - 1);
    else if (e.key === "Enter" && !e.shiftKey && active >= 0) choose(active);
    else if (e.key === "Enter" && !e.shiftKey) handled = true;  // nothing to choose: do not send "/xyz"
    else if (e.key === "Escape") { suppressed = true; hide(); }
    else handled = false;
    if (handled) { e.preventDefault(); e.stopPropagation(); }
  }, true);
  form.addEventListener("parley:composer-sent", function () {
    chips.textContent = "";
    warningsEl.textContent = "";
    refreshTray();
    suppressed = false;
  });
})();
