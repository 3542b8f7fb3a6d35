// Every signed-in page: the navigation's "Menu" button on narrow screens (a disclosure: aria-expanded,
// Escape closes it and focus goes back to the button, a click or focus elsewhere closes it too).
// Without this file the button stays hidden and the whole navigation shows above the page.
(function () {
  "use strict";
  var nav = document.getElementById("sidebar");
  var button = document.getElementById("menu-button");
  var menu = document.getElementById("sidebar-menu");
  if (!nav || !button || !menu) return;
  nav.classList.add("is-collapsible");
  button.hidden = false;

  function isOpen() { return button.getAttribute("aria-expanded") === "true"; }
  function setOpen(open, returnFocus) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("is-open", open);
    if (!open && returnFocus) button.focus();
  }
  button.addEventListener("click", function () { setOpen(!isOpen()); });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || !isOpen() || e.defaultPrevented) return;
    if (document.querySelector("dialog[open]")) return;  // a dialog above the menu closes first
    e.preventDefault();
    setOpen(false, true);
  });
  document.addEventListener("click", function (e) {
    if (isOpen() && !nav.contains(e.target)) setOpen(false);
  });
  nav.addEventListener("focusout", function (e) {
    if (isOpen() && e.relatedTarget && !nav.contains(e.relatedTarget)) setOpen(false);
  });
  // Back on a wide screen the menu is the sidebar again: nothing is left "open".
  var wide = window.matchMedia("(min-width: 1024px)");
  var onWide = function () { if (wide.matches && isOpen()) setOpen(false); };
  if (wide.addEventListener) wide.addEventListener("change", onWide);
})();
