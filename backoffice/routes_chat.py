"""The public web chat: the embeddable widget (`/widget.js`), its JSON API under /chat/, and the
full-page chat at `/` (the same widget, embedded in a page of its own).

Why a proxy: the browser never talks to Rasa directly, so Rasa stays on a private address, and the
sender id (`web:<uuid>`) comes from a token the server signed (backoffice/webchat_access.py), never
from the request body: nobody can post into another person's conversation or another channel's.

API (JSON; the token travels in the `X-Chat-Token` header):
  POST /chat/session            -> {"token"}          a new conversation, or a fresh token for the same one
  POST /chat/send {message, after} -> {"messages", "cursor"}  relay one message; the transcript items since `after`
  GET  /chat/updates?after=N    -> {"messages", "cursor", "reset"}  items since N (N=0: the whole history)
Pushed messages (officer replies, reminders, queue alerts) reach the tracker through the worker's
trigger_intent; the widget polls /chat/updates every few seconds while the tab is visible. Why polling
and not Server-Sent Events or Socket.IO: the back-office would have to poll the tracker anyway (Rasa
tells it nothing), short requests pass every proxy, and the token stays in a header (EventSource
cannot send headers, so it would have to go into URLs and logs).
"""
from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Request
from starlette.responses import FileResponse, JSONResponse, Response

from office.profile import ProfileError, load_profile
from office.settings import get_settings

from backoffice.auth import client_ip
from backoffice.ratelimit import SlidingWindowLimiter
from backoffice.templating import render
from backoffice.webchat_access import conversation_of, issue_token
from backoffice.webchat_transcript import TrackerUnavailable, clean_messages, fetch_events, items_after

log = logging.getLogger(__name__)
router = APIRouter()

WIDGET_JS = Path(__file__).resolve().parent / "static" / "widget.js"
SENDER_PREFIX = "web:"
MAX_MESSAGE = 4000
MAX_CURSOR = 10_000_000
RASA_TIMEOUT = 30.0
GENERIC_TITLE = "Asisten Virtual Kantor Imigrasi"

MSG_EMPTY = "Mohon tuliskan pesan Bapak/Ibu terlebih dahulu."
MSG_TOO_LONG = "Pesan terlalu panjang (maksimal 4.000 karakter). Mohon persingkat pesan Bapak/Ibu."
MSG_BAD = "Permintaan tidak dapat dibaca. Silakan muat ulang halaman lalu coba lagi."
MSG_BUSY = "Mohon maaf, layanan sedang sibuk. Silakan coba lagi dalam beberapa saat."
MSG_TOO_FAST = "Bapak/Ibu mengirim pesan terlalu cepat. Mohon tunggu sebentar, lalu coba lagi."
MSG_SESSION = "Sesi percakapan tidak dikenali atau sudah berakhir. Silakan mulai percakapan baru."

sender_limiter = SlidingWindowLimiter(limit=20, window=60.0)  # messages per conversation
ip_limiter = SlidingWindowLimiter(limit=120, window=60.0)  # messages per address (an office NAT is shared)
session_limiter = SlidingWindowLimiter(limit=30, window=60.0)  # new conversations per address
poll_limiter = SlidingWindowLimiter(limit=60, window=60.0)  # update checks per conversation (one per 3 s is 20)
poll_ip_limiter = SlidingWindowLimiter(limit=600, window=60.0)
LIMITERS = (sender_limiter, ip_limiter, session_limiter, poll_limiter, poll_ip_limiter)


def office_name() -> str | None:
    """The office's name from the office profile, or None when the profile cannot be read."""
    try:
        return load_profile().name
    except ProfileError:
        log.warning("office profile could not be loaded; using the generic title", exc_info=True)
        return None


