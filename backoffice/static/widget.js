// Embeddable web chat of the immigration office. One tag on any page of the office website:
//   <script src="https://<back-office>/widget.js" data-office-chat defer></script>
// Optional attributes: data-lang="id"|"en" (default: the page's <html lang>), data-target="#id"
// (render open, filling that element, without the launcher: the back-office's own page `/` does this).
//
// Why it looks like this:
// - Shadow DOM: the host site's CSS cannot restyle or break the widget, and ours cannot leak out.
//   Styles go through a constructed stylesheet (allowed by a strict CSP without 'unsafe-inline').
// - It talks only to the back-office it was loaded from (the origin of this script's src), with a
//   signed session token kept in the host page's localStorage and sent in the X-Chat-Token header
//   (third-party cookies are blocked by browsers). The server decides the conversation id.
// - Every text from the bot or the citizen is inserted with textContent / text nodes, never innerHTML.
// - The transcript is kept in localStorage and the server is the source of truth: on load the widget
//   asks /chat/updates for what happened since its copy (or the whole history when the copy is gone),
//   and while the tab is visible it polls every few seconds, so pushed officer replies, reminders and
//   queue alerts appear without the citizen doing anything.
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector("script[data-office-chat]");
  if (!script || window.__officeChatLoaded) return;
  window.__officeChatLoaded = true;

  var ORIGIN = new URL(script.src, window.location.href).origin;
  var MAX = 4000;
  var KEEP = 200;
  var POLL_OPEN_MS = 3000;
  var POLL_CLOSED_MS = 15000;
  var KEY = "officeChat:v1:" + ORIGIN + ":";
  var htmlLang = (document.documentElement.getAttribute("lang") || "").toLowerCase();
  var LANG = (script.getAttribute("data-lang") || (htmlLang.indexOf("en") === 0 ? "en" : "id")).toLowerCase() === "en" ? "en" : "id";
  var targetSelector = script.getAttribute("data-target");

  var TEXT = {
    id: {
      launcher: "Tanya Asisten",
      newMessages: function (n) { return n + " pesan baru"; },
      title: "Asisten Virtual Kantor Imigrasi",
      close: "Tutup percakapan",
      welcome: "Selamat datang. Asisten virtual ini membantu Bapak/Ibu mendapatkan informasi layanan paspor, izin tinggal, antrean, dan pengaduan.",
      example: "Contoh pertanyaan: \"syarat membuat paspor baru\" atau \"paspor saya hilang\".",
      privacy: "Jangan kirim foto KTP/KK atau NIK lengkap melalui percakapan ini.",
      start: "Mulai",
      startText: "Halo",
      startMessage: "halo",
      log: "Riwayat percakapan",
      label: "Tulis pesan",
      placeholder: "Ketik pertanyaan di sini",
      send: "Kirim",
      you: "Anda: ",
      bot: "Asisten: ",
      notice: "Pemberitahuan: ",
      choices: "Pilihan jawaban",
      image: "Gambar dari asisten",
      typing: "Asisten sedang mengetik…",
      empty: "Mohon tuliskan pesan Bapak/Ibu terlebih dahulu.",
      tooLong: "Pesan terlalu panjang (maksimal 4.000 karakter). Mohon persingkat pesan Bapak/Ibu.",
      busy: "Mohon maaf, layanan sedang sibuk. Silakan coba lagi dalam beberapa saat.",
      offline: "Koneksi terputus. Periksa jaringan Bapak/Ibu, lalu coba lagi.",
      noAnswer: "Asisten belum memberikan jawaban. Silakan ulangi dengan kata-kata lain.",
      newWindow: " (membuka jendela baru)"
    },
    en: {
      launcher: "Ask the assistant",
      newMessages: function (n) { return n + (n === 1 ? " new message" : " new messages"); },
      title: "Immigration Office Virtual Assistant",
      close: "Close chat",
      welcome: "Welcome. This virtual assistant helps you with passports, stay permits, queue numbers and complaints.",
      example: "For example: \"requirements for a new passport\" or \"I lost my passport\".",
      privacy: "Please do not send photos of your ID card or passport in this chat.",
      start: "Start",
      startText: "Hello",
      startMessage: "hello",
      log: "Conversation history",
      label: "Write a message",
      placeholder: "Type your question here",
      send: "Send",
      you: "You: ",
      bot: "Assistant: ",
      notice: "Notice: ",
      choices: "Reply options",
      image: "Image from the assistant",
      typing: "The assistant is typing…",
      empty: "Please write your message first.",
      tooLong: "The message is too long (at most 4,000 characters). Please shorten it.",
      busy: "Sorry, the service is busy. Please try again in a moment.",
      offline: "The connection was lost. Please check your network and try again.",
      noAnswer: "The assistant did not answer. Please try other words.",
      newWindow: " (opens a new window)"
    }
  }[LANG];

  var CSS = [
    ":host { all: initial; display: block; }",
    ":host([data-inline]) { height: 100%; }",
    "*, *::before, *::after { box-sizing: border-box; }",
    "[hidden] { display: none !important; }",
    ".oc { font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif; color: #1b2430; height: 100%; }",
    ".vh { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; margin: -1px; padding: 0; border: 0; }",
    "button, textarea { font: inherit; color: inherit; }",
    "button { cursor: pointer; }",
    ":focus { outline: none; }",
    ":focus-visible { outline: 3px solid #ffbf47; outline-offset: 1px; box-shadow: 0 0 0 5px #1b2430; }",
    ".launcher { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; display: inline-flex; align-items: center; gap: .5em;",
    "  min-height: 52px; padding: .7em 1.2em; border: 2px solid #fff; border-radius: 999px; background: #0b4f8a; color: #fff;",
    "  font-weight: 700; box-shadow: 0 4px 14px rgba(0,0,0,.3); }",
    ".launcher:hover { background: #083a66; }",
    ".launcher svg { width: 1.4em; height: 1.4em; flex: none; }",
    ".badge { display: inline-grid; place-items: center; min-width: 1.5em; height: 1.5em; padding: 0 .35em; border-radius: 999px; background: #fff; color: #a4262c; font-size: .8em; }",
    ".panel { display: flex; flex-direction: column; background: #fff; overflow: hidden; }",
    ".floating .panel { position: fixed; right: 16px; bottom: 84px; z-index: 2147483001; width: 390px; max-width: calc(100vw - 32px);",
    "  height: 620px; max-height: calc(100vh - 100px); border: 1px solid #c5ced9; border-radius: 12px; box-shadow: 0 10px 32px rgba(0,0,0,.28); }",
    ".inline .panel { height: 100%; min-height: 0; }",
    ".inline .head { display: none; }", // the page's own header names it; the heading still labels the region
    "@media (max-width: 480px), (max-height: 520px) {",
    "  .floating .panel { inset: 0; right: 0; bottom: 0; width: 100%; max-width: 100%; height: 100%; max-height: 100%; border: 0; border-radius: 0; }",
    "  .floating.open .launcher { display: none; }",
    "}",
    ".head { display: flex; align-items: center; gap: .6em; padding: .6em .6em .6em 1em; background: #0b4f8a; color: #fff; flex: none; }",
    ".title { margin: 0; font-size: 1.05em; font-weight: 700; line-height: 1.25; flex: 1; min-width: 0; }",
    ".close { flex: none; width: 44px; height: 44px; display: grid; place-items: center; border: 0; border-radius: 8px; background: transparent; color: #fff; }",
    ".close:hover { background: rgba(255,255,255,.16); }",
    ".close svg { width: 22px; height: 22px; }",
    ".intro { padding: 1em; text-align: center; border-bottom: 1px solid #d8dee6; flex: none; overflow-y: auto; max-height: 50%; }",
    ".intro p { margin: 0 0 .6em; }",
    ".small { font-size: .875em; color: #4d5866; }",
    ".primary { min-height: 44px; padding: .5em 1.1em; border: 2px solid #0b4f8a; border-radius: 8px; background: #0b4f8a; color: #fff; font-weight: 700; }",
    ".primary:hover { background: #083a66; border-color: #083a66; }",
    ".primary:disabled { background: #5a6675; border-color: #5a6675; cursor: default; }",
    ".start { min-width: 8em; }",
    ".log { flex: 1; min-height: 0; overflow-y: auto; padding: 1em; display: flex; flex-direction: column; gap: .6em; background: #fff; }",
    ".msg { max-width: 85%; padding: .55em .8em; border-radius: 14px; overflow-wrap: anywhere; word-break: break-word; }",
    ".text { margin: 0; white-space: pre-wrap; }",
    ".user { align-self: flex-end; background: #0b4f8a; color: #fff; border-bottom-right-radius: 4px; }",
    ".user a { color: #fff; }",
    ".user.pending { background: #2c5f8e; }",
    ".bot { align-self: flex-start; background: #eef2f6; color: #1b2430; border-bottom-left-radius: 4px; }",
    ".bot a { color: #0b4f8a; }",
    ".notice { align-self: center; background: #fff4d6; color: #6b4500; font-size: .9em; text-align: center; }",
    ".image { display: block; max-width: 100%; height: auto; border-radius: 8px; margin-top: .4em; background: #fff; }",
    ".choices { display: flex; flex-wrap: wrap; gap: .4em; margin-top: .5em; }",
    ".choice { min-height: 44px; padding: .4em .85em; border: 2px solid #0b4f8a; border-radius: 999px; background: #fff; color: #0b4f8a; font-weight: 600; text-align: left; }",
    ".choice:hover:not(:disabled) { background: #e6f0fa; }",
    ".choice:disabled { border-color: #8a96a3; color: #4d5866; cursor: default; }",
    ".choice[aria-pressed='true'] { background: #0b4f8a; border-color: #0b4f8a; color: #fff; }",
    ".status { min-height: 1.5em; margin: 0; padding: 0 1em; color: #4d5866; font-size: .875em; flex: none; }",
    ".form { border-top: 1px solid #d8dee6; padding: .5em .75em .75em; background: #fff; flex: none; }",
    ".label { display: block; font-size: .875em; font-weight: 600; margin-bottom: .25em; }",
    ".row { display: flex; gap: .5em; align-items: flex-end; }",
    ".input { flex: 1; min-width: 0; min-height: 44px; max-height: 160px; resize: none; padding: .55em .7em; line-height: 1.4;",
    "  border: 2px solid #5a6675; border-radius: 8px; background: #fff; }",
    ".input::placeholder { color: #5a6675; opacity: 1; }",
    "@media (prefers-reduced-motion: no-preference) {",
    "  .floating .panel { animation: oc-in .18s ease-out; }",
    "  @keyframes oc-in { from { opacity: 0; transform: translateY(12px); } to { opacity: 1; transform: none; } }",
    "}"
  ].join("\n");

  var ICON_CHAT = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";
  var ICON_CLOSE = "M6 6l12 12M18 6L6 18";

  // ---------------------------------------------------------------- storage (localStorage, else memory)
  var memory = {};
  function load(name) {
    try { return window.localStorage.getItem(KEY + name); } catch (e) { return memory[name] || null; }
  }
  function store(name, value) {
    try {
      if (value === null) window.localStorage.removeItem(KEY + name); else window.localStorage.setItem(KEY + name, value);
    } catch (e) { memory[name] = value; }
  }

  var token = load("token");
  var cursor = 0;
  var items = [];
  var seen = {};
  try {
    var saved = JSON.parse(load("transcript") || "null");
    if (token && saved && Array.isArray(saved.items) && typeof saved.cursor === "number") {
      cursor = saved.cursor;
      items = saved.items.filter(function (it) { return it && (it.kind === "user" || it.kind === "bot"); });
    }
  } catch (e) { items = []; cursor = 0; }

  function saveTranscript() {
    store("transcript", JSON.stringify({ cursor: cursor, items: items.slice(-KEEP) }));
  }

  // ---------------------------------------------------------------- DOM
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }
  function svg(path) {
    var ns = "http://www.w3.org/2000/svg";
    var s = document.createElementNS(ns, "svg");
    s.setAttribute("viewBox", "0 0 24 24");
    s.setAttribute("aria-hidden", "true");
    s.setAttribute("focusable", "false");
    var p = document.createElementNS(ns, "path");
    p.setAttribute("d", path);
    p.setAttribute("fill", path === ICON_CLOSE ? "none" : "currentColor");
    p.setAttribute("stroke", "currentColor");
    p.setAttribute("stroke-width", path === ICON_CLOSE ? "2.5" : "0");
    p.setAttribute("stroke-linecap", "round");
    s.appendChild(p);
    return s;
  }

  var inline = null;
  if (targetSelector) inline = document.querySelector(targetSelector);
  var host = document.createElement("office-chat");
  if (inline) host.setAttribute("data-inline", "");
  host.setAttribute("lang", LANG);
  var root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el("style", null, CSS));
  }

  var wrap = el("div", "oc " + (inline ? "inline" : "floating"));
  wrap.setAttribute("lang", LANG);
  root.appendChild(wrap);

  var launcher = null, badge = null;
  if (!inline) {
    launcher = el("button", "launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "oc-panel");
    launcher.appendChild(svg(ICON_CHAT));
    launcher.appendChild(el("span", null, TEXT.launcher));
    badge = el("span", "badge");
    badge.setAttribute("aria-hidden", "true");
    badge.hidden = true;
    launcher.appendChild(badge);
    wrap.appendChild(launcher);
  }

  var panel = el("section", "panel");
  panel.id = "oc-panel";
  if (inline) {
    panel.setAttribute("aria-labelledby", "oc-title");
  } else {
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-modal", "false");
    panel.setAttribute("aria-labelledby", "oc-title");
    panel.hidden = true;
  }
  var head = el("div", "head");
  var title = el("h2", "title", TEXT.title);
  title.id = "oc-title";
  head.appendChild(title);
  var closeButton = null;
  if (!inline) {
    closeButton = el("button", "close");
    closeButton.type = "button";
    closeButton.setAttribute("aria-label", TEXT.close);
    closeButton.appendChild(svg(ICON_CLOSE));
    head.appendChild(closeButton);
  }
  panel.appendChild(head);

  var intro = el("div", "intro");
  intro.appendChild(el("p", null, TEXT.welcome));
  intro.appendChild(el("p", "small", TEXT.example));
  intro.appendChild(el("p", "small", TEXT.privacy));
  var startButton = el("button", "primary start", TEXT.start);
  startButton.type = "button";
  intro.appendChild(startButton);
  panel.appendChild(intro);

  var log = el("div", "log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  log.setAttribute("aria-label", TEXT.log);
  log.tabIndex = 0; // a scrollable region must be reachable by keyboard
  panel.appendChild(log);

  var status = el("p", "status");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  panel.appendChild(status);

  var form = el("form", "form");
  form.setAttribute("novalidate", "");
  var label = el("label", "label", TEXT.label);
  label.htmlFor = "oc-input";
  var row = el("div", "row");
  var input = el("textarea", "input");
  input.id = "oc-input";
  input.rows = 1;
  input.maxLength = MAX;
  input.placeholder = TEXT.placeholder;
  input.setAttribute("enterkeyhint", "send");
  input.setAttribute("autocomplete", "off");
  var sendButton = el("button", "primary", TEXT.send);
  sendButton.type = "submit";
  row.appendChild(input);
  row.appendChild(sendButton);
  form.appendChild(label);
  form.appendChild(row);
  panel.appendChild(form);
  wrap.appendChild(panel);

  // ---------------------------------------------------------------- rendering
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
      a.appendChild(el("span", "vh", TEXT.newWindow));
      parent.appendChild(a);
      last = match.index + url.length;
      pattern.lastIndex = last;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  // A set of quick replies is used up when the citizen's next message is one of its titles (they
  // clicked it): then it is disabled, with the chosen one marked as pressed. Sets the citizen passed
  // by stay usable, so the menu can still be used after typing a question. Decided from the
  // transcript's order alone, so a restored history looks the same.
  var openGroups = []; // the sets of buttons offered since the citizen's last message
  function retireChoices(answer) {
    var used = null;
    openGroups.forEach(function (group) {
      var buttons = group.querySelectorAll("button");
      var chosen = Array.prototype.filter.call(buttons, function (b) { return b.textContent === answer; })[0];
      if (chosen && !used) {
        chosen.setAttribute("aria-pressed", "true");
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
        used = group;
      }
    });
    var passed = openGroups;
    openGroups = [];
    return { used: used, passed: passed };
  }
  // The click did not reach the assistant: the buttons are offered again.
  function reopenChoices(state) {
    if (!state) return;
    if (state.used) {
      Array.prototype.forEach.call(state.used.querySelectorAll("button"), function (b) {
        b.disabled = false;
        b.setAttribute("aria-pressed", "false");
      });
    }
    openGroups = state.passed.concat(openGroups);
  }

  var lastRetired = null;
  function renderItem(item, pending) {
    if (item.kind === "user") lastRetired = retireChoices(item.text);
    var bubble = el("div", "msg " + item.kind + (pending ? " pending" : ""));
    bubble.appendChild(el("span", "vh", item.kind === "user" ? TEXT.you : item.kind === "bot" ? TEXT.bot : TEXT.notice));
    if (item.text) {
      var body = el("p", "text");
      appendText(body, item.text);
      bubble.appendChild(body);
    }
    if (typeof item.image === "string") {
      var img = el("img", "image");
      img.alt = TEXT.image;
      img.src = item.image;
      bubble.appendChild(img);
    }
    if (Array.isArray(item.buttons) && item.buttons.length) {
      var group = el("div", "choices");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", TEXT.choices);
      item.buttons.forEach(function (b) {
        if (!b || typeof b.title !== "string") return;
        var button = el("button", "choice", b.title);
        button.type = "button";
        button.setAttribute("aria-pressed", "false");
        button.addEventListener("click", function () {
          if (busy) return;
          send(typeof b.payload === "string" ? b.payload : b.title, b.title);
        });
        group.appendChild(button);
      });
      bubble.appendChild(group);
      openGroups.push(group);
    }
    log.appendChild(bubble);
    intro.hidden = true;
    scrollDown();
    return bubble;
  }

  function notice(text) {
    renderItem({ kind: "notice", text: text });
  }

  var pending = null; // {text, node}: the citizen's message on its way

  // Adds items not seen before (ids are positions in the server's transcript), adopting the pending
  // message when the server reports it, so it is never shown twice.
  function apply(list, newCursor) {
    var unread = 0;
    (list || []).forEach(function (item) {
      if (!item || (item.kind !== "user" && item.kind !== "bot")) return;
      if (typeof item.id === "number") {
        if (seen[item.id]) return;
        seen[item.id] = true;
      }
      if (item.kind === "user" && pending && (item.text === pending.text || item.text === pending.raw)) {
        pending.node.classList.remove("pending");
        item = { id: item.id, kind: "user", text: pending.text }; // as the citizen saw it ("Halo", a button's title)
        pending = null;
      } else {
        renderItem(item);
        if (item.kind === "bot") unread += 1;
      }
      items.push(item);
    });
    if (typeof newCursor === "number") cursor = Math.max(cursor, newCursor);
    saveTranscript();
    if (unread && !isOpen()) setUnread(unreadCount + unread);
  }

  function replaceAll(list, newCursor) {
    items = [];
    seen = {};
    cursor = 0;
    while (log.firstChild) log.removeChild(log.firstChild);
    intro.hidden = false;
    apply(list, newCursor);
  }

  // ---------------------------------------------------------------- server
  function request(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (token) headers["X-Chat-Token"] = token;
    if (body) headers["Content-Type"] = "application/json";
    return fetch(ORIGIN + path, {
      method: method,
      mode: "cors",
      credentials: "omit",
      cache: "no-store",
      headers: headers,
      body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, ok: response.ok, data: data || {}, retryAfter: Number(response.headers.get("Retry-After")) || 0 };
      });
    });
  }

  function newSession() {
    token = null;
    return request("POST", "/chat/session").then(function (result) {
      if (!result.ok || typeof result.data.token !== "string") throw result;
      token = result.data.token;
      store("token", token);
      return token;
    });
  }

  var busy = false;
  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    startButton.disabled = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
    status.textContent = value ? TEXT.typing : "";
  }

  function send(message, shownAs) {
    var text = (message || "").trim();
    if (!text) { status.textContent = TEXT.empty; input.focus(); return; }
    if (text.length > MAX) { status.textContent = TEXT.tooLong; input.focus(); return; }
    var shown = shownAs || text;
    pending = { text: shown, raw: text, node: renderItem({ kind: "user", text: shown }, true), choices: null };
    pending.choices = lastRetired;
    setBusy(true);
    var retried = false;
    function attempt() {
      return (token ? Promise.resolve(token) : newSession()).then(function () {
        return request("POST", "/chat/send", { message: text, after: cursor });
      }).then(function (result) {
        if (result.status === 401 && !retried) { // token expired or SECRET_KEY changed: a new conversation
          retried = true;
          token = null;
          store("token", null);
          return attempt();
        }
        return result;
      });
    }
    attempt().then(function (result) {
      setBusy(false);
      if (!result.ok) { fail(result.data.error || TEXT.busy, shown, shownAs); return; }
      var list = result.data.messages || [];
      apply(list, result.data.cursor);
      if (pending) { pending.node.classList.remove("pending"); items.push({ kind: "user", text: shown }); pending = null; saveTranscript(); }
      if (!list.some(function (m) { return m && m.kind === "bot"; })) notice(TEXT.noAnswer);
      schedule(POLL_OPEN_MS);
    }).catch(function (result) {
      setBusy(false);
      fail(result && result.data && result.data.error ? result.data.error : TEXT.offline, shown, shownAs);
    }).then(function () {
      // A clicked quick reply or the start button is now disabled or hidden: keep the keyboard in the chat.
      var active = root.activeElement;
      if (isOpen() && (!active || active.disabled || active === startButton)) input.focus();
    });
  }

  // The message did not reach the assistant: take its bubble away, give the text back to the
  // citizen to send again (nothing they wrote is lost), and say why.
  function fail(reason, shown, shownAs) {
    if (pending) { log.removeChild(pending.node); reopenChoices(pending.choices); pending = null; }
    if (!shownAs && !input.value) { input.value = shown; autosize(); }
    notice(reason);
  }

  // ---------------------------------------------------------------- polling for pushed messages
  var timer = null;
  var polling = false;
  function schedule(ms) {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!token || document.visibilityState === "hidden") return;
    timer = setTimeout(poll, ms);
  }
  function poll() {
    timer = null;
    if (!token || document.visibilityState === "hidden") return;
    if (busy || polling) { schedule(POLL_OPEN_MS); return; }
    polling = true;
    request("GET", "/chat/updates?after=" + encodeURIComponent(String(cursor))).then(function (result) {
      polling = false;
      if (result.status === 401) { token = null; store("token", null); return; }
      if (result.ok) {
        if (result.data.reset) replaceAll(result.data.messages, result.data.cursor);
        else apply(result.data.messages, result.data.cursor);
      }
      schedule(result.status === 429 ? Math.max(POLL_CLOSED_MS, result.retryAfter * 1000) : isOpen() ? POLL_OPEN_MS : POLL_CLOSED_MS);
    }).catch(function () {
      polling = false;
      schedule(POLL_CLOSED_MS);
    });
  }
  document.addEventListener("visibilitychange", function () {
    schedule(0); // visible again: check at once; hidden: schedule() stops polling
  });

  // ---------------------------------------------------------------- open / close, keyboard
  var unreadCount = 0;
  function setUnread(n) {
    unreadCount = n;
    if (!badge) return;
    badge.hidden = n === 0;
    badge.textContent = n ? String(n) : "";
    // The name starts with the visible label (WCAG 2.5.3) and says how many replies are waiting.
    if (n) launcher.setAttribute("aria-label", TEXT.launcher + ", " + TEXT.newMessages(n));
    else launcher.removeAttribute("aria-label");
  }
  function isOpen() { return inline ? true : !panel.hidden; }
  function open() {
    if (inline || isOpen()) return;
    panel.hidden = false;
    wrap.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    setUnread(0);
    scrollDown();
    (intro.hidden ? input : startButton).focus();
    schedule(0);
  }
  function close() {
    if (inline || !isOpen()) return;
    panel.hidden = true;
    wrap.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  if (launcher) launcher.addEventListener("click", function () { if (isOpen()) close(); else open(); });
  if (closeButton) closeButton.addEventListener("click", close);

  var phone = window.matchMedia ? window.matchMedia("(max-width: 480px), (max-height: 520px)") : null;
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !inline) { event.preventDefault(); close(); return; }
    // Full screen on a phone: keep Tab inside the panel, the page behind it is covered.
    if (event.key === "Tab" && !inline && phone && phone.matches) {
      var focusable = Array.prototype.filter.call(
        panel.querySelectorAll("button, textarea, [tabindex='0'], a[href]"),
        function (n) { return !n.disabled && n.offsetParent !== null; });
      if (!focusable.length) return;
      var first = focusable[0], last = focusable[focusable.length - 1];
      var active = root.activeElement;
      if (event.shiftKey && active === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && active === last) { event.preventDefault(); first.focus(); }
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    var value = input.value;
    if (value.trim() && value.trim().length <= MAX) input.value = "";
    send(value);
    autosize();
  });
  // Enter sends, Shift+Enter makes a new line.
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (form.requestSubmit) form.requestSubmit(); else form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  function autosize() {
    input.style.height = "auto";
    var border = input.offsetHeight - input.clientHeight;
    input.style.height = Math.max(44, Math.min(input.scrollHeight + border, 160)) + "px";
  }
  input.addEventListener("input", autosize);
  startButton.addEventListener("click", function () { send(TEXT.startMessage, TEXT.startText); });

  // ---------------------------------------------------------------- start
  var restored = items;
  items = [];
  restored.forEach(function (item) {
    if (typeof item.id === "number") seen[item.id] = true;
    renderItem(item);
    items.push(item);
  });
  function mount() {
    if (inline) inline.appendChild(host); else document.body.appendChild(host);
    if (token) schedule(0); // catch up: what was pushed while away, or the whole history if the copy is gone
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
