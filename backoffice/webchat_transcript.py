"""The web chat's transcript, read from the conversation's Rasa tracker.

Why the tracker: every message of a conversation ends up there, both the replies to the citizen's
own messages and those the worker pushes later (officer replies, reminders, queue alerts, sent with
Rasa's trigger_intent). Reading it through Rasa's HTTP API (with RASA_TOKEN) gives the widget one
source for a restored history and for new messages, without a second store to keep in step and
without Rasa's Socket.IO channel (which loses replies with session persistence on
python-socketio >= 5.10).

Items are numbered by the event's position in the full tracker (events are only ever appended), so
`after=<n>` is an exact cursor: two events with the same timestamp cannot be skipped or repeated.
"""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

from office.settings import get_settings

log = logging.getLogger(__name__)

RASA_TIMEOUT = 30.0
MAX_ITEMS = 200  # at most this many items per answer (the newest); a restored history is long enough
EXTERNAL_PREFIX = "EXTERNAL"  # trigger_intent's user events ("EXTERNAL: EXTERNAL_office_message")


def clean_message(item: Any) -> dict[str, Any]:
    """Only what the widget renders (text, buttons, image), with the right types; {} for nothing.
    Images must be http(s) or site-relative addresses (no `javascript:` or protocol-relative)."""
    if not isinstance(item, dict):
        return {}
    message: dict[str, Any] = {}
    text = item.get("text")
    if isinstance(text, str) and text:
        message["text"] = text
    image = item.get("image")
    if (isinstance(image, str) and image.startswith(("https://", "http://", "/"))
            and not image.startswith("//")):
        message["image"] = image
    buttons = []
    for b in item.get("buttons") or []:
        if isinstance(b, dict) and isinstance(b.get("title"), str):
            payload = b.get("payload")
            buttons.append({"title": b["title"], "payload": payload if isinstance(payload, str) else b["title"]})
    if buttons:
        message["buttons"] = buttons
    return message


def clean_messages(data: Any) -> list[dict[str, Any]]:
    """`clean_message` over a list, dropping what is empty or malformed."""
    if not isinstance(data, list):
        return []
    return [m for m in (clean_message(item) for item in data) if m]


def _is_external(event: dict[str, Any]) -> bool:
    text = event.get("text")
    intent = (event.get("parse_data") or {}).get("intent") or {}
    name = intent.get("name") if isinstance(intent, dict) else None
    return (isinstance(text, str) and text.startswith(EXTERNAL_PREFIX)) or (
        isinstance(name, str) and name.startswith(EXTERNAL_PREFIX))


def transcript_items(events: list[Any]) -> list[dict[str, Any]]:
    """What the citizen saw, in order: `{"id", "kind": "user"|"bot", "text", "buttons", "image"}`.
    A button's payload sent by the widget is shown with the button's title, as it was clicked (any
    button offered earlier in the conversation: a menu stays usable after the citizen typed something);
    trigger_intent's internal user events are left out."""
    items: list[dict[str, Any]] = []
    titles: dict[str, str] = {}  # payload -> title of the buttons offered so far (the latest wins)
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        if kind == "user":
            text = event.get("text")
            if not isinstance(text, str) or not text or _is_external(event):
                continue
            items.append({"id": index + 1, "kind": "user", "text": titles.get(text, text)})
        elif kind == "bot":
            data = event.get("data") if isinstance(event.get("data"), dict) else {}
            message = clean_message({"text": event.get("text"), "image": data.get("image"),
                                     "buttons": data.get("buttons")})
            if message:
                for b in message.get("buttons", []):
                    titles[b["payload"]] = b["title"]
                items.append({"id": index + 1, "kind": "bot", **message})
    return items


class TrackerUnavailable(RuntimeError):
    """Rasa could not be asked for the conversation (down, wrong token, bad answer)."""


async def fetch_events(sender: str) -> list[Any]:
    """Every event of the sender's conversation, via GET /conversations/{id}/tracker?include_events=ALL."""
    settings = get_settings()
    url = f"{settings.rasa_url}/conversations/{quote(sender, safe=':')}/tracker"
    params = {"include_events": "ALL"}
    if settings.rasa_token:
        params["token"] = settings.rasa_token
    try:
        async with httpx.AsyncClient(timeout=RASA_TIMEOUT) as client:
            reply = await client.get(url, params=params)
    except httpx.HTTPError as exc:
        raise TrackerUnavailable(f"Rasa tracker unreachable: {exc}") from exc
    if reply.status_code != 200:
        raise TrackerUnavailable(f"Rasa tracker answered {reply.status_code}")
    try:
        events = reply.json().get("events")
    except (ValueError, AttributeError) as exc:
        raise TrackerUnavailable("Rasa tracker answered with something that is not a tracker") from exc
    return events if isinstance(events, list) else []


def items_after(events: list[Any], after: int) -> tuple[list[dict[str, Any]], int, bool]:
    """The items whose id is above `after` (at most MAX_ITEMS, the newest), the new cursor (the
    number of events read, so the next call starts exactly after them), and whether the client's
    cursor was beyond the conversation (a tracker store emptied or replaced): then every item is
    returned and the widget replaces its copy instead of waiting forever for event `after + 1`."""
    reset = after > len(events)
    start = 0 if reset else after
    fresh = [item for item in transcript_items(events) if item["id"] > start]
    return fresh[-MAX_ITEMS:], len(events), reset
