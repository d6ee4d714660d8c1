"""The foundation's actions, run directly with rasa_sdk trackers and dispatchers."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.basics import ActionDefaultFallback, ActionGreet
from actions.knowledge import ActionAnswerKnowledge
from actions.office_info import ActionOfficeContact, ActionOfficeHours, ActionOfficeOpenOnDate
from actions.outbox import ActionRelayOfficeMessage


def tracker(text: str, *, language: str = "id", intent: str = "greet", entities: list | None = None,
            slots: dict[str, Any] | None = None) -> Tracker:
    return Tracker(
        sender_id="web:test",
        slots={"language": language, **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run(action: Any, t: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, events


@pytest.fixture(autouse=True)
def monday_morning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFICE_NOW", "2026-03-16T09:30:00")


def test_greet_indonesian_with_salam_and_privacy_notice() -> None:
    messages, _ = run(ActionGreet(), tracker("assalamualaikum"))
    assert messages[0]["text"].startswith("Waalaikumsalam warahmatullahi wabarakatuh. Selamat pagi, Bapak/Ibu!")
    assert "UU 27/2022" in messages[1]["text"] and "365 hari" in messages[1]["text"]
    assert messages[2]["response"] == "utter_menu"


def test_greet_english() -> None:
    messages, _ = run(ActionGreet(), tracker("hello", language="en"))
    assert messages[0]["text"].startswith("Good morning! I am the virtual assistant")
    assert "Law 27/2022" in messages[1]["text"]


@pytest.fixture()
def office_db(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database: opening answers read the holidays in force (profile + back-office edits) from it."""
    from tests.backoffice_support import create_schema

    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    create_schema(url)


def test_hours_and_open_on_date(office_db: None) -> None:
    messages, _ = run(ActionOfficeHours(), tracker("jam buka?", intent="ask_office_hours"))
    assert "Senin, 16 Maret 2026" in messages[0]["text"]
    messages, _ = run(ActionOfficeOpenOnDate(), tracker("tgl 23 maret buka?", intent="ask_open_on_date"))
    assert messages[0]["text"].startswith("Tidak, Senin, 23 Maret 2026 kantor tutup karena cuti bersama")
    messages, _ = run(ActionOfficeOpenOnDate(), tracker("tgl 31 februari buka?", intent="ask_open_on_date"))
    assert "tidak ada di kalender" in messages[0]["text"]
    messages, _ = run(ActionOfficeOpenOnDate(), tracker("is the office open tomorrow?", language="en",
                                                        intent="ask_open_on_date"))
    assert messages[0]["text"].startswith("Yes, Tuesday, 17 March 2026 the office is open")


def test_contact_unknown_points_to_website() -> None:
    messages, _ = run(ActionOfficeContact(), tracker("nomor WA kantor?", intent="ask_office_contact"))
    assert "WhatsApp" in messages[0]["text"] and "kotabumi.imigrasi.go.id" in messages[0]["text"]


def test_fallback_offers_menu_buttons() -> None:
    messages, _ = run(ActionDefaultFallback(), tracker("qwerty", intent="nlu_fallback"))
    assert [b["payload"] for b in messages[0]["buttons"]][:2] == ["/menu_ask_procedure", "/start_booking"]
    assert "kotabumi.imigrasi.go.id" in messages[0]["text"]


def test_relay_office_message() -> None:
    t = tracker("", intent="EXTERNAL_office_message",
                entities=[{"entity": "office_message", "value": "Balasan petugas"},
                          {"entity": "message_kind", "value": "officer_reply"}])
    messages, _ = run(ActionRelayOfficeMessage(), t)
    assert messages[0]["text"] == "Balasan petugas" and messages[0]["message_kind"] == "officer_reply"


def test_knowledge_answer_sets_topic_and_declines_honestly(office_env: dict[str, str]) -> None:
    messages, events = run(ActionAnswerKnowledge(), tracker("paspor saya hilang, bagaimana mengurusnya?",
                                                             intent="ask_procedure"))
    assert "Sumber:" in messages[0]["text"]
    assert {"event": "slot", "name": "kb_topic", "value": "paspor-hilang", "timestamp": None} in events
    messages, events = run(ActionAnswerKnowledge(), tracker("berapa biayanya?", intent="ask_procedure",
                                                             slots={"kb_topic": "paspor-hilang"}))
    assert "Rp1.000.000" in messages[0]["text"]
    messages, _ = run(ActionAnswerKnowledge(), tracker("siapa juara liga inggris tahun lalu?", intent="ask_procedure"))
    assert "tidak ingin menebak" in messages[0]["text"] and messages[0]["buttons"]
    from office.db import session_scope
    from office.kb.store import UnansweredQuestion

    with session_scope() as session:
        assert session.query(UnansweredQuestion).filter(
            UnansweredQuestion.text.like("%liga inggris%")).count() == 1


@pytest.mark.parametrize("hour,lang,expected", [
    (1, "id", "Selamat malam"), (4, "id", "Selamat pagi"), (10, "id", "Selamat pagi"), (11, "id", "Selamat siang"),
    (15, "id", "Selamat sore"), (18, "id", "Selamat malam"), (2, "en", "Good evening"), (9, "en", "Good morning"),
    (13, "en", "Good afternoon"), (20, "en", "Good evening"),
])
def test_salutation_follows_the_local_hour(hour: int, lang: str, expected: str) -> None:
    from actions.basics import _salutation

    assert _salutation(hour, lang) == expected
