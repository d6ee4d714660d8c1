"""Talking to an officer: the queue during office hours, silence while an officer chats, and the
way back to the assistant. Outside office hours: when officers are back, and a complaint instead."""
from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import language_of, menu_buttons
from actions.consent import ConsentFormValidation, consent_refused, consent_reset_events, given_value, has_consent
from office import clock, handoff
from office.dates import format_date
from office.db import session_scope
from office.holidays import office_calendar


def closed_hours_text(now: dt.datetime, lang: str) -> str:
    """'Officers are back on <day> <time> WIB' from the office calendar (holidays included)."""
    nxt = office_calendar().next_opening(now)
    when = f"{format_date(nxt.date(), lang)} {nxt:%H.%M} WIB"
    if lang == "en":
        return (f"Our officers are not on duty right now. They are back on {when}. Meanwhile you can file a "
                "complaint here and it will be followed up, or ask me your question.")
    return (f"Saat ini di luar jam layanan petugas. Petugas kembali melayani pada {when}. Sementara itu Bapak/Ibu "
            "dapat menyampaikan pengaduan di sini agar ditindaklanjuti, atau bertanya kepada asisten virtual.")


def join_queue(dispatcher: CollectingDispatcher, tracker: Tracker, lang: str, now: dt.datetime) -> None:
    """Open (or find) the live session and tell the citizen their place: only once consent is on record."""
    with session_scope() as session:
        live = handoff.request_officer(session, tracker.sender_id, lang, now)
        position = handoff.queue_position(session, live)
    minutes = handoff.timeout_minutes()
    if lang == "en":
        text = (f"You are now in the queue for an officer (number {position}). Please write your question; the "
                f"officer will read it and reply here. Type \"cancel\" to stop waiting. If nobody writes for "
                f"{minutes} minutes the session ends.")
    else:
        text = (f"Bapak/Ibu sudah masuk antrean petugas (urutan {position}). Silakan tuliskan keperluan Bapak/Ibu; "
                f"petugas akan membacanya dan membalas di sini. Ketik \"batal\" untuk berhenti menunggu. Bila "
                f"tidak ada pesan selama {minutes} menit, sesi berakhir.")
    dispatcher.utter_message(text=text)


class ActionRequestOfficer(Action):
    """During office hours: join the live queue and hand over to handoff_form (bot silent). Without consent on
    record the form asks it first (data_consent) and joins the queue only after "Setuju"."""

    def name(self) -> str:
        return "action_request_officer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        now = clock.now()
        if not office_calendar().is_open_at(now):
            buttons = [{"title": "File a complaint" if lang == "en" else "Sampaikan pengaduan",
                        "payload": "/start_complaint"}] + menu_buttons(lang)[:1]
            dispatcher.utter_message(text=closed_hours_text(now, lang), buttons=buttons)
            return [SlotSet("handoff_active", False)]
        if has_consent(tracker.sender_id, "handoff"):
            join_queue(dispatcher, tracker, lang, now)
        return [SlotSet("handoff_active", True), FollowupAction("handoff_form")]


class ValidateHandoffForm(ConsentFormValidation, FormValidationAction):
    """Every citizen message goes to the officer; the form keeps asking silently."""

    consent_purpose = "handoff"

    def name(self) -> str:
        return "validate_handoff_form"

    async def validate_data_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        """"Setuju" just now: join the queue (when consent was already on record, the request did)."""
        result = await super().validate_data_consent(value, dispatcher, tracker, domain)
        if value != given_value(self.consent_purpose) and result.get("data_consent") == given_value(self.consent_purpose):
            join_queue(dispatcher, tracker, language_of(tracker), clock.now())
        return result

    def validate_handoff_message(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        text = str(value or "")
        with session_scope() as session:
            live = handoff.citizen_message(session, tracker.sender_id, text)
        if live is None:  # handed back or timed out before the relay reached us: end now
            return {"handoff_message": "ended", "requested_slot": None}
        return {"handoff_message": None}


class ActionAskHandoffMessage(Action):
    """Says nothing while an officer is in charge; ends the form once the session is closed."""

    def name(self) -> str:
        return "action_ask_handoff_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        with session_scope() as session:
            still_open = handoff.open_session_for(session, tracker.sender_id) is not None
        return [] if still_open else [SlotSet("requested_slot", None)]


class ActionHandoffFinished(Action):
    """Back to the assistant. The relayed end message already told the citizen; otherwise say it."""

    def name(self) -> str:
        return "action_handoff_finished"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        if consent_refused(tracker):  # no session was opened; the refusal was explained
            return [SlotSet("handoff_active", False), SlotSet("handoff_message", None), *consent_reset_events()]
        kind = next(tracker.get_latest_entity_values("message_kind"), None)
        if kind != handoff.END_KIND:
            dispatcher.utter_message(text="The session with our officer has ended; the virtual assistant is back."
                                     if lang == "en" else
                                     "Sesi dengan petugas telah berakhir; asisten virtual kembali melayani Bapak/Ibu.",
                                     buttons=menu_buttons(lang))
        return [SlotSet("handoff_active", False), SlotSet("handoff_message", None)]


class ActionHandoffCancel(Action):
    """The citizen stops waiting or ends the chat with the officer."""

    def name(self) -> str:
        return "action_handoff_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        with session_scope() as session:
            handoff.citizen_ends(session, tracker.sender_id)
        dispatcher.utter_message(text="All right, the session with the officer is closed." if lang == "en" else
                                 "Baik, sesi dengan petugas ditutup.", buttons=menu_buttons(lang))
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("handoff_active", False),
                SlotSet("handoff_message", None), *consent_reset_events()]
