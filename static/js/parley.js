// window.Parley: the helpers every page script shares, written once. base.html loads this file first;
// page scripts are deferred too, so they run after it, in document order, and may use Parley at once.
//
//   Parley.byId(id)                      document.getElementById
//   Parley.announce(target, text)        say text through a live region (element or id); the last call wins
//   Parley.format(template, values)      fill "{name}" and "%(name)s" placeholders of a translated text
//   Parley.formatSize(bytes)             "512 B", "1.5 KB", "2 MB"
//   Parley.formatDuration(seconds)       "1:05"
//   Parley.csrfToken()                   the token base.html renders into <body data-csrf-token>
//   Parley.post(url, formData)           → Promise<{ok, status, text}>; rejects only when the network fails
//   Parley.get(url)                      → Promise<{ok, status, text}>
//   Parley.getJSON(url)                  → Promise<data>; rejects on a network error or a non-2xx (err.status)
//   Parley.parse(html)                   server HTML → DocumentFragment (inert: nothing in it runs)
//   Parley.fragment(html)                server HTML → its first element
//   Parley.socket(path, hooks)           JSON websocket with ping and back-off; see below
//
// One protocol and one CSRF path: every fetch sends X-Requested-With: fetch (the views answer partials
// or plain text to it, redirects to plain forms), unsafe methods add X-CSRFToken; htmx requests get the
// same token from the same attribute through htmx:configRequest. No inline script, no eval (the CSP).
// The web chat widget (static/widget/widget.js) runs on other sites and keeps its own helpers on purpose.
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  // ---- words and numbers ---------------------------------------------------------------------------
  var timers = new WeakMap();
  // Emptied first and filled a moment later, so a screen reader announces a repeated text again.
  function announce(target, text) {
    var el = typeof target === "string" ? byId(target) : target;
    if (!el) return;
    window.clearTimeout(timers.get(el));
    el.textContent = "";
    timers.set(el, window.setTimeout(function () { el.textContent = text || ""; }, 50));
  }
  // The translated data-*-text attributes use both placeholder forms; a placeholder without a value
  // stays as written (a visible gap, never "undefined"). Values are inserted once, never re-read.
  function format(template, values) {
    values = values || {};
    return String(template || "").replace(/\{(\w+)\}|%\((\w+)\)[sd]/g, function (match, brace, percent) {
      var key = brace || percent;
      var has = Object.prototype.hasOwnProperty.call(values, key) && values[key] !== undefined && values[key] !== null;
      return has ? String(values[key]) : match;
    });
  }
  function formatSize(bytes) {
    var n = Number(bytes) || 0;
    if (n < 1024) return n + " B";
    var units = ["KB", "MB", "GB"];
    for (var i = 0; i < units.length; i++) {
      n = n / 1024;
      if (n < 1024 || i === units.length - 1) return n.toFixed(1).replace(/\.0$/, "") + " " + units[i];
    }
    return "";
  }
  function formatDuration(seconds) {
    var total = Math.max(0, Math.floor(Number(seconds) || 0));
    return Math.floor(total / 60) + ":" + String(total % 60).padStart(2, "0");
  }

  // ---- requests ------------------------------------------------------------------------------------
  function csrfToken() { return (document.body && document.body.dataset.csrfToken) || ""; }
  function headers(method, accept) {
    var h = { "X-Requested-With": "fetch" };
    if (method !== "GET" && method !== "HEAD") h["X-CSRFToken"] = csrfToken();
    if (accept) h.Accept = accept;
    return h;
  }
  function request(method, url, body) {
    return fetch(url, { method: method, body: body, credentials: "same-origin", headers: headers(method) })
      .then(function (r) {
        return r.text().then(function (text) { return { ok: r.ok, status: r.status, text: text }; });
      });
  }
  function post(url, formData) { return request("POST", url, formData || new FormData()); }
  function get(url) { return request("GET", url); }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: headers("GET", "application/json") })
      .then(function (r) {
        if (r.ok) return r.json();
        var err = new Error(String(r.status));
        err.status = r.status;
        throw err;
      });
  }
  document.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.verb !== "get") e.detail.headers["X-CSRFToken"] = csrfToken();
  });

  // ---- HTML from the server --------------------------------------------------------------------------
  function parse(html) {
    var t = document.createElement("template");
    t.innerHTML = String(html || "");
    return t.content;
  }
  function fragment(html) { return parse(String(html || "").trim()).firstElementChild; }

  // ---- the live socket -------------------------------------------------------------------------------
  // Parley.socket(path, hooks) connects to ws(s)://<this host><path> (or a full ws URL) and returns
  // {send(obj) → bool, isOpen(), resetBackoff(), stop()}. Every message is JSON; "pong" is swallowed.
  // hooks (all optional):
  //   resume(reconnected) → an object sent first on every open (null: nothing). Where a page that lost
  //                         its socket asks for what it missed, e.g. {type: "resume", after: lastSeq}.
  //   onopen(reconnected)   after resume; reconnected is false on the first open only.
  //   onmessage(msg)        each parsed message.
  //   onclose(event)        return false to stop for good (a refusal); call resetBackoff() to come back
  //                         at the first delay (the server asked for a reconnect). Otherwise it retries
  //                         after min(maxDelay, baseDelay · 2^failures) + up to jitter ms.
  //   pingSeconds (25), baseDelay (500), maxDelay (10000), jitter (300).
  // Going back online retries at once.
  function socket(path, hooks) {
    var o = hooks || {};
    var pingMs = (o.pingSeconds === undefined ? 25 : o.pingSeconds) * 1000;
    var baseDelay = o.baseDelay || 500, maxDelay = o.maxDelay || 10000;
    var jitter = o.jitter === undefined ? 300 : o.jitter;
    var ws = null, failures = 0, opened = false, stopped = false, retryTimer = 0, pinger = 0;

    var handle = {
      send: function (message) {
        if (!ws || ws.readyState !== 1) return false;
        ws.send(JSON.stringify(message));
        return true;
      },
      isOpen: function () { return !!ws && ws.readyState === 1; },
      resetBackoff: function () { failures = 0; },
      stop: function () {
        stopped = true;
        window.clearTimeout(retryTimer);
        window.clearInterval(pinger);
        if (ws) { var s = ws; ws = null; s.close(1000); }
      }
    };
    function address() {
      if (/^wss?:\/\//.test(path)) return path;
      return (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + path;
    }
    function connect() {
      if (stopped) return;
      retryTimer = 0;
      var current = new WebSocket(address());
      ws = current;
      current.onopen = function () {
        if (ws !== current) return;
        failures = 0;
        var reconnected = opened;
        opened = true;
        window.clearInterval(pinger);
        if (pingMs > 0) pinger = window.setInterval(function () { handle.send({ type: "ping" }); }, pingMs);
        var first = o.resume ? o.resume(reconnected) : null;
        if (first) handle.send(first);
        if (o.onopen) o.onopen(reconnected);
      };
      current.onmessage = function (e) {
        if (ws !== current) return;
        var msg;
        try { msg = JSON.parse(e.data); } catch (err) { return; }
        if (!msg || typeof msg !== "object" || msg.event === "pong") return;
        if (o.onmessage) o.onmessage(msg);
      };
      current.onclose = function (e) {
        if (ws !== current) return;
        ws = null;
        window.clearInterval(pinger);
        failures += 1;
        if (!stopped && o.onclose && o.onclose(e) === false) stopped = true;  // the hook may also call stop()
        if (stopped) return;
        var delay = Math.min(maxDelay, baseDelay * Math.pow(2, failures)) + Math.random() * jitter;
        retryTimer = window.setTimeout(connect, delay);
      };
    }
    window.addEventListener("online", function () {
      if (stopped || ws) return;
      window.clearTimeout(retryTimer);
      failures = 0;
      connect();
    });
    connect();
    return handle;
  }

  window.Parley = {
    byId: byId, announce: announce, format: format, formatSize: formatSize, formatDuration: formatDuration,
    csrfToken: csrfToken, post: post, get: get, getJSON: getJSON, parse: parse, fragment: fragment, socket: socket
  };
})();
