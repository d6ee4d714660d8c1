"""Consent before personal data, for every form (office/consent.py holds the rules and the texts).

A form that collects personal data lists the slot `data_consent` before its first personal-data slot and mixes
`ConsentFormValidation` into its validation action (with `consent_purpose`). The mixin fills the slot by
itself when this conversation already agreed to that purpose, takes the citizen's "Setuju" / "Tidak setuju"
when the slot was asked, records the agreement, and ends the form after a refusal (the slot holds REFUSED
until the form's submit action resets it). How another form integrates: /tmp/setup/consent_api.md.

Why a slot of the form rather than a separate step before it: Rasa keeps asking it like any other question,
"batal" and office messages during it work through the forms' existing rules, and the form's own order
decides where the question comes (after the booking's service and date, before the name).
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import office.models  # noqa: F401  (every table mapped before the first query)
from actions.common import language_of, menu_buttons
from office import consent, privacy_messages
from office.db import session_scope
from office.profile import load_profile

CONSENT_SLOT = "data_consent"
REFUSED = "refused"
ASK_ACTION = f"action_ask_{CONSENT_SLOT}"


def given_value(purpose: str) -> str:
    """The slot's value once this conversation's consent to `purpose` is on record."""
    return f"given:{purpose}"


def consent_refused(tracker: Tracker) -> bool:
    """True right after the citizen refused: the form ended and its submit action must store nothing."""
    return tracker.get_slot(CONSENT_SLOT) == REFUSED


def consent_reset_events() -> list[EventType]:
    """For submit and cancel actions: the next form checks the consent again for its own purpose."""
    return [SlotSet(CONSENT_SLOT, None)]


def has_consent(sender_id: str, purpose: str) -> bool:
    with session_scope() as session:
        return consent.valid_consent(session, sender_id, purpose, load_profile()) is not None


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def purpose_of_form(form_name: str | None) -> str | None:
    """The purpose declared by the validation action of `form_name` (validate_<form>)."""
    if not form_name:
        return None
    for cls in _subclasses(ConsentFormValidation):
        purpose = getattr(cls, "consent_purpose", "")
        try:
            name = cls().name()  # type: ignore[call-arg]
        except (TypeError, NotImplementedError):
            continue
        if purpose and name == f"validate_{form_name}":
            return purpose
    return None


class ConsentFormValidation:
    """Mix into a FormValidationAction (first in the bases) and set `consent_purpose`."""

    consent_purpose: str = ""

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)  # type: ignore[misc]
        if consent_refused(tracker):
            return [CONSENT_SLOT]  # every listed slot is filled: the SDK sets requested_slot None, the form ends
        return list(slots)

    async def extract_data_consent(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        value = tracker.get_slot(CONSENT_SLOT)
        given = given_value(self.consent_purpose)
        if value == given:
            return {}
        if has_consent(tracker.sender_id, self.consent_purpose):
            return {CONSENT_SLOT: given}
        intent = str(((tracker.latest_message or {}).get("intent") or {}).get("name") or "")
        # a message the office sent first (EXTERNAL_...) is shown by its rule and is never the citizen's answer
        if tracker.get_slot("requested_slot") == CONSENT_SLOT and not intent.startswith("EXTERNAL_"):
            if intent in (consent.AGREE_INTENT, consent.REFUSE_INTENT):
                return {CONSENT_SLOT: f"/{intent}"}
            text = str((tracker.latest_message or {}).get("text") or "").strip()
            return {CONSENT_SLOT: text or None}
        if value is not None:  # another purpose's consent, or a refusal left from an earlier form
            return {CONSENT_SLOT: None}
        return {}

    async def validate_data_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        given = given_value(self.consent_purpose)
        if value is None or value == given:
            return {CONSENT_SLOT: value}
        lang = language_of(tracker)
        text = str(value)
        answer = consent.parse_answer(text, text[1:] if text.startswith("/") else None)
        if answer == consent.AGREE:
            with session_scope() as session:
                consent.record_consent(session, tracker.sender_id, self.consent_purpose, load_profile(), lang)
            return {CONSENT_SLOT: given}
        if answer == consent.REFUSE:
            dispatcher.utter_message(text=consent.refusal_text(self.consent_purpose, lang), buttons=menu_buttons(lang))
            return {CONSENT_SLOT: REFUSED}
        return {CONSENT_SLOT: None}  # asked again (shortly: see ActionAskDataConsent)


def _asked_in_this_form(tracker: Tracker) -> bool:
    """Whether the notice was already shown since the form started (then only the short question again)."""
    buttons = {b["payload"] for lang in ("id", "en") for b in consent.answer_buttons(lang)}
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") == tracker.active_loop_name:
            return False
        if event.get("event") == "bot":
            shown = (event.get("data") or {}).get("buttons") or []
            if shown and {b.get("payload") for b in shown if isinstance(b, dict)} <= buttons:
                return True
    return False


class ActionAskDataConsent(Action):
    """The notice of the active form's purpose with "Setuju" / "Tidak setuju"; a short reminder when the
    answer was neither."""

    def name(self) -> str:
        return ASK_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        purpose = purpose_of_form(tracker.active_loop_name)
        if purpose is None:  # a form lists data_consent without the mixin: a programming error, say it plainly
            raise consent.ConsentError(f"form {tracker.active_loop_name} has no ConsentFormValidation purpose")
        text = (consent.reask_text(lang) if _asked_in_this_form(tracker)
                else consent.notice_text(purpose, load_profile(), lang))
        dispatcher.utter_message(text=text, buttons=consent.answer_buttons(lang))
        return []


class ActionConsentWithdraw(Action):
    """"tarik persetujuan": every consent of this conversation is withdrawn (withdrawn_at recorded)."""

    def name(self) -> str:
        return "action_consent_withdraw"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        with session_scope() as session:
            withdrawn = consent.withdraw(session, tracker.sender_id)
        buttons = [b for b in privacy_messages.info_buttons(lang) if b["payload"] == "/privacy_erase"] if withdrawn else None
        dispatcher.utter_message(text=consent.withdrawn_text(withdrawn, lang), buttons=buttons)
        return consent_reset_events()
