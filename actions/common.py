"""Small shared pieces of the actions: the conversation's language, the last text, the menu buttons."""
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
