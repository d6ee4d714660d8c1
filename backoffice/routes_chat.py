"""The public web-chat page at `/` and its proxy to Rasa's REST channel.

Why a proxy: the browser never talks to Rasa directly, so Rasa stays on a private address, and the
sender id comes from a cookie the server signed (`web:<uuid>`), never from the request body: nobody
can post into another person's conversation or another channel's (sender ids are namespaced).
"""
from __future__ import annotations

import json
import logging
import uuid
from urllib.parse import urlsplit
from typing import Any

import httpx
from fastapi import APIRouter, Request
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.responses import JSONResponse, Response

from office.profile import ProfileError, load_profile
from office.settings import get_settings

from backoffice.auth import client_ip
from backoffice.ratelimit import SlidingWindowLimiter
from backoffice.templating import render

log = logging.getLogger(__name__)
router = APIRouter()

SENDER_COOKIE = "wc_sender"
SENDER_PREFIX = "web:"
MAX_MESSAGE = 4000
RASA_TIMEOUT = 30.0
GENERIC_TITLE = "Asisten Virtual Kantor Imigrasi"

MSG_EMPTY = "Mohon tuliskan pesan Bapak/Ibu terlebih dahulu."
MSG_TOO_LONG = "Pesan terlalu panjang (maksimal 4.000 karakter). Mohon persingkat pesan Bapak/Ibu."
MSG_BAD = "Permintaan tidak dapat dibaca. Silakan muat ulang halaman lalu coba lagi."
MSG_BUSY = "Mohon maaf, layanan sedang sibuk. Silakan coba lagi dalam beberapa saat."
MSG_TOO_FAST = "Bapak/Ibu mengirim pesan terlalu cepat. Mohon tunggu sebentar, lalu coba lagi."

sender_limiter = SlidingWindowLimiter(limit=20, window=60.0)
ip_limiter = SlidingWindowLimiter(limit=120, window=60.0)


def office_name() -> str | None:
    """The office's name from the office profile, or None when the profile cannot be read."""
    try:
        return load_profile().name
    except ProfileError:
        log.warning("office profile could not be loaded; using the generic title", exc_info=True)
        return None


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.secret_key, salt="webchat-sender")


def read_sender(request: Request) -> str | None:
    """The uuid in the signed sender cookie, or None when absent or tampered with."""
    raw = request.cookies.get(SENDER_COOKIE)
    if not raw or len(raw) > 200:
        return None
    try:
        value = _serializer(request).loads(raw)
    except BadSignature:
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def set_sender_cookie(request: Request, response: Response, sender: str) -> None:
    """Remember the conversation for 30 days (HttpOnly: page scripts cannot read or forge it)."""
    response.set_cookie(
        SENDER_COOKIE,
        _serializer(request).dumps(sender),
        max_age=30 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
        path="/",
    )


@router.get("/")
def webchat_page(request: Request) -> Response:
    """The public chat page (no sign-in)."""
    name = office_name()
    response = render(
        request,
        "webchat.html",
        {"title": GENERIC_TITLE, "office_name": name, "max_message": MAX_MESSAGE},
    )
    if read_sender(request) is None:
        set_sender_cookie(request, response, str(uuid.uuid4()))
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _clean_messages(data: Any) -> list[dict[str, Any]]:
    """Keep only what the page renders (text, buttons, image), with the right types."""
    out: list[dict[str, Any]] = []
    if not isinstance(data, list):
        return out
    for item in data:
        if not isinstance(item, dict):
            continue
        message: dict[str, Any] = {}
        text = item.get("text")
        if isinstance(text, str) and text:
            message["text"] = text
        image = item.get("image")
        if isinstance(image, str) and (image.startswith("https://") or image.startswith("http://") or image.startswith("/")) and not image.startswith("//"):
            message["image"] = image
        buttons = []
        for b in item.get("buttons") or []:
            if isinstance(b, dict) and isinstance(b.get("title"), str):
                payload = b.get("payload")
                buttons.append({"title": b["title"], "payload": payload if isinstance(payload, str) else b["title"]})
        if buttons:
            message["buttons"] = buttons
        if message:
            out.append(message)
    return out


async def forward_to_rasa(sender: str, message: str) -> list[dict[str, Any]] | None:
    """POST the message to Rasa's REST channel; None when Rasa is unreachable or answers badly."""
    url = f"{get_settings().rasa_url}/webhooks/rest/webhook"
    try:
        async with httpx.AsyncClient(timeout=RASA_TIMEOUT) as client:
            reply = await client.post(url, json={"sender": sender, "message": message})
    except httpx.HTTPError as exc:
        log.warning("Rasa REST channel unreachable at %s: %s", url, exc)
        return None
    if reply.status_code != 200:
        log.warning("Rasa REST channel answered %s", reply.status_code)
        return None
    try:
        return _clean_messages(reply.json())
    except ValueError:
        log.warning("Rasa REST channel answered with non-JSON")
        return None


@router.post("/chat/send")
async def chat_send(request: Request) -> Response:
    """Relay one citizen message to the assistant and return its replies as JSON
    (`{"messages": [{"text", "buttons": [{"title","payload"}], "image"}]}`)."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
        return _error(403, MSG_BAD)
    if not request.headers.get("content-type", "").lower().startswith("application/json"):
        return _error(415, MSG_BAD)
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return _error(400, MSG_BAD)
    if not isinstance(body, dict) or not isinstance(body.get("message", ""), str):
        return _error(400, MSG_BAD)
    message = body.get("message", "").strip()
    if not message:
        return _error(400, MSG_EMPTY)
    if len(message) > MAX_MESSAGE:
        return _error(400, MSG_TOO_LONG)

    sender = read_sender(request)
    new_sender = sender is None
    if sender is None:
        sender = str(uuid.uuid4())
    if not sender_limiter.hit(sender) or not ip_limiter.hit(client_ip(request) or "-"):
        response: Response = _error(429, MSG_TOO_FAST, {"Retry-After": str(sender_limiter.retry_after(sender))})
    else:
        messages = await forward_to_rasa(SENDER_PREFIX + sender, message)
        if messages is None:
            response = _error(503, MSG_BUSY)
        else:
            response = JSONResponse({"messages": messages})
    if new_sender:
        set_sender_cookie(request, response, sender)
    response.headers["Cache-Control"] = "no-store"
    return response
