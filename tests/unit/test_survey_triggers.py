"""Which events earn a survey (served visits, closed complaints), the worker pass that creates and sends
the invitations once through the outbox, and the retention purge, on a real SQLite database."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

import office.models  # noqa: F401
from office.booking import bookings as bk
from office.booking import queue as q
from office.booking.models import QueueTicket
from office.complaints.service import file_ticket, merge, set_status
from office.db import session_scope
from office.outbox import OutboxMessage
from office.profile import load_profile
from office.survey import service as sv
from office.survey.messages import invite_text
from office.survey.models import SurveyInvitation, SurveyResponse
from worker.retention import purge_expired
from worker.survey_jobs import run_survey_jobs
from tests.unit.test_survey_service import db  # noqa: F401  (the shared database fixture)

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)
CAL = load_profile().calendar


def _at(monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> None:
    monkeypatch.setenv("OFFICE_NOW", moment.isoformat())


def _serve(db: str, sender: str, outcome: str = "served") -> int:
    with session_scope(db) as s:
        ticket = q.take_walkin(s, "KONSUL", sender_id=sender, now=NOW, calendar=CAL).ticket
        called = q.call_next(s, "1", [ticket.line], now=NOW)
        assert called.id == ticket.id
        q.finish(s, ticket.id, outcome, now=NOW)
        return ticket.id


def _invites(db: str) -> list[tuple[str, str, dict]]:
    with session_scope(db) as s:
        return [(m.sender_id, m.text, json.loads(m.payload)) for m in s.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "survey_invite").order_by(OutboxMessage.id))]


def test_served_visits_are_invited_once_after_the_delay(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    served = _serve(db, "whatsapp:+6281234500001")
    _serve(db, "whatsapp:+6281234500002", outcome="no_show")
    _serve(db, "")  # a kiosk walk-in: nobody to ask
    with session_scope(db) as s:  # booked visit: the ticket has lost its sender, the booking knows it
        booking = bk.book(s, "AMBIL", NOW.date(), dt.time(10, 0), "Budi", "081234567890", "telegram:77",
                          now=NOW - dt.timedelta(days=3), calendar=CAL).booking
        ticket = q.check_in(s, booking.code, now=NOW).ticket
        ticket.sender_id = ""
        q.call_next(s, "2", [ticket.line], now=NOW)
        q.finish(s, ticket.id, "served", now=NOW)
        booked = ticket.id
    assert run_survey_jobs() == {"created": 2, "enqueued": 0, "expired": 0}  # 30 minutes not yet passed
    _at(monkeypatch, NOW + dt.timedelta(minutes=31))
    assert run_survey_jobs() == {"created": 0, "enqueued": 2, "expired": 0}
    assert run_survey_jobs() == {"created": 0, "enqueued": 0, "expired": 0}
    sent = _invites(db)
    assert [(x[0], x[2]) for x in sent] == [("whatsapp:+6281234500001", {"survey_event": f"visit:{served}"}),
                                            ("telegram:77", {"survey_event": f"visit:{booked}"})]
    assert "Survei Kepuasan Masyarakat" in sent[0][1] and "Senin, 23 Maret 2026" in sent[0][1]
    with session_scope(db) as s:
        rows = {i.event_key: (i.status, i.service_code, i.channel) for i in s.scalars(select(SurveyInvitation))}
        assert rows == {f"visit:{served}": ("invited", "KONSUL", "whatsapp"),
                        f"visit:{booked}": ("invited", "AMBIL", "telegram")}


def test_closed_complaints_are_invited_with_their_code_but_not_anonymous_or_merged(
        db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with session_scope(db) as s:
        done = file_ticket(s, description="Antrean lama sekali di loket", sender_id="web:c1", now=NOW)
        rejected = file_ticket(s, description="Petugas tidak ramah di loket dua", sender_id="web:c2", now=NOW)
        anonymous = file_ticket(s, description="Toilet kotor sekali di lantai dua", sender_id="web:c3",
                                mode="anonim", now=NOW)
        open_ = file_ticket(s, description="Aplikasi error terus waktu login", sender_id="web:c4", now=NOW)
        duplicate = file_ticket(s, description="Antrean lama sekali di loket tadi", sender_id="web:c1", now=NOW)
        set_status(s, done, "tester", "selesai", now=NOW)
        set_status(s, rejected, "tester", "ditolak", "Bukan kewenangan kantor", now=NOW)
        set_status(s, anonymous, "tester", "selesai", now=NOW)
        merge(s, duplicate, done, "tester", now=NOW)
        codes = done.code, rejected.code, open_.code
    _at(monkeypatch, NOW + dt.timedelta(hours=1))
    result = run_survey_jobs()
    assert result["created"] == 2 and result["enqueued"] == 2
    sent = _invites(db)
    assert [(x[0], x[2]["survey_event"]) for x in sent] == [("web:c1", f"complaint:{codes[0]}"),
                                                           ("web:c2", f"complaint:{codes[1]}")]
    assert codes[0] in sent[0][1] and "penanganannya" in sent[0][1]
    with session_scope(db) as s:
        invitation = s.scalar(select(SurveyInvitation).where(SurveyInvitation.sender_id == "web:c1"))
        assert invite_text(invitation, "en").startswith(f"Your complaint {codes[0]} has been closed.")


def test_a_citizen_with_two_events_gets_the_second_after_the_first(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sender = "telegram:5"
    _serve(db, sender)
    with session_scope(db) as s:
        ticket = file_ticket(s, description="Antrean lama sekali di loket", sender_id=sender, now=NOW)
        set_status(s, ticket, "tester", "selesai", now=NOW + dt.timedelta(minutes=5))
    _at(monkeypatch, NOW + dt.timedelta(hours=1))
    assert run_survey_jobs()["enqueued"] == 1
    with session_scope(db) as s:
        sv.decline(s, sender)
    assert run_survey_jobs()["enqueued"] == 1
    assert [x[2]["survey_event"].split(":")[0] for x in _invites(db)] == ["visit", "complaint"]


def test_old_invitations_expire_and_retention_purges_them(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _serve(db, "web:old")
    _at(monkeypatch, NOW + dt.timedelta(hours=1))
    run_survey_jobs()
    _at(monkeypatch, NOW + dt.timedelta(days=8))
    assert run_survey_jobs()["expired"] == 1
    with session_scope(db) as s:
        assert s.scalars(select(SurveyInvitation)).one().sender_id is None
    later = NOW + dt.timedelta(days=400)
    _at(monkeypatch, later)
    assert purge_expired(later)["survey_invitation"] == 1
    assert run_survey_jobs()["created"] == 0  # the served ticket is long past: never invited again
    with session_scope(db) as s:
        assert s.scalars(select(SurveyInvitation)).all() == []
        assert s.scalars(select(QueueTicket)).one().status == "served"
        assert s.scalars(select(SurveyResponse)).all() == []
