"""Exercise channels/outage.py inside the Rasa environment (Python 3.10); run by test_channel_outage.py.

    .venv-rasa/bin/python tests/unit/channel_outage_probe.py

Prints one JSON line with what it observed; the test (Python 3.11) judges it.
"""
from __future__ import annotations

import json
import types

import aiohttp
from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered,
                                     UserUtteranceReverted)
from rasa.shared.core.slots import AnySlot, TextSlot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

from channels import outage

SLOTS = [TextSlot(name, mappings=[{}]) for name in ("booking_service", "booking_name", "language")] + \
    [AnySlot("requested_slot", mappings=[{}])]


def form_turn_that_failed() -> list:
    """A booking form at its name question; the citizen answers, the form's validation cannot be reached."""
    return [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
            UserUttered("mau booking", intent={"name": "start_booking", "confidence": 1.0}),
            ActionExecuted("booking_form"), ActiveLoop("booking_form"), SlotSet("requested_slot", "booking_service"),
            BotUttered("Layanan apa?"), ActionExecuted("action_listen"),
            UserUttered("BAP", intent={"name": "inform", "confidence": 1.0}), SlotSet("booking_service", "BAP"),
            ActionExecuted("booking_form"), SlotSet("requested_slot", "booking_name"),
            BotUttered("Atas nama siapa?"), ActionExecuted("action_listen"),
            # the failed turn: extracted, never validated, the form "ran" with no events
            UserUttered("Siti Aminah", intent={"name": "inform", "confidence": 1.0}),
            SlotSet("booking_name", "Siti Aminah"), ActionExecuted("booking_form")]


def state(tracker: DialogueStateTracker) -> dict:
    return {"active_loop": tracker.active_loop.name if tracker.active_loop else None,
            "booking_name": tracker.get_slot("booking_name"), "requested_slot": tracker.get_slot("requested_slot"),
            "latest_action": tracker.latest_action_name,
            "user_texts": [e.text for e in tracker.events if isinstance(e, UserUttered)],
            "bot_texts": [e.text for e in tracker.events if isinstance(e, BotUttered)]}


def connection_failure() -> RasaException:
    try:
        try:
            raise aiohttp.ClientConnectorError(types.SimpleNamespace(ssl=None, host="127.0.0.1", port=5055),
                                               ConnectionRefusedError(111, "Connection refused"))
        except aiohttp.ClientConnectionError:
            raise RasaException("Failed to execute custom action 'x'. Couldn't connect to the server")
    except RasaException as exc:
        return exc


def main() -> None:
    failed = DialogueStateTracker.from_events("web:probe", form_turn_that_failed(), slots=SLOTS)
    processor = types.SimpleNamespace(domain=types.SimpleNamespace(slots=SLOTS))
    undone = outage._undone_turn(processor, failed, "Mohon maaf")
    naive = DialogueStateTracker.from_events("web:probe", form_turn_that_failed() + [UserUtteranceReverted()],
                                             slots=SLOTS)
    outage.install()
    outage.install()  # idempotent
    report = {
        "undone": state(undone),
        "naive_revert": state(naive),
        "connection_failure": outage._is_connection_failure(connection_failure()),
        "action_error": outage._is_connection_failure(RasaException("action server answered 500")),
        "patched": all(getattr(f, "_outage_guard", False) for f in (
            RemoteAction.run, MessageProcessor._run_action, MessageProcessor.run_action_extract_slots,
            MessageProcessor.handle_message, MessageProcessor.trigger_external_user_uttered)),
        "wrapped_once": not getattr(MessageProcessor.handle_message.__wrapped__, "_outage_guard", False),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
