// Parley web chat widget. Served as /widget/<channel uuid>.js with the channel's public config baked
// in below; a site embeds it with a script element: src="https://<parley>/widget/<uuid>.js", async.
// Everything lives in an open shadow root; visitor and agent text is only ever set with textContent.
(function (config) {
  "use strict";
  if (!config || typeof window === "undefined") return;
  var registry = (window.__parleyWebchat = window.__parleyWebchat || {});
  if (registry[config.channel]) return;  // the script was included twice
  registry[config.channel] = true;
  if (config.origins.indexOf(window.location.origin) === -1) {
    console.warn("Parley chat: this chat is not enabled for " + window.location.origin + ".");
    return;
  }
  var L = config.labels;
  var STORE_KEY = "parley-webchat:" + config.channel;
  var memoryStore = {};
  var SVG_NS = "http://www.w3.org/2000/svg";

  // ---- storage (the host page's localStorage; memory when it is unavailable) ------------------
  function loadToken() {
    try { return window.localStorage.getItem(STORE_KEY) || ""; } catch (e) { return memoryStore[STORE_KEY] || ""; }
  }
  function saveToken(value) {
    memoryStore[STORE_KEY] = value;
    try {
      if (value) window.localStorage.setItem(STORE_KEY, value); else window.localStorage.removeItem(STORE_KEY);
    } catch (e) { /* private mode: this page view only */ }
  }

  // ---- DOM helpers ----------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (attrs[key] === true) node.setAttribute(key, "");
      else if (attrs[key] !== false && attrs[key] != null) node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function icon(paths) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    paths.forEach(function (d) {
      var p = document.createElementNS(SVG_NS, "path");
      p.setAttribute("d", d);
      svg.appendChild(p);
    });
    return svg;
  }
  function format(template, values) {
    return template.replace(/%\((\w+)\)[sd]/g, function (_m, key) { return String(values[key]); });
  }
  // The visitor's own time, written as the inbox writes it in the same language (English "9:18 PM",
  // Spanish "21:18"; config/formats): hours zero-padded on a 24-hour clock only.
  function clock(date) {
    var parts;
    try {
      parts = new Intl.DateTimeFormat(config.language || [], { hour: "numeric", minute: "2-digit" }).formatToParts(date);
    } catch (e) {
      parts = new Intl.DateTimeFormat([], { hour: "numeric", minute: "2-digit" }).formatToParts(date);
    }
    var twelve = parts.some(function (p) { return p.type === "dayPeriod"; });
    return parts.map(function (p) {
      return p.type === "hour" && !twelve && p.value.length < 2 ? "0" + p.value : p.value;
    }).join("").replace(/[\u202f\u00a0]/g, " ");
  }
  function randomId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function applyStyles(shadow) {
    // A constructed stylesheet is not inline style: it works under a strict style-src too.
    if ("adoptedStyleSheets" in shadow && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(config.css);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      shadow.appendChild(el("style", { text: config.css }));
    }
  }

  // ---- the widget -----------------------------------------------------------------------------
  function start() {
    var host = el("div", { "data-parley-webchat": config.channel });
    var shadow = host.attachShadow({ mode: "open" });
    applyStyles(shadow);

    var badge = el("span", { "class": "badge", hidden: true });
    var badgeText = el("span", { id: "pw-new", "class": "vh", text: "" });
    var launcher = el("button", { type: "button", "class": "launcher", "aria-label": L.open,
      "aria-expanded": "false", "aria-controls": "pw-panel", "aria-describedby": "pw-new" },
      [icon(["M20 2H4c-1.1 0-2 .9-2 2v18l4-4h14c1.1 0 2-.9 2-2V4c0-1.1-.9-2-2-2zM6 9h12v2H6V9zm8 5H6v-2h8v2zm4-6H6V6h12v2z"]), badge, badgeText]);
    var closeButton = el("button", { type: "button", "class": "icon-button", "aria-label": L.close },
      [icon(["M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z"])]);
    var status = el("p", { "class": "status", role: "status" });
    var log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-label": L.log, tabindex: "0" },
      [config.greeting ? el("p", { "class": "greeting", text: config.greeting }) : null]);

    var nameInput = el("input", { id: "pw-name", type: "text", autocomplete: "name", maxlength: "200",
      "aria-describedby": "pw-intro-error" });
    var emailInput = el("input", { id: "pw-email", type: "email", autocomplete: "email", maxlength: "254",
      "aria-describedby": "pw-intro-error" });
    var introError = el("p", { id: "pw-intro-error", "class": "error", role: "alert" });
    var intro = el("form", { "class": "intro", hidden: true, novalidate: true }, [
      introError,
      config.ask_name ? el("div", { "class": "field" }, [el("label", { "for": "pw-name", text: L.name }), nameInput]) : null,
      config.ask_email ? el("div", { "class": "field" }, [el("label", { "for": "pw-email", text: L.email }), emailInput]) : null,
      el("button", { type: "submit", "class": "start", text: L.start })
    ]);

    var textarea = el("textarea", { id: "pw-text", rows: "1", maxlength: "4096", placeholder: L.placeholder,
      "aria-describedby": "pw-error" });
    var fileInput = el("input", { type: "file", multiple: true, hidden: true, tabindex: "-1" });
    var attachButton = el("button", { type: "button", "class": "icon-button", "aria-label": L.attach },
      [icon(["M16.5 6v11.5c0 2.21-1.79 4-4 4s-4-1.79-4-4V5c0-1.38 1.12-2.5 2.5-2.5s2.5 1.12 2.5 2.5v10.5c0 .55-.45 1-1 1s-1-.45-1-1V6H10v9.5c0 1.38 1.12 2.5 2.5 2.5s2.5-1.12 2.5-2.5V5c0-2.21-1.79-4-4-4S7 2.79 7 5v12.5c0 3.04 2.46 5.5 5.5 5.5s5.5-2.46 5.5-5.5V6h-1.5z"])]);
    var sendButton = el("button", { type: "submit", "class": "send", text: L.send });
    var errorLine = el("p", { id: "pw-error", "class": "error", role: "alert" });
    var fileList = el("div", { "class": "files", hidden: true });
    var composer = el("form", { "class": "composer", novalidate: true }, [
      errorLine, fileList,
      el("label", { "for": "pw-text", "class": "vh", text: L.message }),
      el("div", { "class": "row" }, [textarea, attachButton, fileInput, sendButton])
    ]);
    var panel = el("section", { id: "pw-panel", "class": "panel", hidden: true, "aria-labelledby": "pw-title" }, [
      el("div", { "class": "head" }, [el("h2", { id: "pw-title", text: config.title }), closeButton]),
      status, log, intro, composer
    ]);
    shadow.appendChild(el("aside", { "class": "pw", "aria-label": L.region }, [launcher, panel]));
    document.body.appendChild(host);

    // ---- state --------------------------------------------------------------------------------
    var token = loadToken();
    var seen = {};
    var lastId = 0;
    var files = [];
    var draftId = "";
    var socket = null, attempts = 0, subscribed = false, reconnectTimer = null;
    var refreshed = false, historyLoaded = false;
    var needsIntro = function () { return !token && (config.ask_name || config.ask_email); };

    function setOffline(on) { status.textContent = on ? L.offline : ""; }
    function api(path, options) {
      options = options || {};
      var headers = options.headers || {};
      if (token) headers.Authorization = "Bearer " + token;
      return fetch(config.api + path, { method: options.method || "GET", body: options.body, headers: headers,
        credentials: "omit", mode: "cors", cache: "no-store" })
        .then(function (r) {
          setOffline(false);
          return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
        }, function (err) { setOffline(true); throw err; });
    }

    // ---- messages -----------------------------------------------------------------------------
    function attachmentNode(a, kind) {
      var type = (a.content_type || "").toLowerCase();
      if (type.indexOf("audio/") === 0 || kind === "voice") {
        return el("div", { "class": "att" }, [el("audio", { controls: true, preload: "metadata", src: a.url,
          "aria-label": kind === "voice" ? L.voice : a.name })]);
      }
      if (type.indexOf("image/") === 0) {
        return el("div", { "class": "att" }, [el("a", { href: a.url, target: "_blank", rel: "noopener noreferrer" },
          [el("img", { src: a.url, alt: a.name, loading: "lazy" })])]);
      }
      return el("p", { "class": "att" }, [el("a", { href: a.url, target: "_blank", rel: "noopener noreferrer",
        download: a.name, text: a.name })]);
    }
    function render(m) {
      var mine = m.direction === "in";
      var who = mine ? L.you : (m.author || L.agent);
      var time = new Date(m.created_at);
      var node = el("div", { "class": "msg " + (mine ? "msg-in" : "msg-out"), "data-id": String(m.id) }, [
        el("span", { "class": "vh", text: who + ": " }),
        m.text ? el("p", { "class": "text", text: m.text }) : null
      ]);
      (m.attachments || []).forEach(function (a) { node.appendChild(attachmentNode(a, m.kind)); });
      (m.actions || []).forEach(function (action) {
        var button = el("button", { type: "button", "class": "action", text: action.label });
        button.addEventListener("click", function () { window.open(action.url, "_blank", "noopener"); });
        node.appendChild(button);
      });
      var meta = (mine ? "" : who + " · ") + (isNaN(time) ? "" : clock(time));
      node.appendChild(el("time", { "class": "meta", datetime: m.created_at, "aria-hidden": "true", text: meta }));
      return node;
    }
    function add(m) {
      if (!m || typeof m.id !== "number" || seen[m.id]) return;
      seen[m.id] = true;
      var node = render(m);
      var later = null;
      Array.prototype.some.call(log.querySelectorAll(".msg"), function (other) {
        if (Number(other.dataset.id) > m.id) { later = other; return true; }
        return false;
      });
      log.insertBefore(node, later);
      lastId = Math.max(lastId, m.id);
      log.scrollTop = log.scrollHeight;
      if (panel.hidden && m.direction === "out") { badge.hidden = false; badgeText.textContent = L.new_message; }
    }
    function resync() {
      if (!token) return Promise.resolve();
      return api("messages/?after=" + (historyLoaded ? lastId : 0)).then(function (res) {
        if (res.status === 401) return dropToken();
        if (res.status === 200) { historyLoaded = true; (res.data.messages || []).forEach(add); }
      }, function () { /* the status line says we are offline */ });
    }

    // ---- session ------------------------------------------------------------------------------
    function dropToken() {
      token = "";
      saveToken("");
      subscribed = false;
      if (socket) { var s = socket; socket = null; s.onclose = null; s.close(); }
      showComposerOrIntro();
    }
    function session(body) {
      return api("session/", { method: "POST", body: body }).then(function (res) {
        if (res.status === 200 || res.status === 201) {
          var changed = res.data.token !== token;
          token = res.data.token;
          saveToken(token);
          if (changed || !socket) connect();
        }
        return res;
      });
    }
    function refreshSession() {
      if (!token || refreshed) return;
      refreshed = true;
      session(new FormData()).then(function (res) { if (res.status === 401) dropToken(); }, function () {});
    }

    // ---- live socket with backoff and resync ----------------------------------------------------
    function connect() {
      if (!token) return;
      if (socket) { var old = socket; socket = null; old.onclose = null; old.close(); }
      window.clearTimeout(reconnectTimer);
      var ws = new WebSocket(config.ws + "?token=" + encodeURIComponent(token));
      socket = ws;
      ws.onopen = function () { attempts = 0; setOffline(false); };
      ws.onmessage = function (e) {
        var msg;
        try { msg = JSON.parse(e.data); } catch (err) { return; }
        if (msg.event === "ready") {
          subscribed = !!(msg.payload && msg.payload.subscribed);
          if (subscribed && (historyLoaded || !panel.hidden)) resync();
        } else if (msg.event === "message") {
          add(msg.payload);
        }
      };
      ws.onclose = function (e) {
        if (socket !== ws) return;
        socket = null;
        subscribed = false;
        if (e.code === 4401) { dropToken(); return; }
        if (e.code === 4403 || e.code === 4404) return;  // refused for good: no retry storm
        attempts += 1;
        if (attempts > 1) setOffline(true);
        var delay = Math.min(30000, 1000 * Math.pow(2, attempts - 1)) + Math.random() * 500;
        reconnectTimer = window.setTimeout(connect, delay);
      };
    }
    window.setInterval(function () {
      if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: "ping" }));
    }, 25000);
    window.addEventListener("online", function () { if (token && !socket) { attempts = 0; connect(); } });

    // ---- open / close ---------------------------------------------------------------------------
    function showComposerOrIntro() {
      intro.hidden = !needsIntro();
      composer.hidden = needsIntro();
    }
    function open() {
      panel.hidden = false;
      launcher.hidden = true;
      launcher.setAttribute("aria-expanded", "true");
      badge.hidden = true;
      badgeText.textContent = "";
      showComposerOrIntro();
      refreshSession();
      if (token && !historyLoaded) resync();
      if (!intro.hidden) (config.ask_name ? nameInput : emailInput).focus();
      else textarea.focus();
    }
    function close() {
      panel.hidden = true;
      launcher.hidden = false;
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }
    launcher.addEventListener("click", open);
    closeButton.addEventListener("click", close);
    panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.preventDefault(); close(); } });

    // ---- name / email prompt --------------------------------------------------------------------
    intro.addEventListener("submit", function (e) {
      e.preventDefault();
      introError.textContent = "";
      nameInput.removeAttribute("aria-invalid");
      emailInput.removeAttribute("aria-invalid");
      var name = nameInput.value.trim(), email = emailInput.value.trim();
      if (config.ask_name && !name) return invalid(nameInput, L.name_required);
      if (config.ask_email && (!email || !emailInput.checkValidity())) return invalid(emailInput, L.email_required);
      var body = new FormData();
      body.append("name", name);
      body.append("email", email);
      session(body).then(function (res) {
        if (res.status === 200 || res.status === 201) {
          showComposerOrIntro();
          textarea.focus();
        } else {
          invalid(res.data.field === "email" ? emailInput : nameInput, res.data.error || L.failed);
        }
      }, function () { introError.textContent = L.offline; });
    });
    function invalid(input, text) {
      introError.textContent = text;
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }

    // ---- composer -------------------------------------------------------------------------------
    function showFiles() {
      fileList.textContent = "";
      fileList.hidden = files.length === 0;
      if (!files.length) return;
      fileList.appendChild(el("span", { "class": "vh", text: L.files_selected }));
      files.forEach(function (f) { fileList.appendChild(el("span", { text: f.name })); });
      var remove = el("button", { type: "button", text: L.remove_files });
      remove.addEventListener("click", function () { files = []; showFiles(); attachButton.focus(); });
      fileList.appendChild(remove);
    }
    attachButton.addEventListener("click", function () { fileInput.click(); });
    fileInput.addEventListener("change", function () {
      errorLine.textContent = "";
      Array.prototype.forEach.call(fileInput.files, function (f) {
        if (f.size > config.max_file_bytes) {
          errorLine.textContent = format(L.too_large, { name: f.name, mb: Math.round(config.max_file_bytes / 1048576) });
        } else if (files.length < config.max_files) {
          files.push(f);
        }
      });
      fileInput.value = "";
      showFiles();
      textarea.focus();
    });
    textarea.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        composer.requestSubmit(sendButton);
      }
    });
    composer.addEventListener("submit", function (e) {
      e.preventDefault();
      errorLine.textContent = "";
      var text = textarea.value.trim();
      if (!text && !files.length) { errorLine.textContent = L.empty; textarea.focus(); return; }
      if (sendButton.disabled) return;
      sendButton.disabled = true;
      draftId = draftId || randomId();
      var ready = token ? Promise.resolve({ status: 200 }) : session(new FormData());
      ready.then(function () {
        var body = new FormData();
        body.append("text", text);
        body.append("client_id", draftId);
        files.forEach(function (f) { body.append("files", f, f.name); });
        return api("messages/", { method: "POST", body: body });
      }).then(function (res) {
        if (res.status === 201) {
          textarea.value = "";
          files = [];
          draftId = "";
          showFiles();
          add(res.data.message);
          if (!subscribed && socket && socket.readyState === 1) socket.send(JSON.stringify({ type: "sync" }));
          else if (!socket) connect();
        } else if (res.status === 401) {
          dropToken();
          errorLine.textContent = res.data.error || L.failed;
        } else {
          errorLine.textContent = res.data.error || L.failed;
        }
      }, function () {
        errorLine.textContent = L.failed;  // the text stays in the box: nothing is lost
      }).then(function () { sendButton.disabled = false; textarea.focus(); });
    });

    if (token) connect();
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})(/*PARLEY_CONFIG*/null);
