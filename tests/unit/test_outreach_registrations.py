"""Citizen side of mobile service days: places, schedules, member lists, registrations within the quota
(also under concurrency, on SQLite and PostgreSQL) and visit requests."""
from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import func, select

import office.models  # noqa: F401
from office.db import Base, get_engine, session_scope
from office.outreach import registrations as reg
from office.outreach import visit_requests as vr
from office.outreach.event_models import EventRegistration, OutreachEvent, RegistrationMember, VisitRequest
from office.outreach.places import load_places, match_place, order_by_nearness
from office.outreach.schedule import nearest_events, read_question, upcoming_events
from tests.pg import postgres_database

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)
TODAY = NOW.date()


def _event(s, kecamatan: str, day: dt.date, quota: int = 10, kind: str = "service_day", status: str = "published",
           taken: int = 0, title: str = "Layanan Paspor Keliling") -> int:
    event = OutreachEvent(kind=kind, title=title, place=f"Balai Desa {kecamatan}", kecamatan=kecamatan,
                          kabupaten="Tulang Bawang Barat", day=day, start_time=dt.time(9, 0), end_time=dt.time(14, 0),
                          quota=quota, seats_taken=taken, services="Paspor baru\nPenggantian paspor", description="",
                          status=status, created_by="test", created_at=NOW)
    s.add(event)
    s.flush()
    return event.id


@pytest.fixture()
def db(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    Base.metadata.create_all(get_engine(url))
    yield url
    get_engine(url).dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'office.db'}"
        Base.metadata.create_all(get_engine(url))
        yield url
        get_engine(url).dispose()
        return
    gen = postgres_database()
    url = next(gen)
    Base.metadata.create_all(get_engine(url))
    yield url
    try:
        next(gen)
    except StopIteration:
        pass


# ---------------------------------------------------------------------------------------------- places
@pytest.mark.parametrize("text,expected", [
    ("kapan ada layanan keliling di Tumijajar?", "Tumijajar"),
    ("jemput bola di tumijajr", "Tumijajar"),
    ("tumi jajar", "Tumijajar"),
    ("is there a mobile passport service near Gunung Agung?", "Gunung Agung"),
    ("gunung terang", "Gunung Terang"),
    ("lambu kibng", "Lambu Kibang"),
    ("TULANG BAWANG UDIK", "Tulang Bawang Udik"),
    ("Panaragan", "Tulang Bawang Tengah"),
    ("pagardewa", "Pagar Dewa"),
    ("di Way Kenanga bulan ini", "Way Kenanga"),
    ("batu putih", "Batu Putih"),
])
def test_match_place_tolerates_case_spaces_and_typos(text: str, expected: str) -> None:
    place = match_place(text)
    assert place is not None and place.name == expected


@pytest.mark.parametrize("text", ["di Menggala", "ada jemput bola bulan ini?", "tulang bawang barat", "gunung",
                                  "Way Kanan", ""])
def test_match_place_refuses_what_it_does_not_know(text: str) -> None:
    assert match_place(text) is None


def test_all_nine_kecamatan_are_known() -> None:
    names = {p.name for p in load_places()}
    assert names == {"Tulang Bawang Tengah", "Tumijajar", "Tulang Bawang Udik", "Gunung Terang", "Gunung Agung",
                     "Way Kenanga", "Lambu Kibang", "Pagar Dewa", "Batu Putih"}


def test_order_by_nearness_puts_the_place_first_then_neighbours() -> None:
    class E:
        def __init__(self, kecamatan: str, day: int) -> None:
            self.kecamatan, self.day = kecamatan, dt.date(2026, 4, day)

    events = [E("Pagar Dewa", 1), E("Gunung Terang", 20), E("Gunung Agung", 25), E("Menggala", 2)]
    ordered = [e.kecamatan for e in order_by_nearness(events, match_place("Gunung Agung"))]
    assert ordered[0] == "Gunung Agung" and ordered[1] == "Gunung Terang" and ordered[-1] == "Menggala"
    assert [e.kecamatan for e in order_by_nearness(events, None)][0] == "Pagar Dewa"  # no place: by date


