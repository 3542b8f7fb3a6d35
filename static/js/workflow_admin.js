// The workflow admin: each condition and step shows only the words of its kind (and of its assign strategy);
// the trigger shows only its own options. Without this script every part shows and the form still works.
(function () {
  "use strict";

  function own(row, suffix) {
    return row.querySelector('select[name$="-' + suffix + '"]');
  }

  function refreshRow(row) {
    var kind = own(row, "kind");
    if (!kind) return;
    var strategy = own(row, "strategy");
    row.querySelectorAll(".wf-part").forEach(function (part) {
      var kinds = (part.dataset.kinds || "").split(" ").filter(Boolean);
      var strategies = (part.dataset.strategies || "").split(" ").filter(Boolean);
      var show = !kinds.length || kinds.indexOf(kind.value) >= 0;
      if (show && strategies.length && strategy) show = strategies.indexOf(strategy.value) >= 0;
      part.hidden = !show;
    });
  }

  function refreshLeads(group) {
    var rows = group.querySelectorAll(".inline-related:not(.empty-form)");
    var visible = 0;
    rows.forEach(function (row) {
      var lead = row.querySelector(".wf-lead");
      if (!lead) return;
      lead.textContent = visible === 0 ? lead.dataset.first : lead.dataset.rest;
      visible += 1;
    });
  }

  function wire(row) {
    if (row.dataset.wfWired) return;
    row.dataset.wfWired = "1";
    row.addEventListener("change", function (event) {
      if (/-(kind|strategy)$/.test(event.target.name || "")) refreshRow(row);
    });
    var order = row.querySelector("input.wf-order");
    if (order && !order.value) {
      var group = row.closest(".inline-group");
      order.value = group ? group.querySelectorAll(".inline-related:not(.empty-form)").length : 1;
    }
    refreshRow(row);
  }

  function refreshTrigger() {
    var trigger = document.getElementById("id_trigger");
    if (!trigger) return;
    var words = document.querySelector(".field-trigger_words");
    var tag = document.querySelector(".field-trigger_tag");
    if (words) words.hidden = trigger.value !== "message_received" && !words.querySelector(".errorlist");
    if (tag) tag.hidden = trigger.value !== "contact_tagged" && !tag.querySelector(".errorlist");
  }

  function init() {
    document.querySelectorAll(".wf-sentences .inline-related:not(.empty-form)").forEach(wire);
    document.querySelectorAll(".wf-sentences").forEach(refreshLeads);
    var trigger = document.getElementById("id_trigger");
    if (trigger) trigger.addEventListener("change", refreshTrigger);
    refreshTrigger();
  }

  document.addEventListener("formset:added", function (event) {
    var row = event.target;
    if (row && row.closest && row.closest(".wf-sentences")) {
      wire(row);
      refreshLeads(row.closest(".wf-sentences"));
    }
  });
  document.addEventListener("formset:removed", function () {
    document.querySelectorAll(".wf-sentences").forEach(refreshLeads);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
