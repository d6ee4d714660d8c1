"""Relays a message the office sends first (from the worker's outbox) into the conversation."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import already_delivered


class ActionRelayOfficeMessage(Action):
    def name(self) -> str:
        return "action_relay_office_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if already_delivered(tracker):
            return []
        text = next(tracker.get_latest_entity_values("office_message"), None)
        kind = next(tracker.get_latest_entity_values("message_kind"), None) or "default"
        if text:
            # message_kind lets a channel pick the right template (WhatsApp outside the 24-hour window).
            dispatcher.utter_message(text=text, message_kind=kind)
        return []
