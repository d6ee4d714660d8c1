"""A fake Rasa HTTP API for outbox delivery on 127.0.0.1: counts each trigger_intent per sender, and
can play an outage (`failing = True` answers 503, as Rasa or a channel provider does when it is down).

Why not tests/backoffice_support.FakeRasa: that one always accepts trigger_intent; the fault tests need
a delivery endpoint that fails on demand and counts what was accepted, from several processes' calls."""
from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote


class OutboxRasa:
    """`with OutboxRasa() as rasa:` -> `rasa.url` (RASA_URL); `rasa.delivered` (sender -> messages the
    citizen saw: like actions/outbox.py, a repeated outbox_id is accepted but not shown again);
    `rasa.accepted` (every accepted call); `rasa.refused` (calls answered 503 while `rasa.failing`);
    `delay` seconds before answering (a slow provider, so a test can kill a worker mid-batch)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.failing = False
        self.delay = delay
        self.delivered: Counter[str] = Counter()
        self.accepted = 0
        self._shown: set[tuple[str, str]] = set()
        self.refused = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if fake.delay:
                    time.sleep(fake.delay)
                path = self.path.partition("?")[0]
                if not (path.startswith("/conversations/") and path.endswith("/trigger_intent")):
                    self._send(404, b'{"error": "not found"}')
                    return
                sender = unquote(path[len("/conversations/"):-len("/trigger_intent")])
                with fake._lock:
                    if fake.failing:
                        fake.refused += 1
                    else:
                        fake.accepted += 1
                        outbox_id = str((json.loads(raw or b"{}").get("entities") or {}).get("outbox_id", ""))
                        if not outbox_id or (sender, outbox_id) not in fake._shown:
                            fake._shown.add((sender, outbox_id))
                            fake.delivered[sender] += 1
                if fake.failing:
                    self._send(503, b'{"error": "provider unavailable"}')
                else:
                    self._send(200, b'{"messages": []}')

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "OutboxRasa":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
