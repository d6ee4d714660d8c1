"""One fake HTTP server on 127.0.0.1 standing in for the Twilio API, the Telegram Bot API and the Graph API.

The real client libraries inside Rasa talk to it (twilio's async HTTP client rebased with
TWILIO_API_BASE_URL, python-telegram-bot's base_url, the Graph base URL), so the tests exercise the
same requests production sends. It checks credentials like the real APIs do (401/404 on a wrong token),
records every call, can be told to fail the next calls with a status, and serves queued Telegram updates
to getUpdates for the polling script.
"""
from __future__ import annotations

import base64
import email.parser
import email.policy
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit


@dataclass
class Call:
    """One request the fake received."""

    provider: str  # twilio | telegram | graph
    method: str  # HTTP method for Twilio/Graph, Bot API method for Telegram (sendMessage ...)
    path: str
    params: dict[str, Any]
    query: dict[str, str] = field(default_factory=dict)


def _decode_value(value: str) -> Any:
    """Telegram clients send complex fields (reply_markup ...) as JSON strings in form data."""
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _parse_body(content_type: str, body: bytes, decode: bool = True) -> dict[str, Any]:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        data = json.loads(body)
        return data if isinstance(data, dict) else {"_": data}
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        out: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            value = payload.decode("utf-8", "replace")
            out[name] = _decode_value(value) if decode else value
        return out
    parsed = parse_qs(body.decode(), keep_blank_values=True)
    return {k: ((_decode_value(v[0]) if decode else v[0]) if len(v) == 1 else v) for k, v in parsed.items()}