# ---------------------------------------------------------------------------------------------- schedule
def test_read_question_kind_month_and_place() -> None:
    q = read_question("kapan ada layanan keliling di Tumijajar?", TODAY)
    assert (q.kind, q.month, q.place.name, q.unknown_place) == ("service_day", None, "Tumijajar", None)
    q = read_question("ada jemput bola bulan ini?", TODAY)
    assert (q.kind, q.month, q.place) == ("service_day", (2026, 3), None)
    q = read_question("jadwal sosialisasi imigrasi", TODAY)
    assert (q.kind, q.month, q.place, q.unknown_place) == ("info_session", None, None, None)
    q = read_question("layanan keliling di Menggala bulan depan", TODAY)
    assert (q.place, q.unknown_place, q.month) == (None, "menggala", (2026, 4))
    assert read_question("any outreach in january?", TODAY).month == (2027, 1)
    q = read_question("jemput bola di Tubaba kapan?", TODAY)  # the whole kabupaten: not an unknown place
    assert (q.place, q.unknown_place) == (None, None)


def test_upcoming_events_filters_and_orders(db: str) -> None:
    with session_scope(db) as s:
        a = _event(s, "Tumijajar", dt.date(2026, 4, 7))
        b = _event(s, "tumi jajar", dt.date(2026, 3, 20))
        _event(s, "Tumijajar", dt.date(2026, 3, 1))                      # past
        _event(s, "Tumijajar", dt.date(2026, 3, 25), status="cancelled")  # not shown
        c = _event(s, "Gunung Terang", dt.date(2026, 3, 30), kind="info_session")
    with session_scope(db) as s:
        assert [e.id for e in upcoming_events(s, today=TODAY)] == [b, c, a]
        assert [e.id for e in upcoming_events(s, kecamatan="Tumijajr", today=TODAY)] == [b, a]
        assert [e.id for e in upcoming_events(s, month=(2026, 3), today=TODAY)] == [b, c]
        assert [e.id for e in upcoming_events(s, kind="info_session", today=TODAY)] == [c]
        assert [e.id for e in nearest_events(s, "Gunung Agung", today=TODAY)] == [c, b, a]
        assert [e.id for e in nearest_events(s, "Menggala", today=TODAY)] == [b, c, a]  # unknown: soonest


# ---------------------------------------------------------------------------------------------- member lists
def test_parse_members_reads_both_date_forms_and_bullets() -> None:
    members, problems = reg.parse_members("1. Siti Aminah, 12-05-1990\n\n- Budi, 3 Maret 2001\nAni Lestari 1985-01-31",
                                          TODAY)
    assert problems == []
    assert members == [("Siti Aminah", dt.date(1990, 5, 12)), ("Budi", dt.date(2001, 3, 3)),
                       ("Ani Lestari", dt.date(1985, 1, 31))]


def test_parse_members_says_which_line_and_why() -> None:
    text = ("Siti Aminah, 12-05-1990\n"
            "Budi\n"                              # 2: no date
            "R2D2, 01-01-1990\n"                  # 3: not a name
            "Ani, 3 Maret\n"                      # 4: no year
            "Dedi, 31-02-1990\n"                  # 5: no such date
            "Eka, 01-01-2030\n"                   # 6: future
            "Fajar, 1871234567890123 12-01-1990\n"  # 7: an NIK
            "siti  aminah, 12/05/1990\n"          # 8: same as line 1
            "Gita, kemarin dulu 2001\n")          # 9: unreadable
    members, problems = reg.parse_members(text, TODAY)
    assert members == [("Siti Aminah", dt.date(1990, 5, 12))]
    assert [(p.line_no, p.reason) for p in problems] == [
        (2, reg.LINE_FORMAT), (3, reg.LINE_NAME), (4, reg.LINE_YEAR), (5, reg.LINE_DATE_INVALID),
        (6, reg.LINE_FUTURE), (7, reg.LINE_ID_NUMBER), (8, reg.LINE_DUPLICATE), (9, reg.LINE_DATE)]
    assert problems[6].detail == "1"


def test_parse_members_refuses_huge_lists_without_reading_them() -> None:
    text = "\n".join(f"Orang Ke{chr(65 + i % 26)}, 01-01-1990" for i in range(500))
    members, problems = reg.parse_members(text, TODAY)
    assert members == [] and len(problems) == 1 and problems[0].reason == reg.LIST_TOO_LONG


