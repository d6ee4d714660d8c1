// Knowledge-base editor: live preview of the Markdown textarea. The server renders and sanitizes
// the preview (POST /staff/kb/preview with the X-CSRF-Token header); requests are debounced and
// only the newest answer is shown. The preview HTML comes from the server's escaping renderer, never
// from the textarea directly; the problem/warning lists are built with textContent.
(function () {
  "use strict";
  var textarea = document.getElementById("kb-markdown");
  var preview = document.getElementById("kb-preview");
  var check = document.getElementById("kb-check");
  var stateLabel = document.getElementById("kb-preview-state");
  if (!textarea || !preview) return;
  var url = textarea.getAttribute("data-preview-url");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";
  var timer = null;
  var sequence = 0;
  var DELAY = 400;

  function setState(text) { if (stateLabel) stateLabel.textContent = text; }

  function list(items, className) {
    var ul = document.createElement("ul");
    if (className) ul.className = className;
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = item;
      ul.appendChild(li);
    });
    return ul;
  }

  function showCheck(data) {
    if (!check) return;
    check.textContent = "";
    var p = document.createElement("p");
    if (data.ok) {
      p.className = "kb-check-ok";
      p.textContent = "Format benar" + (data.title ? ": \u201c" + data.title + "\u201d" : "") + ", " +
        data.sections.length + " bagian.";
      check.appendChild(p);
    } else {
      p.className = "kb-check-bad";
      p.textContent = "Belum bisa disimpan:";
      check.appendChild(p);
      check.appendChild(list(data.problems || []));
    }
    if (data.warnings && data.warnings.length) check.appendChild(list(data.warnings, "kb-warnings"));
  }

  function refresh() {
    var mine = ++sequence;
    setState("memperbarui\u2026");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ markdown: textarea.value })
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      if (mine !== sequence) return; // a newer request is on its way
      if (result.status !== 200) {
        setState(result.data && result.data.error ? result.data.error : "pratinjau gagal");
        return;
      }
      preview.innerHTML = result.data.html; // sanitized by the server (escaped before Markdown)
      showCheck(result.data);
      setState("diperbarui");
    }).catch(function () {
      if (mine === sequence) setState("pratinjau gagal; periksa koneksi");
    });
  }

  textarea.addEventListener("input", function () {
    if (timer) window.clearTimeout(timer);
    setState("mengetik\u2026");
    timer = window.setTimeout(refresh, DELAY);
  });

  // Warn before leaving with unsaved changes (not when submitting the form itself).
  var initial = textarea.value;
  var submitting = false;
  var form = document.getElementById("kb-editor");
  if (form) form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && textarea.value !== initial) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
