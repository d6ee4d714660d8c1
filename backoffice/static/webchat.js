// Public web chat. Every message text is rendered with textContent (never innerHTML),
// so a reply such as "<img src=x onerror=...>" shows up as plain text.
// The conversation id lives in an HttpOnly cookie signed by the server; this script never sees it.
// The visible history is kept in sessionStorage so a reload does not wipe the conversation.
(function () {
  "use strict";

  var MAX = 4000;
  var HISTORY_KEY = "webchat-history-v1";
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var sendButton = document.getElementById("chat-send");
  var startButton = document.getElementById("chat-start");
  var intro = document.getElementById("chat-intro");
  var status = document.getElementById("chat-status");
  var busy = false;
  var history = [];

  function save() {
    try {
      window.sessionStorage.setItem(HISTORY_KEY, JSON.stringify(history.slice(-100)));
    } catch (e) { /* private mode or full storage: history is a convenience */ }
  }

  function hideIntro() {
    if (intro) intro.hidden = true;
  }

  // Plain text with web addresses turned into links; every piece is a text node.
  function appendText(parent, text) {
    var pattern = /(https?:\/\/[^\s<>"']+)/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      var url = match[1].replace(/[.,;:!?)]+$/, "");
      var a = document.createElement("a");
      a.href = url;
      a.textContent = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      parent.appendChild(a);
      last = match.index + url.length;
      pattern.lastIndex = last;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
    var lastChild = log.lastElementChild;
    if (lastChild && lastChild.scrollIntoView) lastChild.scrollIntoView({ block: "nearest" });
  }

  function addBubble(kind, text, extra) {
    var item = document.createElement("div");
    item.className = "msg msg-" + kind;
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = kind === "user" ? "Anda: " : kind === "bot" ? "Asisten: " : "Pemberitahuan: ";
    item.appendChild(who);
    if (text) {
      var body = document.createElement("p");
      body.className = "msg-text";
      appendText(body, text);
      item.appendChild(body);
    }
    if (extra && extra.image) {
      var img = document.createElement("img");
      img.className = "msg-image";
      img.alt = "Gambar dari asisten";
      img.loading = "lazy";
      img.src = extra.image;
      item.appendChild(img);
    }
    if (extra && extra.buttons && extra.buttons.length) {
      var group = document.createElement("div");
      group.className = "quick-replies";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Pilihan jawaban");
      extra.buttons.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "quick-reply";
        button.textContent = b.title;
        button.disabled = !!extra.used;
        if (extra.used && extra.chosen === b.payload) button.classList.add("chosen");
        button.addEventListener("click", function () {
          if (busy) return;
          group.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
          button.classList.add("chosen");
          button.setAttribute("aria-pressed", "true");
          extra.used = true;
          extra.chosen = b.payload;
          save();
          send(b.payload, b.title);
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    log.appendChild(item);
    scrollDown();
    return item;
  }

  function record(kind, text, extra) {
    var entry = { kind: kind, text: text || "", image: extra && extra.image, buttons: extra && extra.buttons, used: false, chosen: null };
    history.push(entry);
    save();
    addBubble(kind, entry.text, entry);
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    if (startButton) startButton.disabled = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
    status.textContent = value ? "Asisten sedang mengetik…" : "";
  }

  function send(message, shownAs) {
    var text = (message || "").trim();
    if (!text) {
      status.textContent = "Mohon tuliskan pesan Bapak/Ibu terlebih dahulu.";
      return;
    }
    if (text.length > MAX) {
      status.textContent = "Pesan terlalu panjang (maksimal 4.000 karakter). Mohon persingkat pesan Bapak/Ibu.";
      return;
    }
    hideIntro();
    record("user", shownAs || text);
    setBusy(true);
    fetch("/chat/send", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ message: text })
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        setBusy(false);
        if (!result.ok) {
          record("notice", result.data.error || "Mohon maaf, layanan sedang sibuk. Silakan coba lagi dalam beberapa saat.");
          return;
        }
        var messages = result.data.messages || [];
        if (!messages.length) {
          record("notice", "Asisten belum memberikan jawaban. Silakan ulangi dengan kata-kata lain.");
        }
        messages.forEach(function (m) {
          record("bot", typeof m.text === "string" ? m.text : "", {
            image: typeof m.image === "string" ? m.image : undefined,
            buttons: Array.isArray(m.buttons) ? m.buttons : undefined
          });
        });
      })
      .catch(function () {
        setBusy(false);
        record("notice", "Koneksi terputus. Periksa jaringan Bapak/Ibu, lalu coba lagi.");
      })
      .then(function () { input.focus(); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    var value = input.value;
    if (value.trim()) input.value = "";
    send(value);
    autosize();
  });

  // Enter sends, Shift+Enter makes a new line.
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  function autosize() {
    input.style.height = "auto";
    var border = input.offsetHeight - input.clientHeight;
    input.style.height = Math.max(44, Math.min(input.scrollHeight + border, 160)) + "px";
  }
  input.addEventListener("input", autosize);

  if (startButton) {
    startButton.addEventListener("click", function () { send("halo", "Halo"); });
  }

  // Restore this tab's conversation after a reload.
  try {
    var saved = JSON.parse(window.sessionStorage.getItem(HISTORY_KEY) || "[]");
    if (Array.isArray(saved) && saved.length) {
      history = saved.filter(function (e) { return e && typeof e.kind === "string"; });
      hideIntro();
      history.forEach(function (e) { addBubble(e.kind, typeof e.text === "string" ? e.text : "", e); });
    }
  } catch (e) { history = []; }
})();
