// Composer attachments: the "Attach files" picker, drag-and-drop and paste, removable chips, and the
// channel's limits checked before sending (the server checks again, with the type sniffed from the bytes).
// Files travel with the reply through inbox.js's "parley:composer-collect" event as the field "files".
(function () {
  "use strict";
  var tool = document.getElementById("attach-tool");
  var composer = document.getElementById("composer-form");
  if (!tool || !composer || tool.dataset.ready) return;
  tool.dataset.ready = "1";

  var input = document.getElementById("attach-input");
  var button = document.getElementById("attach-button");
  var fallback = document.getElementById("attach-fallback");
  var list = document.getElementById("attach-chips");
  var statusEl = document.getElementById("attach-status");
  var errorEl = document.getElementById("composer-error");
  var textarea = document.getElementById("composer-body");
  var maxBytes = parseInt(tool.dataset.maxBytes, 10) || 0;
  var maxFiles = parseInt(tool.dataset.maxFiles, 10) || 10;
  var kinds = (tool.dataset.kinds || "").split(/\s+/);
  var THUMB_TYPES = /^image\/(png|jpeg|gif|webp)$/;
  var chosen = [];  // [{file, url}]
  var lastError = "";

  // With JavaScript the files go through the chips, not the plain input.
  input.removeAttribute("name");
  fallback.hidden = true;
  button.hidden = false;
  composer.dataset.dropText = tool.dataset.dropText || "";

  var fill = Parley.format, sizeLabel = Parley.formatSize;
  function kindOf(file) {
    var type = file.type || "";
    if (THUMB_TYPES.test(type)) return "image";
    if (type.indexOf("audio/") === 0) return "audio";
    return "file";
  }
  function announce(text) { Parley.announce(statusEl, text); }
  function showError(text) {
    lastError = text;
    errorEl.textContent = text;
  }
  function clearOwnError() {
    if (lastError && errorEl.textContent === lastError) errorEl.textContent = "";
    lastError = "";
  }
  function problemWith(file) {
    var values = { name: file.name, size: sizeLabel(file.size) };
    if (file.size === 0) return fill(tool.dataset.emptyText, values);
    if (maxBytes && file.size > maxBytes) return fill(tool.dataset.tooBigText, values);
    if (kinds.indexOf(kindOf(file)) === -1) return fill(tool.dataset.kindText, values);
    return "";
  }
  function sameFile(a, b) {
    return a.name === b.name && a.size === b.size && a.lastModified === b.lastModified;
  }

  function chip(item) {
    var file = item.file;
    var li = document.createElement("li");
    li.className = "attach-chip";
    if (THUMB_TYPES.test(file.type || "") && window.URL && URL.createObjectURL) {
      item.url = URL.createObjectURL(file);
      var img = document.createElement("img");
      img.className = "chip-thumb";
      img.alt = "";
      img.src = item.url;
      li.appendChild(img);
    } else {
      var icon = document.getElementById(kindOf(file) === "audio" ? "attach-icon-audio" : "attach-icon-file");
      if (icon) li.appendChild(icon.content.firstElementChild.cloneNode(true));
    }
    var name = document.createElement("span");
    name.className = "chip-name";
    name.textContent = file.name;
    name.title = file.name;
    var size = document.createElement("span");
    size.className = "chip-size";
    size.textContent = sizeLabel(file.size);
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "chip-remove";
    remove.setAttribute("aria-label", fill(tool.dataset.removeText || "Remove {name}", { name: file.name }));
    var x = document.createElement("span");
    x.setAttribute("aria-hidden", "true");
    x.textContent = "×";
    remove.appendChild(x);
    remove.addEventListener("click", function () { removeItem(item); });
    li.appendChild(name);
    li.appendChild(size);
    li.appendChild(remove);
    item.el = li;
    return li;
  }
  function refresh() {
    list.hidden = chosen.length === 0;
  }
  function add(files) {
    var problems = [], added = [];
    Array.prototype.forEach.call(files || [], function (file) {
      if (chosen.some(function (item) { return sameFile(item.file, file); })) return;
      var problem = problemWith(file);
      if (!problem && chosen.length >= maxFiles) problem = tool.dataset.tooManyText || "";
      if (problem) {
        if (problems.indexOf(problem) === -1) problems.push(problem);
        return;
      }
      var item = { file: file };
      chosen.push(item);
      list.appendChild(chip(item));
      added.push(file.name);
    });
    refresh();
    if (problems.length) showError(problems.join(" "));
    else if (added.length) clearOwnError();
    if (added.length) announce(added.map(function (n) { return fill(tool.dataset.addedText, { name: n }); }).join(" "));
  }
  function forget(item) {
    if (item.url) URL.revokeObjectURL(item.url);
    if (item.el) item.el.remove();
  }
  function removeItem(item) {
    var index = chosen.indexOf(item);
    if (index === -1) return;
    chosen.splice(index, 1);
    forget(item);
    refresh();
    clearOwnError();
    var next = chosen[index] || chosen[index - 1];
    (next ? next.el.querySelector(".chip-remove") : button).focus();
    announce(fill(tool.dataset.removedText, { name: item.file.name }));
  }
  function clearAll() {
    chosen.forEach(forget);
    chosen = [];
    input.value = "";
    refresh();
  }

  // ---- the picker --------------------------------------------------------------------------
  button.addEventListener("click", function () { input.click(); });
  input.addEventListener("change", function () {
    add(input.files);
    input.value = "";  // choosing the same file again after removing it works
  });

  // ---- drag and drop onto the composer; a file dropped elsewhere never navigates away ---------
  var depth = 0;
  function carriesFiles(e) {
    var types = e.dataTransfer && e.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") !== -1;
  }
  function endDrag() {
    depth = 0;
    composer.classList.remove("is-dragover");
  }
  composer.addEventListener("dragenter", function (e) {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    depth += 1;
    composer.classList.add("is-dragover");
  });
  composer.addEventListener("dragover", function (e) {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  });
  composer.addEventListener("dragleave", function () {
    depth -= 1;
    if (depth <= 0) endDrag();
  });
  composer.addEventListener("drop", function (e) {
    if (!e.dataTransfer || !e.dataTransfer.files || !e.dataTransfer.files.length) return;
    e.preventDefault();
    e.stopPropagation();
    endDrag();
    add(e.dataTransfer.files);
  });
  document.addEventListener("dragover", function (e) { if (carriesFiles(e)) e.preventDefault(); });
  document.addEventListener("drop", function (e) { if (carriesFiles(e)) { e.preventDefault(); endDrag(); } });

  // ---- pasting a screenshot into the message box attaches it ------------------------------------
  if (textarea) {
    textarea.addEventListener("paste", function (e) {
      var data = e.clipboardData;
      if (!data || !data.files || !data.files.length) return;
      if (Array.prototype.indexOf.call(data.types || [], "text/plain") === -1) e.preventDefault();
      add(data.files);
    });
  }

  // ---- sending --------------------------------------------------------------------------------
  composer.addEventListener("parley:composer-collect", function (e) {
    chosen.forEach(function (item) { e.detail.formData.append("files", item.file, item.file.name); });
  });
  composer.addEventListener("parley:composer-sent", clearAll);
  // Internal notes carry no files: say so instead of dropping them silently.
  document.addEventListener("submit", function (e) {
    var note = document.getElementById("composer-note");
    if (e.target !== composer || !note || !note.checked || !chosen.length) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    showError(tool.dataset.noteText || "Internal notes cannot carry files.");
  }, true);
  // A file the server refused (its name is in the error) is marked; the chips all stay.
  new MutationObserver(function () {
    var text = errorEl.textContent || "";
    chosen.forEach(function (item) {
      item.el.classList.toggle("is-refused", !!text && text.indexOf("“" + item.file.name + "”") !== -1);
    });
  }).observe(errorEl, { childList: true, characterData: true, subtree: true });
})();
