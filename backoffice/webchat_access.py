"""Who may use the web-chat API: the signed session token and the allowed embedding origins.

Why a token in a header and not a cookie: the widget runs on the office's own website, a different
origin from the back-office, where browsers block third-party cookies. The token is issued by
POST /chat/session, kept in the host page's localStorage and sent as `X-Chat-Token`. It carries only
a random conversation id signed with SECRET_KEY, so the sender (`web:<uuid>`) always comes from the
server: a client cannot choose or guess another person's conversation.

Why an allow-list of origins (WEBCHAT_ALLOWED_ORIGINS): only the office's sites may embed the chat;
any other site's browser requests are refused before they reach Rasa (CORS answers carry no
`Access-Control-Allow-Origin` for them, so their pages cannot read the replies either).
"""
from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

TOKEN_HEADER = "X-Chat-Token"
TOKEN_MAX_AGE = 30 * 24 * 3600  # a conversation is remembered for 30 days after its last visit
MAX_TOKEN_LENGTH = 300
CHAT_PATH_PREFIX = "/chat/"
MSG_ORIGIN = "Situs ini tidak diizinkan memakai layanan percakapan kantor imigrasi."


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="webchat-session")


def issue_token(secret_key: str, conversation: str) -> str:
    """A signed, dated token for the conversation id (a uuid)."""
    return _serializer(secret_key).dumps(conversation)


def read_token(secret_key: str, token: str | None) -> str | None:
    """The conversation uuid inside a valid, unexpired token; None for anything else."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        value = _serializer(secret_key).loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def conversation_of(request: Request) -> str | None:
    """The conversation uuid of this request's token header, or None."""
    return read_token(request.app.state.secret_key, request.headers.get(TOKEN_HEADER))


def normalise_origin(value: str) -> str | None:
    """`https://Example.org:443/` -> `https://example.org`; None when it is not an http(s) origin."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default_port = 443 if parts.scheme == "https" else 80
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default_port else "")


def allowed_origins() -> set[str]:
    """WEBCHAT_ALLOWED_ORIGINS: comma-separated origins of the sites that embed the widget
    (read on every request, so tests and a restart-free reconfiguration both see the current value)."""
    raw = os.environ.get("WEBCHAT_ALLOWED_ORIGINS", "")
    return {o for o in (normalise_origin(part) for part in raw.split(",") if part.strip()) if o}


def origin_allowed(origin: str, host_header: str) -> bool:
    """The back-office's own origin (same host as the request) or one of the configured origins."""
    normal = normalise_origin(origin)
    if normal is None:
        return False
    if urlsplit(origin).netloc.lower() == host_header.lower():
        return True
    return normal in allowed_origins()


class WebchatCorsMiddleware:
    """CORS for /chat/*: answers preflights for allowed origins, refuses other origins with 403,
    and adds `Access-Control-Allow-Origin` to every answer for an allowed origin, errors included
    (a 413 or 429 must reach the widget as a readable, polite message, not as a network error).
    Requests without an Origin header (same-origin GETs, server-side clients) pass unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(CHAT_PATH_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if not origin_allowed(origin, headers.get("host", "")):
            await JSONResponse({"error": MSG_ORIGIN}, status_code=403)(scope, receive, send)
            return
        cors = {
            "access-control-allow-origin": origin,
            "access-control-expose-headers": "Retry-After",
            "vary": "Origin",
        }
        if scope["method"] == "OPTIONS" and headers.get("access-control-request-method"):
            preflight = Response(status_code=204, headers={
                **cors,
                "access-control-allow-methods": "GET, POST",
                "access-control-allow-headers": f"Content-Type, {TOKEN_HEADER}",
                "access-control-max-age": "600",
            })
            await preflight(scope, receive, send)
            return

        async def send_with_cors(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in cors.items() if k.encode() not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_cors)
