"""Greeting (with the privacy notice) and the fallback that never dead-ends."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of, menu_buttons
from office import clock
from office.office_info import fallback_contacts_line
from office.privacy_notice import privacy_notice
from office.profile import load_profile


def _salutation(hour: int, lang: str) -> str:
    """The greeting for the office's local hour; before 04.00 it is still night ("malam"), not morning."""
    if lang == "en":
        if hour < 4:
            return "Good evening"
        return "Good morning" if hour < 12 else "Good afternoon" if hour < 18 else "Good evening"
    if hour < 4:
        return "Selamat malam"
    if hour < 11:
        return "Selamat pagi"
    if hour < 15:
        return "Selamat siang"
    if hour < 18:
        return "Selamat sore"
    return "Selamat malam"


class ActionGreet(Action):
    """Greets in the citizen's language, gives the short privacy notice, shows the menu."""

    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        lang = language_of(tracker)
        profile = load_profile()
        now = clock.now()
        if lang == "en":
            hello = (f"{_salutation(now.hour, lang)}! I am the virtual assistant of {profile.name}. "
                     "I can answer questions about immigration services and help you with bookings and complaints.")
        else:
            text = (tracker.latest_message or {}).get("text", "").lower()
            opener = "Waalaikumsalam warahmatullahi wabarakatuh. " if "assalam" in text else ""
            hello = (f"{opener}{_salutation(now.hour, lang)}, Bapak/Ibu! Saya asisten virtual {profile.name}. "
                     "Saya siap membantu informasi layanan keimigrasian, booking, dan pengaduan.")
        dispatcher.utter_message(text=hello)
        dispatcher.utter_message(text=privacy_notice(profile.name, profile.retention_days, lang))
        dispatcher.utter_message(response="utter_menu")
        return []


class ActionDefaultFallback(Action):
    """When the assistant is unsure: say so, offer the menu and the office's contacts."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        lang = language_of(tracker)
        profile = load_profile()
        if lang == "en":
            text = ("Sorry, I did not quite understand. Could you rephrase it, or choose from the menu below? "
                    + fallback_contacts_line(profile, lang))
        else:
            text = ("Mohon maaf, saya belum memahami maksud Bapak/Ibu. Boleh ditulis dengan kalimat lain, "
                    "atau pilih menu di bawah ini. " + fallback_contacts_line(profile, lang))
        dispatcher.utter_message(text=text, buttons=menu_buttons(lang))
        return []