# ---------------------------------------------------------------------------------------------- register
def _people(n: int, start: int = 0) -> list[tuple[str, dt.date]]:
    return [(f"Warga {chr(65 + (i // 26) % 26)}{chr(65 + i % 26)}", dt.date(1980, 1, 1) + dt.timedelta(days=i))
            for i in range(start, start + n)]


def _counts(db: str, event_id: int) -> tuple[int, int, int]:
    with session_scope(db) as s:
        return (s.scalar(select(OutreachEvent.seats_taken).where(OutreachEvent.id == event_id)),
                s.scalar(select(func.count(EventRegistration.id)).where(EventRegistration.event_id == event_id)),
                s.scalar(select(func.count(RegistrationMember.id)).where(RegistrationMember.event_id == event_id)))


def test_group_fills_quota_exactly_then_one_more_is_refused(db: str) -> None:
    with session_scope(db) as s:
        event_id = _event(s, "Tumijajar", dt.date(2026, 3, 20), quota=5)
    with session_scope(db) as s:
        result = reg.register(s, event_id, "web:a", "Siti Aminah", _people(5), "id", now=NOW)
        assert result.ok and result.places_left == 0 and result.registration.code.startswith("JB-")
    with session_scope(db) as s:
        result = reg.register(s, event_id, "web:b", "Budi", _people(1, start=10), "id", now=NOW)
        assert not result.ok and result.reason == reg.FULL and result.places_left == 0
    assert _counts(db, event_id) == (5, 1, 5)


def test_over_quota_says_places_left_and_writes_nothing(db: str) -> None:
    with session_scope(db) as s:
        event_id = _event(s, "Tumijajar", dt.date(2026, 3, 20), quota=5, taken=2)
    with session_scope(db) as s:
        result = reg.register(s, event_id, "web:a", "Siti Aminah", _people(4), "id", now=NOW)
        assert (result.ok, result.reason, result.places_left) == (False, reg.FULL, 3)
    assert _counts(db, event_id) == (2, 0, 0)


def test_refusals_write_nothing(db: str) -> None:
    with session_scope(db) as s:
        open_id = _event(s, "Tumijajar", dt.date(2026, 3, 20), quota=20)
        past_id = _event(s, "Tumijajar", dt.date(2026, 3, 13))
        today_over = _event(s, "Tumijajar", TODAY)
        closed_id = _event(s, "Tumijajar", dt.date(2026, 3, 27), status="closed")
    later = NOW.replace(hour=15)
    cases = [
        (past_id, _people(1), NOW, reg.PAST),
        (today_over, _people(1), later, reg.PAST),
        (closed_id, _people(1), NOW, reg.CLOSED),
        (open_id, _people(1) * 2, NOW, reg.DUPLICATE),
        (open_id, [("Bayi Masa Depan", dt.date(2027, 1, 1))], NOW, reg.BAD_BIRTH_DATE),
        (open_id, [], NOW, reg.EMPTY),
        (open_id, _people(reg.MAX_GROUP + 1), NOW, reg.TOO_MANY),
        (999, _people(1), NOW, reg.NOT_FOUND),
    ]
    for event_id, members, now, reason in cases:
        with session_scope(db) as s:
            result = reg.register(s, event_id, "web:x", "Siti Aminah", members, "id", now=now)
            assert (result.ok, result.reason) == (False, reason), (event_id, reason)
    with session_scope(db) as s:
        assert reg.register(s, open_id, "web:x", "Siti Aminah", _people(2), "id", now=NOW).ok
    with session_scope(db) as s:  # the same person again (another spelling of the name) is refused
        result = reg.register(s, open_id, "web:y", "Budi", [("warga  aa", dt.date(1980, 1, 1))], "id", now=NOW)
        assert (result.ok, result.reason, result.names) == (False, reg.ALREADY, ["warga aa"])
    assert _counts(db, open_id) == (2, 1, 2)


