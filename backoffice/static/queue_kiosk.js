// Kiosk: focus the code field (a QR scanner types like a keyboard) and print a ticket.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var code = document.getElementById("kiosk-code");
    var ticket = document.getElementById("kiosk-ticket");
    if (code && !ticket) { code.focus(); }
    var print = document.getElementById("print-ticket");
    if (print) { print.addEventListener("click", function () { window.print(); }); }
  });
})();
