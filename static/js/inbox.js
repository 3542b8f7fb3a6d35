// The Messages module: live queue and history over the agents' websocket, composer, assign, close.
(function () {
  "use strict";
  var root = document.getElementById("inbox");
  if (!root) return;
  var memberId = root.dataset.memberId;
  var tab = root.dataset.tab || "all";
  var conversationId = root.dataset.conversationId || "";
  var $ = Parley.byId, post = Parley.post;
  function announce(text) { Parley.announce("live-announcer", text); }

  // ---- history -------------------------------------------------------------------------------
  function history() { return $("history"); }
  function scrollToEnd() { var h = history(); if (h) h.scrollTop = h.scrollHeight; }
  // Messages and event lines ("Assigned to … by …") alike: replaced in place when shown, else appended.
  function upsertMessage(el) {
    var h = history();
    if (!h || !el || !el.id) return;
    var existing = document.getElementById(el.id);
    if (existing) { existing.replaceWith(el); return; }
    h.appendChild(el);
    scrollToEnd();
  }

  // ---- queue ---------------------------------------------------------------------------------
  function belongs(p) {
    if (p.status !== "open") return false;
    if (tab === "mine") return String(p.assignee_id || "") === String(memberId);
    if (tab === "unassigned") return !p.assignee_id;
    return true;
  }
  function setCount(name, n) {
    var el = document.querySelector('[data-count="' + name + '"]');
    if (!el) return;
    var label = n >= 1000 ? "999+" : String(n);
    el.innerHTML = '<span class="visually-hidden">(</span>' + label + '<span class="visually-hidden">)</span>';
  }
  function updateCounts(c) {
    if (!c) return;
    setCount("all", c.all);
    setCount("unassigned", c.unassigned);
    setCount("mine", (c.by_assignee && c.by_assignee[String(memberId)]) || 0);
  }
  function updateEmpty() {
    var list = $("queue-list"), empty = $("queue-empty");
    if (list && empty) empty.hidden = list.querySelector(".queue-row") !== null;
  }
  function upsertRow(p) {
    var list = $("queue-list");
    var old = document.getElementById("conv-row-" + p.conversation_id);
    if (!list) return;
    if (!belongs(p)) { if (old) old.remove(); updateEmpty(); return; }
    var row = Parley.fragment(p.row_html);
    if (String(p.conversation_id) === String(conversationId)) {
      var link = row.querySelector("a");
      if (link) link.setAttribute("aria-current", "page");
    }
    if (old) old.remove();
    var rows = list.querySelectorAll(".queue-row");
    var placed = false;
    for (var i = 0; i < rows.length; i++) {
      if ((rows[i].dataset.activity || "") <= p.activity) { list.insertBefore(row, rows[i]); placed = true; break; }
    }
    if (!placed) {
      var more = $("queue-more");
      if (more) { return updateEmpty(); }  // older than everything shown: "Load more" will bring it
      list.appendChild(row);
    }
    updateEmpty();
  }
  function onConversation(name, p) {
    upsertRow(p);
    updateCounts(p.counts);
    if (String(p.conversation_id) !== String(conversationId)) return;
    if (p.log_html) upsertMessage(Parley.fragment(p.log_html));
    var contact = $("contact-name");
    if (contact && p.contact_name && contact.textContent !== p.contact_name) {
      if (document.title.indexOf(contact.textContent) === 0) {
        document.title = p.contact_name + document.title.slice(contact.textContent.length);
      }
      contact.textContent = p.contact_name;  // text, never HTML
    }
    var assignee = $("assignee-name");
    if (assignee) assignee.textContent = p.assignee_name || assignee.dataset.unassigned || "Unassigned";
    var select = $("assign-select");
    if (select && document.activeElement !== select) select.value = p.assignee_id ? String(p.assignee_id) : "";
    if (name === "conversation.closed" && !root.dataset.closing) window.location.reload();
    if (name === "conversation.opened" && !$("composer-form")) window.location.reload();  // reopened: the composer
  }

  // A new message in the conversation the agent is looking at is read already: clear the marker.
  var readTimer = null;
  function markReadSoon() {
    if (!root.dataset.readUrl || document.visibilityState !== "visible") return;
    window.clearTimeout(readTimer);
    readTimer = window.setTimeout(function () { post(root.dataset.readUrl); }, 800);
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && document.querySelector(".queue-row.unread a[aria-current]")) {
      markReadSoon();
    }
  });

  // ---- websocket with resync by sequence ----------------------------------------------------
  // Every frame of the workspace carries a seq. The page was rendered with the seq it shows
  // (data-seq, read before its queries); on every (re)connect the resume hook asks the server for
  // everything after the last seq applied in order, and the server replays it before streaming live.
  // Frames can arrive twice (replayed and live) or out of order (two servers publishing at once):
  // `floor` is the seq up to which every frame is applied, `seen` holds those applied above it. A hole
  // that stays open (a frame lost on the way) asks for a replay; when the server no longer has what was
  // missed it says "resync.reload" and the panels are fetched again.
  var live = null, ended = null;
  var floor = Number(root.dataset.seq) || 0, seen = {}, holeTimer = 0, recent = [];
  var HOLE_MS = 3000, RECENT = 300;
  function setStatus(state, text) {
    var el = $("live-status");
    if (!el) return;
    el.dataset.state = state;
    el.textContent = text;
  }
  // `to` is a seq the page is known to reflect entirely; after a reload it may be lower than the old
  // floor (the server's counter started again) and is taken as it is.
  function setFloor(to) {
    floor = to;
    Object.keys(seen).forEach(function (k) { if (Number(k) <= floor) delete seen[k]; });
    while (seen[floor + 1]) { delete seen[floor + 1]; floor += 1; }
  }
  function fresh(seq) {
    if (typeof seq !== "number") return true;  // not numbered (the server could not): apply as it comes
    if (seq <= floor || seen[seq]) return false;
    seen[seq] = true;
    setFloor(floor);
    if (!holeTimer && Object.keys(seen).length) {
      holeTimer = window.setTimeout(function () {
        holeTimer = 0;
        if (Object.keys(seen).length) live.send({ type: "resume", after: floor });
      }, HOLE_MS);
    }
    return true;
  }
  function apply(msg) {
    var p = msg.payload || {};
    if (msg.event === "message.created" || msg.event === "message.updated") {
      if (p.conversation) onConversation("conversation.updated", p.conversation);
      if (String(p.conversation_id) === String(conversationId)) {
        upsertMessage(Parley.fragment(p.html));
        return true;
      }
    } else if (msg.event && msg.event.indexOf("conversation.") === 0) {
      onConversation(msg.event, p);
    }
    return false;
  }
  // A panel fetched later than some frames were applied shows the database as of its own seq: the
  // frames after it are applied again over it (every frame renders whole rows, so this is idempotent).
  function reapplyAfter(seq) {
    recent.forEach(function (msg) { if (msg.seq > seq) apply(msg); });
  }
  function queueUrl() {
    return root.dataset.queueUrl + "?tab=" + encodeURIComponent(tab) + "&current=" + encodeURIComponent(conversationId);
  }
  function reloadQueue() {
    return Parley.get(queueUrl()).then(function (res) {
      var panel = $("queue-panel");
      if (!res.ok || !panel) throw new Error(String(res.status));
      panel.innerHTML = res.text;
      if (live.isOpen()) setStatus("live", panel.dataset.liveText || "Live");
      var list = $("queue-list");
      var seq = list ? Number(list.dataset.seq) || 0 : 0;
      reapplyAfter(seq);
      return seq;
    });
  }
  function reloadConversation() {
    if (!conversationId) return Promise.resolve(Infinity);
    return Parley.get(window.location.pathname + window.location.search).then(function (res) {
      if (!res.ok) throw new Error(String(res.status));
      var page = Parley.parse(res.text);
      var pageRoot = page.querySelector("#inbox"), pageHistory = page.querySelector("#history"), h = history();
      if (!pageRoot || !pageHistory || !h) throw new Error("no-history");
      if (!!page.querySelector("#composer-form") !== !!$("composer-form")) {  // closed or reopened meanwhile
        window.location.reload();
        return Infinity;
      }
      h.replaceChildren.apply(h, Array.prototype.slice.call(pageHistory.childNodes));
      var name = page.querySelector("#assignee-name"), assignee = $("assignee-name");
      if (name && assignee) assignee.textContent = name.textContent;
      var select = $("assign-select"), pageSelect = page.querySelector("#assign-select");
      var option = pageSelect && pageSelect.querySelector("option[selected]");
      if (select && document.activeElement !== select) select.value = option ? option.value : "";
      var seq = Number(pageRoot.dataset.seq) || 0;
      reapplyAfter(seq);
      scrollToEnd();
      return seq;
    });
  }
  // What was missed is gone from the server's journal: fetch what the page shows again (the composer,
  // and anything typed in it, stays as it is).
  var reloading = false;
  function reloadPanels() {
    if (reloading) return;
    reloading = true;
    recent = [];  // only frames that come during the reload are applied again over its snapshot
    Promise.all([reloadQueue(), reloadConversation()]).then(function (seqs) {
      seen = {};  // applying a frame twice is harmless (whole rows); keeping a stale number is not
      setFloor(Math.min(seqs[0], seqs[1]));
    }).catch(function () {
      window.location.reload();  // the panels could not be fetched: the whole page, then
    }).finally(function () { reloading = false; });
  }
  function onEvent(msg) {
    var p = msg.payload || {};
    if (msg.event === "session.ended") { ended = p; return; }  // the close that follows says what to do
    if (msg.event === "resync.reload") { reloadPanels(); return; }
    if (!fresh(msg.seq)) return;
    if (typeof msg.seq === "number") {
      recent.push(msg);
      if (recent.length > RECENT) recent.shift();
    }
    if (apply(msg) && msg.event === "message.created") markReadSoon();
  }
  function onClose(e) {
    // 4401: the session ended (signed out, password changed); 4403: no longer a member. Both are
    // final: say so and stop. 4000: the membership changed: reconnect now (the server checks again).
    if (e.code === 4401 || e.code === 4403) { sessionEnded(e.code); return false; }
    setStatus("offline", root.dataset.offlineText || "Reconnecting…");
    if (e.code === 4000) live.resetBackoff();
    return true;
  }
  function sessionEnded(code) {
    var p = ended || {};  // the server sent the notice, in the person's language, just before closing
    var text = p.notice, label = p.link_text, href = p.link_url;
    if (code === 4401) {
      text = text || "Your session has ended. Sign in again to keep working.";
      label = label || "Sign in";
      href = href || "/login/?next=" + encodeURIComponent(window.location.pathname);
    } else {
      text = text || "You are no longer a member of this workspace.";
      label = label || "Go to your workspaces";
      href = href || "/";
    }
    var box = document.createElement("div");
    box.className = "flash";
    box.setAttribute("role", "alert");
    var line = document.createElement("p");
    line.textContent = text + " ";  // text, never HTML
    var link = document.createElement("a");
    link.href = href;
    link.textContent = label;
    line.appendChild(link);
    box.appendChild(line);
    root.parentNode.insertBefore(box, root);
    setStatus("offline", text);
  }
  live = Parley.socket(root.dataset.wsPath, {
    // Sent first on every open, the first one included: what was pushed between the page's render and
    // this connection (or while the socket was down) comes back before anything live.
    resume: function () { return { type: "resume", after: floor }; },
    onopen: function () { setStatus("live", root.dataset.liveText || "Live"); },
    onmessage: onEvent,
    onclose: onClose
  });
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (live.isOpen()) setStatus("live", root.dataset.liveText || "Live");
    // The queue panel next to a conversation is loaded after the page: frames since its seq go over it.
    var list = $("queue-list");
    if (list && e.target && e.target.contains(list)) reapplyAfter(Number(list.dataset.seq) || 0);
  });

  // ---- composer ------------------------------------------------------------------------------
  var composer = $("composer-form");
  if (composer) {
    var textarea = $("composer-body");
    var errorEl = $("composer-error");
    textarea.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        composer.requestSubmit();
      }
    });
    // Composer extensions (attachments, voice notes, snippets) listen for "parley:composer-collect"
    // and append to event.detail.formData; they reset themselves on "parley:composer-sent".
    composer.addEventListener("submit", function (e) {
      e.preventDefault();
      errorEl.textContent = "";
      var data = new FormData(composer);
      composer.dispatchEvent(new CustomEvent("parley:composer-collect", { detail: { formData: data } }));
      var hasFiles = false;
      data.forEach(function (value, key) {
        if (key !== "body" && value instanceof Blob && value.size > 0) hasFiles = true;
        if (key === "snippet_attachment") hasFiles = true;
      });
      if (!textarea.value.trim() && !hasFiles) {
        errorEl.textContent = composer.dataset.emptyText || "Write a message before sending.";
        textarea.focus();
        return;
      }
      var send = $("composer-send");
      send.disabled = true;
      post(composer.action, data).then(function (res) {
        if (res.ok) {
          upsertMessage(Parley.fragment(res.text));
          textarea.value = "";
          var note = $("composer-note");
          if (note) note.checked = false;
          composer.dispatchEvent(new CustomEvent("parley:composer-sent"));
        } else {
          errorEl.textContent = res.text;  // text, files and recording stay: nothing is lost
        }
      }).catch(function () {
        errorEl.textContent = composer.dataset.networkText || "Could not reach the server. Your message is still here; try again.";
      }).finally(function () { send.disabled = false; textarea.focus(); });
    });
  }

  // ---- assign --------------------------------------------------------------------------------
  var assignForm = $("assign-form");
  if (assignForm) {
    var select = $("assign-select");
    var previous = select.value;
    select.addEventListener("change", function () {
      post(assignForm.action, new FormData(assignForm)).then(function (res) {
        if (!res.ok) { select.value = previous; announce(res.text); return; }
        previous = select.value;
        var name = res.text || select.options[select.selectedIndex].text;
        $("assignee-name").textContent = name;
        announce(name);
      }).catch(function () { select.value = previous; });
    });
  }

  // ---- close ---------------------------------------------------------------------------------
  var opener = $("close-opener"), closeForm = $("close-form"), cancel = $("close-cancel");
  if (opener && closeForm) {
    opener.addEventListener("click", function () {
      closeForm.hidden = false;
      opener.hidden = true;
      opener.setAttribute("aria-expanded", "true");
      $("close-category").focus();
    });
    closeForm.addEventListener("submit", function () { root.dataset.closing = "1"; });
  }
  if (cancel && closeForm && opener) {
    cancel.addEventListener("click", function () {
      closeForm.hidden = true;
      opener.hidden = false;
      opener.setAttribute("aria-expanded", "false");
      opener.focus();
    });
  }

  // ---- retry failed messages -----------------------------------------------------------------
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.classList || !form.classList.contains("retry-form")) return;
    e.preventDefault();
    post(form.action, new FormData(form)).then(function (res) { if (res.ok) upsertMessage(Parley.fragment(res.text)); });
  });

  scrollToEnd();
})();
