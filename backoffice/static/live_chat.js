// Live hand-off pages update by themselves: the officer's conversation (#live-thread) and the
// queue (#live-queue) poll a small JSON route every few seconds, pause while the tab is hidden
// (nobody reads it; the server is spared), and announce new citizen messages to screen readers
// through the #live-announce region. Text is inserted with textContent only: a citizen's words
// are never read as HTML. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  var INTERVAL_MS = 3000;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function announce(text) {
    var region = document.getElementById("live-announce");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);  // re-setting is re-announced
  }

  function poller(url, onData) {
    var busy = false;
    function tick() {
      if (busy || document.visibilityState === "hidden") return;
      busy = true;
      fetch(url(), { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); return null; }  // signed out: go to sign-in
          return r.ok ? r.json() : null;
        })
        .then(function (data) { if (data) onData(data); })
        .catch(function () { /* offline for a moment: the next tick tries again */ })
        .then(function () { busy = false; });
    }
    window.setInterval(tick, INTERVAL_MS);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") tick();
    });
  }

  function threadItem(m) {
    var kind = m.kind === "officer" ? "officer" : (m.kind === "system" ? "system" : "citizen");
    var li = el("li", "thread-msg thread-" + kind);
    li.setAttribute("data-id", String(m.id));
    li.appendChild(el("p", "thread-who", m.who + (m.author ? " · " + m.author : "") + " · " + m.at));
    li.appendChild(el("p", "thread-text", m.text));
    return li;
  }

  function startThread(thread) {
    var after = parseInt(thread.getAttribute("data-after") || "0", 10) || 0;
    var status = thread.getAttribute("data-status");
    var officer = thread.getAttribute("data-officer");
    poller(function () { return thread.getAttribute("data-poll") + "?after=" + after; }, function (data) {
      var fresh = (data.messages || []).filter(function (m) { return m.id > after; });
      if (fresh.length) {
        var empty = document.getElementById("live-empty");
        if (empty) empty.remove();
        var nearBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
        fresh.forEach(function (m) { thread.appendChild(threadItem(m)); after = Math.max(after, m.id); });
        var fromCitizen = fresh.filter(function (m) { return m.kind === "citizen"; });
        if (fromCitizen.length) {
          announce("Pesan baru dari warga: " + fromCitizen[fromCitizen.length - 1].text);
        }
        if (nearBottom) thread.lastElementChild.scrollIntoView({ block: "end" });
      }
      if (data.status !== status || data.officer !== officer) {
        var state = document.getElementById("live-state");
        if (state) state.textContent = data.state;
        var box = document.getElementById("live-text");
        if (!box || !box.value.trim()) { window.location.reload(); return; }  // nothing typed would be lost
        var notice = document.getElementById("live-changed");
        if (notice) notice.hidden = false;
        announce("Status percakapan berubah: " + data.state);
        status = data.status;
        officer = data.officer;
      }
    });
  }

  function queueItem(r) {
    var li = el("li", "ticket-item " + (r.status === "menunggu" ? "sla-border-due_soon" : "sla-border-ok"));
    var head = el("div", "ticket-head");
    var link = el("a", "ticket-code", "Obrolan #" + r.id);
    link.href = "/staff/live/" + r.id;
    head.appendChild(link);
    head.appendChild(el("span", "sla " + (r.status === "menunggu" ? "sla-due_soon" : "sla-ok"), r.state));
    li.appendChild(head);
    li.appendChild(el("p", "ticket-meta", "Kanal " + r.channel + " · petugas " + r.officer + " · " + r.count +
                      " pesan · sejak " + r.created_at));
    if (r.last) li.appendChild(el("p", "ticket-excerpt", r.last));
    return li;
  }

  function startQueue(box) {
    var seen = null;
    poller(function () { return box.getAttribute("data-poll"); }, function (data) {
      var rows = data.rows || [];
      var signature = JSON.stringify(rows);
      if (signature === seen) return;
      var waitingBefore = box.querySelectorAll(".sla-due_soon").length;
      box.textContent = "";
      if (rows.length) {
        var list = el("ul", "ticket-list");
        rows.forEach(function (r) { list.appendChild(queueItem(r)); });
        box.appendChild(list);
      } else {
        box.appendChild(el("p", "alert alert-info", "Tidak ada warga dalam antrean."));
      }
      var waiting = rows.filter(function (r) { return r.status === "menunggu"; }).length;
      if (waiting > waitingBefore) {  // the page as loaded is the baseline of the first poll
        announce(waiting + " warga menunggu petugas.");
      }
      seen = signature;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var thread = document.getElementById("live-thread");
    if (thread) startThread(thread);
    var queue = document.getElementById("live-queue");
    if (queue) startQueue(queue);
  });
})();