class FakeProviders:
    """The fake server; `start()` it, point the channels at `url('twilio')` etc., inspect `calls`."""

    def __init__(self, port: int = 0, *, twilio_sid: str, twilio_token: str, telegram_token: str,
                 graph_tokens: tuple[str, ...]) -> None:
        self.twilio_sid = twilio_sid
        self.twilio_token = twilio_token
        self.telegram_token = telegram_token
        self.graph_tokens = set(graph_tokens)
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []  # served by getUpdates
        self._failures: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1000)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:
                fake._dispatch(self)

            def do_POST(self) -> None:
                fake._dispatch(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # control ----------------------------------------------------------------------------------
    def start(self) -> "FakeProviders":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, provider: str) -> str:
        return f"http://127.0.0.1:{self.port}/{provider}"

    def fail_next(self, provider: str, status: int = 500, count: int = 1) -> None:
        """The next `count` message sends to `provider` answer `status` (getMe etc. stay healthy)."""
        with self._lock:
            self._failures.setdefault(provider, []).extend([status] * count)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._failures.clear()
            self.updates.clear()

    def sent(self, provider: Optional[str] = None, recipient: Optional[str] = None) -> list[Call]:
        """Outgoing messages (not getMe, answerCallbackQuery, webhook management)."""
        out = []
        for call in list(self.calls):
            if provider and call.provider != provider:
                continue
            if call.provider == "telegram" and not call.method.startswith("send"):
                continue
            if recipient is not None and _recipient(call) != recipient:
                continue
            out.append(call)
        return out

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            matched = [c for c in list(self.calls) if predicate(c)]
            if matched:
                return matched
            time.sleep(0.05)
        return []

    # HTTP -------------------------------------------------------------------------------------
    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        provider, _, rest = parts.path.lstrip("/").partition("/")
        try:
            # only Telegram clients put JSON inside form fields (reply_markup); Twilio's are plain strings
            params = _parse_body(handler.headers.get("Content-Type", ""), body, decode=provider == "telegram")
            if not params and handler.command == "GET":
                params = {k: _decode_value(v) for k, v in query.items()}
        except ValueError:
            return self._reply(handler, 400, {"error": "unparseable body"})
        route = {"twilio": self._twilio, "telegram": self._telegram, "graph": self._graph}.get(provider)
        if route is None:
            return self._reply(handler, 404, {"error": "unknown provider"})
        status, payload = route(handler, "/" + rest, params, query)
        self._reply(handler, status, payload)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _failure(self, provider: str) -> Optional[int]:
        with self._lock:
            queue = self._failures.get(provider) or []
            return queue.pop(0) if queue else None

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _twilio(self, handler: BaseHTTPRequestHandler, path: str, params: dict[str, Any],
                query: dict[str, str]) -> tuple[int, Any]:
        expected = "Basic " + base64.b64encode(f"{self.twilio_sid}:{self.twilio_token}".encode()).decode()
        if handler.headers.get("Authorization") != expected:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        if path != f"/2010-04-01/Accounts/{self.twilio_sid}/Messages.json" or handler.command != "POST":
            return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        failure = self._failure("twilio")
        self._record(Call("twilio", "Messages.create", path, params, query))
        if failure:
            return failure, {"code": 20500, "message": "Internal Server Error", "status": failure}
        if not params.get("To") or not (params.get("From") or params.get("MessagingServiceSid")):
            return 400, {"code": 21604, "message": "A 'To' and 'From' are required", "status": 400}
        if not (params.get("Body") or params.get("MediaUrl") or params.get("ContentSid")):
            return 400, {"code": 21619, "message": "A text message body or media url is required", "status": 400}
        sid = f"SM{next(self._ids):032d}"
        return 201, {"sid": sid, "account_sid": self.twilio_sid, "to": params["To"], "from": params.get("From"),
                     "body": params.get("Body", ""), "status": "queued", "num_media": "0", "num_segments": "1",
                     "direction": "outbound-api", "api_version": "2010-04-01", "date_created": None,
                     "uri": f"/2010-04-01/Accounts/{self.twilio_sid}/Messages/{sid}.json"}

    def _telegram(self, handler: BaseHTTPRequestHandler, path: str, params: dict[str, Any],
                  query: dict[str, str]) -> tuple[int, Any]:
        prefix = f"/bot{self.telegram_token}/"
        if not path.startswith(prefix):
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        method = path[len(prefix):]
        if method == "getMe":
            bot_id = int(self.telegram_token.split(":")[0])
            return 200, {"ok": True, "result": {"id": bot_id, "is_bot": True, "first_name": "Kanim Kotabumi",
                                                "username": "kanim_test_bot", "can_join_groups": False,
                                                "can_read_all_group_messages": False,
                                                "supports_inline_queries": False}}
        self._record(Call("telegram", method, path, params, query))
        if method.startswith("send"):
            failure = self._failure("telegram")
            if failure:
                return failure, {"ok": False, "error_code": failure, "description": "Internal Server Error"}
            chat_id = int(params.get("chat_id", 0))
            message: dict[str, Any] = {"message_id": next(self._ids), "date": int(time.time()),
                                       "chat": {"id": chat_id, "type": "private"},
                                       "from": {"id": int(self.telegram_token.split(":")[0]), "is_bot": True,
                                                "first_name": "Kanim Kotabumi"}}
            if "text" in params:
                message["text"] = params["text"]
            if method == "sendPhoto":
                message["photo"] = [{"file_id": "AgAD-fake", "file_unique_id": "u1", "width": 90, "height": 90}]
            if method == "sendDocument":
                message["document"] = {"file_id": "BQAD-fake", "file_unique_id": "u2"}
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            return 200, {"ok": True, "result": message}
        if method in ("answerCallbackQuery", "setWebhook", "deleteWebhook"):
            return 200, {"ok": True, "result": True}
        if method == "getWebhookInfo":
            hooks = [c for c in self.calls if c.provider == "telegram" and c.method in ("setWebhook", "deleteWebhook")]
            url = hooks[-1].params.get("url", "") if hooks and hooks[-1].method == "setWebhook" else ""
            return 200, {"ok": True, "result": {"url": url, "has_custom_certificate": False,
                                                "pending_update_count": len(self.updates)}}
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            with self._lock:
                if offset:
                    self.updates[:] = [u for u in self.updates if u["update_id"] >= offset]
                batch = list(self.updates)
            return 200, {"ok": True, "result": batch}
        return 404, {"ok": False, "error_code": 404, "description": f"Not Found: method {method}"}

    def _graph(self, handler: BaseHTTPRequestHandler, path: str, params: dict[str, Any],
               query: dict[str, str]) -> tuple[int, Any]:
        if query.get("access_token") not in self.graph_tokens:
            return 400, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}
        segments = path.strip("/").split("/")
        if len(segments) != 3 or segments[1:] != ["me", "messages"] or not segments[0].startswith("v"):
            return 404, {"error": {"message": "Unknown path components", "type": "OAuthException", "code": 2500}}
        failure = self._failure("graph")
        self._record(Call("graph", "me/messages", path, params, query))
        if failure:
            return failure, {"error": {"message": "An unexpected error has occurred.", "type": "OAuthException",
                                       "code": 2, "is_transient": True}}
        recipient = (params.get("recipient") or {}).get("id")
        message = params.get("message") or {}
        if not recipient or not (message.get("text") or message.get("attachment")):
            return 400, {"error": {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100}}
        if len(message.get("quick_replies") or []) > 13:
            return 400, {"error": {"message": "(#100) Too many quick replies", "code": 100}}
        return 200, {"recipient_id": recipient, "message_id": f"m_{next(self._ids)}"}


def _recipient(call: Call) -> Optional[str]:
    if call.provider == "twilio":
        return call.params.get("To")
    if call.provider == "telegram":
        return str(call.params.get("chat_id"))
    if call.provider == "graph":
        return (call.params.get("recipient") or {}).get("id")
    return None
