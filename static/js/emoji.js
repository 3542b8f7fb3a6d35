// The composer's emoji picker: a dialog with a search box (by name, in English and the UI language)
// and a listbox of results. Arrow keys move through the results, Enter inserts at the message's
// caret, Escape closes and gives focus back. The data comes from /w/<slug>/emoji.json, once.
(function () {
  "use strict";
  var $ = Parley.byId, fill = Parley.format;
  var tool = $("emoji-tool");
  var textarea = $("composer-body");
  if (!tool || !textarea || tool.dataset.ready) return;
  tool.dataset.ready = "1";

  var button = $("emoji-button");
  var dialog = $("emoji-picker");
  var search = $("emoji-search");
  var results = $("emoji-results");
  var preview = $("emoji-preview");
  var statusEl = $("emoji-status");
  var closeButton = $("emoji-close");
  var RECENT_KEY = "parley.emoji.recent";
  var RECENT_MAX = 24;
  var MAX_RESULTS = 160;
  var data = null;       // {groups: [...], emoji: [...]}
  var byChar = {};
  var loading = null;    // the pending fetch
  var options = [];      // rendered option elements, in order
  var items = [];        // the item of each option
  var active = -1;
  var countTimer = 0;

  button.hidden = false;

  function normalize(text) {
    return String(text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[_:]+/g, " ").replace(/\s+/g, " ").trim();
  }
  function say(text) { Parley.announce(statusEl, text); }

  // ---- data ------------------------------------------------------------------------------------
  function prepare(json) {
    json.emoji.forEach(function (item, i) {
      item.i = i;
      item.nn = normalize(item.n);
      item.nl = normalize(item.l || "");
      item.words = (item.nn + " " + item.nl).split(" ");
      item.other = normalize(item.s + " " + (item.a || []).join(" ")).split(" ");
      item.key = [item.nn, item.nl, item.other.join(" ")].join(" | ");
      byChar[item.e] = item;
    });
    return json;
  }
  function load() {
    if (data) return Promise.resolve(data);
    if (!loading) {
      loading = Parley.getJSON(tool.dataset.url)
        .then(function (json) { data = prepare(json); return data; })
        .catch(function (err) { loading = null; throw err; });
    }
    return loading;
  }
  function recent() {
    try {
      var list = JSON.parse(window.localStorage.getItem(RECENT_KEY) || "[]");
      return Array.isArray(list) ? list.filter(function (e) { return byChar[e]; }).map(function (e) { return byChar[e]; }) : [];
    } catch (err) { return []; }
  }
  function remember(char) {
    try {
      var list = JSON.parse(window.localStorage.getItem(RECENT_KEY) || "[]");
      if (!Array.isArray(list)) list = [];
      list = [char].concat(list.filter(function (e) { return e !== char; })).slice(0, RECENT_MAX);
      window.localStorage.setItem(RECENT_KEY, JSON.stringify(list));
    } catch (err) { /* private mode: no memory, no harm */ }
  }

  // ---- search ----------------------------------------------------------------------------------
  function hasPrefix(words, token) {
    for (var i = 0; i < words.length; i++) if (words[i].indexOf(token) === 0) return true;
    return false;
  }
  function score(item, query, tokens) {
    if (item.nn === query || item.nl === query) return 0;
    if (item.nn.indexOf(query) === 0 || (item.nl && item.nl.indexOf(query) === 0)) return 1;
    var worst = 2;
    for (var i = 0; i < tokens.length; i++) {
      var t = tokens[i];
      if (hasPrefix(item.words, t)) continue;
      if (hasPrefix(item.other, t)) { worst = Math.max(worst, 3); continue; }
      if (item.key.indexOf(t) !== -1) { worst = Math.max(worst, 4); continue; }
      return -1;
    }
    return worst;
  }
  function find(text) {
    var query = normalize(text);
    var tokens = query.split(" ");
    var found = [];
    data.emoji.forEach(function (item) {
      var s = score(item, query, tokens);
      if (s >= 0) found.push([s, item]);
    });
    found.sort(function (a, b) {
      return a[0] - b[0] || a[1].n.length - b[1].n.length || a[1].i - b[1].i;
    });
    return found.slice(0, MAX_RESULTS).map(function (pair) { return pair[1]; });
  }

  // ---- rendering -------------------------------------------------------------------------------
  function option(item) {
    var el = document.createElement("div");
    el.className = "emoji-option";
    el.id = "emoji-opt-" + item.i;
    el.setAttribute("role", "option");
    el.setAttribute("aria-selected", "false");
    el.setAttribute("aria-label", item.l ? item.l : item.n);
    el.title = (item.l || item.n) + "  :" + item.s + ":";
    el.textContent = item.e;
    el.dataset.pos = String(options.length);
    options.push(el);
    items.push(item);
    return el;
  }
  function group(label, list, into) {
    if (!list.length) return;
    var box = document.createElement("div");
    box.className = "emoji-group";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", label);
    var title = document.createElement("div");
    title.className = "emoji-group-label";
    title.setAttribute("aria-hidden", "true");
    title.textContent = label;
    into.appendChild(title);
    list.forEach(function (item) { box.appendChild(option(item)); });
    into.appendChild(box);
  }
  function render(text) {
    options = [];
    items = [];
    active = -1;
    var frag = document.createDocumentFragment();
    var query = normalize(text);
    if (!query) {
      group(tool.dataset.recentText || "Recently used", recent(), frag);
      var byGroup = {};
      data.emoji.forEach(function (item) { (byGroup[item.g] = byGroup[item.g] || []).push(item); });
      data.groups.forEach(function (g) { group(g.name, byGroup[g.id] || [], frag); });
    } else {
      var found = find(text);
      group(tool.dataset.resultsText || "Results", found, frag);
      window.clearTimeout(countTimer);
      countTimer = window.setTimeout(function () {
        say(found.length ? fill(tool.dataset.countText, { n: found.length })
          : fill(tool.dataset.noneText, { query: text.trim() }));
      }, 400);
    }
    results.replaceChildren(frag);
    results.scrollTop = 0;
    setActive(options.length ? 0 : -1, false);
  }
  function setActive(index, scroll) {
    var old = options[active];
    if (old) { old.classList.remove("is-active"); old.setAttribute("aria-selected", "false"); }
    active = index;
    var el = options[index];
    if (!el) {
      search.removeAttribute("aria-activedescendant");
      results.removeAttribute("aria-activedescendant");
      preview.textContent = "";
      return;
    }
    el.classList.add("is-active");
    el.setAttribute("aria-selected", "true");
    search.setAttribute("aria-activedescendant", el.id);
    results.setAttribute("aria-activedescendant", el.id);
    var item = items[index];
    preview.textContent = item.e + "  " + (item.l || item.n) + "  :" + item.s + ":";
    if (scroll) el.scrollIntoView({ block: "nearest" });
  }
  // Up/Down: the option in the next/previous visual row nearest in x (groups make rows uneven).
  function rowMove(dir) {
    var cur = options[active];
    if (!cur) { setActive(0, true); return; }
    var top = cur.offsetTop, left = cur.offsetLeft, rowTop = null, best = -1, bestDistance = Infinity;
    for (var i = active + dir; i >= 0 && i < options.length; i += dir) {
      var el = options[i];
      if (el.offsetTop === top) continue;
      if (rowTop === null) rowTop = el.offsetTop;
      if (el.offsetTop !== rowTop) break;
      var distance = Math.abs(el.offsetLeft - left);
      if (distance < bestDistance) { bestDistance = distance; best = i; }
    }
    if (best !== -1) setActive(best, true);
  }

  // ---- inserting -------------------------------------------------------------------------------
  function insert(item) {
    if (!item) return;
    var start = textarea.selectionStart, end = textarea.selectionEnd;
    var max = textarea.maxLength > 0 ? textarea.maxLength : Infinity;
    if (textarea.value.length - (end - start) + item.e.length > max) {
      say(tool.dataset.tooLongText || "The message is at its length limit.");
      return;
    }
    textarea.setRangeText(item.e, start, end, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    remember(item.e);
    say(fill(tool.dataset.insertedText, { emoji: item.e }));
  }

  // ---- opening and closing ---------------------------------------------------------------------
  function isOpen() { return !dialog.hidden; }
  // Keep the picker inside the window on narrow screens (it opens from the button's left edge).
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
    search.value = "";
    search.focus();
    if (!data) {
      results.replaceChildren();
      preview.textContent = tool.dataset.loadingText || "Loading emoji…";
    }
    load().then(function () { if (isOpen()) render(search.value); })
      .catch(function () { preview.textContent = tool.dataset.failedText || "The emoji could not be loaded."; });
  }
  function close(returnFocus) {
    if (!isOpen()) return;
    dialog.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (returnFocus) button.focus();
  }

  button.addEventListener("click", function () { if (isOpen()) close(true); else open(); });
  closeButton.addEventListener("click", function () { close(true); });
  search.addEventListener("input", function () { if (data) render(search.value); });
  results.addEventListener("click", function (e) {
    var el = e.target.closest ? e.target.closest(".emoji-option") : null;
    if (!el) return;
    setActive(parseInt(el.dataset.pos, 10), false);
    insert(items[active]);
  });
  results.addEventListener("focus", function () { if (active === -1 && options.length) setActive(0, true); });
  window.addEventListener("resize", function () { if (isOpen()) place(); });
  document.addEventListener("mousedown", function (e) {
    if (isOpen() && !dialog.contains(e.target) && !button.contains(e.target)) close(false);
  });

  dialog.addEventListener("keydown", function (e) {
    var inSearch = e.target === search, inList = e.target === results;
    switch (e.key) {
      case "Escape":
        e.preventDefault();  // type=search would clear itself instead
        e.stopPropagation();
        close(true);
        return;
      case "Enter":
        if (!inSearch && !inList) return;
        e.preventDefault();  // never submits the reply
        insert(items[active]);
        return;
      case " ":
        if (inList) { e.preventDefault(); insert(items[active]); }
        return;
      case "ArrowDown": case "ArrowUp":
        if (!inSearch && !inList) return;
        e.preventDefault();
        rowMove(e.key === "ArrowDown" ? 1 : -1);
        return;
      case "ArrowRight": case "ArrowLeft":
        if (!inList) return;  // in the search box they move the text caret
        e.preventDefault();
        setActive(Math.max(0, Math.min(options.length - 1, active + (e.key === "ArrowRight" ? 1 : -1))), true);
        return;
      case "Home": case "End":
        if (!inList || !options.length) return;
        e.preventDefault();
        setActive(e.key === "Home" ? 0 : options.length - 1, true);
        return;
      case "Tab": {
        // Focus stays in the picker (close button → search → results) until it is closed.
        var stops = [closeButton, search, results];
        var at = stops.indexOf(document.activeElement);
        if (at === -1) return;
        e.preventDefault();
        stops[(at + (e.shiftKey ? stops.length - 1 : 1)) % stops.length].focus();
        return;
      }
      default:
        // Typing while the results have focus goes on searching.
        if (inList && e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) search.focus();
    }
  });
})();
