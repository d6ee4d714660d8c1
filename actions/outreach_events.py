"""Mobile service days and information sessions, citizen side: thin actions over office.outreach.

Schedule questions are read from the text itself (kind, month and place, typo-tolerant), so the NLU only
has to recognise that a schedule is asked. Registration is a form: which event, alone or as a group,
consent (actions/consent.py), the registrant's name, then a birth date (alone) or the member list
(group), a confirmation, and only on "Ya" is anything written. A visit request is a second form.
Every text is in office/outreach/citizen_messages.py.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import office.models  # noqa: F401,I001  (every table mapped before the first query)
from actions.common import language_of, latest_text, menu_buttons
from actions.consent import ConsentFormValidation, consent_refused, consent_reset_events
from office import clock
from office.bilingual import text_for as _t
from office.booking.bookings import clean_name
from office.db import session_scope
from office.outreach import citizen_messages as msg
from office.outreach import registrations as reg
from office.outreach import visit_requests as vr
from office.outreach.event_models import OutreachEvent
from office.outreach.places import match_place_span, same_place
from office.outreach.schedule import (nearest_events, open_for_registration, places_left, read_question,
                                      upcoming_events)

REGISTRATION_SLOTS = ("outreach_event", "outreach_party", "outreach_leader", "outreach_members", "outreach_confirm",
                      "outreach_code")
VISIT_SLOTS = ("visit_organisation", "visit_place", "visit_kecamatan", "visit_headcount", "visit_dates",
               "visit_contact", "visit_confirm", "visit_code")
MAX_EVENT_BUTTONS = 8
YES = {"ya", "iya", "y", "yes", "ok", "oke", "benar", "betul", "setuju", "lanjut", "sudah benar", "ya, benar"}
CHANGE = {"ubah", "ganti", "change", "edit", "koreksi", "salah", "ubah daftar", "change the list"}
GROUP_WORDS = ("rombongan", "group", "kelompok", "grup", "bersama", "ramai", "kolektif", "keluarga")
ALONE_WORDS = ("sendiri", "myself", "alone", "saya saja", "just me", "me", "pribadi", "perorangan", "satu orang")


def _reset(names: tuple[str, ...]) -> list[EventType]:
    return [SlotSet(name, None) for name in names]


def _register_button(event: OutreachEvent, lang: str) -> dict[str, str]:
    return {"title": _t(lang, "Daftar: ", "Register: ") + msg.event_title(event, lang),
            "payload": "/register_outreach" + json.dumps({"outreach_event_id": str(event.id)})}


def _open_events(session, now: dt.datetime) -> list[OutreachEvent]:  # type: ignore[no-untyped-def]
    return [e for e in upcoming_events(session, today=now.date()) if open_for_registration(e, now)]


class ActionOutreachSchedule(Action):
    """"kapan ada layanan keliling di Tumijajar?", "ada jemput bola bulan ini?", "jadwal sosialisasi"."""

    def name(self) -> str:
        return "action_outreach_schedule"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        now = clock.now()
        question = read_question(latest_text(tracker), now.date())
        with session_scope() as session:
            events = upcoming_events(session, kind=question.kind, month=question.month, today=now.date(),
                                     kecamatan=question.place.name if question.place else None)
            if question.unknown_place:
                events = []
            if events:
                text = msg.schedule_found(question, events, lang)
                shown = events[:msg.MAX_LISTED]
            else:
                anything = upcoming_events(session, kind=question.kind, today=now.date())
                if not anything:
                    dispatcher.utter_message(text=msg.nothing_at_all(question, lang),
                                             buttons=[msg.visit_request_button(lang)])
                    return []
                where = question.place.name if question.place else (question.unknown_place or "")
                shown = nearest_events(session, where, question.kind, today=now.date())
                text = msg.nothing_here(question, shown, lang)
            buttons = [_register_button(e, lang) for e in shown if open_for_registration(e, now)]
        buttons.append(msg.visit_request_button(lang))
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


# ------------------------------------------------------------------------------------------------
# registration form
# ------------------------------------------------------------------------------------------------
class ActionOutreachRegisterStart(Action):
    """Opens the registration form (with the event from a schedule button, when there is one), or says
    that nothing is open and offers a visit request."""

    def name(self) -> str:
        return "action_outreach_register_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        now = clock.now()
        events: list[EventType] = _reset(REGISTRATION_SLOTS)
        wanted = next(tracker.get_latest_entity_values("outreach_event_id"), None)
        with session_scope() as session:
            open_events = _open_events(session, now)
            chosen = next((e for e in open_events if str(e.id) == str(wanted)), None) if wanted else None
            if wanted and chosen is None:
                event = session.get(OutreachEvent, int(wanted)) if str(wanted).isdigit() else None
                if event is not None and event.status == "published" and places_left(event) < 1:
                    dispatcher.utter_message(text=msg.refusal_text(
                        reg.RegistrationResult(False, reg.FULL, places_left=0), lang))
                else:
                    dispatcher.utter_message(text=msg.refusal_text(reg.RegistrationResult(False, reg.CLOSED), lang))
        if not open_events:
            dispatcher.utter_message(text=msg.ask_event(lang, any_open=False),
                                     buttons=[msg.visit_request_button(lang)])
            return events
        if chosen is not None:
            events.append(SlotSet("outreach_event", str(chosen.id)))
        return events + [FollowupAction("outreach_registration_form")]


def _event(tracker: Tracker) -> OutreachEvent | None:
    value = str(tracker.get_slot("outreach_event") or "")
    if not value.isdigit():
        return None
    with session_scope() as session:
        return session.get(OutreachEvent, int(value))


def _is_group(tracker: Tracker) -> bool:
    return tracker.get_slot("outreach_party") == "group"


def _members(tracker: Tracker) -> list[tuple[str, dt.date]]:
    try:
        return [(name, dt.date.fromisoformat(day)) for name, day in json.loads(tracker.get_slot("outreach_members"))]
    except (TypeError, ValueError):
        return []


class ActionAskOutreachEvent(Action):
    def name(self) -> str:
        return "action_ask_outreach_event"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        with session_scope() as session:
            open_events = _open_events(session, clock.now())
            buttons = [{"title": f"{msg.event_title(e, lang)} ({places_left(e)})", "payload": str(e.id)}
                       for e in open_events[:MAX_EVENT_BUTTONS]]
        text = msg.ask_event(lang, any_open=bool(open_events))
        if open_events:
            text += _t(lang, " (angka dalam kurung = sisa tempat)", " (number in brackets = places left)")
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionAskOutreachParty(Action):
    def name(self) -> str:
        return "action_ask_outreach_party"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        event = _event(tracker)
        if event is None:
            return [SlotSet("outreach_event", None)]
        dispatcher.utter_message(text=msg.ask_party(event, lang), buttons=msg.party_buttons(lang))
        return []


class ActionAskOutreachLeader(Action):
    def name(self) -> str:
        return "action_ask_outreach_leader"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        dispatcher.utter_message(text=msg.ask_leader(_is_group(tracker), language_of(tracker)))
        return []


class ActionAskOutreachMembers(Action):
    def name(self) -> str:
        return "action_ask_outreach_members"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        event = _event(tracker)
        left = places_left(event) if event else 0
        dispatcher.utter_message(text=msg.ask_members(_is_group(tracker), left, language_of(tracker)))
        return []


class ActionAskOutreachConfirm(Action):
    def name(self) -> str:
        return "action_ask_outreach_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        event = _event(tracker)
        if event is None:
            return [SlotSet("outreach_event", None)]
        dispatcher.utter_message(text=msg.confirm_text(event, tracker.get_slot("outreach_leader") or "",
                                                       _members(tracker), lang),
                                 buttons=msg.confirm_buttons(lang))
        return []


class ValidateOutreachRegistrationForm(ConsentFormValidation, FormValidationAction):
    consent_purpose = "outreach_registration"

    def name(self) -> str:
        return "validate_outreach_registration_form"

    def validate_outreach_event(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        lang = language_of(tracker)
        text = str(value or "").strip()
        now = clock.now()
        with session_scope() as session:
            open_events = _open_events(session, now)
            chosen = next((e for e in open_events if str(e.id) == text), None)
            if chosen is None:  # typed: a kecamatan name picks its only open event
                found = match_place_span(text)
                if found:
                    here = [e for e in open_events if same_place(e.kecamatan, found[0])]
                    chosen = here[0] if len(here) == 1 else None
            if chosen is None:
                event = session.get(OutreachEvent, int(text)) if text.isdigit() else None
                if event is not None and event.status == "published" and places_left(event) < 1:
                    dispatcher.utter_message(text=msg.refusal_text(
                        reg.RegistrationResult(False, reg.FULL, places_left=0), lang))
                else:
                    dispatcher.utter_message(text=_t(lang, "Mohon pilih salah satu kegiatan pada tombol.",
                                                     "Please choose one of the events on the buttons."))
                return {"outreach_event": None}
        return {"outreach_event": str(chosen.id)}

    def validate_outreach_party(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        answer = str(value or "").strip().lower()
        if any(w in answer for w in GROUP_WORDS):
            return {"outreach_party": "group"}
        if any(answer == w or answer.startswith(w) or f" {w}" in f" {answer}" for w in ALONE_WORDS):
            return {"outreach_party": "alone"}
        lang = language_of(tracker)
        dispatcher.utter_message(text=_t(lang, "Mohon pilih \"Sendiri\" atau \"Rombongan\".",
                                         "Please choose \"Myself\" or \"A group\"."),
                                 buttons=msg.party_buttons(lang))
        return {"outreach_party": None}

    def validate_outreach_leader(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        name = clean_name(str(value or ""))
        if name is None:
            lang = language_of(tracker)
            dispatcher.utter_message(text=_t(lang, "Mohon tulis nama lengkap dengan huruf (2-80 karakter, tanpa angka).",
                                             "Please type the full name in letters (2-80 characters, no digits)."))
            return {"outreach_leader": None}
        return {"outreach_leader": name}

    def validate_outreach_members(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        lang = language_of(tracker)
        text = str(value or "")
        today = clock.today()
        if _is_group(tracker):
            members, problems = reg.parse_members(text, today)
            if problems:
                dispatcher.utter_message(text=msg.list_problems_text(problems, lang))
                return {"outreach_members": None}
        else:
            members, problems = reg.parse_members(f"{tracker.get_slot('outreach_leader')}, {text.strip()}", today)
            if problems or len(members) != 1:
                if problems and problems[0].reason in (reg.LINE_FUTURE, reg.LINE_TOO_OLD, reg.LINE_DATE_INVALID,
                                                       reg.LINE_ID_NUMBER):
                    dispatcher.utter_message(text=msg.line_problem_text(problems[0], lang).split(": ", 1)[-1].capitalize())
                else:
                    dispatcher.utter_message(text=msg.birth_date_problem_text(lang))
                return {"outreach_members": None}
        if not members:
            dispatcher.utter_message(text=msg.ask_members(True, 0, lang))
            return {"outreach_members": None}
        event = _event(tracker)
        left = places_left(event) if event else 0
        if len(members) > left:  # said now; register() checks again atomically on "Ya"
            dispatcher.utter_message(text=msg.refusal_text(
                reg.RegistrationResult(False, reg.FULL, places_left=left), lang))
            return {"outreach_members": None}
        return {"outreach_members": json.dumps([[n, d.isoformat()] for n, d in members])}

    def validate_outreach_confirm(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        lang = language_of(tracker)
        answer = str(value or "").strip().lower().strip(".! ")
        if answer in CHANGE or answer.startswith("ubah"):
            return {"outreach_confirm": None, "outreach_members": None}
        if answer not in YES and not answer.startswith(("ya", "yes", "iya")):
            dispatcher.utter_message(text=_t(lang, "Mohon pilih \"Ya\", \"Ubah daftar\", atau \"Batal\".",
                                             "Please choose \"Yes\", \"Change the list\" or \"Cancel\"."),
                                     buttons=msg.confirm_buttons(lang))
            return {"outreach_confirm": None}
        event_id = int(tracker.get_slot("outreach_event"))
        with session_scope() as session:
            result = reg.register(session, event_id, tracker.sender_id, tracker.get_slot("outreach_leader") or "",
                                  _members(tracker), lang)
            code = result.registration.code if result.ok else None
        if result.ok:
            return {"outreach_confirm": "yes", "outreach_code": code}
        dispatcher.utter_message(text=msg.refusal_text(result, lang))
        if result.reason in (reg.PAST, reg.CLOSED, reg.NOT_FOUND) or (result.reason == reg.FULL
                                                                      and result.places_left < 1):
            return {"outreach_confirm": None, "outreach_members": None, "outreach_event": None,
                    "outreach_party": None}
        return {"outreach_confirm": None, "outreach_members": None}


class ActionOutreachRegisterSubmit(Action):
    """After "Ya": the code, who is registered, what to bring and what happens next."""

    def name(self) -> str:
        return "action_outreach_register_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        events = [*_reset(REGISTRATION_SLOTS), *consent_reset_events()]
        if consent_refused(tracker):
            return events
        lang = language_of(tracker)
        code = tracker.get_slot("outreach_code")
        with session_scope() as session:
            registration = reg.find_registration(session, code or "")
            if registration is None:
                dispatcher.utter_message(response="utter_menu")
                return events
            event = session.get(OutreachEvent, registration.event_id)
            count = len(reg.members_of(session, registration.id))
        dispatcher.utter_message(text=msg.registered_text(registration.code, event, count, lang))
        dispatcher.utter_message(text=msg.what_next_text(registration.code, event, lang))
        return events


class ActionOutreachFormCancel(Action):
    """'batal' inside the registration or the visit request form: stop; nothing was written."""

    def name(self) -> str:
        return "action_outreach_form_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        visit = tracker.active_loop_name == "outreach_visit_form"
        dispatcher.utter_message(text=msg.form_cancelled_text(visit, lang), buttons=menu_buttons(lang))
        return [ActiveLoop(None), SlotSet("requested_slot", None), *_reset(REGISTRATION_SLOTS), *_reset(VISIT_SLOTS),
                *consent_reset_events()]


class ActionOutreachRegistrationCancel(Action):
    """"batal pendaftaran JB-4K7Q2": cancels one's own registration; the places are freed."""

    def name(self) -> str:
        return "action_outreach_registration_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        code = reg.find_code(latest_text(tracker))
        if code is None:
            with session_scope() as session:
                mine = reg.registrations_of(session, tracker.sender_id)
                codes = [r.code for r in mine]
            if len(codes) != 1:
                dispatcher.utter_message(text=msg.no_code_text(lang))
                return []
            code = codes[0]
        with session_scope() as session:
            result = reg.cancel_registration(session, code, tracker.sender_id)
            text = msg.cancel_result_text(result, code, lang)
        dispatcher.utter_message(text=text)
        return []


