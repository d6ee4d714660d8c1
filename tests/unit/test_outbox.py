"""Outbox retries and the retention purge, on a real SQLite database."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import office.models  # noqa: F401
from office.db import Base, get_engine, session_scope
from office.outbox import MAX_ATTEMPTS, OutboxMessage, due, enqueue, mark_failed, mark_sent

UTC = dt.timezone.utc


@pytest.fixture()
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    Base.metadata.create_all(get_engine(url))
    return url


def test_due_respects_not_before_and_backoff(db_url: str) -> None:
    now = dt.datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    with session_scope(db_url) as session:
        enqueue(session, "telegram:1", "officer_reply", "Balasan petugas", not_before=now)
        enqueue(session, "telegram:2", "reminder", "Pengingat", not_before=now + dt.timedelta(hours=1))
    with session_scope(db_url) as session:
        ready = due(session, now)
        assert [m.sender_id for m in ready] == ["telegram:1"]
        mark_failed(ready[0], "connection refused", now)
    with session_scope(db_url) as session:
        assert due(session, now) == []
        assert [m.sender_id for m in due(session, now + dt.timedelta(seconds=31))] == ["telegram:1"]


def test_gives_up_after_max_attempts_and_keeps_the_message(db_url: str) -> None:
    now = dt.datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    with session_scope(db_url) as session:
        message = enqueue(session, "web:abc", "officer_reply", "Halo", not_before=now)
        session.flush()
        for _ in range(MAX_ATTEMPTS):
            mark_failed(message, "503", now)
        assert message.status == "failed" and message.attempts == MAX_ATTEMPTS
    with session_scope(db_url) as session:
        assert session.query(OutboxMessage).count() == 1  # never silently dropped


def test_mark_sent(db_url: str) -> None:
    now = dt.datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    with session_scope(db_url) as session:
        message = enqueue(session, "web:abc", "officer_reply", "Halo", not_before=now)
        session.flush()
        mark_sent(message, now)
        assert message.status == "sent" and due(session, now) == []


def test_retention_purge_removes_only_expired(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from worker.retention import purge_expired

    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("TRACKER_STORE_URL", tracker_url)
    engine = create_engine(tracker_url)
    now = dt.datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, timestamp FLOAT)"))
        conn.execute(text("INSERT INTO events (sender_id, timestamp) VALUES ('old', :a), ('new', :b)"),
                     {"a": (now - dt.timedelta(days=400)).timestamp(), "b": (now - dt.timedelta(days=3)).timestamp()})
    with session_scope(db_url) as session:
        old = enqueue(session, "web:old", "reminder", "x", not_before=now - dt.timedelta(days=400))
        old.created_at = now - dt.timedelta(days=400)
        old.status = "sent"
        enqueue(session, "web:new", "reminder", "y", not_before=now)
        pending_old = enqueue(session, "web:pending", "reminder", "z", not_before=now)
        pending_old.created_at = now - dt.timedelta(days=400)
    removed = purge_expired(now)
    assert removed["events"] == 1 and removed["outbox_messages"] == 1
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT sender_id FROM events"))] == ["new"]
    with session_scope(db_url) as session:
        assert sorted(m.sender_id for m in session.query(OutboxMessage)) == ["web:new", "web:pending"]
