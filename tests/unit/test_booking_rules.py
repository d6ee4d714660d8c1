"""Booking rules on a real SQLite database: phone numbers, codes, dates, capacity, reschedule, cancel."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import office.models  # noqa: F401
from office.booking import bookings as bk
from office.booking.catalogue import get_policy, get_service, list_services, read_default, save_policy
from office.booking.rules import (CODE_ALPHABET, PhoneError, clean_code, find_code, mask_phone, new_code,
                                  normalise_phone, phone_from_sender)
from office.db import Base, get_engine, session_scope
from office.profile import load_profile

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)  # Monday; 18-24 March is a holiday closure
CAL = load_profile().calendar


@pytest.fixture()
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    Base.metadata.create_all(get_engine(url))
    return url


@pytest.mark.parametrize("raw,expected", [
    ("0812-3456-7890", "+6281234567890"), ("+62 812 3456 789", "+628123456789"), ("6281234567890", "+6281234567890"),
    ("whatsapp:+6281234567890", "+6281234567890"), ("+62 0812 3456 7890", "+6281234567890"),
    ("(0821) 1234.5678", "+6282112345678"),
])
def test_phone_normalised(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["021 5551234", "+1 415 555 0100", "0812", "08123456789012345", "abc", "", "+6221555123"])
def test_phone_rejected(raw: str) -> None:
    with pytest.raises(PhoneError):
        normalise_phone(raw)


def test_phone_from_sender_and_mask() -> None:
    assert phone_from_sender("whatsapp:+6281234567890") == "+6281234567890"
    assert phone_from_sender("telegram:12345") is None
    assert mask_phone("+6281234567890") == "+62812****7890"


def test_codes_are_readable_aloud() -> None:
    for char in "0O1IL":
        assert char not in CODE_ALPHABET
    codes = {new_code() for _ in range(500)}
    assert len(codes) > 490 and all(len(c) == 6 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert clean_code("abc-234") == "ABC234"
    assert clean_code("ABO234") is None
    assert find_code("cek booking abc234 ya") == "ABC234"
    assert find_code("cek booking saya") is None
    assert find_code("batal booking kmnpqr") == "KMNPQR"
    assert find_code("status booking berapa") is None
    assert find_code("kode ABCDEFG terlalu panjang") is None


def test_catalogue_seeded_from_yaml(db: str) -> None:
    policy, services = read_default()
    with session_scope(db) as s:
        codes = [x.code for x in list_services(s)]
        assert codes == [x["code"] for x in services]
        assert get_policy(s) == policy
        assert all(x.booking_needed for x in list_services(s, bookable_only=True))
        assert get_service(s, "prioritas").line == "P"


def _book(db: str, day: dt.date, start: dt.time, phone: str = "081234567890", service: str = "BAP",
          now: dt.datetime = NOW) -> bk.BookingResult:
    with session_scope(db) as s:
        result = bk.book(s, service, day, start, "Siti Aminah", phone, "whatsapp:" + phone, now=now, calendar=CAL)
        if result.booking is not None:
            s.refresh(result.booking)
            s.expunge(result.booking)
        return result


def test_slots_follow_calendar_and_duration(db: str) -> None:
    with session_scope(db) as s:
        service = get_service(s, "BAP")
        times = bk.slot_times(CAL, service, dt.date(2026, 3, 17))
        assert times[0] == dt.time(8, 0) and times[1] == dt.time(8, 30) and times[-1] == dt.time(15, 30)
        assert bk.slot_times(CAL, service, dt.date(2026, 3, 19)) == []  # Nyepi
        assert bk.slot_times(CAL, service, dt.date(2026, 3, 15)) == []  # Sunday
        # today after 09:30: only later slots
        assert bk.slots_on(s, service, NOW.date(), NOW, CAL)[0].start == dt.time(10, 0)
        days = bk.open_days(s, service, NOW, CAL, count=3)
        assert days == [dt.date(2026, 3, 16), dt.date(2026, 3, 17), dt.date(2026, 3, 25)]


@pytest.mark.parametrize("day,reason,detail", [
    (dt.date(2026, 3, 13), bk.PAST, ""),
    (dt.date(2026, 3, 19), bk.CLOSED, "Hari Suci Nyepi"),
    (dt.date(2026, 3, 21), bk.CLOSED, "Idulfitri"),
    (dt.date(2026, 3, 22), bk.CLOSED, "Idulfitri"),
    (dt.date(2026, 3, 29), bk.CLOSED, ""),
    (dt.date(2026, 6, 30), bk.TOO_FAR, "30"),
])
def test_date_rules(db: str, day: dt.date, reason: str, detail: str) -> None:
    result = _book(db, day, dt.time(9, 0))
    assert (result.ok, result.reason, result.detail) == (False, reason, detail)


def test_same_day_cutoff(db: str) -> None:
    assert _book(db, NOW.date(), dt.time(13, 0)).ok
    late = NOW.replace(hour=12, minute=5)
    result = _book(db, NOW.date(), dt.time(14, 0), phone="081298765432", now=late)
    assert result.reason == bk.CUTOFF and result.alternatives and result.alternatives[0].day == dt.date(2026, 3, 17)
    with session_scope(db) as s:
        save_policy(s, {**get_policy(s).as_strings(), "same_day_cutoff": ""})
    assert _book(db, NOW.date(), dt.time(14, 0), phone="081298765432").reason == bk.CUTOFF


def test_bad_slot_name_phone(db: str) -> None:
    day = dt.date(2026, 3, 17)
    assert _book(db, day, dt.time(9, 10)).reason == bk.BAD_SLOT
    assert _book(db, NOW.date(), dt.time(9, 0)).reason == bk.BAD_SLOT  # already started
    assert _book(db, day, dt.time(9, 0), phone="021555123").reason == bk.BAD_PHONE
    with session_scope(db) as s:
        assert bk.book(s, "BAP", day, dt.time(9, 0), "12345", "081234567890", now=NOW, calendar=CAL).reason == bk.BAD_NAME
    assert bk.clean_name("  Budi   Santoso ") == "Budi Santoso"
    assert bk.clean_name("x") is None


def test_one_active_booking_per_phone_per_service(db: str) -> None:
    day = dt.date(2026, 3, 17)
    first = _book(db, day, dt.time(9, 0))
    assert first.ok
    again = _book(db, day, dt.time(10, 0), phone="+62 812 3456 7890")
    assert again.reason == bk.DUPLICATE and again.booking.code == first.booking.code
    assert _book(db, day, dt.time(10, 0), service="AMBIL").ok  # another service is fine
    with session_scope(db) as s:
        assert bk.cancel(s, first.booking.code, now=NOW).ok
    assert _book(db, day, dt.time(10, 0)).ok  # after cancelling, a new booking is allowed


def test_capacity_full_gives_nearest_alternatives(db: str) -> None:
    day = dt.date(2026, 3, 17)
    assert _book(db, day, dt.time(9, 0), phone="081200000001").ok
    assert _book(db, day, dt.time(9, 0), phone="081200000002").ok  # BAP: 2 per slot
    full = _book(db, day, dt.time(9, 0), phone="081200000003")
    assert full.reason == bk.FULL
    assert [a.start for a in full.alternatives[:2]] in ([dt.time(8, 30), dt.time(9, 30)],
                                                         [dt.time(9, 30), dt.time(8, 30)])
    with session_scope(db) as s:
        service = get_service(s, "BAP")
        slot = next(x for x in bk.slots_on(s, service, day, NOW, CAL) if x.start == dt.time(9, 0))
        assert slot.free == 0


def test_reschedule_policy_and_cancel(db: str) -> None:
    day = dt.date(2026, 3, 17)
    booking = _book(db, day, dt.time(9, 0)).booking
    with session_scope(db) as s:
        moved = bk.reschedule(s, booking.code, dt.date(2026, 3, 25), dt.time(10, 0), now=NOW, calendar=CAL)
        assert moved.ok and moved.booking.reschedules == 1
    with session_scope(db) as s:
        again = bk.reschedule(s, booking.code, dt.date(2026, 3, 26), dt.time(10, 0), now=NOW, calendar=CAL)
        assert again.reason == bk.RESCHEDULE_LIMIT
        service = get_service(s, "BAP")
        old = next(x for x in bk.slots_on(s, service, day, NOW, CAL) if x.start == dt.time(9, 0))
        assert old.free == 2  # the old place was given back
    # on the day itself (0 days before) a reschedule is refused with the default policy
    other = _book(db, day, dt.time(11, 0), service="AMBIL").booking
    day_of = dt.datetime(2026, 3, 17, 7, 0, tzinfo=WIB)
    with session_scope(db) as s:
        assert bk.reschedule(s, other.code, dt.date(2026, 3, 25), dt.time(9, 0), now=day_of,
                             calendar=CAL).reason == bk.RESCHEDULE_TOO_LATE
        assert bk.cancel(s, other.code, now=day_of).ok
        assert bk.cancel(s, other.code, now=day_of).reason == bk.NOT_ACTIVE
        assert bk.cancel(s, "ZZZZZZ", now=day_of).reason == bk.NOT_FOUND


def test_catalogue_errors_are_readable_for_staff() -> None:
    from office.booking.catalogue import CatalogueError, parse_policy, service_values

    with pytest.raises(CatalogueError, match="Maksimal ubah jadwal: harus bilangan bulat"):
        parse_policy({"max_reschedules": "abc"})
    with pytest.raises(CatalogueError, match="Batas booking hari yang sama: gunakan format JJ:MM"):
        parse_policy({"same_day_cutoff": "siang"})
    assert parse_policy({"same_day_cutoff": "11.30"}).same_day_cutoff == dt.time(11, 30)
    with pytest.raises(CatalogueError, match="kapasitas per slot minimal 1"):
        service_values({"code": "X", "name": "X", "line": "X", "capacity_per_slot": 0, "booking_needed": True})
    with pytest.raises(CatalogueError, match="Hari: 'xyz' tidak dikenal"):
        service_values({"code": "X", "name": "X", "line": "X", "weekdays": "xyz"})
    assert service_values({"code": "X", "name": "X", "line": "X", "weekdays": "senin, rabu, jumat"})["weekdays"] == "0,2,4"
