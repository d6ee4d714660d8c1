"""Under >= 200 concurrent attempts at the last 5 places, exactly 5 succeed (SQLite and PostgreSQL),
and queue numbers are never issued twice."""
from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import func, select

import office.models  # noqa: F401
from office.booking import bookings as bk
from office.booking import queue as q
from office.booking.catalogue import get_service, save_service
from office.booking.models import Booking, QueueTicket
from office.booking.rules import counter_value
from office.db import Base, get_engine, session_scope
from office.profile import load_profile
from tests.pg import postgres_database

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)
DAY = dt.date(2026, 3, 17)
START = dt.time(10, 0)
CAL = load_profile().calendar
ATTEMPTS = 200


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'office.db'}"
        Base.metadata.create_all(get_engine(url))
        yield url
        get_engine(url).dispose()
    else:
        gen = postgres_database()
        url = next(gen)
        Base.metadata.create_all(get_engine(url))
        yield url
        try:
            next(gen)
        except StopIteration:
            pass


def _prepare(db: str) -> None:
    with session_scope(db) as s:
        service = get_service(s, "AMBIL")
        save_service(s, {"code": "AMBIL", "name": service.name, "name_en": service.name_en, "line": "A",
                         "duration_minutes": 15, "weekdays": "mon,tue,wed,thu,fri", "capacity_per_slot": 10,
                         "daily_quota": 300, "booking_needed": True, "kb_topic": "pengambilan-paspor"})
    for i in range(5):
        with session_scope(db) as s:
            assert bk.book(s, "AMBIL", DAY, START, "Warga Awal", f"08119000{i:04d}", now=NOW, calendar=CAL).ok


def test_last_five_places_under_concurrency(db: str) -> None:
    _prepare(db)
    barrier = threading.Barrier(ATTEMPTS)

    def attempt(i: int) -> tuple[bool, str | None, int]:
        barrier.wait()
        with session_scope(db) as s:
            result = bk.book(s, "AMBIL", DAY, START, "Warga Serentak", f"08127000{i:04d}", f"web:{i}",
                             now=NOW, calendar=CAL)
            return result.ok, result.reason, len(result.alternatives)

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        results = list(pool.map(attempt, range(ATTEMPTS)))
    ok = [r for r in results if r[0]]
    full = [r for r in results if not r[0]]
    assert len(ok) == 5
    assert all(reason == bk.FULL and alternatives > 0 for _, reason, alternatives in full), set(full)
    with session_scope(db) as s:
        booked = s.scalar(select(func.count(Booking.id)).where(Booking.day == DAY, Booking.start == START,
                                                               Booking.status == "active"))
        assert booked == 10
        assert counter_value(s, bk.slot_key("AMBIL", DAY, START)) == 10


def test_queue_numbers_never_issued_twice(db: str) -> None:
    now = NOW
    barrier = threading.Barrier(ATTEMPTS)

    def walk_in(i: int) -> str | None:
        barrier.wait()
        with session_scope(db) as s:
            result = q.take_walkin(s, "KONSUL" if i % 2 else "BAP", f"web:w{i}", now=now, calendar=CAL)
            return result.ticket.label if result.ok else result.reason

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        results = list(pool.map(walk_in, range(ATTEMPTS)))
    labels = [r for r in results if r and "-" in r]
    # quotas: BAP 10 (line A), KONSUL 20 (line C)
    assert len(labels) == len(set(labels)) == 30
    assert sorted(x for x in labels if x.startswith("A-")) == [f"A-{n:03d}" for n in range(1, 11)]
    assert results.count(q.QUOTA_FULL) == ATTEMPTS - 30
    with session_scope(db) as s:
        assert s.scalar(select(func.count(QueueTicket.id))) == 30
