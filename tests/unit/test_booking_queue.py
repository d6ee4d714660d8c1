"""Queue numbers, counters, wait estimate, near-turn alerts and day-before reminders on SQLite."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

import office.models  # noqa: F401
from office.booking import bookings as bk
from office.booking import queue as q
from office.booking.reminders import send_day_before_reminders
from office.db import Base, get_engine, session_scope
from office.outbox import OutboxMessage
from office.profile import load_profile

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)
CAL = load_profile().calendar


@pytest.fixture()
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    Base.metadata.create_all(get_engine(url))
    return url


def _outbox(db: str, kind: str) -> list[tuple[str, str]]:
    with session_scope(db) as s:
        return [(m.sender_id, m.text) for m in s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                                         .order_by(OutboxMessage.id))]


def test_walkin_priority_checkin_and_counter_flow(db: str) -> None:
    with session_scope(db) as s:
        booking = bk.book(s, "AMBIL", NOW.date(), dt.time(10, 0), "Budi", "081234567890", "whatsapp:+6281234567890",
                          now=NOW, calendar=CAL).booking
        code = booking.code
    with session_scope(db) as s:
        a1 = q.take_walkin(s, "BAP", "web:1", now=NOW, calendar=CAL).ticket.label
        again = q.take_walkin(s, "BAP", "web:1", now=NOW, calendar=CAL)
        assert again.reason == q.ALREADY and again.ticket.label == a1
        p1 = q.take_walkin(s, "PRIORITAS", "web:2", now=NOW, calendar=CAL).ticket.label
        checked = q.check_in(s, code, now=NOW)
        assert checked.ok and checked.ticket.label == "A-002"
        assert q.check_in(s, code, now=NOW).reason == q.ALREADY
        assert q.check_in(s, "ZZZZZZ", now=NOW).reason == q.NOT_FOUND
    assert (a1, p1) == ("A-001", "P-001")
    with session_scope(db) as s:
        status = q.status_for(s, "whatsapp:+6281234567890", now=NOW)
        assert status.ticket.label == "A-002" and status.ahead == 1 and status.serving is None
        assert status.wait_minutes == 15  # one person ahead x the configured 15 minutes before any served
        first = q.call_next(s, "2", ["A", "P"], now=NOW)
        assert first.label == "P-001"  # the priority line first
        second = q.call_next(s, "3", ["A"], now=NOW + dt.timedelta(minutes=1))
        assert second.label == "A-001"
        assert q.recall(s, second.id, now=NOW + dt.timedelta(minutes=2)).calls == 2
        assert q.finish(s, second.id, "served", now=NOW + dt.timedelta(minutes=11)).status == "served"
        status = q.status_for(s, "whatsapp:+6281234567890", now=NOW)
        assert status.serving == "A-001" and status.ahead == 0 and status.wait_minutes == 0
        third = q.call_next(s, "3", ["A"], now=NOW + dt.timedelta(minutes=12))
        assert third.label == "A-002"
        assert q.finish(s, third.id, "no_show", now=NOW + dt.timedelta(minutes=15)).status == "no_show"
        assert q.call_next(s, "3", ["A"], now=NOW) is None
        moved = q.transfer(s, first.id, "ITK", now=NOW + dt.timedelta(minutes=3))
        assert moved.label == "B-001" and moved.sender_id == "web:2" and moved.note == "dari P-001"
        board = q.board(s, NOW.date())
        assert board["calls"][0]["number"] in {"A-002", "A-001"}
        assert "Budi" not in str(board) and "+62" not in str(board)
        assert {line["line"]: line["waiting"] for line in board["lines"]}["B"] == 1


def test_wait_estimate_uses_actual_service_times(db: str) -> None:
    with session_scope(db) as s:
        tickets = [q.take_walkin(s, "AMBIL", f"web:{i}", now=NOW, calendar=CAL).ticket for i in range(6)]
        for i in range(2):
            t = q.call_next(s, "1", ["A"], now=NOW + dt.timedelta(minutes=10 * i))
            q.finish(s, t.id, "served", now=NOW + dt.timedelta(minutes=10 * i + 6))
        status = q.status_for(s, tickets[5].sender_id, now=NOW)
        assert status.ahead == 3 and status.wait_minutes == 18  # 3 ahead x 6 minutes measured today


def test_near_turn_alert_sent_once_when_three_places_away(db: str) -> None:
    with session_scope(db) as s:
        for i in range(6):
            q.take_walkin(s, "AMBIL", f"telegram:{i}", now=NOW, calendar=CAL)
    # tickets 0..3 have at most 3 people ahead: alerted on issue; 4 and 5 not yet
    assert [sid for sid, _ in _outbox(db, "queue_alert")] == [f"telegram:{i}" for i in range(4)]
    with session_scope(db) as s:
        q.call_next(s, "1", ["A"], now=NOW)
    alerts = _outbox(db, "queue_alert")
    assert [sid for sid, _ in alerts] == [f"telegram:{i}" for i in range(5)]
    assert "hampir dipanggil" in alerts[4][1] and "A-005" in alerts[4][1]
    with session_scope(db) as s:
        q.send_near_turn_alerts(s, "A", now=NOW)
    assert len(_outbox(db, "queue_alert")) == 5


def test_walkin_closed_and_quota(db: str) -> None:
    sunday = dt.datetime(2026, 3, 22, 9, 0, tzinfo=WIB)
    evening = NOW.replace(hour=16, minute=30)
    with session_scope(db) as s:
        closed = q.take_walkin(s, "BAP", "web:x", now=sunday, calendar=CAL)
        assert closed.reason == q.CLOSED and closed.detail == "Idulfitri"
        assert q.take_walkin(s, "BAP", "web:x", now=evening, calendar=CAL).reason == q.CLOSED
        results = [q.take_walkin(s, "BAP", f"web:{i}", now=NOW, calendar=CAL) for i in range(11)]
        assert [r.ok for r in results].count(True) == 10 and results[-1].reason == q.QUOTA_FULL


def test_day_before_reminder_once(db: str) -> None:
    with session_scope(db) as s:
        booking = bk.book(s, "BAP", dt.date(2026, 3, 25), dt.time(9, 0), "Siti", "081234567890",
                          "whatsapp:+6281234567890", now=NOW, calendar=CAL).booking
        code = booking.code
        bk.book(s, "AMBIL", dt.date(2026, 3, 25), dt.time(9, 0), "Ani", "081234567891", "web:ani",
                now=NOW, calendar=CAL)
    day_before_early = dt.datetime(2026, 3, 24, 8, 0, tzinfo=WIB)
    day_before = dt.datetime(2026, 3, 24, 9, 5, tzinfo=WIB)
    with session_scope(db) as s:
        assert send_day_before_reminders(s, now=day_before_early) == 0
        assert send_day_before_reminders(s, now=day_before) == 2
        assert send_day_before_reminders(s, now=day_before) == 0
    reminders = _outbox(db, "reminder")
    assert reminders[0][0] == "whatsapp:+6281234567890"
    assert code in reminders[0][1] and "Rabu, 25 Maret 2026" in reminders[0][1]


def test_worker_job_enqueues_reminders_and_alerts_once(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from worker.booking_jobs import run_booking_jobs

    with session_scope(db) as s:
        bk.book(s, "BAP", dt.date(2026, 3, 17), dt.time(9, 0), "Siti", "081234567890", "telegram:9",
                now=NOW - dt.timedelta(days=3), calendar=CAL)
        ticket = q._issue(s, q.get_service(s, "AMBIL"), "walkin", NOW, sender_id="telegram:5")
        assert ticket.near_alert_at is None
    monkeypatch.setenv("OFFICE_NOW", "2026-03-16T10:00:00")
    assert run_booking_jobs(db) == 2
    assert run_booking_jobs(db) == 0
    assert [sid for sid, _ in _outbox(db, "reminder")] == ["telegram:9"]
    assert [sid for sid, _ in _outbox(db, "queue_alert")] == ["telegram:5"]


def test_walkin_services_only_while_the_office_serves(db: str) -> None:
    with session_scope(db) as s:
        open_now = {svc.code for svc in q.walkin_services(s, NOW, CAL)}
        assert {"BAP", "PRIORITAS"} <= open_now
        assert q.walkin_services(s, dt.datetime(2026, 3, 23, 9, 30, tzinfo=WIB), CAL) == []  # cuti bersama
        assert q.walkin_services(s, dt.datetime(2026, 3, 15, 9, 30, tzinfo=WIB), CAL) == []  # Sunday
        assert q.walkin_services(s, dt.datetime(2026, 3, 16, 17, 0, tzinfo=WIB), CAL) == []  # after closing
