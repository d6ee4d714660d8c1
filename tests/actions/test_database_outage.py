"""The office database unreachable (PostgreSQL restarting): a booking step answers with a polite
apology instead of nothing, a real bug still raises, and the next message after it is back works."""
from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.booking as ab
from actions.database_outage import DB_DOWN_TEXT
from office.db import Base, get_engine


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once closed


def _run(action, text: str, lang: str = "id") -> str:
    dispatcher = CollectingDispatcher()
    tracker = Tracker("telegram:42", {"language": lang}, {"text": text, "intent": {"name": "booking_check"},
                      "entities": []}, [], False, None, {}, "action_listen")
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    assert events == []
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def test_booking_check_apologises_while_the_database_is_down_and_recovers(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFICE_NOW", "2026-03-16T09:30:00")
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{_closed_port()}/office")
    answer = _run(ab.ActionBookingCheck(), "cek booking ABC234")
    assert answer == DB_DOWN_TEXT["id"] and answer.startswith("Mohon maaf, sistem sedang mengalami gangguan")
    assert _run(ab.ActionBookingCheck(), "check booking ABC234", "en") == DB_DOWN_TEXT["en"]
    url = f"sqlite:///{tmp_path / 'office.db'}"  # the database is reachable again
    monkeypatch.setenv("DATABASE_URL", url)
    import office.models  # noqa: F401

    Base.metadata.create_all(get_engine(url))
    assert "Mohon maaf, sistem" not in _run(ab.ActionBookingCheck(), "cek booking ABC234")


def test_a_programming_error_is_not_hidden_as_an_outage(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args, **_kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(ab.bk, "find_booking", broken)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(ValueError):
        _run(ab.ActionBookingCheck(), "cek booking ABC234")


def test_a_missing_table_is_a_bug_not_an_outage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite reports a schema mistake (a migration not applied) as OperationalError as well: it must surface,
    not be answered as if the database were down."""
    from sqlalchemy.exc import OperationalError

    monkeypatch.setenv("OFFICE_NOW", "2026-03-16T09:30:00")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")  # reachable, but no tables
    with pytest.raises(OperationalError, match="no such table"):
        _run(ab.ActionBookingCheck(), "cek booking ABC234")


def test_every_action_and_form_validation_is_guarded() -> None:
    from rasa_sdk import Action
    from rasa_sdk.utils import all_subclasses

    import actions.complaints  # noqa: F401  (load every module like rasa_sdk does)
    import actions.handoff, actions.knowledge, actions.survey, actions.basics, actions.office_info  # noqa: E401,F401

    ours = [cls for cls in all_subclasses(Action) if cls.__module__.startswith("actions.")]
    assert len(ours) > 20
    unguarded = [cls.__name__ for cls in ours if not getattr(cls.run, "_database_outage_guard", False)]
    assert not unguarded
