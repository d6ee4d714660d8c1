"""One fake HTTP server on 127.0.0.1 standing in for the Twilio API, the Telegram Bot API and the Graph API.

The real client libraries inside Rasa talk to it (twilio's async HTTP client rebased with
TWILIO_API_BASE_URL, python-telegram-bot's base_url, the Graph base URL), so the tests exercise the
same requests production sends. It checks credentials like the real APIs do (401/404 on a wrong token),
records every call, can be told to fail the next calls with a status, and serves queued Telegram updates
to getUpdates for the polling script. It also holds media a citizen "sent" (`add_media`) and serves its
bytes the way each provider does: Twilio behind basic auth with a redirect to a CDN path, Telegram
through getFile and the file URL, Meta at a CDN URL (fail_next("media") fails the next downloads).
"""
from __future__ import annotations

import base64
import email.parser
import email.policy
import itertools
import json
import secrets
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


@dataclass
class Raw:
    """A non-JSON answer: file bytes, or a redirect when `location` is set."""

    data: bytes = b""
    content_type: str = "application/octet-stream"
    location: str = ""


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
        self.media: dict[str, tuple[bytes, str, str]] = {}  # key -> (bytes, content type, Telegram file_path)
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

    def add_media(self, provider: str, data: bytes, content_type: str, file_name: str = "") -> str:
        """Keep a file as if a citizen had sent it; returns the reference the provider's webhook carries
        (Twilio's MediaUrl, Telegram's file_id, Meta's attachment URL)."""
        key = secrets.token_hex(16)
        if provider == "twilio":
            self.media["ME" + key] = (data, content_type, "")
            return (f"https://api.twilio.com/2010-04-01/Accounts/{self.twilio_sid}/Messages/MM{secrets.token_hex(16)}"
                    f"/Media/ME{key}")
        if provider == "telegram":
            folder = "photos" if content_type.startswith("image/") else "documents"
            self.media["AgAC" + key] = (data, content_type, f"{folder}/file_{len(self.media)}.bin")
            return "AgAC" + key
        if provider == "meta":
            self.media[key] = (data, content_type, "")
            # Meta's CDN keeps the sender's file name in the path of a "file" attachment
            return f"{self.url('meta-cdn')}/v/t59.2708-21/{key}/{file_name or 'image.jpg'}?_nc_cat=1"
        raise ValueError(provider)

    def downloads(self) -> list[Call]:
        return [c for c in list(self.calls) if c.provider == "media"]

    def _serve_media(self, key: str, path: str) -> tuple[int, Any]:
        failure = self._failure("media")
        self._record(Call("media", "GET", path, {}))
        if failure:
            return failure, {"error": "media unavailable"}
        if key not in self.media:
            return 404, {"error": "not found"}
        data, content_type, _ = self.media[key]
        return 200, Raw(data, content_type)

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
        if provider in ("twilio-cdn", "meta-cdn") and handler.command == "GET":
            key = rest.split("/")[-1] if provider == "twilio-cdn" else rest.split("/")[-2]
            return self._reply(handler, *self._serve_media(key, parts.path))
        route = {"twilio": self._twilio, "telegram": self._telegram, "graph": self._graph}.get(provider)
        if route is None:
            return self._reply(handler, 404, {"error": "unknown provider"})
        status, payload = route(handler, "/" + rest, params, query)
        self._reply(handler, status, payload)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        raw = payload if isinstance(payload, Raw) else Raw(json.dumps(payload).encode(), "application/json")
        data = raw.data
        handler.send_response(status)
        if raw.location:
            handler.send_header("Location", raw.location)
        handler.send_header("Content-Type", raw.content_type)
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
        media_prefix = f"/2010-04-01/Accounts/{self.twilio_sid}/Messages/"
        if handler.command == "GET" and path.startswith(media_prefix) and "/Media/ME" in path:
            key = path.rsplit("/", 1)[-1]
            if key not in self.media:
                return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
            return 307, Raw(b"", "text/plain", location=f"/twilio-cdn/{key}")  # like Twilio's CDN redirect
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
        file_prefix = f"/file/bot{self.telegram_token}/"
        if path.startswith(file_prefix):
            wanted = path[len(file_prefix):]
            key = next((k for k, (_d, _c, fp) in self.media.items() if fp and fp == wanted), "")
            return self._serve_media(key, "/telegram/file/bot<token>/" + wanted)
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
        if method == "getFile":
            file_id = str(params.get("file_id") or "")
            if file_id not in self.media or not self.media[file_id][2]:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
            data, _type, file_path = self.media[file_id]
            return 200, {"ok": True, "result": {"file_id": file_id, "file_unique_id": file_id[-12:],
                                                "file_size": len(data), "file_path": file_path}}
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