def _json(data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    response = JSONResponse(data, status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return _json({"error": message}, status, headers)


def _too_fast(limiter: SlidingWindowLimiter, key: str) -> JSONResponse:
    return _error(429, MSG_TOO_FAST, {"Retry-After": str(limiter.retry_after(key))})


def _admit(request: Request, per_conversation: SlidingWindowLimiter,
           per_address: SlidingWindowLimiter) -> str | Response:
    """The conversation of the request's token, or the refusal to answer with:
    401 without a valid token, 429 when the conversation or the address is over its limit."""
    conversation = conversation_of(request)
    if conversation is None:
        return _error(401, MSG_SESSION)
    if not per_conversation.hit(conversation):
        return _too_fast(per_conversation, conversation)
    ip = client_ip(request) or "-"
    if not per_address.hit(ip):
        return _too_fast(per_address, ip)
    return conversation


@router.get("/")
def webchat_page(request: Request) -> Response:
    """The public chat page (no sign-in): the widget, open and filling the page."""
    name = office_name()
    response = render(request, "webchat.html", {"title": GENERIC_TITLE, "office_name": name})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/widget.js")
def widget_script() -> Response:
    """The embeddable widget (one script tag on the office website). Cached briefly, so a fix
    reaches every visitor within minutes."""
    return FileResponse(WIDGET_JS, media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300",
                                 "Cross-Origin-Resource-Policy": "cross-origin"})


@router.post("/chat/session")
async def chat_session(request: Request) -> Response:
    """A token for a new conversation, or, when a valid token is sent, a fresh token for the same
    conversation (so a regular visitor's 30 days start again)."""
    conversation = conversation_of(request)
    if conversation is None:
        key = client_ip(request) or "-"
        if not session_limiter.hit(key):
            return _too_fast(session_limiter, key)
        conversation = str(uuid.uuid4())
    return _json({"token": issue_token(request.app.state.secret_key, conversation)})


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
        return clean_messages(reply.json())
    except ValueError:
        log.warning("Rasa REST channel answered with non-JSON")
        return None


def _cursor(value: Any) -> int | None:
    """A transcript cursor from the client: a whole number from 0 to MAX_CURSOR, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit() and len(value) <= 9:
        value = int(value)
    if isinstance(value, int) and 0 <= value <= MAX_CURSOR:
        return value
    return None


@router.post("/chat/send")
async def chat_send(request: Request) -> Response:
    """Relay one citizen message to the assistant. Answers with the transcript items after the
    client's cursor (its own message, the replies, and anything pushed meanwhile), or, when the
    tracker cannot be read, with the REST channel's replies (items without ids, cursor unchanged)."""
    if not request.headers.get("content-type", "").lower().startswith("application/json"):
        return _error(415, MSG_BAD)
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurdly deep nesting (was a 500)
        return _error(400, MSG_BAD)
    if not isinstance(body, dict) or not isinstance(body.get("message", ""), str):
        return _error(400, MSG_BAD)
    after = _cursor(body.get("after", 0))
    if after is None:
        return _error(400, MSG_BAD)
    message = body.get("message", "").strip()
    if not message:
        return _error(400, MSG_EMPTY)
    if len(message) > MAX_MESSAGE:
        return _error(400, MSG_TOO_LONG)
    conversation = _admit(request, sender_limiter, ip_limiter)
    if isinstance(conversation, Response):
        return conversation
    sender = SENDER_PREFIX + conversation
    replies = await forward_to_rasa(sender, message)
    if replies is None:
        return _error(503, MSG_BUSY)
    try:
        items, cursor, _ = items_after(await fetch_events(sender), after)
    except TrackerUnavailable as exc:
        log.warning("web chat: %s; answering with the REST replies only", exc)
        return _json({"messages": [{"kind": "bot", **m} for m in replies], "cursor": after})
    return _json({"messages": items, "cursor": cursor})


@router.get("/chat/updates")
async def chat_updates(request: Request, after: str = "0") -> Response:
    """The transcript items after the cursor: new replies and pushed messages (polled by the
    widget), or the whole history with after=0 (a reload after the browser's copy was cleared)."""
    cursor = _cursor(after)
    if cursor is None:
        return _error(400, MSG_BAD)
    conversation = _admit(request, poll_limiter, poll_ip_limiter)
    if isinstance(conversation, Response):
        return conversation
    try:
        items, new_cursor, reset = items_after(await fetch_events(SENDER_PREFIX + conversation), cursor)
    except TrackerUnavailable as exc:
        log.warning("web chat updates: %s", exc)
        return _error(503, MSG_BUSY)
    return _json({"messages": items, "cursor": new_cursor, "reset": reset})
