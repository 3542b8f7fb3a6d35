// Shared page behaviour. No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";
  // htmx sends the CSRF token from the body's hx-headers; nothing else to wire here yet.
})();
