"""Runs bot/tracker_store.py inside Rasa's Python 3.10 environment for tests/integration/test_tracker_masking.py.

    .venv-rasa/bin/python tests/integration/tracker_store_probe.py <sqlite url>

Saves one conversation in three steps (a turn that gives a phone number, a turn that keeps it, a turn that
resets it) and prints, as one JSON line, the stored rows after each step and the slot values read back.
A second conversation (`two_sessions`) runs over two conversation sessions with a masked rewrite in each: what
`retrieve` reads back of the latest session, `retrieve_full_tracker` of all, and which rows each save added.
With `--schema-check` (PostgreSQL, POSTGRESQL_SCHEMA set to a missing schema) it reports whether a read exits.
"""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet,  # noqa: E402
                                     UserUttered)
from sqlalchemy import create_engine, text  # noqa: E402

from bot.tracker_store import MaskingSQLTrackerStore  # noqa: E402

DOMAIN = Domain.from_dict({
    "slots": {name: {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]}
              for name in ("booking_phone", "complaint_description", "booking_name", "ticket_code")},
    "forms": {"booking_form": {"required_slots": ["booking_phone", "complaint_description", "booking_name"]}},
})
SENDER = "rest:probe"
SESSIONS_SENDER = "rest:probe-sessions"


def rows(url: str, sender: str = SENDER) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = [r[0] for r in conn.execute(text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"),
                                            {"s": sender})]
    engine.dispose()
    return found


def said(text_: str, ts: float) -> UserUttered:
    return UserUttered(text_, parse_data={"text": text_, "intent": {"name": "inform", "confidence": 1.0}},
                       timestamp=ts)


def names(tracker) -> list[list]:  # noqa: ANN001
    """Each event of `tracker` as [type, name or text, timestamp]."""
    return [[e.type_name, getattr(e, "action_name", None) or getattr(e, "text", None) or getattr(e, "key", None)
             or getattr(e, "name", None),
             e.timestamp] for e in tracker.events]


async def two_sessions(store: MaskingSQLTrackerStore, url: str) -> dict:
    """A booking phone given in session 1, a new session, then a phone given and the form cancelled in session 2,
    then one more turn. Timestamps are explicit so the session boundary (the latest `session_started`) is exact."""
    report: dict = {"turns": []}
    turns = [
        [ActionExecuted("action_session_start", timestamp=100), SessionStarted(timestamp=101),
         ActionExecuted("action_listen", timestamp=102), said("HP saya 0812-3456-7890", 103),
         ActionExecuted("booking_form", timestamp=104), ActiveLoop("booking_form", timestamp=105),
         SlotSet("booking_phone", "+6281234567890", timestamp=106),
         BotUttered("Nomor HP: +6281234567890. Sudah benar?", timestamp=107),
         ActionExecuted("action_listen", timestamp=108)],
        [ActionExecuted("action_session_start", timestamp=200), SessionStarted(timestamp=201),
         ActionExecuted("action_listen", timestamp=202), said("halo lagi", 203), BotUttered("Halo", timestamp=204),
         ActionExecuted("action_listen", timestamp=205)],
        [said("HP saya 0813-1111-2222", 210), ActionExecuted("booking_form", timestamp=211),
         ActiveLoop("booking_form", timestamp=212), SlotSet("booking_phone", "+6281311112222", timestamp=213),
         BotUttered("Nomor HP: +6281311112222. Sudah benar?", timestamp=214),
         ActionExecuted("action_listen", timestamp=215)],
        [said("batal", 220), ActiveLoop(None, timestamp=221), SlotSet("booking_phone", None, timestamp=222),
         BotUttered("Dibatalkan.", timestamp=223), ActionExecuted("action_listen", timestamp=224)],
        [said("terima kasih", 230), BotUttered("Sama-sama", timestamp=231),
         ActionExecuted("action_listen", timestamp=232)],
    ]
    for events in turns:
        tracker = await store.retrieve(SESSIONS_SENDER) or store.init_tracker(SESSIONS_SENDER)
        read = names(tracker)
        for event in events:
            tracker.update(event)
        await store.save(tracker)
        report["turns"].append({"read": read, "rows": rows(url, SESSIONS_SENDER)})
    report["latest_session"] = names(await store.retrieve(SESSIONS_SENDER))
    report["full"] = names(await store.retrieve_full_tracker(SESSIONS_SENDER))
    report["saved"] = [[e.type_name, e.timestamp] for events in turns for e in events]
    return report


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
    report["two_sessions"] = await two_sessions(store, url)
    return report


async def schema_check(url: str) -> dict:
    """With POSTGRESQL_SCHEMA naming a schema that does not exist, Rasa's store exits on its first read."""
    store = MaskingSQLTrackerStore(domain=DOMAIN, host=url)
    try:
        await store.retrieve(SENDER)
    except SystemExit as exc:
        return {"exited": exc.code}
    return {"exited": None}


if __name__ == "__main__":
    probe = schema_check if sys.argv[2:] == ["--schema-check"] else main
    print(json.dumps(asyncio.run(probe(sys.argv[1]))))
