"""Holidays edited in the back-office: the rules (office.holidays), one calendar for bookings, the
queue and complaint SLAs, the warning for existing bookings, and the settings page over HTTP."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import office.staff as staff
from office import audit
from office.booking import bookings as bk
from office.booking import queue as q
from office.booking.catalogue import get_policy
from office.booking.closures import closure_notice_text
from office.calendar import Holiday
from office.complaints.service import sla_deadlines
from office.db import session_scope
from office.holidays import (HolidayChange, HolidayError, OfficeHoliday, apply_change, effective_holidays,
                             office_calendar, parse_holiday_form, plan_change, year_holidays)
from office.outbox import OutboxMessage
from office.profile import load_profile
from tests.backoffice_support import cheap_password_hasher, create_schema, csrf_from, login, make_user

NOW = "2026-03-16T09:30:00"  # Monday; Tuesday 17 March is a working day in the profile
TUESDAY = dt.date(2026, 3, 17)
MAY_DAY = dt.date(2026, 5, 1)  # Hari Buruh (a Friday) in the profile
DEFAULTS = load_profile().holidays
TODAY = dt.date(2026, 3, 16)


@pytest.fixture()
def url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("OFFICE_NOW", NOW)
    create_schema(url)
    return url


def _change(url, change, actor="admin"):
    with session_scope(url) as s:
        plan = plan_change(s, change, DEFAULTS)
        apply_change(s, plan, actor)
        return plan


def _add(url, day, name="Libur daerah", kind="libur_nasional"):
    return _change(url, HolidayChange("add", day.year, Holiday(day, name, kind)))


def test_profile_defaults_until_a_year_is_edited(url):
    with session_scope(url) as s:
        holidays, managed = year_holidays(s, 2026, DEFAULTS)
        assert not managed and holidays == sorted(h for h in DEFAULTS if h.date.year == 2026)
        assert effective_holidays(s, DEFAULTS) == sorted(DEFAULTS, key=lambda h: (h.date, h.name))
    assert office_calendar().is_working_day(TUESDAY)

    _add(url, TUESDAY, "Hari Jadi Kabupaten")
    with session_scope(url) as s:
        holidays, managed = year_holidays(s, 2026, DEFAULTS)
        assert managed and len(holidays) == len([h for h in DEFAULTS if h.date.year == 2026]) + 1
        assert s.scalar(select(OfficeHoliday).where(OfficeHoliday.day == TUESDAY)).updated_by == "admin"
    cal = office_calendar()
    assert not cal.is_working_day(TUESDAY) and cal.holiday_on(TUESDAY).name == "Hari Jadi Kabupaten"
    assert not cal.is_working_day(dt.date(2026, 8, 17))  # the copied defaults still close their days


def test_removed_default_is_remembered_and_reset_restores_it(url):
    assert not office_calendar().is_working_day(MAY_DAY)
    plan = _change(url, HolidayChange("remove", 2026, original=MAY_DAY))
    assert plan.newly_closed == []
    assert office_calendar().is_working_day(MAY_DAY)
    with session_scope(url) as s:
        assert s.scalar(select(OfficeHoliday).where(OfficeHoliday.day == MAY_DAY)).removed
    _change(url, HolidayChange("reset", 2026))
    with session_scope(url) as s:
        assert year_holidays(s, 2026, DEFAULTS)[1] is False
    assert not office_calendar().is_working_day(MAY_DAY)


def test_edit_moves_a_holiday_and_reports_the_newly_closed_day(url):
    plan = _change(url, HolidayChange("edit", 2026, Holiday(dt.date(2026, 5, 4), "Hari Buruh (digeser)",
                                                              "libur_nasional"), original=MAY_DAY))
    assert plan.newly_closed == [dt.date(2026, 5, 4)]
    cal = office_calendar()
    assert cal.is_working_day(MAY_DAY) and not cal.is_working_day(dt.date(2026, 5, 4))
    _change(url, HolidayChange("edit", 2026, Holiday(dt.date(2026, 5, 4), "Hari Buruh", "cuti_bersama"),
                               original=dt.date(2026, 5, 4)))
    assert office_calendar().holiday_on(dt.date(2026, 5, 4)).kind == "cuti_bersama"


@pytest.mark.parametrize("day,name,kind,message", [
    ("17-08-2026", "X", "libur_nasional", "format"), ("2026-02-30", "X", "libur_nasional", "format"),
    ("2062-08-17", "X", "libur_nasional", "antara tahun 2025 dan 2028"), ("2026-08-18", "  ", "libur_nasional", "wajib"),
    ("2026-08-18", "x" * 121, "libur_nasional", "terlalu panjang"), ("2026-08-18", "X", "libur", "Jenis"),
])
def test_form_validation(day, name, kind, message):
    with pytest.raises(HolidayError, match=message):
        parse_holiday_form(day, name, kind, TODAY)
    assert parse_holiday_form(" 2026-08-18 ", "  Libur   daerah ", "cuti_bersama", TODAY) == Holiday(
        dt.date(2026, 8, 18), "Libur daerah", "cuti_bersama")


def test_duplicates_and_unknown_entries_are_refused_and_change_nothing(url):
    with session_scope(url) as s:
        with pytest.raises(HolidayError, match="sudah terdaftar"):
            plan_change(s, HolidayChange("add", 2026, Holiday(MAY_DAY, "Lagi", "libur_nasional")), DEFAULTS)
        with pytest.raises(HolidayError, match="tidak ada"):
            plan_change(s, HolidayChange("remove", 2026, original=TUESDAY), DEFAULTS)
        with pytest.raises(HolidayError, match="sudah terdaftar"):  # moving onto another holiday
            plan_change(s, HolidayChange("edit", 2026, Holiday(dt.date(2026, 8, 17), "X", "libur_nasional"),
                                         original=MAY_DAY), DEFAULTS)
        with pytest.raises(HolidayError, match="tahun 2026"):
            plan_change(s, HolidayChange("add", 2026, Holiday(dt.date(2027, 1, 4), "X", "libur_nasional")), DEFAULTS)
        assert s.scalars(select(OfficeHoliday)).all() == []


def test_booking_queue_and_sla_share_the_edited_calendar(url):
    now = dt.datetime(2026, 3, 16, 9, 30)
    with session_scope(url) as s:
        assert bk.book(s, "AMBIL", TUESDAY, dt.time(10, 0), "Budi", "081234567890", "web:1", now=now).ok
    created = dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    before = sla_deadlines(created)
    _add(url, TUESDAY)
    _add(url, dt.date(2026, 3, 16), "Libur mendadak")
    with session_scope(url) as s:
        refused = bk.book(s, "AMBIL", TUESDAY, dt.time(11, 0), "Ani", "081234567891", "web:2", now=now)
        assert refused.reason == bk.CLOSED and refused.detail == "Libur daerah"
        assert q.take_walkin(s, "BAP", "web:3", now=now).reason == q.CLOSED
        assert TUESDAY not in bk.open_days(s, bk.get_service(s, "AMBIL"), now)
    after = sla_deadlines(created)
    assert after[0] > before[0]  # Tuesday no longer counts as a working day
    assert office_calendar().working_days_between(created, after[0]) == 3


def test_booking_on_a_newly_closed_day_may_always_be_rescheduled(url):
    now = dt.datetime(2026, 3, 16, 9, 30)
    with session_scope(url) as s:
        booking = bk.book(s, "AMBIL", TUESDAY, dt.time(10, 0), "Budi", "081234567890", "web:1", now=now).booking
        assert bk.reschedule(s, booking.code, TUESDAY, dt.time(11, 0), now=now).ok  # the one allowed move
        policy = get_policy(s)
        assert bk.can_reschedule(booking, policy, now.date(), office_calendar()) == bk.RESCHEDULE_LIMIT
    _add(url, TUESDAY)
    with session_scope(url) as s:
        booking = bk.find_booking(s, booking.code)
        assert bk.can_reschedule(booking, get_policy(s), now.date(), office_calendar()) is None
        moved = bk.reschedule(s, booking.code, dt.date(2026, 3, 25), dt.time(10, 0), now=now)
        assert moved.ok, moved.reason


def test_closure_notice_in_the_booking_language(url):
    now = dt.datetime(2026, 3, 16, 9, 30)
    with session_scope(url) as s:
        en = bk.book(s, "AMBIL", TUESDAY, dt.time(10, 0), "John", "081234567890", "telegram:9", now=now,
                     language="en").booking
        holiday = Holiday(TUESDAY, "Hari Jadi Kabupaten", "libur_nasional")
        english = closure_notice_text(en, holiday, "Passport collection", en.language)
        assert en.language == "en" and "We apologise" in english and f"reschedule booking {en.code}" in english
        indonesian = closure_notice_text(en, holiday, "Pengambilan paspor")
        assert indonesian.startswith("Mohon maaf, Bapak/Ibu. Selasa, 17 Maret 2026 ditetapkan sebagai hari libur "
                                     "nasional (Hari Jadi Kabupaten)")
        assert f"ubah jadwal booking {en.code}" in indonesian and "tidak dibatalkan" in indonesian


# ---- the settings page over HTTP ----------------------------------------------------------------

@pytest.fixture()
def client(url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "unit-test-secret-key-0123456789")
    monkeypatch.setattr(staff, "_hasher", cheap_password_hasher())
    from backoffice.app import create_app

    return TestClient(create_app())


def _sign_in(url, client, role):
    password = make_user(url, f"u-{role}", role, unit="Pengaduan" if role == staff.OFFICER else None)
    assert login(client, f"u-{role}", password).status_code == 303


@pytest.mark.parametrize("role,status", [("admin", 200), ("supervisor", 200), ("counter", 403), ("officer", 403),
                                         ("editor", 403)])
def test_roles(url, client, role, status):
    _sign_in(url, client, role)
    assert client.get("/staff/holidays").status_code == status
    page = client.get("/staff")
    assert ('href="/staff/holidays"' in page.text) == (status == 200)


def test_page_lists_the_year_and_refuses_without_csrf(url, client):
    _sign_in(url, client, "supervisor")
    page = client.get("/staff/holidays?year=2026")
    assert "Jumat, 1 Mei 2026" in page.text and "Hari Buruh Internasional" in page.text
    assert "Cuti bersama Idulfitri" in page.text and "Daftar bawaan dari profil kantor" in page.text
    r = client.post("/staff/holidays", data={"action": "add", "year": "2026", "date": "2026-03-17", "name": "X",
                                             "kind": "libur_nasional"})
    assert r.status_code == 403
    assert office_calendar().is_working_day(TUESDAY)
    r = client.post("/staff/holidays", data={"csrf_token": csrf_from(page.text), "action": "add", "year": "2026",
                                             "date": "2026-05-01", "name": "Dobel", "kind": "libur_nasional"})
    assert r.status_code == 200 and "Tidak tersimpan" in r.text and "sudah terdaftar" in r.text
    with session_scope(url) as s:
        assert s.scalars(select(OfficeHoliday)).all() == []


def test_closing_a_booked_day_warns_lists_and_notifies_on_confirm(url, client):
    now = dt.datetime(2026, 3, 16, 9, 30)
    with session_scope(url) as s:
        chat = bk.book(s, "AMBIL", TUESDAY, dt.time(10, 0), "Budi O'Neil", "081234567890", "whatsapp:+6281234567890",
                       now=now, language="en").booking.code
        walk = bk.book(s, "BAP", TUESDAY, dt.time(9, 0), "Siti Aminah", "081234567891", "", now=now).booking.code
    _sign_in(url, client, "admin")
    token = csrf_from(client.get("/staff/holidays").text)
    form = {"csrf_token": token, "action": "add", "year": "2026", "date": "2026-03-17", "name": "Hari Jadi Kabupaten",
            "kind": "cuti_bersama"}
    r = client.post("/staff/holidays", data=form)
    assert r.status_code == 409
    assert "2 booking pada hari yang akan ditutup" in r.text and "belum disimpan" in r.text
    assert chat in r.text and walk in r.text and "+62812****7890" in r.text and "081234567890" not in r.text
    assert "Budi O&#39;Neil" in r.text
    assert office_calendar().is_working_day(TUESDAY)  # nothing saved yet

    r = client.post("/staff/holidays", data={**form, "confirm": "1", "notify": "on"})
    assert r.status_code == 200 and "Hari libur ditambahkan. Pemberitahuan dikirim" in r.text
    assert not office_calendar().is_working_day(TUESDAY)
    with session_scope(url) as s:
        sent = s.scalars(select(OutboxMessage)).all()
        assert [(m.sender_id, m.kind) for m in sent] == [("whatsapp:+6281234567890", "booking_closure")]
        assert sent[0].text.startswith("We apologise") and json.loads(sent[0].payload)["booking"] == chat
        assert bk.find_booking(s, chat).status == "active" and bk.find_booking(s, walk).status == "active"
        entry = audit.recent(s, action="holiday_add")[0]
        assert entry.actor == "u-admin" and entry.target == "2026-03-17"
        assert sorted(entry.detail["affected_bookings"]) == sorted([chat, walk]) and entry.detail["notified"] == [chat]

    r = client.post("/staff/holidays", data={"csrf_token": token, "action": "remove", "year": "2026",
                                             "original": "2026-03-17"})
    assert "Hari libur dihapus." in r.text and office_calendar().is_working_day(TUESDAY)
    r = client.post("/staff/holidays", data={"csrf_token": token, "action": "reset", "year": "2026"})
    assert "dikembalikan ke bawaan" in r.text
    with session_scope(url) as s:
        assert [e.action for e in audit.recent(s)][:3] == ["holiday_reset", "holiday_remove", "holiday_add"]
