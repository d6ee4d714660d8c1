// Back-office helpers (no inline scripts: the CSP forbids them).
// Forms with data-confirm ask before submitting (reset password, deactivate).
// HTMX and fetch calls send the session's CSRF token in the X-CSRF-Token header.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = meta ? meta.getAttribute("content") : "";
  window.staffCsrfToken = csrfToken;
  document.addEventListener("htmx:configRequest", function (event) {
    if (csrfToken) event.detail.headers["X-CSRF-Token"] = csrfToken;
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // Avoid double submissions on slow connections.
    var buttons = form.querySelectorAll("button[type=submit]");
    window.setTimeout(function () {
      buttons.forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // Coming back with the browser's Back button restores the page from cache: re-enable buttons.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form button[type=submit]").forEach(function (b) { b.disabled = false; });
  });
})();
