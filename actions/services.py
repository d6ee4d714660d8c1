"""Entry points of the menu's service items: booking, complaint, status, talking to an officer.

Each answers from the knowledge base and the office profile, so the citizen always leaves with a
concrete next step.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of, menu_buttons
from actions.knowledge import answer_text
from office import clock
from office.kb.search import get_knowledge_base
from office.office_info import contact_answer, hours_answer
from office.profile import load_profile


def _answer_topic(dispatcher: CollectingDispatcher, topic: str, lang: str) -> list[dict[str, Any]]:
    answer = get_knowledge_base().answer_for_topic(topic, lang)
    if answer is None:
        return []
    dispatcher.utter_message(text=answer_text(answer))
    return [SlotSet("kb_topic", answer.topic)]


class ActionBookingEntry(Action):
    """Passport applications are booked in M-Paspor; priority groups walk in."""

    def name(self) -> str:
        return "action_booking_entry"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        lang = language_of(tracker)
        profile = load_profile()
        intro = (f"Passport appointments are booked in the M-Paspor app ({profile.m_paspor_url}). "
                 "Here is how it works:" if lang == "en" else
                 f"Jadwal permohonan paspor dipesan melalui aplikasi M-Paspor ({profile.m_paspor_url}). "
                 "Berikut ketentuannya:")
        dispatcher.utter_message(text=intro)
        events = _answer_topic(dispatcher, "m-paspor", lang)
        events += _answer_topic(dispatcher, "layanan-prioritas", lang)
        return events


class ActionComplaintEntry(Action):
    """Where and how a complaint is handled, from the complaint-channels article."""

    def name(self) -> str:
        return "action_complaint_entry"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        return _answer_topic(dispatcher, "saluran-pengaduan", language_of(tracker))


class ActionCheckStatus(Action):
    """Status of a passport application lives in M-Paspor; the office's contacts for the rest."""

    def name(self) -> str:
        return "action_check_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        lang = language_of(tracker)
        profile = load_profile()
        if lang == "en":
            text = ("Your passport appointment and payment are shown in the M-Paspor app "
                    f"({profile.m_paspor_url}). For a complaint filed through SP4N-LAPOR!, follow it at lapor.go.id "
                    "with its tracking number. For anything else, please contact the office:")
        else:
            text = ("Jadwal dan pembayaran permohonan paspor Bapak/Ibu tercantum di aplikasi M-Paspor "
                    f"({profile.m_paspor_url}). Pengaduan melalui SP4N-LAPOR! dapat dipantau di lapor.go.id dengan "
                    "nomor pelacakannya. Untuk keperluan lain, silakan hubungi kantor:")
        dispatcher.utter_message(text=text)
        dispatcher.utter_message(text=contact_answer(profile, None, lang), buttons=menu_buttons(lang))
        return []


class ActionRequestOfficer(Action):
    """Officers serve at the counters during office hours; outside them, say when they are back."""

    def name(self) -> str:
        return "action_request_officer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        lang = language_of(tracker)
        profile = load_profile()
        now = clock.now()
        if lang == "en":
            lead = ("Our officers serve you in person at the office during service hours, and through the office's "
                    "official contacts.")
        else:
            lead = ("Petugas kami melayani langsung di kantor pada jam layanan, serta melalui kontak resmi kantor.")
        dispatcher.utter_message(text=lead)
        dispatcher.utter_message(text=hours_answer(profile, now, lang))
        dispatcher.utter_message(text=contact_answer(profile, None, lang), buttons=menu_buttons(lang))
        return []
