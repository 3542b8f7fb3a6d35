// The Messages module around inbox.js (which owns the socket, the queue, the composer, assign and close):
// keyboard shortcuts and their "Keyboard shortcuts" dialog, focus in the composer after opening a
// conversation by keyboard, the queue tab kept in rows pushed live, times of pushed rows and messages in
// the page's language, and the empty pane's counts kept equal to the tabs'.
(function () {
  "use strict";
  var root = Parley.byId("inbox");
  if (!root) return;
  var $ = Parley.byId;
  var tab = root.dataset.tab || "all";
  var conversationId = root.dataset.conversationId || "";
  var dialog = $("shortcuts-dialog");
  var SHORTCUTS_KEY = "parley:shortcuts", FOCUS_KEY = "parley:focus-composer";

  function read(storage, key) { try { return window[storage].getItem(key); } catch (e) { return null; } }
  function write(storage, key, value) {
    try {
      if (value === null) window[storage].removeItem(key); else window[storage].setItem(key, value);
    } catch (e) { /* private mode: this page only */ }
  }
  function say(text) { if (text) Parley.announce("live-announcer", text); }
  function words(name, fallback) { return (dialog && dialog.dataset[name]) || fallback; }

  // ---- focus in the composer after a keyboard open ------------------------------------------------
  // Enter on a queue row (a click with detail 0) or j/k remember which conversation is being opened;
  // that page then starts in its "Message" box instead of 26 Tab presses away. A mouse click does not
  // (on a phone it would pop the keyboard up over the history).
  function rememberKeyboardOpen(id) { write("sessionStorage", FOCUS_KEY, String(id)); }
  var pending = read("sessionStorage", FOCUS_KEY);
  if (pending !== null) {
    write("sessionStorage", FOCUS_KEY, null);
    if (pending === conversationId) {
      var box = $("composer-body");
      if (box) box.focus(); else { var main = $("main"); if (main) main.focus(); }
    }
  }
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest(".queue-row a[href]");
    if (!link || e.detail !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    var row = link.closest(".queue-row");
    if (row) rememberKeyboardOpen(row.dataset.conversationId);
  }, true);

  // ---- live rows keep the tab; pushed times speak the page's language; the empty pane's counts -----
  var zone = root.dataset.timeZone || undefined;
  var lang = document.documentElement.lang || "en";
  var dayFormat = null, clockFormat = null;
  try {
    dayFormat = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" });
    clockFormat = new Intl.DateTimeFormat(lang, { timeZone: zone, hour: "numeric", minute: "2-digit" });
  } catch (e) { /* an unknown time zone: leave the server's text */ }
  // The same text as the server's short_time for today (config/formats): English "9:18 PM", Spanish "21:18".
  function clock(date) {
    var parts = clockFormat.formatToParts(date);
    var twelve = parts.some(function (p) { return p.type === "dayPeriod"; });
    return parts.map(function (p) {
      return p.type === "hour" && !twelve && p.value.length < 2 ? "0" + p.value : p.value;
    }).join("").replace(/[\u202f\u00a0]/g, " ");
  }
  // A push is rendered once for everyone, in the language of whoever caused it; its times (always
  // today's) are rewritten here in this page's language. Older dates are never pushed and stay as they are.
  function localizeTimes(node) {
    if (!clockFormat) return;
    var today = dayFormat.format(new Date());
    var times = Array.prototype.slice.call(node.querySelectorAll("time[datetime]"));
    if (node.matches("time[datetime]")) times.push(node);
    times.forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date) || dayFormat.format(date) !== today) return;
      var text = clock(date);
      if (el.textContent !== text) el.textContent = text;
    });
  }
  function keepTab(scope) {
    if (tab === "all") return;
    Array.prototype.forEach.call(scope.querySelectorAll(".queue-row a[href]"), function (link) {
      var url = new URL(link.getAttribute("href"), window.location.href);
      if (url.searchParams.get("tab")) return;
      url.searchParams.set("tab", tab);
      link.setAttribute("href", url.pathname + url.search + url.hash);
    });
  }
  function copyCounts() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-count-copy]"), function (el) {
      var source = document.querySelector('[data-count="' + el.dataset.countCopy + '"]');
      var match = source && source.textContent.match(/\d+\+?/);
      if (match && el.textContent !== match[0]) el.textContent = match[0];
    });
  }
  new MutationObserver(function (records) {
    records.forEach(function (record) {
      Array.prototype.forEach.call(record.addedNodes, function (node) {
        if (node.nodeType !== 1) return;
        keepTab(node.parentNode || node);  // the row itself is the element added: look from its list
        localizeTimes(node);
      });
    });
    copyCounts();
  }).observe(root, { childList: true, subtree: true });
  keepTab(root);

  // ---- the shortcuts ------------------------------------------------------------------------------
  function enabled() { return read("localStorage", SHORTCUTS_KEY) !== "off"; }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue-list .queue-row a[href]")); }
  function open(link) {
    var row = link.closest(".queue-row");
    if (row) rememberKeyboardOpen(row.dataset.conversationId);
    window.location.assign(link.href);
  }
  function step(by) {
    var links = rows();
    if (!links.length) { say(words("endText", "")); return; }
    var at = -1;
    links.forEach(function (link, i) {
      var row = link.closest(".queue-row");
      if (link.getAttribute("aria-current") === "page" || (row && row.dataset.conversationId === conversationId)) at = i;
    });
    var next = at === -1 ? 0 : at + by;
    if (next < 0 || next >= links.length) { say(words("endText", "")); return; }
    open(links[next]);
  }
  function focusComposer() {
    var box = $("composer-body");
    if (box) box.focus(); else say(words("closedText", ""));
  }
  function assignToMe() {
    var select = $("assign-select");
    if (!select) { say(words("closedText", "")); return; }
    var me = String(root.dataset.memberId || "");
    if (select.value === me) { say(words("mineText", "")); return; }
    if (!Array.prototype.some.call(select.options, function (o) { return o.value === me; })) return;
    select.value = me;
    select.dispatchEvent(new Event("change", { bubbles: true }));  // inbox.js posts it and announces the name
  }
  function closeConversation() {
    var opener = $("close-opener");
    if (opener && !opener.hidden) { opener.click(); return; }
    var category = $("close-category");
    if (category && !$("close-form").hidden) category.focus(); else say(words("closedText", ""));
  }
  function showTab(name) {
    var link = document.querySelector('.tabs a[data-tab="' + name + '"]');
    if (link) window.location.assign(link.href);
  }
  var KEYS = {
    j: function () { step(1); }, k: function () { step(-1); }, r: focusComposer, a: assignToMe, c: closeConversation,
    1: function () { showTab("mine"); }, 2: function () { showTab("unassigned"); }, 3: function () { showTab("all"); },
    "?": openDialog
  };
  // Never while typing (text fields, selects, editable content, the emoji and snippet pickers), never with
  // Ctrl, Alt or Meta (the browser's and the screen reader's own), and not when the person turned them off.
  var TYPING = ["input", "textarea", "select", "[contenteditable]", "[role=textbox]", "[role=combobox]",
    "[role=listbox]", "[role=dialog]"].join(",");
  function typing(target) {
    if (!target || !target.closest) return false;
    return target.isContentEditable || !!target.closest(TYPING);
  }
  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.isComposing || e.ctrlKey || e.altKey || e.metaKey || e.repeat) return;
    var action = Object.prototype.hasOwnProperty.call(KEYS, e.key) ? KEYS[e.key] : null;
    if (!action || !enabled() || typing(e.target) || (dialog && dialog.open)) return;
    e.preventDefault();
    action();
  });

  // ---- the "Keyboard shortcuts" dialog --------------------------------------------------------------
  var returnTo = null;
  function openDialog() {
    if (!dialog || dialog.open) return;
    returnTo = document.activeElement;
    dialog.showModal();
  }
  if (dialog) {
    dialog.addEventListener("close", function () {
      var target = returnTo && document.contains(returnTo) && returnTo !== document.body ? returnTo : null;
      returnTo = null;
      if (target) target.focus();
    });
    dialog.addEventListener("click", function (e) { if (e.target === dialog) dialog.close(); });  // the backdrop
    var closeButton = $("shortcuts-close");
    if (closeButton) closeButton.addEventListener("click", function () { dialog.close(); });
    var toggle = $("shortcuts-enabled");
    if (toggle) {
      toggle.checked = enabled();
      toggle.addEventListener("change", function () { write("localStorage", SHORTCUTS_KEY, toggle.checked ? null : "off"); });
    }
    var opener = $("shortcuts-opener");
    if (opener) {
      opener.hidden = false;
      opener.addEventListener("click", openDialog);
    }
  }
})();
