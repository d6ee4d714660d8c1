"""Staff rules of mobile service days and information sessions (office/outreach/events.py,
visit_decisions.py, reminders.py) on a real SQLite database: validation, quota never below the places
taken, cancellation tells each registration once, decisions and reminders are sent once, check-in twice
changes nothing; and the worker's pass puts reminders in the outbox."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

import office.models  # noqa: F401
from office.db import Base, get_engine, session_scope
from office.outbox import OutboxMessage
from office.outreach import events as ev
from office.outreach.event_models import EventRegistration, OutreachEvent, RegistrationMember, VisitRequest
from office.outreach.reminders import send_event_reminders
from office.outreach.visit_decisions import accept_visit_request, decline_visit_request
from tests.outreach_support import make_event, make_visit_request, register_directly

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=WIB)  # Monday
BORN = dt.date(1990, 5, 17)


@pytest.fixture()
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("OFFICE_NOW", NOW.isoformat())
    Base.metadata.create_all(get_engine(url))
    return url


def _form(**overrides: str) -> dict[str, str]:
    values = {"kind": "service_day", "title": "Layanan Paspor Keliling Tumijajar", "place": "Balai Desa Daya Murni",
              "kecamatan": "Tumijajar", "kabupaten": "", "day": "2026-12-10", "start_time": "09.00",
              "end_time": "14:00", "quota": "40", "services": "\n".join(ev.DEFAULT_SERVICES), "description": ""}
    values.update(overrides)
    return values


def _outbox(url: str, kind: str) -> list[OutboxMessage]:
    with session_scope(url) as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)).all()
        s.expunge_all()
        return list(rows)


def test_create_reads_the_form_and_publishes(db: str) -> None:
    data, problems = ev.parse_event_form(_form())
    assert problems == []
    with session_scope(db) as s:
        event = ev.create_event(s, data, "admin", NOW)
        assert (event.status, event.kabupaten, event.start_time, event.quota) == (
            "published", "Tulang Bawang Barat", dt.time(9, 0), 40)
        assert event.services.splitlines() == list(ev.DEFAULT_SERVICES)
        assert "hilang" not in event.services.lower() and "rusak" not in event.services.lower()


@pytest.mark.parametrize("overrides,needle", [
    ({"day": "2026-11-29"}, "Tanggal sudah lewat"),
    ({"day": "kemarin"}, "Tanggal tidak dikenali"),
    ({"quota": "0"}, "Kuota minimal 1"),
    ({"quota": "-3"}, "Kuota harus berupa bilangan bulat"),
    ({"quota": "100000"}, "Kuota paling banyak"),
    ({"quota": "900"}, "Kuota paling banyak"),
    ({"end_time": "08.00"}, "Jam selesai harus sesudah jam mulai"),
    ({"start_time": "jam sembilan"}, "Jam mulai tidak dikenali"),
    ({"place": "  "}, "Tempat wajib diisi"),
    ({"kind": "konser"}, "Pilih jenis kegiatan"),
    ({"services": ""}, "layanan yang dibuka"),
    ({"kind": "info_session", "description": ""}, "topik sosialisasi"),
])
def test_bad_input_is_refused_and_nothing_is_saved(db: str, overrides: dict[str, str], needle: str) -> None:
    data, problems = ev.parse_event_form(_form(**overrides))
    with session_scope(db) as s:
        problems += ev.validate_event(data, NOW.date())
        assert any(needle in p for p in problems), problems
        with pytest.raises(ev.EventError):
            ev.create_event(s, data, "admin", NOW)
    with session_scope(db) as s:
        assert s.scalars(select(OutreachEvent)).all() == []


def test_quota_never_below_seats_taken_and_changes_are_announced(db: str) -> None:
    with session_scope(db) as s:
        event = make_event(s, dt.date(2026, 12, 10), quota=10)
        register_directly(s, event, "telegram:1", "Siti Aminah", [("Siti Aminah", BORN), ("Budi", dt.date(2012, 1, 2))])
        register_directly(s, event, "whatsapp:+62812", "John Smith", [("John Smith", BORN)], language="en")
        register_directly(s, event, "", "Tanpa Chat", [("Tanpa Chat", BORN)])  # registered at a desk: no chat
        event_id = event.id
    with session_scope(db) as s:
        data, _ = ev.parse_event_form(_form(quota="3"))
        with pytest.raises(ev.EventError, match=r"sudah terisi \(4 orang\)"):
            ev.update_event(s, event_id, data, "admin", NOW)
    with session_scope(db) as s:
        assert s.get(OutreachEvent, event_id).quota == 10
        data, _ = ev.parse_event_form(_form(quota="4", day="2026-12-11"))
        result = ev.update_event(s, event_id, data, "admin", NOW)
        assert result.event.quota == 4 and "day" in result.changed and result.notified == 2
    changes = _outbox(db, "outreach_change")
    assert [m.sender_id for m in changes] == ["telegram:1", "whatsapp:+62812"]
    assert "Jumat, 11 Desember 2026" in changes[0].text and "Yth. Bapak/Ibu Siti Aminah" in changes[0].text
    assert "Friday, 11 December 2026" in changes[1].text and "rescheduled" in changes[1].text
    with session_scope(db) as s:  # same values again: nothing changes, nobody is told twice
        data, _ = ev.parse_event_form(_form(quota="4", day="2026-12-11"))
        assert ev.update_event(s, event_id, data, "admin", NOW).notified == 0
    assert len(_outbox(db, "outreach_change")) == 2


def test_cancel_notifies_each_registration_once(db: str) -> None:
    with session_scope(db) as s:
        event = make_event(s, dt.date(2026, 12, 10))
        register_directly(s, event, "telegram:1", "Siti Aminah", [("Siti Aminah", BORN), ("Budi", dt.date(2012, 1, 2))])
        register_directly(s, event, "telegram:2", "Anna", [("Anna", BORN)], language="en")
        gone = register_directly(s, event, "telegram:3", "Batal Sendiri", [("Batal Sendiri", BORN)])
        gone.status = "cancelled"
        event_id = event.id
    with session_scope(db) as s:
        with pytest.raises(ev.EventError, match="alasan"):
            ev.cancel_event(s, event_id, "admin", "  ")
    with session_scope(db) as s:
        assert s.get(OutreachEvent, event_id).status == "published"
        result = ev.cancel_event(s, event_id, "admin", "Jalan menuju balai desa terputus banjir")
        assert result.changed and result.notified == 2
    with session_scope(db) as s:
        again = ev.cancel_event(s, event_id, "admin", "Dibatalkan lagi")
        assert not again.changed and again.notified == 0
    notices = _outbox(db, "outreach_cancelled")
    assert [m.sender_id for m in notices] == ["telegram:1", "telegram:2"]
    assert "dibatalkan. Alasan: Jalan menuju balai desa terputus banjir. Pendaftaran Anda" in notices[0].text
    assert notices[1].text.startswith("Dear Anna") and "has been cancelled" in notices[1].text
    with session_scope(db) as s:
        data, _ = ev.parse_event_form(_form())
        with pytest.raises(ev.EventError, match="dibatalkan"):
            ev.update_event(s, event_id, data, "admin", NOW)


def test_check_in_twice_changes_nothing_and_undo_works(db: str) -> None:
    today = NOW.date()
    with session_scope(db) as s:
        event = make_event(s, today)
        later = make_event(s, today + dt.timedelta(days=3))
        registration = register_directly(s, event, "telegram:1", "Siti Aminah", [("Siti Aminah", BORN), ("Budi", BORN)])
        register_directly(s, later, "telegram:1", "Siti Aminah", [("Siti Aminah", BORN)])
        member_id = s.scalars(select(RegistrationMember.id).where(RegistrationMember.registration_id == registration.id)
                              .order_by(RegistrationMember.id)).first()
        future_member = s.scalars(select(RegistrationMember.id).where(RegistrationMember.event_id == later.id)).one()
        event_id = event.id
    with session_scope(db) as s:
        first = ev.check_in(s, member_id, "loket1", NOW)
        assert first.changed and first.member.checked_in_at is not None
        stamp = first.member.checked_in_at
    with session_scope(db) as s:
        second = ev.check_in(s, member_id, "loket2", NOW + dt.timedelta(minutes=5))
        assert not second.changed and second.member.checked_in_at == stamp
        assert ev.counts(s, [event_id])[event_id] == ev.Counts(registrations=1, people=2, checked_in=1)
        groups = ev.attendees(s, event_id)
        assert [m.name for m in groups[0].members] == ["Siti Aminah", "Budi"] and groups[0].checked_in == 1
        with pytest.raises(ev.EventError, match="hari pelaksanaan"):
            ev.check_in(s, future_member, "loket1", NOW)
    with session_scope(db) as s:
        assert ev.undo_check_in(s, member_id, "loket1", NOW).changed
        assert not ev.undo_check_in(s, member_id, "loket1", NOW).changed
        assert ev.counts(s, [event_id])[event_id].checked_in == 0


def test_close_only_from_the_day_and_then_nothing_changes(db: str) -> None:
    with session_scope(db) as s:
        tomorrow = make_event(s, NOW.date() + dt.timedelta(days=1))
        today = make_event(s, NOW.date())
        registration = register_directly(s, today, "telegram:1", "Siti", [("Siti", BORN)])
        member_id = s.scalars(select(RegistrationMember.id).where(
            RegistrationMember.registration_id == registration.id)).one()
        ids = (tomorrow.id, today.id)
    with session_scope(db) as s:
        with pytest.raises(ev.EventError, match="hari pelaksanaan"):
            ev.close_event(s, ids[0], "admin", NOW)
        assert ev.close_event(s, ids[1], "admin", NOW) is True
        assert ev.close_event(s, ids[1], "admin", NOW) is False
    with session_scope(db) as s:
        assert s.get(OutreachEvent, ids[1]).status == "closed"
        with pytest.raises(ev.EventError, match="ditutup"):
            ev.check_in(s, member_id, "loket1", NOW)
        with pytest.raises(ev.EventError, match="ditutup"):
            ev.cancel_event(s, ids[1], "admin", "Terlambat dibatalkan")


def test_visit_decisions_are_idempotent_and_told_in_the_requesters_language(db: str) -> None:
    with session_scope(db) as s:
        first = make_visit_request(s)
        second = make_visit_request(s, sender_id="telegram:901", language="en", organisation="PT Sawit Makmur",
                                    contact_name="Mr Tan")
        event = make_event(s, dt.date(2026, 12, 12))
        ids, event_id = (first.id, second.id), event.id
    with session_scope(db) as s:
        result = accept_visit_request(s, ids[0], "admin", "Mohon sediakan dua meja", event_id=event_id, now=NOW)
        assert result.changed and result.request.status == "accepted" and result.request.event_id == event_id
    with session_scope(db) as s:
        assert not accept_visit_request(s, ids[0], "admin2", "lagi", now=NOW).changed
        assert not decline_visit_request(s, ids[0], "admin2", "Berubah pikiran", now=NOW).changed
        assert s.get(VisitRequest, ids[0]).decided_by == "admin"
        with pytest.raises(ev.EventError, match="alasan penolakan"):
            decline_visit_request(s, ids[1], "admin", "", now=NOW)
    with session_scope(db) as s:
        assert s.get(VisitRequest, ids[1]).status == "new"
        assert decline_visit_request(s, ids[1], "admin", "Tim sudah penuh pada bulan Desember", now=NOW).changed
        assert not decline_visit_request(s, ids[1], "admin", "Tim sudah penuh pada bulan Desember", now=NOW).changed
    told = _outbox(db, "visit_request_decision")
    assert [m.sender_id for m in told] == ["telegram:900", "telegram:901"]
    assert "Sabtu, 12 Desember 2026, pukul 09.00–14.00 WIB" in told[0].text
    assert "Catatan petugas: Mohon sediakan dua meja." in told[0].text and "bukan lewat chat ini" in told[0].text
    assert told[1].text.startswith("Dear Mr Tan") and "Reason: Tim sudah penuh pada bulan Desember." in told[1].text


def test_accept_refuses_a_cancelled_event(db: str) -> None:
    with session_scope(db) as s:
        request = make_visit_request(s)
        event = make_event(s, dt.date(2026, 12, 12))
        event.status = "cancelled"
        ids = (request.id, event.id)
    with session_scope(db) as s:
        with pytest.raises(ev.EventError, match="pilih kegiatan lain"):
            accept_visit_request(s, ids[0], "admin", "", event_id=ids[1], now=NOW)
    with session_scope(db) as s:
        assert s.get(VisitRequest, ids[0]).status == "new"
    assert _outbox(db, "visit_request_decision") == []


def test_reminders_go_once_the_day_before(db: str) -> None:
    tomorrow = NOW.date() + dt.timedelta(days=1)
    with session_scope(db) as s:
        event = make_event(s, tomorrow)
        session_event = make_event(s, tomorrow, kind="info_session", title="Sosialisasi Anti Calo")
        far = make_event(s, tomorrow + dt.timedelta(days=5))
        yesterday = NOW - dt.timedelta(days=2)
        register_directly(s, event, "telegram:1", "Siti Aminah", [("Siti Aminah", BORN), ("Budi", BORN)],
                          created_at=yesterday)
        register_directly(s, session_event, "telegram:2", "Anna", [("Anna", BORN)], language="en", created_at=yesterday)
        register_directly(s, event, "telegram:3", "Baru Daftar", [("Baru Daftar", BORN)], created_at=NOW)  # today
        register_directly(s, far, "telegram:4", "Nanti", [("Nanti", BORN)], created_at=yesterday)
        gone = register_directly(s, event, "telegram:5", "Batal", [("Batal", BORN)], created_at=yesterday)
        gone.status = "cancelled"
    with session_scope(db) as s:
        assert send_event_reminders(s, NOW.replace(hour=7)) == 0  # too early in the morning
        assert send_event_reminders(s, NOW) == 2
    with session_scope(db) as s:
        assert send_event_reminders(s, NOW + dt.timedelta(hours=3)) == 0
        assert s.scalars(select(EventRegistration).where(EventRegistration.reminded_at.is_not(None))).all()
    reminders = _outbox(db, "outreach_reminder")
    assert [m.sender_id for m in reminders] == ["telegram:1", "telegram:2"]
    text = reminders[0].text
    assert "Selasa, 1 Desember 2026, pukul 09.00–14.00 WIB" in text and "2 orang" in text
    assert "tanpa M-Paspor" in text and "Paspor hilang atau rusak" in text
    assert reminders[1].text.startswith("Dear Anna") and "information session" in reminders[1].text


def test_worker_pass_puts_reminders_in_the_outbox(db: str) -> None:
    from worker.outreach_jobs import run_outreach_jobs

    with session_scope(db) as s:
        event = make_event(s, NOW.date() + dt.timedelta(days=1))
        register_directly(s, event, "telegram:77", "Rina", [("Rina", BORN)], created_at=NOW - dt.timedelta(days=3))
    assert run_outreach_jobs(db) == 1
    assert run_outreach_jobs(db) == 0
    reminders = _outbox(db, "outreach_reminder")
    assert len(reminders) == 1 and reminders[0].sender_id == "telegram:77" and reminders[0].status == "pending"


def test_retention_purges_registrations_after_the_event_and_old_visit_requests(db: str) -> None:
    from office.outreach.retention import held_rows, purge_before

    with session_scope(db) as s:
        old = make_event(s, dt.date(2026, 1, 10))
        recent = make_event(s, dt.date(2026, 11, 20))
        register_directly(s, old, "telegram:1", "Lama", [("Lama", BORN), ("Anak Lama", BORN)])
        register_directly(s, recent, "telegram:2", "Baru", [("Baru", BORN)])
        stale = make_visit_request(s, sender_id="telegram:3")
        stale.created_at = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
        make_visit_request(s, sender_id="telegram:4")
        assert held_rows(s) == 2 + 3 + 2
    with session_scope(db) as s:
        removed = purge_before(s, dt.date(2026, 6, 1), dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc))
        assert removed == {"outreach_registrations": 1, "outreach_members": 2, "outreach_visit_requests": 1}
    with session_scope(db) as s:
        assert [r.leader_name for r in s.scalars(select(EventRegistration))] == ["Baru"]
        assert [r.sender_id for r in s.scalars(select(VisitRequest))] == ["telegram:4"]
        assert s.scalars(select(OutreachEvent)).all()  # events stay, with the count of people who came
        assert s.scalars(select(OutreachEvent).where(OutreachEvent.seats_taken == 2)).one()


def test_erasure_frees_places_and_deletes_the_senders_rows(db: str) -> None:
    from office import privacy_requests

    with session_scope(db) as s:
        coming = make_event(s, dt.date(2026, 12, 10))
        past = make_event(s, dt.date(2026, 11, 2))
        register_directly(s, coming, "telegram:9", "Hapus Saya", [("Hapus Saya", BORN), ("Anak", BORN)])
        register_directly(s, past, "telegram:9", "Hapus Saya", [("Hapus Saya", BORN)])
        register_directly(s, coming, "telegram:10", "Orang Lain", [("Orang Lain", BORN)])
        make_visit_request(s, sender_id="telegram:9")
        ids = (coming.id, past.id)
    with session_scope(db) as s:
        found = privacy_requests.record_export(s, "telegram:9", NOW)
        assert (found.outreach.registrations, found.outreach.members, found.outreach.visit_requests) == (2, 3, 1)
    with session_scope(db) as s:
        result = privacy_requests.erase(s, "telegram:9", NOW)
        assert result.request.summary["outreach_registrations_deleted"] == 2
        assert result.request.summary["outreach_visit_requests_deleted"] == 1
    with session_scope(db) as s:
        assert s.get(OutreachEvent, ids[0]).seats_taken == 1  # the two places are free again
        assert s.get(OutreachEvent, ids[1]).seats_taken == 1  # a past event keeps its count
        assert [r.sender_id for r in s.scalars(select(EventRegistration))] == ["telegram:10"]
        assert s.scalars(select(VisitRequest)).all() == []
        assert "Hapus Saya" not in [m.name for m in s.scalars(select(RegistrationMember))]