# ------------------------------------------------------------------------------------------------
# visit request form
# ------------------------------------------------------------------------------------------------
class ActionOutreachVisitStart(Action):
    def name(self) -> str:
        return "action_outreach_visit_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        dispatcher.utter_message(text=msg.visit_intro(language_of(tracker)))
        return [*_reset(VISIT_SLOTS), FollowupAction("outreach_visit_form")]


def _ask(slot: str) -> type[Action]:
    class _Ask(Action):
        def name(self) -> str:
            return f"action_ask_{slot}"

        async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
            dispatcher.utter_message(text=msg.visit_question(slot, language_of(tracker)))
            return []

    _Ask.__name__ = f"ActionAsk_{slot}"
    return _Ask


ActionAskVisitOrganisation = _ask("visit_organisation")
ActionAskVisitPlace = _ask("visit_place")
ActionAskVisitHeadcount = _ask("visit_headcount")
ActionAskVisitDates = _ask("visit_dates")
ActionAskVisitContact = _ask("visit_contact")


def _visit_values(tracker: Tracker) -> dict[str, str]:
    return {"organisation": tracker.get_slot("visit_organisation") or "",
            "place": tracker.get_slot("visit_place") or "",
            "headcount": tracker.get_slot("visit_headcount") or "",
            "dates": tracker.get_slot("visit_dates") or "",
            "contact": tracker.get_slot("visit_contact") or ""}


