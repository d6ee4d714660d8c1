"""Small shared pieces of the actions: the conversation's language, the last text, the menu buttons, and
whether an outbox message was already shown."""
from __future__ import annotations

from rasa_sdk import Tracker



def language_of(tracker: Tracker) -> str:
    """'en' when the citizen writes English, else Indonesian (the default)."""
    return "en" if tracker.get_slot("language") == "en" else "id"


def latest_text(tracker: Tracker) -> str:
    """The citizen's last message text ('' for button payloads)."""
    text = (tracker.latest_message or {}).get("text") or ""
    return "" if text.startswith("/") else text


def menu_buttons(lang: str) -> list[dict[str, str]]:
    """The main menu, the same buttons as the utter_menu response."""
    if lang == "en":
        titles = ["Ask about a procedure", "Booking / queue", "File a complaint", "Check status",
                  "Talk to an officer"]
    else:
        titles = ["Tanya prosedur", "Booking/antrean", "Pengaduan", "Cek status", "Bicara dengan petugas"]
    payloads = ["/menu_ask_procedure", "/start_booking", "/start_complaint", "/check_status", "/request_officer"]
    return [{"title": t, "payload": p} for t, p in zip(titles, payloads)]


def already_delivered(tracker: Tracker) -> bool:
    """True when this outbox message (its `outbox_id` entity) was relayed before in this conversation:
    the worker delivers at least once (a worker that dies after Rasa accepted a message but before
    recording it is retried after its lease), and this makes the citizen see it exactly once."""
    outbox_id = next(tracker.get_latest_entity_values("outbox_id"), None)
    if not outbox_id:
        return False
    seen = 0
    for event in tracker.events:
        if event.get("event") != "user":
            continue
        entities = (event.get("parse_data") or {}).get("entities") or []
        if any(e.get("entity") == "outbox_id" and str(e.get("value")) == str(outbox_id) for e in entities):
            seen += 1
    return seen > 1  # the latest user event is this delivery itself
