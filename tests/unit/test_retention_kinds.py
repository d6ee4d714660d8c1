"""Retention per kind of data (office/profile.yml `retention:`, falling back to retention_days), used by
the worker's purge, with time travel; and the purge run the data-protection page shows."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, select, text

import office.models  # noqa: F401
from office import retention
from office.booking import bookings as bk
from office.booking.models import Booking
from office.db import Base, get_engine, session_scope
from office.kb.store import UnansweredQuestion
from office.profile import ProfileError, load_profile, parse_profile

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)
PROFILE = Path(__file__).resolve().parents[2] / "office" / "profile.yml"


def _profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **extra: object) -> None:
    data = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    data.update(extra)
    path = tmp_path / "profile.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("OFFICE_PROFILE", str(path))


@pytest.fixture()
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("OFFICE_NOW", raising=False)
    Base.metadata.create_all(get_engine(url))
    return url


def test_kinds_fall_back_to_retention_days(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _profile(tmp_path, monkeypatch, retention_days=200, retention={"survey_invitations": 30})
    profile = load_profile()
    assert retention.days_for(profile, "survey_invitations") == 30
    assert retention.days_for(profile, "bookings") == 200
    settings = {s.kind: s for s in retention.settings_of(profile)}
    assert settings["survey_invitations"].from_default is False and settings["complaints"].from_default is True
    cut = retention.cutoffs(profile, NOW)
    assert cut["survey_invitations"] == NOW.astimezone(dt.timezone.utc) - dt.timedelta(days=30)
    with pytest.raises(ValueError):
        retention.days_for(profile, "passports")


@pytest.mark.parametrize("value,needle", [({"tickets": 10}, "retention.tickets"), ({"bookings": 0}, "retention.bookings"),
                                          ({"bookings": "lama"}, "retention.bookings"), ([30], "retention")])
def test_bad_retention_values_are_refused(value: object, needle: str) -> None:
    data = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    data["retention"] = value
    with pytest.raises(ProfileError, match=needle):
        parse_profile(data, PROFILE)


def test_purge_uses_each_kinds_period(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from worker.retention import purge_expired

    _profile(tmp_path, monkeypatch, retention_days=365,
             retention={"bookings": 30, "unanswered_questions": 7, "conversations": 90})
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("TRACKER_STORE_URL", tracker_url)
    engine = create_engine(tracker_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, timestamp FLOAT)"))
        conn.execute(text("INSERT INTO events (sender_id, timestamp) VALUES ('a', :a), ('b', :b)"),
                     {"a": (NOW + dt.timedelta(days=1)).timestamp(), "b": (NOW + dt.timedelta(days=60)).timestamp()})
    calendar = load_profile().calendar
    with session_scope(db) as s:
        code = bk.book(s, "BAP", dt.date(2026, 3, 17), dt.time(9, 0), "Siti Aminah", "081234567890",
                       "telegram:5", now=NOW, calendar=calendar).booking.code
        s.add(UnansweredQuestion(text="kapan buka", normalised_text="kapan buka", language="id", channel="rest",
                                 created_at=NOW.astimezone(dt.timezone.utc).replace(tzinfo=None)))
    with session_scope(db) as s:
        assert retention.last_run(s) is None
        assert retention.row_counts(s, engine) == {"conversations": 2, "bookings": 1, "complaints": 0,
                                                   "survey_invitations": 0, "unanswered_questions": 1,
                                                   "outreach": 0}

    # 10 days on: the question (7 days) goes, the booking (visit 17 March, kept 30 days) stays
    removed = purge_expired(NOW + dt.timedelta(days=10))
    assert removed["unanswered_questions"] == 1 and removed["bookings_anonymised"] == 0 and removed["events"] == 0
    # 40 days on: the visit day is more than 30 days ago: name, phone and sender go; the row stays
    removed = purge_expired(NOW + dt.timedelta(days=40))
    assert removed["bookings_anonymised"] == 1
    with session_scope(db) as s:
        booking = s.scalar(select(Booking).where(Booking.code == code))
        assert (booking.name, booking.phone, booking.sender_id, booking.status) == ("(dihapus)", "", "", "active")
    # 92 days on: the conversation event of day 1 is past 90 days, the one of day 60 is not
    removed = purge_expired(NOW + dt.timedelta(days=92))
    assert removed["events"] == 1 and removed["bookings_anonymised"] == 0  # not counted twice
    with session_scope(db) as s:
        run = retention.last_run(s)
        assert run.removed["events"] == 1
        assert retention.row_counts(s, engine)["conversations"] == 1
        assert len(s.scalars(select(retention.PurgeRun)).all()) == 3
    engine.dispose()


def test_purge_runs_are_capped(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "RUNS_KEPT", 3)
    with session_scope(db) as s:
        for i in range(5):
            retention.record_run(s, {"events": i}, NOW + dt.timedelta(hours=i))
    with session_scope(db) as s:
        assert [r.removed["events"] for r in s.scalars(select(retention.PurgeRun).order_by(retention.PurgeRun.id))] == [2, 3, 4]
        assert retention.last_run(s).removed == {"events": 4}