class ActionAskVisitConfirm(Action):
    def name(self) -> str:
        return "action_ask_visit_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        buttons = [{"title": _t(lang, "Ya, kirim", "Yes, send"), "payload": "Ya"},
                   {"title": _t(lang, "Ubah", "Change"), "payload": "Ubah"},
                   {"title": _t(lang, "Batal", "Cancel"), "payload": "Batal"}]
        dispatcher.utter_message(text=msg.visit_confirm_text(_visit_values(tracker), lang), buttons=buttons)
        return []


class ValidateOutreachVisitForm(ConsentFormValidation, FormValidationAction):
    consent_purpose = "visit_request"

    def name(self) -> str:
        return "validate_outreach_visit_form"

    def _check(self, slot: str, check, value: Any, dispatcher: CollectingDispatcher,  # type: ignore[no-untyped-def]
               tracker: Tracker) -> dict[str, Any]:
        try:
            return {slot: check(str(value or ""))}
        except vr.VisitRequestError as exc:
            dispatcher.utter_message(text=msg.visit_problem_text(exc.reason, language_of(tracker)))
            return {slot: None}

    def validate_visit_organisation(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        return self._check("visit_organisation", lambda v: vr.clean_text(v, vr.BAD_ORGANISATION), value,
                           dispatcher, tracker)

    def validate_visit_place(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        result = self._check("visit_place", lambda v: vr.clean_text(v, vr.BAD_PLACE), value, dispatcher, tracker)
        if result["visit_place"]:
            found = match_place_span(result["visit_place"])
            result["visit_kecamatan"] = found[0].name if found else ""
        return result

    def validate_visit_headcount(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        return self._check("visit_headcount", lambda v: str(vr.parse_headcount(v)), value, dispatcher, tracker)

    def validate_visit_dates(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        return self._check("visit_dates", lambda v: vr.parse_preferred_dates(v, clock.today()).text, value,
                           dispatcher, tracker)

    def validate_visit_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        name = clean_name(str(value or ""))
        if name is None:
            dispatcher.utter_message(text=msg.visit_problem_text(vr.BAD_CONTACT, language_of(tracker)))
        return {"visit_contact": name}

    def validate_visit_confirm(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        lang = language_of(tracker)
        answer = str(value or "").strip().lower().strip(".! ")
        if answer in CHANGE or answer.startswith("ubah"):
            return {"visit_confirm": None, "visit_organisation": None, "visit_place": None, "visit_headcount": None,
                    "visit_dates": None, "visit_contact": None}
        if answer not in YES and not answer.startswith(("ya", "yes", "iya")):
            dispatcher.utter_message(text=_t(lang, "Mohon pilih \"Ya\", \"Ubah\", atau \"Batal\".",
                                             "Please choose \"Yes\", \"Change\" or \"Cancel\"."))
            return {"visit_confirm": None}
        values = _visit_values(tracker)
        try:
            with session_scope() as session:
                request = vr.submit_visit_request(session, tracker.sender_id, lang, values["organisation"],
                                                  values["contact"], values["place"],
                                                  tracker.get_slot("visit_kecamatan") or "", values["headcount"],
                                                  values["dates"])
                code = request.code
        except vr.VisitRequestError as exc:  # e.g. a preferred date passed while the form was open
            dispatcher.utter_message(text=msg.visit_problem_text(exc.reason, lang))
            return {"visit_confirm": None, "visit_dates": None}
        return {"visit_confirm": "yes", "visit_code": code}


class ActionOutreachVisitSubmit(Action):
    def name(self) -> str:
        return "action_outreach_visit_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        events = [*_reset(VISIT_SLOTS), *consent_reset_events()]
        if consent_refused(tracker):
            return events
        lang = language_of(tracker)
        code = tracker.get_slot("visit_code")
        with session_scope() as session:
            request = next((r for r in vr.visit_requests_of(session, tracker.sender_id) if r.code == code), None)
            text = msg.visit_done_text(request, lang) if request else None
        if text is None:
            dispatcher.utter_message(response="utter_menu")
            return events
        dispatcher.utter_message(text=text, buttons=menu_buttons(lang))
        return events
