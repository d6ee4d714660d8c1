"""Test helpers shared by unit, integration and browser tests: a fake Rasa REST channel, schema
creation, a cheap password hasher, and sign-in through the real form.

A real HTTP server on 127.0.0.1 (a thread), so the back-office proxy is exercised over the network
exactly as against Rasa. Replies are chosen by `reply(sender, message)`; every request is recorded.
"""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote

Reply = Callable[[str, str], list[dict[str, Any]]]

XSS_TEXT = "Coba ini: <img src=x onerror=alert(1)> <script>alert(2)</script>"


def default_reply(sender: str, message: str) -> list[dict[str, Any]]:
    """A tiny scripted assistant: greeting with quick replies, a payload answer, an XSS probe."""
    if message.lower() in ("halo", "hai"):
        return [
            {
                "recipient_id": sender,
                "text": "Halo Bapak/Ibu, ada yang bisa kami bantu?",
                "buttons": [
                    {"title": "Paspor baru", "payload": "/tanya_paspor_baru"},
                    {"title": "Jam layanan", "payload": "/tanya_jam_layanan"},
                ],
            }
        ]
    if message == "/tanya_paspor_baru":
        return [
            {"recipient_id": sender, "text": "Pendaftaran paspor baru dilakukan melalui aplikasi M-Paspor."},
            {"recipient_id": sender, "image": "https://example.org/alur-paspor.png"},
        ]
    if message == "xss":
        return [{"recipient_id": sender, "text": XSS_TEXT}]
    return [{"recipient_id": sender, "text": f"Anda menulis: {message}"}]


class FakeRasa:
    """`with FakeRasa() as rasa:` -> `rasa.url` to use as RASA_URL, `rasa.requests` received.

    Like Rasa, it keeps each sender's events (user and bot, with Rasa's event shapes) and serves them
    at GET /conversations/<id>/tracker; POST /conversations/<id>/trigger_intent appends the office
    message the worker relays (what the real relay rule utters). `tracker_status` != 200 makes the
    tracker endpoint fail; `token`, when set, must be given as `?token=` like Rasa's --auth-token."""

    def __init__(self, reply: Reply = default_reply, status: int = 200) -> None:
        self.reply = reply
        self.status = status
        self.tracker_status = 200
        self.token: str | None = None
        self.requests: list[dict[str, Any]] = []
        self.events: dict[str, list[dict[str, Any]]] = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                fake.requests.append({"path": self.path, "body": body})
                path, _, query = self.path.partition("?")
                if path.startswith("/conversations/") and path.endswith("/trigger_intent"):
                    if not fake._authorised(query):
                        self._send(401, {"error": "unauthorised"})
                        return
                    sender = unquote(path[len("/conversations/"):-len("/trigger_intent")])
                    text = str((body.get("entities") or {}).get("office_message", ""))
                    fake.add_events(sender, [{"event": "user", "text": "EXTERNAL: " + str(body.get("name")),
                                              "parse_data": {"intent": {"name": body.get("name")}}},
                                             {"event": "bot", "text": text, "data": {}}])
                    self._send(200, {"messages": [{"recipient_id": sender, "text": text}]})
                    return
                if path != "/webhooks/rest/webhook":
                    self._send(404, {"error": "not found"})
                    return
                if fake.status != 200:
                    self._send(fake.status, {"error": "fake failure"})
                    return
                sender, message = str(body.get("sender", "")), str(body.get("message", ""))
                replies = fake.reply(sender, message)
                fake.add_events(sender, [{"event": "user", "text": message}] + [
                    {"event": "bot", "text": r.get("text"),
                     "data": {k: r[k] for k in ("buttons", "image") if k in r}} for r in replies])
                self._send(200, replies)

            def do_GET(self) -> None:  # noqa: N802
                path, _, query = self.path.partition("?")
                fake.requests.append({"path": self.path, "body": None})
                if not (path.startswith("/conversations/") and path.endswith("/tracker")):
                    self._send(404, {"error": "not found"})
                    return
                if fake.tracker_status != 200:
                    self._send(fake.tracker_status, {"error": "fake failure"})
                    return
                if not fake._authorised(query):
                    self._send(401, {"error": "unauthorised"})
                    return
                sender = unquote(path[len("/conversations/"):-len("/tracker")])
                self._send(200, {"sender_id": sender, "events": list(fake.events.get(sender, []))})

            def _send(self, status: int, data: Any) -> None:
                payload = json.dumps(data).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _authorised(self, query: str) -> bool:
        return self.token is None or parse_qs(query).get("token") == [self.token]

    def add_events(self, sender: str, events: list[dict[str, Any]]) -> None:
        """Append events to the sender's tracker (with increasing timestamps, as Rasa does)."""
        stored = self.events.setdefault(sender, [])
        for event in events:
            stored.append({**event, "timestamp": time.time()})

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeRasa":
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down and free the port."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeRasa":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ------------------------------------------------------------------------------------------------
# Back-office test set-up helpers
# ------------------------------------------------------------------------------------------------
_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def create_schema(url: str) -> None:
    """Create the back-office tables on a fresh database (tests only; production uses Alembic)."""
    import office.audit  # noqa: F401  (register tables)
    import office.staff  # noqa: F401
    from office.db import Base, get_engine

    try:
        import office.models  # noqa: F401  (every table, once the lead has written it)
    except ImportError:
        pass
    Base.metadata.create_all(get_engine(url))


def cheap_password_hasher() -> Any:
    """An argon2 hasher with tiny costs so tests hashing many passwords stay fast."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def csrf_from(html: str) -> str:
    """The first hidden csrf_token value of a page."""
    match = _CSRF_RE.search(html)
    if not match:
        raise AssertionError("no csrf_token field on the page")
    return match.group(1)


def make_user(url: str, username: str, role: str, unit: str | None = None, full_name: str | None = None,
              password: str = "kata sandi uji panjang", must_change: bool = False) -> str:
    """Create an account directly in the database; returns its password."""
    from office.db import session_scope
    from office.staff import create_user

    with session_scope(url) as db:
        created = create_user(db, username, full_name or username.title(), role, unit=unit, password=password)
        created.user.must_change_password = must_change
    return password


def login(client: Any, username: str, password: str, next_path: str | None = None) -> Any:
    """Sign in through the real form (fetches the page for its CSRF cookie and field first).
    Returns the POST response without following the redirect."""
    page = client.get("/staff/login")
    data = {"csrf_token": csrf_from(page.text), "username": username, "password": password}
    if next_path:
        data["next"] = next_path
    return client.post("/staff/login", data=data, follow_redirects=False)
