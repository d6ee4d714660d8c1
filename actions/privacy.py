"""A citizen's own data: "hapus data saya" / "minta data saya" (UU 27/2022).

Thin: office/privacy_requests.py holds the rules, office/privacy_messages.py the texts. Erasing needs
the confirmation button right after the bot asked (slot privacy_pending = "erase"), so an old button
pressed later, or a stray message, erases nothing.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import office.models  # noqa: F401  (every table mapped before the first query)
from actions.common import language_of
from actions.consent import consent_reset_events
from office import privacy_messages as msg
from office import privacy_requests
from office.db import session_scope
from office.profile import load_profile
from office.retention import days_for

PENDING = "privacy_pending"


class ActionPrivacyInfo(Action):
    """What the office holds about this conversation, with the copy / erase buttons."""

    def name(self) -> str:
        return "action_privacy_info"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = language_of(tracker)
        with session_scope() as session:
            found = privacy_requests.holdings(session, tracker.sender_id)
            text = msg.info_text(found, days_for(load_profile(), "conversations"), lang)
        dispatcher.utter_message(text=text, buttons=msg.info_buttons(lang))
        return [SlotSet(PENDING, None)]


class ActionPrivacyExport(Action):
    def name(self) -> str:
        return "action_privacy_export"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = language_of(tracker)
        with session_scope() as session:
            found = privacy_requests.record_export(session, tracker.sender_id)
            text = msg.export_text(session, found, lang)
        dispatcher.utter_message(text=text)
        return [SlotSet(PENDING, None)]


class ActionPrivacyEraseAsk(Action):
    def name(self) -> str:
        return "action_privacy_erase_ask"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = language_of(tracker)
        with session_scope() as session:
            text = msg.erase_ask_text(privacy_requests.holdings(session, tracker.sender_id), lang)
        dispatcher.utter_message(text=text, buttons=msg.erase_ask_buttons(lang))
        return [SlotSet(PENDING, "erase")]


class ActionPrivacyEraseConfirm(Action):
    def name(self) -> str:
        return "action_privacy_erase_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = language_of(tracker)
        if tracker.get_slot(PENDING) != "erase":
            dispatcher.utter_message(text=msg.not_pending_text(lang))
            return []
        with session_scope() as session:
            result = privacy_requests.erase(session, tracker.sender_id)
            text = msg.erase_done_text(result, lang)
        dispatcher.utter_message(text=text)
        return [SlotSet(PENDING, None), *consent_reset_events()]  # consents are withdrawn: forms ask again


class ActionPrivacyKeep(Action):
    def name(self) -> str:
        return "action_privacy_keep"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text=msg.keep_text(language_of(tracker)))
        return [SlotSet(PENDING, None)]
