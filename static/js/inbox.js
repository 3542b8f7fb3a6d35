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
  function upsertMessage(el) {
    var h = history();
    if (!h || !el) return;
    var existing = document.getElementById(el.id);
    if (existing) { existing.replaceWith(el); return; }
    h.appendChild(el);
    scrollToEnd();
  }
  function lastMessageId() {
    var items = document.querySelectorAll("#history [data-message-id]");
    return items.length ? items[items.length - 1].dataset.messageId : "0";
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
    var assignee = $("assignee-name");
    if (assignee) assignee.textContent = p.assignee_name || assignee.dataset.unassigned || "Unassigned";
    var select = $("assign-select");
    if (select && document.activeElement !== select) select.value = p.assignee_id ? String(p.assignee_id) : "";
    if (name === "conversation.closed" && !root.dataset.closing) window.location.reload();
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

  // ---- websocket with resync -----------------------------------------------------------------
  var live = null, ended = null;
  function setStatus(state, text) {
    var el = $("live-status");
    if (!el) return;
    el.dataset.state = state;
    el.textContent = text;
  }
  // Events sent while the socket was down are fetched again: the queue panel whole, the history after
  // the last message shown. (A per-workspace sequence number can later go through the socket's resume hook.)
  function resync() {
    var panel = $("queue-panel");
    var url = root.dataset.queueUrl + "?tab=" + encodeURIComponent(tab) + "&current=" + encodeURIComponent(conversationId);
    Parley.get(url).then(function (res) {
      if (res.ok && panel) { panel.innerHTML = res.text; setStatus("live", panel.dataset.liveText || "Live"); }
    }).catch(function () { /* the next reconnect tries again */ });
    if (root.dataset.historyUrl) {
      Parley.get(root.dataset.historyUrl + "?after=" + lastMessageId()).then(function (res) {
        if (!res.ok) return;
        Array.prototype.forEach.call(Parley.parse(res.text).querySelectorAll("article.msg"), upsertMessage);
      }).catch(function () { /* the next reconnect tries again */ });
    }
  }
  function onEvent(msg) {
    var p = msg.payload || {};
    if (msg.event === "session.ended") { ended = p; return; }  // the close that follows says what to do
    if (msg.event === "message.created" || msg.event === "message.updated") {
      if (String(p.conversation_id) === String(conversationId)) {
        upsertMessage(Parley.fragment(p.html));
        if (msg.event === "message.created") markReadSoon();
      }
    } else if (msg.event && msg.event.indexOf("conversation.") === 0) {
      onConversation(msg.event, p);
    }
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
    onopen: function (reconnected) {
      setStatus("live", root.dataset.liveText || "Live");
      if (reconnected) resync();
    },
    onmessage: onEvent,
    onclose: onClose
  });
  document.body.addEventListener("htmx:afterSwap", function () { if (live.isOpen()) setStatus("live", root.dataset.liveText || "Live"); });

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
