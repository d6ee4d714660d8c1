"""Runs bot/tracker_store.py inside Rasa's Python 3.10 environment for tests/integration/test_tracker_masking.py.

    .venv-rasa/bin/python tests/integration/tracker_store_probe.py <sqlite url>

Saves one conversation in three steps (a turn that gives a phone number, a turn that keeps it, a turn that
resets it) and prints, as one JSON line, the stored rows after each step and the slot values read back.
"""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bot.tracker_store import MaskingSQLTrackerStore  # noqa: E402

DOMAIN = Domain.from_dict({
    "slots": {name: {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]}
              for name in ("booking_phone", "complaint_description", "booking_name", "ticket_code")},
    "forms": {"booking_form": {"required_slots": ["booking_phone", "complaint_description", "booking_name"]}},
})
SENDER = "rest:probe"


def rows(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = [r[0] for r in conn.execute(text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"),
                                            {"s": SENDER})]
    engine.dispose()
    return found


async def main(url: str) -> dict:
    store = MaskingSQLTrackerStore(domain=DOMAIN, host=url)
    report: dict = {}
    tracker = await store.get_or_create_tracker(SENDER)
    tracker.update(UserUttered("NIK saya 1801012345670001, paspor A1234567, HP 0812-3456-7890",
                               parse_data={"text": "NIK saya 1801012345670001, paspor A1234567, HP 0812-3456-7890",
                                           "intent": {"name": "inform", "confidence": 1.0},
                                           "entities": [{"entity": "x", "value": "0812-3456-7890"}]}))
    tracker.update(ActionExecuted("booking_form"))
    tracker.update(ActiveLoop("booking_form"))
    tracker.update(SlotSet("ticket_code", "0812-3456-7890"))  # an entity the NLU took from the number: not needed
    tracker.update(SlotSet("booking_phone", "+6281234567890"))
    tracker.update(SlotSet("complaint_description", "NIK 1801012345670001, telepon 081298765432"))
    tracker.update(BotUttered("Nomor HP: +6281234567890. Sudah benar?"))
    tracker.update(BotUttered("Ombudsman RI: WhatsApp 0821-3737-3737."))  # the office's published contact
    tracker.update(ActionExecuted("action_privacy_export"))
    tracker.update(BotUttered("Salinan data Bapak/Ibu: Siti Aminah, +6289900001111"))
    await store.save(tracker)
    report["after_phone"] = rows(url)
    again = await store.retrieve(SENDER)
    report["slots_read_back"] = {name: again.get_slot(name) for name in ("booking_phone", "complaint_description")}
    again.update(UserUttered("Ya", parse_data={"text": "Ya", "intent": {"name": "affirm", "confidence": 1.0}}))
    again.update(SlotSet("booking_name", "Budi"))
    await store.save(again)
    report["after_confirm"] = rows(url)
    third = await store.retrieve(SENDER)
    report["phone_at_confirm"] = third.get_slot("booking_phone")
    third.update(ActiveLoop(None))
    third.update(SlotSet("booking_phone", None))
    third.update(SlotSet("complaint_description", None))
    await store.save(third)
    report["after_reset"] = rows(url)
    return report


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1]))))
