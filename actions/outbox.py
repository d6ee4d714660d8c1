"""Relays a message the office sends first (from the worker's outbox) into the conversation."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


class ActionRelayOfficeMessage(Action):
    def name(self) -> str:
        return "action_relay_office_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if _already_relayed(tracker):
            return []
        text = next(tracker.get_latest_entity_values("office_message"), None)
        kind = next(tracker.get_latest_entity_values("message_kind"), None) or "default"
        if text:
            # message_kind lets a channel pick the right template (WhatsApp outside the 24-hour window).
            dispatcher.utter_message(text=text, message_kind=kind)
        return []


def _already_relayed(tracker: Tracker) -> bool:
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
