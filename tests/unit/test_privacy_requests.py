"""A citizen's own data on a real SQLite database: what is held, the copy, erasure (cancel + anonymise,
what is kept), the request record without the sender id, and the tracker job's retries."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

import office.models  # noqa: F401
from office import audit
from office import privacy_messages as msg
from office import privacy_requests as pr
from office.booking import bookings as bk
from office.booking.models import Booking
from office.booking.rules import counter_values
from office.complaints.models import Ticket
from office.complaints.service import file_ticket, set_status
from office.db import Base, get_engine, session_scope
from office.outbox import OutboxMessage, enqueue, mark_sent
from office.profile import load_profile
from office.survey import service as survey
from office.survey.models import SurveyInvitation

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)  # Monday; Tuesday 17 March is open
CAL = load_profile().calendar
ME, OTHER = "telegram:1001", "telegram:2002"


@pytest.fixture()
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("OFFICE_NOW", raising=False)
    Base.metadata.create_all(get_engine(url))
    return url


def _seed(db: str) -> dict[str, str]:
    """Me: two upcoming bookings, a closed and an open complaint, a survey invitation, a sent
    message. Another citizen: a booking and a complaint that must not change."""
    codes: dict[str, str] = {}
    with session_scope(db) as s:
        codes["future"] = bk.book(s, "BAP", dt.date(2026, 3, 17), dt.time(9, 0), "Siti Aminah", "081234567890",
                                  ME, now=NOW, calendar=CAL).booking.code
        codes["other_booking"] = bk.book(s, "BAP", dt.date(2026, 3, 17), dt.time(9, 0), "Budi Santoso",
                                         "081298765432", OTHER, now=NOW, calendar=CAL).booking.code
    with session_scope(db) as s:  # a second visit (another phone)
        second = bk.book(s, "BAP", dt.date(2026, 3, 17), dt.time(10, 0), "Siti Aminah", "081234567891", ME,
                       now=NOW, calendar=CAL).booking
        codes["second"] = second.code
    with session_scope(db) as s:
        closed = file_ticket(s, description="Antrean di loket dua lama sekali tanpa penjelasan", sender_id=ME,
                             contact_preference="chat", now=NOW)
        set_status(s, closed, "supervisor", "selesai", now=NOW)
        codes["closed"] = closed.code
        codes["open"] = file_ticket(s, description="Toilet ruang tunggu kotor dan airnya mati", sender_id=ME,
                                    contact_preference="chat", now=NOW).code
        codes["other_ticket"] = file_ticket(s, description="Petugas parkir meminta uang tambahan", sender_id=OTHER,
                                            contact_preference="chat", now=NOW).code
        survey.create_invitation(s, event_key="complaint:" + codes["closed"], event_kind="complaint",
                                 sender_id=ME, service_code="fasilitas", now=NOW)
        message = enqueue(s, ME, "officer_reply", "Balasan untuk Siti")
        s.flush()
        mark_sent(message, NOW)
    return codes


def test_holdings_and_export_are_only_mine(db: str) -> None:
    codes = _seed(db)
    with session_scope(db) as s:
        found = pr.record_export(s, ME, NOW)
        text = msg.export_text(s, found, "id")
    assert {b.code for b in found.bookings} == {codes["future"], codes["second"]}
    assert {t.code for t in found.complaints} == {codes["closed"], codes["open"]}
    assert [t.code for t in found.open_complaints] == [codes["open"]]
    assert found.survey_invitations == 1
    assert codes["future"] in text and codes["open"] in text and "Selasa, 17 Maret 2026" in text
    assert "Siti Aminah" in text and "+6281234567890" in text
    assert codes["other_booking"] not in text and codes["other_ticket"] not in text and "Budi" not in text
    with session_scope(db) as s:
        [request] = s.scalars(select(pr.PrivacyRequest)).all()
        assert request.kind == "export" and request.done_at is not None
        assert request.sender_hash == hashlib.sha256(ME.encode()).hexdigest()
        assert request.pending_sender_id is None and request.tracker_status == pr.TRACKER_NONE
        info = msg.info_text(pr.holdings(s, ME), 365, "id")
    assert "booking kunjungan: 2" in info and "pengaduan atas nama Bapak/Ibu: 2 (1 masih ditangani)" in info


def test_export_of_a_stranger_is_empty(db: str) -> None:
    _seed(db)
    with session_scope(db) as s:
        found = pr.record_export(s, "web:nobody", NOW)
        assert "Tidak ada booking atau pengaduan" in msg.export_text(s, found, "id")
        assert "There are no bookings" in msg.export_text(s, found, "en")


def test_erase_cancels_anonymises_keeps_open_and_records(db: str) -> None:
    codes = _seed(db)
    slot = "slot:BAP:2026-03-17:09:00"
    with session_scope(db) as s:
        assert counter_values(s, "slot:BAP:2026-03-17:")[slot] == 2
        result = pr.erase(s, ME, NOW)
        done = msg.erase_done_text(result, "id")
    assert set(result.cancelled) == {codes["future"], codes["second"]}
    assert result.kept_open_complaints == [codes["open"]] and result.complaints_anonymised == 1
    assert codes["open"] in done and "3×24 jam" in done and "saat ini juga" in done
    with session_scope(db) as s:
        assert counter_values(s, "slot:BAP:2026-03-17:")[slot] == 1  # my place given back
        mine = s.scalar(select(Booking).where(Booking.code == codes["future"]))
        assert (mine.status, mine.name, mine.phone, mine.sender_id, mine.active_key) == (
            "cancelled", "(dihapus)", "", "", None)
        other = s.scalar(select(Booking).where(Booking.code == codes["other_booking"]))
        assert (other.status, other.name, other.sender_id) == ("active", "Budi Santoso", OTHER)
        closed = s.scalar(select(Ticket).where(Ticket.code == codes["closed"]))
        assert closed.sender_id is None and closed.contact_preference is None
        still_open = s.scalar(select(Ticket).where(Ticket.code == codes["open"]))
        assert still_open.sender_id == ME and still_open.status == "baru"
        assert s.scalar(select(Ticket).where(Ticket.code == codes["other_ticket"])).sender_id == OTHER
        assert s.scalars(select(SurveyInvitation)).all() == []
        # what was delivered goes; what is still on its way (the "pengaduan selesai" notice) is left to the worker
        assert {m.status for m in s.scalars(select(OutboxMessage).where(OutboxMessage.sender_id == ME))} == {"pending"}
        [request] = s.scalars(select(pr.PrivacyRequest)).all()
        assert request.kind == "erase" and request.tracker_status == pr.TRACKER_PENDING
        assert request.pending_sender_id == ME and ME not in str(request.summary)
        assert request.summary["bookings_cancelled"] == 2 and request.summary["complaints_kept_open"] == 1
        [entry] = audit.recent(s, action="privacy_erase")
        assert ME not in str(entry.detail) and entry.target == f"privacy_request:{request.id}"
    # a second request finds nothing more to erase but the open complaint
    with session_scope(db) as s:
        again = pr.erase(s, ME, NOW)
        assert again.cancelled == [] and again.complaints_anonymised == 0 and again.kept_open_complaints == [codes["open"]]


def test_erase_does_not_cancel_a_past_booking(db: str) -> None:
    with session_scope(db) as s:
        code = bk.book(s, "BAP", dt.date(2026, 3, 17), dt.time(9, 0), "Siti Aminah", "081234567890", ME,
                       now=NOW, calendar=CAL).booking.code
    later = NOW + dt.timedelta(days=10)
    with session_scope(db) as s:
        result = pr.erase(s, ME, later)
        assert result.cancelled == [] and result.bookings_anonymised == 1
        booking = s.scalar(select(Booking).where(Booking.code == code))
        assert booking.status == "active" and booking.name == "(dihapus)" and booking.phone == ""


def test_tracker_job_retries_with_backoff_then_forgets_the_sender(db: str) -> None:
    with session_scope(db) as s:
        pr.erase(s, ME, NOW)
    with session_scope(db) as s:
        [request] = pr.due_tracker_erasures(s, NOW)
        pr.tracker_failed(request, "Rasa menjawab HTTP 503", NOW)
        assert request.attempts == 1
    with session_scope(db) as s:
        assert pr.due_tracker_erasures(s, NOW + dt.timedelta(seconds=29)) == []
        [request] = pr.due_tracker_erasures(s, NOW + dt.timedelta(seconds=31))
        for _ in range(20):
            pr.tracker_failed(request, "Rasa menjawab HTTP 503", NOW)
        assert pr.due_tracker_erasures(s, NOW + dt.timedelta(minutes=59)) == []
        assert len(pr.due_tracker_erasures(s, NOW + dt.timedelta(hours=1, seconds=1))) == 1  # never given up
        pr.tracker_erased(request, NOW)
    with session_scope(db) as s:
        [request] = s.scalars(select(pr.PrivacyRequest)).all()
        assert request.pending_sender_id is None and request.tracker_status == pr.TRACKER_DONE
        assert request.summary["conversation"] == "dihapus" and request.last_error is None
        assert pr.due_tracker_erasures(s, NOW + dt.timedelta(days=1)) == []


def test_worker_job_keeps_retrying_while_rasa_is_down(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from worker.privacy_jobs import run_privacy_jobs

    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    with session_scope(db) as s:
        pr.erase(s, ME, NOW)
    with httpx.Client() as client:
        assert run_privacy_jobs(client) == 0
    with session_scope(db) as s:
        [request] = s.scalars(select(pr.PrivacyRequest)).all()
        assert request.tracker_status == pr.TRACKER_PENDING and request.attempts == 1
        assert request.pending_sender_id == ME
        assert request.last_error.startswith("Rasa tidak dapat dihubungi") and ME not in request.last_error
