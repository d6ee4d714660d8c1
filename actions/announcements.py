"""Opting in and out of the office's announcements (issue 9). Thin: office/outreach/subscriptions.py
holds the rules and the texts."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

import office.models  # noqa: F401  (every table mapped before the first query)
from actions.common import language_of
from office.db import session_scope
from office.outreach import subscriptions


class ActionSubscribeUpdates(Action):
    """"langganan info": record consent for this conversation and say how to stop."""

    def name(self) -> str:
        return "action_subscribe_updates"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = language_of(tracker)
        with session_scope() as session:
            change = subscriptions.subscribe(session, tracker.sender_id, lang)
            text = subscriptions.subscribed_text(change, lang)
        dispatcher.utter_message(text=text)
        return []


class ActionUnsubscribeUpdates(Action):
    """"berhenti langganan": withdraw consent (a non-subscriber is told politely; nothing changes)."""

    def name(self) -> str:
        return "action_unsubscribe_updates"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = language_of(tracker)
        with session_scope() as session:
            change = subscriptions.unsubscribe(session, tracker.sender_id)
        dispatcher.utter_message(text=subscriptions.unsubscribed_text(change, lang))
        return []


class ActionCancelOutsideForm(Action):
    """"batal" / "berhenti" with no form open: "cancelled" and the menu, as before; but a bare stop word
    ("berhenti", "STOP") from a subscriber is the opt-out people know from broadcasts, so it unsubscribes."""

    def name(self) -> str:
        return "action_cancel_outside_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        if subscriptions.is_stop_word(text):
            with session_scope() as session:
                change = subscriptions.unsubscribe(session, tracker.sender_id)
            if change.changed:
                dispatcher.utter_message(text=subscriptions.unsubscribed_text(change, language_of(tracker)))
                return []
        dispatcher.utter_message(response="utter_cancelled")
        dispatcher.utter_message(response="utter_menu")
        return []
