"""Office hours, open-on-a-date, address and contacts: answered from the office profile."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of, latest_text
from office import clock
from office.dates import parse_date
from office.office_info import (
    address_answer,
    contact_answer,
    contact_kind_in,
    hours_answer,
    open_on_answer,
)
from office.holidays import office_profile
from office.profile import load_profile


class ActionOfficeHours(Action):
    def name(self) -> str:
        return "action_office_hours"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=hours_answer(office_profile(), clock.now(), language_of(tracker)))
        return []


class ActionOfficeOpenOnDate(Action):
    """'besok buka ga?', 'tgl 23 maret buka?': holiday-aware; asks for a date it cannot read."""

    def name(self) -> str:
        return "action_office_open_on_date"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        lang = language_of(tracker)
        profile = office_profile()  # holidays as edited in the back-office
        now = clock.now()
        parsed = parse_date(latest_text(tracker), now.date(), lang)
        if parsed.date is None:
            if parsed.reason == "invalid":
                text = ("That date does not exist. Please write it like \"25 December\" or \"25/12\"." if lang == "en"
                        else "Tanggal tersebut tidak ada di kalender. Mohon tulis seperti \"25 Desember\" atau \"25/12\".")
                dispatcher.utter_message(text=text)
                return []
            # No date in the message ("buka ga?"): answer for today, with the week's hours.
            dispatcher.utter_message(text=hours_answer(profile, now, lang))
            return []
        dispatcher.utter_message(text=open_on_answer(profile, parsed.date, now.date(), lang))
        return []


class ActionOfficeAddress(Action):
    def name(self) -> str:
        return "action_office_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=address_answer(load_profile(), language_of(tracker)))
        return []


class ActionOfficeContact(Action):
    def name(self) -> str:
        return "action_office_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        kind = contact_kind_in(latest_text(tracker))
        dispatcher.utter_message(text=contact_answer(load_profile(), kind, language_of(tracker)))
        return []
