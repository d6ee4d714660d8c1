"""The opt-in / opt-out actions with a real database: what the citizen reads, in Indonesian and
English, and that "batal" outside a form never unsubscribes while a bare "berhenti" does."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.announcements as aa
import office.models  # noqa: F401
from office.db import Base, get_engine, session_scope
from office.outreach import subscriptions as subs

SENDER = "telegram:4242"


@pytest.fixture(autouse=True)
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    Base.metadata.create_all(get_engine(url))
    return url


def tracker(text: str, lang: str = "id") -> Tracker:
    return Tracker(SENDER, {"language": lang}, {"text": text, "intent": {"name": "x", "confidence": 0.9},
                                                "entities": []}, [], False, None, {}, "action_listen")


def run(action: Any, t: Tracker) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, t, {})
    if asyncio.iscoroutine(result):  # actions/database_outage.py wraps every run
        asyncio.run(result)
    return dispatcher


def said(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def subscribed() -> bool:
    with session_scope() as s:
        return subs.is_subscribed(s, SENDER)


def test_subscribe_and_unsubscribe_in_english() -> None:
    assert "you are now subscribed" in said(run(aa.ActionSubscribeUpdates(), tracker("subscribe", "en"))).lower()
    assert "already subscribed" in said(run(aa.ActionSubscribeUpdates(), tracker("subscribe", "en")))
    assert "unsubscribed" in said(run(aa.ActionUnsubscribeUpdates(), tracker("unsubscribe", "en")))
    assert "not subscribed" in said(run(aa.ActionUnsubscribeUpdates(), tracker("unsubscribe", "en")))


def test_batal_outside_a_form_only_cancels() -> None:
    run(aa.ActionSubscribeUpdates(), tracker("langganan info"))
    dispatcher = run(aa.ActionCancelOutsideForm(), tracker("batal"))
    assert [m.get("response") for m in dispatcher.messages] == ["utter_cancelled", "utter_menu"]
    assert subscribed()


def test_berhenti_outside_a_form_unsubscribes_a_subscriber() -> None:
    run(aa.ActionSubscribeUpdates(), tracker("langganan info"))
    dispatcher = run(aa.ActionCancelOutsideForm(), tracker("Berhenti"))
    assert "sudah berhenti berlangganan" in said(dispatcher) and not subscribed()
    dispatcher = run(aa.ActionCancelOutsideForm(), tracker("berhenti"))  # now a non-subscriber: the usual cancel
    assert [m.get("response") for m in dispatcher.messages] == ["utter_cancelled", "utter_menu"]
