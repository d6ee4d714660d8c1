"""The one apology a citizen gets when part of the system is down (database, action server).

Why one text: the action server says it when the office database is unreachable
(actions/database_outage.py) and the Rasa server says it when the action server or the tracker store
is unreachable (channels/outage.py). The citizen cannot tell these apart and need not: in each case
nothing was done with the message and sending it again later works. Pure standard library, because
the Rasa environment (Python 3.10) imports it too.
"""
from __future__ import annotations

from office.bilingual import text_for
from office.language import detect_language

UNAVAILABLE_TEXT = {
    "id": "Mohon maaf, sistem sedang mengalami gangguan sehingga permintaan Bapak/Ibu belum dapat kami proses. "
          "Silakan kirim ulang pesan Bapak/Ibu beberapa menit lagi.",
    "en": "We are sorry, our system is having a problem and could not process your request. "
          "Please send your message again in a few minutes.",
}


def unavailable_text(lang: str | None) -> str:
    """The apology in the citizen's language (Indonesian unless `lang` is "en")."""
    return text_for(lang or "id", UNAVAILABLE_TEXT["id"], UNAVAILABLE_TEXT["en"])


def language_hint(slot_value: object, text: str) -> str:
    """The conversation's language: its `language` slot when known, else what the message itself suggests."""
    if slot_value in ("id", "en"):
        return str(slot_value)
    return detect_language(text or "") or "id"
