"""The consent step inside the forms (actions/consent.py) with a real database: the validation action as Rasa
calls it (extraction, validation, next requested slot), the shared question and the withdrawal."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.booking as ab
import actions.complaints as ac
import actions.consent as acs
import actions.handoff as ah
import office.models  # noqa: F401
from office import consent
from office.db import Base, get_engine, session_scope
from office.profile import load_profile

SENDER = "web:consent-1"
BOOKING_SLOTS = ["booking_service", "booking_date", "booking_time", "data_consent", "booking_name", "booking_phone",
                 "booking_confirm"]
DOMAIN = {"forms": {"booking_form": {"required_slots": BOOKING_SLOTS}},
          "slots": {name: {"type": "text", "mappings": [{"type": "custom"}]} for name in BOOKING_SLOTS}}
FILLED = {"booking_service": "ITK", "booking_date": "2026-03-17", "booking_time": "10:00"}


@pytest.fixture()
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("OFFICE_NOW", "2026-03-16T09:30:00")
    Base.metadata.create_all(get_engine(url))
    return url


def tracker(slots: dict[str, Any], text: str = "", events: list[dict] | None = None, lang: str = "id",
            intent: str = "inform") -> Tracker:
    # Rasa hands the validation a tracker whose latest action is the form itself
    return Tracker(SENDER, {"language": lang, **slots}, {"text": text, "intent": {"name": intent, "confidence": 0.9},
                                                          "entities": []},
                   list(events or []), False, None, {"name": "booking_form"}, "booking_form")


def run(action: Any, t: Tracker) -> tuple[dict[str, Any], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, DOMAIN))
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}, dispatcher


def said(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def test_each_form_declares_its_purpose() -> None:
    assert acs.purpose_of_form("booking_form") == "booking"
    assert acs.purpose_of_form("complaint_form") == "complaint"
    assert acs.purpose_of_form("handoff_form") == "handoff"
    assert acs.purpose_of_form("reschedule_form") is None  # no personal data asked there
    assert issubclass(ab.ValidateBookingForm, acs.ConsentFormValidation)
    assert issubclass(ac.ValidateComplaintForm, acs.ConsentFormValidation)
    assert issubclass(ah.ValidateHandoffForm, acs.ConsentFormValidation)


def test_agreement_is_recorded_and_the_form_goes_on(db: str) -> None:
    slots, dispatcher = run(ab.ValidateBookingForm(), tracker({**FILLED, "requested_slot": "data_consent"}, "Setuju"))
    assert slots["data_consent"] == "given:booking"
    assert "requested_slot" not in slots  # Rasa asks the next slot (the name) in the domain's order
    assert dispatcher.messages == []
    with session_scope(db) as s:
        assert consent.valid_consent(s, SENDER, "booking", load_profile()) is not None


def test_consent_on_record_fills_the_slot_before_it_is_asked(db: str) -> None:
    with session_scope(db) as s:
        consent.record_consent(s, SENDER, "booking", load_profile())
    slots, _ = run(ab.ValidateBookingForm(), tracker({**FILLED, "requested_slot": "booking_time"}, "10:00"))
    assert slots["data_consent"] == "given:booking"
    # a value left by another form's consent is checked again for this purpose
    with session_scope(db) as s:
        consent.withdraw(s, SENDER)
    slots, _ = run(ab.ValidateBookingForm(), tracker({**FILLED, "data_consent": "given:complaint",
                                                      "requested_slot": "booking_time"}, "10:00"))
    assert slots["data_consent"] is None


def test_pressed_buttons_and_recognised_intents(db: str) -> None:
    slots, _ = run(ab.ValidateBookingForm(), tracker({**FILLED, "requested_slot": "data_consent"}, "/consent_decline",
                                                     intent="consent_decline"))
    assert slots["data_consent"] == acs.REFUSED
    slots, _ = run(ab.ValidateBookingForm(), tracker({**FILLED, "requested_slot": "data_consent"}, "iya boleh deh",
                                                     intent="consent_agree"))
    assert slots["data_consent"] == "given:booking"


def test_refusal_ends_the_form_and_records_nothing(db: str) -> None:
    slots, dispatcher = run(ab.ValidateBookingForm(),
                            tracker({**FILLED, "requested_slot": "data_consent"}, "Tidak setuju"))
    assert slots["data_consent"] == acs.REFUSED and slots["requested_slot"] is None
    assert "tidak ada data dari isian ini yang disimpan" in said(dispatcher)
    with session_scope(db) as s:
        assert consent.consents_of(s, SENDER) == []
    # the submit action after the form: nothing booked, nothing said, slots reset
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ab.ActionBookingSubmit().run(dispatcher, tracker({**FILLED, "data_consent": acs.REFUSED}), {}))
    assert dispatcher.messages == []
    reset = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert reset["data_consent"] is None and reset["booking_service"] is None
    # a refusal left over from an earlier form never ends a new one
    slots, _ = run(ab.ValidateBookingForm(), tracker({"data_consent": acs.REFUSED, "requested_slot": None}, "ITK"))
    assert slots["data_consent"] is None and "requested_slot" not in slots  # Rasa goes on asking as usual


def test_other_answers_ask_again_and_office_messages_are_not_answers(db: str) -> None:
    slots, dispatcher = run(ab.ValidateBookingForm(),
                            tracker({**FILLED, "requested_slot": "data_consent"}, "Budi Santoso"))
    assert slots["data_consent"] is None and dispatcher.messages == []
    slots, _ = run(ab.ValidateBookingForm(), tracker({**FILLED, "requested_slot": "data_consent"},
                                                     "EXTERNAL: EXTERNAL_office_message",
                                                     intent="EXTERNAL_office_message"))
    assert slots.get("data_consent") is None
    with session_scope(db) as s:
        assert consent.consents_of(s, SENDER) == []


def test_the_question_then_the_short_reminder_in_the_citizens_language(db: str) -> None:
    activation = [{"event": "active_loop", "name": "booking_form"}]
    dispatcher = CollectingDispatcher()
    asyncio.run(acs.ActionAskDataConsent().run(dispatcher, tracker(FILLED, events=activation, lang="en"), {}))
    assert "name and mobile number" in said(dispatcher) and "Do you agree?" in said(dispatcher)
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == ["Agree", "Disagree"]
    shown = activation + [{"event": "bot", "text": "...", "data": {"buttons": consent.answer_buttons("id")}}]
    dispatcher = CollectingDispatcher()
    asyncio.run(acs.ActionAskDataConsent().run(dispatcher, tracker(FILLED, events=shown), {}))
    assert said(dispatcher).startswith("Mohon pilih \"Setuju\" atau \"Tidak setuju\"")
    assert "UU 27/2022" not in said(dispatcher)


def test_withdrawal_action(db: str) -> None:
    with session_scope(db) as s:
        consent.record_consent(s, SENDER, "booking", load_profile())
    dispatcher = CollectingDispatcher()
    events = asyncio.run(acs.ActionConsentWithdraw().run(dispatcher, tracker({"data_consent": "given:booking"}), {}))
    assert "booking kunjungan sudah kami tarik" in said(dispatcher)
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/privacy_erase"]
    assert events == [{"event": "slot", "timestamp": None, "name": "data_consent", "value": None}]
    with session_scope(db) as s:
        assert consent.valid_consent(s, SENDER, "booking", load_profile()) is None