def test_cancel_frees_places_and_deletes_members(db: str) -> None:
    with session_scope(db) as s:
        event_id = _event(s, "Tumijajar", dt.date(2026, 3, 20), quota=5)
    with session_scope(db) as s:
        code = reg.register(s, event_id, "web:a", "Siti Aminah", _people(3), "id", now=NOW).registration.code
    with session_scope(db) as s:
        assert reg.cancel_registration(s, code, "web:other", now=NOW).reason == reg.NOT_YOURS
        assert [r.code for r in reg.registrations_of(s, "web:a", today=TODAY)] == [code]
    with session_scope(db) as s:
        result = reg.cancel_registration(s, code.lower().replace("-", " "), "web:a", now=NOW)
        assert result.ok and result.places_left == 5
    with session_scope(db) as s:
        assert reg.cancel_registration(s, code, "web:a", now=NOW).reason == reg.NOT_ACTIVE
        assert reg.registrations_of(s, "web:a", today=TODAY) == []
    assert _counts(db, event_id) == (0, 1, 0)
    assert reg.find_code("tolong batal pendaftaran jb-" + code[3:].lower()) == code


def test_concurrent_groups_never_exceed_the_quota(any_db: str) -> None:
    with session_scope(any_db) as s:
        event_id = _event(s, "Tumijajar", dt.date(2026, 3, 20), quota=30)
    attempts = 24
    barrier = threading.Barrier(attempts)

    def attempt(i: int) -> tuple[bool, str | None]:
        barrier.wait()
        with session_scope(any_db) as s:
            result = reg.register(s, event_id, f"web:{i}", "Ketua Rombongan", _people(4, start=i * 4), "id", now=NOW)
            return result.ok, result.reason

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        results = list(pool.map(attempt, range(attempts)))
    assert sum(ok for ok, _ in results) == 7  # 7 groups of 4 = 28 <= 30; an eighth would make 32
    assert all(reason == reg.FULL for ok, reason in results if not ok)
    assert _counts(any_db, event_id) == (28, 7, 28)
    with session_scope(any_db) as s:  # the last 2 places: a pair fits exactly, one more does not
        assert reg.register(s, event_id, "web:pair", "Ketua", _people(2, start=500), "id", now=NOW).ok
    with session_scope(any_db) as s:
        result = reg.register(s, event_id, "web:one", "Ketua", _people(1, start=600), "id", now=NOW)
        assert (result.ok, result.reason, result.places_left) == (False, reg.FULL, 0)
    assert _counts(any_db, event_id) == (30, 8, 30)


# ---------------------------------------------------------------------------------------------- visit requests
def test_visit_request_saved_with_code_and_dates(db: str) -> None:
    with session_scope(db) as s:
        request = vr.submit_visit_request(s, "web:v", "id", "SMA Negeri 1 Tumijajar", "Bapak Sutrisno",
                                          "Aula SMA Negeri 1", "Tumijajar", "sekitar 40 orang", "5 atau 12 April 2026",
                                          today=TODAY)
        code = request.code
    assert code.startswith("KJ-")
    with session_scope(db) as s:
        saved = s.scalar(select(VisitRequest).where(VisitRequest.code == code))
        assert (saved.headcount, saved.status, saved.kecamatan) == (40, "new", "Tumijajar")
        assert saved.preferred_dates.startswith("5 atau 12 April 2026") and "2026-04-12" in saved.preferred_dates


@pytest.mark.parametrize("field,value,reason", [
    ("headcount", "nol", vr.BAD_HEADCOUNT), ("headcount", "0", vr.BAD_HEADCOUNT),
    ("headcount", "1000000", vr.HEADCOUNT_TOO_LARGE), ("dates", "kemarin", vr.PAST_DATE),
    ("dates", "31 Februari 2027", vr.INVALID_DATE), ("contact", "08123456789", vr.BAD_CONTACT),
    ("organisation", "1", vr.BAD_ORGANISATION), ("organisation", "/consent_agree", vr.BAD_ORGANISATION),
])
def test_visit_request_bad_input_writes_nothing(db: str, field: str, value: str, reason: str) -> None:
    values = {"organisation": "Desa Daya Murni", "contact": "Ibu Ratna", "headcount": "30", "dates": "20 April 2026"}
    values[field] = value
    with session_scope(db) as s:
        with pytest.raises(vr.VisitRequestError) as err:
            vr.submit_visit_request(s, "web:v", "id", values["organisation"], values["contact"], "Balai Desa",
                                    "Tumijajar", values["headcount"], values["dates"], today=TODAY)
        assert err.value.reason == reason
    with session_scope(db) as s:
        assert s.scalar(select(func.count(VisitRequest.id))) == 0
