// Waiting-room board: polls /board.json, shows the latest call in large type and announces new
// calls ("Nomor A-012, silakan ke loket 2") with the browser's Indonesian speech synthesis.
// Browsers allow speech only after a click, so the operator presses "Aktifkan suara" once.
(function () {
  "use strict";
  var POLL_MS = 3000;
  var seen = null; // "id:calls" keys already shown
  var soundOn = false;

  function text(id, value) {
    var el = document.getElementById(id);
    if (el && el.textContent !== value) { el.textContent = value; }
  }

  function announcement(call) {
    return "Nomor " + call.number + ", silakan ke loket " + call.counter;
  }

  function spoken(call) {
    // "A-012" is read as "A, 12" (not "A minus nol satu dua")
    var parts = call.number.split("-");
    return "Nomor " + parts[0] + ", " + parseInt(parts[1], 10) + ", silakan ke loket " + call.counter;
  }

  function speak(call) {
    if (!soundOn || !("speechSynthesis" in window)) { return; }
    var utterance = new SpeechSynthesisUtterance(spoken(call));
    utterance.lang = "id-ID";
    utterance.rate = 0.9;
    var voices = window.speechSynthesis.getVoices().filter(function (v) { return /^id/i.test(v.lang); });
    if (voices.length) { utterance.voice = voices[0]; }
    window.speechSynthesis.speak(utterance);
  }

  function renderList(id, items, build) {
    var list = document.getElementById(id);
    if (!list) { return; }
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.forEach(function (item) {
      var li = document.createElement("li");
      build(item).forEach(function (pair) {
        var span = document.createElement("span");
        span.textContent = pair[0];
        if (pair[1]) { span.className = pair[1]; }
        li.appendChild(span);
      });
      list.appendChild(li);
    });
  }

  function render(data) {
    var calls = data.calls || [];
    var first = calls[0];
    text("board-date", data.today || "");
    text("board-number", first ? first.number : "-");
    text("board-counter", first ? "Loket " + first.counter : "");
    text("board-announce", first ? announcement(first) : "");
    renderList("board-recent", calls.slice(1), function (c) { return [[c.number], ["Loket " + c.counter]]; });
    renderList("board-lines", data.lines || [], function (l) {
      return [[l.line, "board-line"], [l.serving || "-"], [l.waiting + " menunggu", "board-wait"]];
    });
    var keys = calls.map(function (c) { return c.id + ":" + c.calls; });
    if (seen !== null) {
      calls.slice().reverse().forEach(function (c) {
        if (seen.indexOf(c.id + ":" + c.calls) === -1) {
          speak(c);
          var now = document.querySelector(".board-now");
          if (now && c === first) { now.classList.remove("flash"); void now.offsetWidth; now.classList.add("flash"); }
        }
      });
    }
    seen = keys;
    document.body.setAttribute("data-updated", String(Date.now()));
  }

  function poll() {
    fetch("/board.json", { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () { /* keep showing the last state; try again next time */ })
      .then(function () { window.setTimeout(poll, POLL_MS); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("sound-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        soundOn = !soundOn;
        toggle.setAttribute("aria-pressed", soundOn ? "true" : "false");
        toggle.textContent = soundOn ? "Suara aktif" : "Aktifkan suara";
        if (soundOn && "speechSynthesis" in window) {
          window.speechSynthesis.speak(new SpeechSynthesisUtterance(""));
        }
      });
    }
    poll();
  });
})();
