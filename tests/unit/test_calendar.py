"""Working-day calendar: 2026 holidays (SKB 3 Menteri), opening hours, SLA arithmetic."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import yaml

from office.calendar import Holiday, OfficeCalendar, parse_holidays, parse_opening_hours

D = dt.date
T = dt.time
WIB = ZoneInfo("Asia/Jakarta")

# The 2026 list from reference/immigration-facts.md section 4 (17 libur nasional, 8 cuti bersama),
# in the form the office profile holds it.
HOLIDAYS_2026_YAML = """
holidays:
  - {date: 2026-01-01, kind: libur_nasional, name: Tahun Baru Masehi}
  - {date: 2026-01-16, kind: libur_nasional, name: Isra Mikraj Nabi Muhammad SAW}
  - {date: 2026-02-16, kind: cuti_bersama, name: Cuti bersama Tahun Baru Imlek}
  - {date: 2026-02-17, kind: libur_nasional, name: Tahun Baru Imlek}
  - {date: 2026-03-18, kind: cuti_bersama, name: Cuti bersama Hari Suci Nyepi}
  - {date: 2026-03-19, kind: libur_nasional, name: Hari Suci Nyepi}
  - {date: 2026-03-20, kind: cuti_bersama, name: Cuti bersama Idulfitri}
  - {date: 2026-03-21, kind: libur_nasional, name: Idulfitri}
  - {date: 2026-03-22, kind: libur_nasional, name: Idulfitri}
  - {date: 2026-03-23, kind: cuti_bersama, name: Cuti bersama Idulfitri}
  - {date: 2026-03-24, kind: cuti_bersama, name: Cuti bersama Idulfitri}
  - {date: 2026-04-03, kind: libur_nasional, name: Wafat Yesus Kristus}
  - {date: 2026-04-05, kind: libur_nasional, name: Kebangkitan Yesus Kristus (Paskah)}
  - {date: 2026-05-01, kind: libur_nasional, name: Hari Buruh Internasional}
  - {date: 2026-05-14, kind: libur_nasional, name: Kenaikan Yesus Kristus}
  - {date: 2026-05-15, kind: cuti_bersama, name: Cuti bersama Kenaikan Yesus Kristus}
  - {date: 2026-05-27, kind: libur_nasional, name: Iduladha}
  - {date: 2026-05-28, kind: cuti_bersama, name: Cuti bersama Iduladha}
  - {date: 2026-05-31, kind: libur_nasional, name: Hari Raya Waisak}
  - {date: 2026-06-01, kind: libur_nasional, name: Hari Lahir Pancasila}
  - {date: 2026-06-16, kind: libur_nasional, name: 1 Muharam (Tahun Baru Islam)}
  - {date: 2026-08-17, kind: libur_nasional, name: Hari Kemerdekaan Republik Indonesia}
  - {date: 2026-08-25, kind: libur_nasional, name: Maulid Nabi Muhammad SAW}
  - {date: 2026-12-24, kind: cuti_bersama, name: Cuti bersama Kelahiran Yesus Kristus}
  - {date: 2026-12-25, kind: libur_nasional, name: Kelahiran Yesus Kristus (Natal)}
"""

# Written out independently of the YAML above, so a typo in one of them fails the comparison test.
LIBUR_NASIONAL_2026 = [
    D(2026, 1, 1), D(2026, 1, 16), D(2026, 2, 17), D(2026, 3, 19), D(2026, 3, 21), D(2026, 3, 22),
    D(2026, 4, 3), D(2026, 4, 5), D(2026, 5, 1), D(2026, 5, 14), D(2026, 5, 27), D(2026, 5, 31),
    D(2026, 6, 1), D(2026, 6, 16), D(2026, 8, 17), D(2026, 8, 25), D(2026, 12, 25),
]
CUTI_BERSAMA_2026 = [
    D(2026, 2, 16), D(2026, 3, 18), D(2026, 3, 20), D(2026, 3, 23), D(2026, 3, 24), D(2026, 5, 15),
    D(2026, 5, 28), D(2026, 12, 24),
]

# Monday-Friday, with a lunch break on Friday to exercise several intervals a day. These are test
# values, not the office's published hours (the profile holds those).
HOURS = {
    0: [(T(8), T(16))], 1: [(T(8), T(16))], 2: [(T(8), T(16))], 3: [(T(8), T(16))],
    4: [(T(8), T(11, 30)), (T(13), T(16))],
}


@pytest.fixture(scope="module")
def holidays() -> list[Holiday]:
    return parse_holidays(yaml.safe_load(HOLIDAYS_2026_YAML)["holidays"])


@pytest.fixture(scope="module")
def cal(holidays: list[Holiday]) -> OfficeCalendar:
    return OfficeCalendar(holidays, HOURS)


# ---- the 2026 list --------------------------------------------------------------------------------

def test_2026_list_matches_fact_sheet(holidays: list[Holiday]) -> None:
    nasional = sorted(h.date for h in holidays if h.kind == "libur_nasional")
    cuti = sorted(h.date for h in holidays if h.kind == "cuti_bersama")
    assert nasional == LIBUR_NASIONAL_2026
    assert len(nasional) == 17
    assert cuti == CUTI_BERSAMA_2026
    assert len(cuti) == 8
    assert len({h.date for h in holidays}) == 25


@pytest.mark.parametrize("day, kind, name_part", [
    (D(2026, 3, 23), "cuti_bersama", "Idulfitri"),
    (D(2026, 3, 21), "libur_nasional", "Idulfitri"),
    (D(2026, 3, 22), "libur_nasional", "Idulfitri"),
    (D(2026, 4, 5), "libur_nasional", "Paskah"),
    (D(2026, 8, 17), "libur_nasional", "Kemerdekaan"),
    (D(2026, 12, 24), "cuti_bersama", "Kelahiran"),
    (D(2026, 2, 16), "cuti_bersama", "Imlek"),
])
def test_holiday_on(cal: OfficeCalendar, day: dt.date, kind: str, name_part: str) -> None:
    holiday = cal.holiday_on(day)
    assert holiday is not None
    assert holiday.kind == kind
    assert name_part in holiday.name


def test_no_holiday_on_ordinary_days(cal: OfficeCalendar) -> None:
    assert cal.holiday_on(D(2026, 3, 25)) is None
    assert cal.holiday_on(D(2026, 12, 7)) is None
    assert cal.holiday_on(dt.datetime(2026, 3, 23, 9, 0)) is not None


def test_kind_label(cal: OfficeCalendar) -> None:
    assert cal.holiday_on(D(2026, 3, 23)).kind_label == "Cuti bersama"  # type: ignore[union-attr]
    assert cal.holiday_on(D(2026, 8, 17)).kind_label == "Libur nasional"  # type: ignore[union-attr]


# ---- working days -----------------------------------------------------------------------------------

@pytest.mark.parametrize("day, working", [
    (D(2026, 11, 30), True),    # Monday
    (D(2026, 12, 4), True),     # Friday
    (D(2026, 12, 5), False),    # Saturday ("besok" on a Friday)
    (D(2026, 11, 29), False),   # Sunday
    (D(2026, 3, 23), False),    # Monday, cuti bersama Idulfitri
    (D(2026, 3, 17), True),     # Tuesday before the closure
    (D(2026, 3, 25), True),     # Wednesday after the closure
    (D(2026, 8, 17), False),    # Monday, Independence Day
    (D(2026, 8, 18), True),
    (D(2026, 4, 3), False),     # Good Friday
    (D(2026, 4, 5), False),     # Easter, a Sunday anyway
    (D(2026, 12, 24), False),
    (D(2026, 12, 25), False),
    (D(2026, 12, 28), True),
    (D(2027, 1, 1), True),      # 2027 holidays are not loaded: a Friday like any other
])
def test_is_working_day(cal: OfficeCalendar, day: dt.date, working: bool) -> None:
    assert cal.is_working_day(day) is working


def test_18_to_24_march_is_one_closure(cal: OfficeCalendar) -> None:
    closure = [D(2026, 3, 18) + dt.timedelta(days=i) for i in range(7)]
    assert [cal.is_working_day(d) for d in closure] == [False] * 7
    assert cal.is_working_day(D(2026, 3, 17))
    assert cal.is_working_day(D(2026, 3, 25))
    assert cal.next_working_day(D(2026, 3, 17)) == D(2026, 3, 25)
    assert [h.date for h in cal.holidays_between(D(2026, 3, 18), D(2026, 3, 24))] == [
        D(2026, 3, 18), D(2026, 3, 19), D(2026, 3, 20), D(2026, 3, 21), D(2026, 3, 22), D(2026, 3, 23),
        D(2026, 3, 24)]


@pytest.mark.parametrize("start, n, include_start, expected", [
    (D(2026, 11, 29), 3, False, [D(2026, 11, 30), D(2026, 12, 1), D(2026, 12, 2)]),
    (D(2026, 12, 4), 2, False, [D(2026, 12, 7), D(2026, 12, 8)]),
    (D(2026, 12, 4), 2, True, [D(2026, 12, 4), D(2026, 12, 7)]),
    (D(2026, 12, 5), 1, True, [D(2026, 12, 7)]),
    (D(2026, 3, 17), 2, True, [D(2026, 3, 17), D(2026, 3, 25)]),
    (D(2026, 12, 22), 4, False, [D(2026, 12, 23), D(2026, 12, 28), D(2026, 12, 29), D(2026, 12, 30)]),
    (D(2026, 8, 14), 2, False, [D(2026, 8, 18), D(2026, 8, 19)]),
    (D(2026, 5, 13), 3, False, [D(2026, 5, 18), D(2026, 5, 19), D(2026, 5, 20)]),
    (D(2026, 11, 29), 0, False, []),
])
def test_next_working_days(cal: OfficeCalendar, start: dt.date, n: int, include_start: bool,
                           expected: list[dt.date]) -> None:
    assert cal.next_working_days(start, n, include_start=include_start) == expected


@pytest.mark.parametrize("start, n, expected", [
    # Friday 15:00 + 1 working day -> Monday 15:00
    (dt.datetime(2026, 12, 4, 15, 0), 1, dt.datetime(2026, 12, 7, 15, 0)),
    # Saturday + 1 -> Monday
    (dt.datetime(2026, 12, 5, 10, 0), 1, dt.datetime(2026, 12, 7, 10, 0)),
    # Sunday 29 Nov + 5 -> Friday 4 Dec
    (dt.datetime(2026, 11, 29, 9, 30), 5, dt.datetime(2026, 12, 4, 9, 30)),
    # Tuesday 17 March + 1 jumps the whole Lebaran closure
    (dt.datetime(2026, 3, 17, 14, 0), 1, dt.datetime(2026, 3, 25, 14, 0)),
    # Monday 16 March + 3 -> 17, 25, 26 March
    (dt.datetime(2026, 3, 16, 8, 0), 3, dt.datetime(2026, 3, 26, 8, 0)),
    # Wednesday 13 May + 2: Thursday Kenaikan, Friday cuti bersama -> Monday, Tuesday
    (dt.datetime(2026, 5, 13, 11, 0), 2, dt.datetime(2026, 5, 19, 11, 0)),
    # Friday 14 Aug + 1: Monday 17 Aug is a holiday -> Tuesday
    (dt.datetime(2026, 8, 14, 9, 0), 1, dt.datetime(2026, 8, 18, 9, 0)),
    # year end: Wednesday 23 Dec + 2 -> Monday 28, Tuesday 29
    (dt.datetime(2026, 12, 23, 16, 30), 2, dt.datetime(2026, 12, 29, 16, 30)),
    # n = 0 leaves the moment alone
    (dt.datetime(2026, 12, 5, 10, 0), 0, dt.datetime(2026, 12, 5, 10, 0)),
])
def test_add_working_days(cal: OfficeCalendar, start: dt.datetime, n: int, expected: dt.datetime) -> None:
    assert cal.add_working_days(start, n) == expected
    assert cal.working_days_between(start, expected) == n


def test_add_working_days_on_dates_and_aware_datetimes(cal: OfficeCalendar) -> None:
    assert cal.add_working_days(D(2026, 12, 4), 1) == D(2026, 12, 7)
    # 20:00 UTC on Friday 4 Dec is 03:00 on Saturday 5 Dec in Jakarta
    start = dt.datetime(2026, 12, 4, 20, 0, tzinfo=dt.timezone.utc)
    due = cal.add_working_days(start, 1)
    assert due == dt.datetime(2026, 12, 7, 3, 0, tzinfo=WIB)
    assert due.utcoffset() == dt.timedelta(hours=7)


def test_add_working_days_rejects_negative(cal: OfficeCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_working_days(D(2026, 12, 4), -1)
    with pytest.raises(ValueError):
        cal.next_working_days(D(2026, 12, 4), -1)


@pytest.mark.parametrize("a, b, expected", [
    (D(2026, 11, 29), D(2026, 11, 29), 0),
    (D(2026, 11, 29), D(2026, 12, 6), 5),
    (D(2026, 12, 4), D(2026, 12, 7), 1),
    (D(2026, 12, 7), D(2026, 12, 4), -1),
    (D(2026, 3, 17), D(2026, 3, 25), 1),
    (D(2026, 3, 13), D(2026, 3, 27), 5),   # 16, 17, 25, 26, 27 March
    (D(2026, 12, 18), D(2027, 1, 4), 9),   # 21-23, 28-31 Dec, 1 Jan 2027 (not loaded), 4 Jan
    (D(2026, 8, 16), D(2026, 8, 31), 9),   # 11 weekdays, minus 17 and 25 Aug
])
def test_working_days_between(cal: OfficeCalendar, a: dt.date, b: dt.date, expected: int) -> None:
    assert cal.working_days_between(a, b) == expected


def test_working_days_in_2026(cal: OfficeCalendar) -> None:
    weekdays = sum(1 for i in range(365) if (D(2026, 1, 1) + dt.timedelta(days=i)).weekday() < 5)
    holidays_on_weekdays = sum(1 for d in LIBUR_NASIONAL_2026 + CUTI_BERSAMA_2026 if d.weekday() < 5)
    # 21 and 22 March, 5 April and 31 May fall on a weekend: they close nothing extra
    assert holidays_on_weekdays == 21
    assert cal.working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == weekdays - holidays_on_weekdays


# ---- hours and moments ------------------------------------------------------------------------------

def test_hours_on(cal: OfficeCalendar) -> None:
    assert cal.hours_on(D(2026, 11, 30)) == [(T(8), T(16))]
    assert cal.hours_on(D(2026, 12, 4)) == [(T(8), T(11, 30)), (T(13), T(16))]
    assert cal.hours_on(D(2026, 12, 5)) == []
    assert cal.hours_on(D(2026, 3, 23)) == []
    assert cal.hours_on(D(2026, 4, 3)) == []


@pytest.mark.parametrize("moment, is_open", [
    (dt.datetime(2026, 11, 30, 8, 0), True),
    (dt.datetime(2026, 11, 30, 7, 59), False),
    (dt.datetime(2026, 11, 30, 15, 59), True),
    (dt.datetime(2026, 11, 30, 16, 0), False),
    (dt.datetime(2026, 12, 4, 12, 0), False),   # Friday break
    (dt.datetime(2026, 12, 4, 13, 0), True),
    (dt.datetime(2026, 12, 5, 10, 0), False),   # Saturday
    (dt.datetime(2026, 3, 23, 10, 0), False),   # cuti bersama
    (dt.datetime(2026, 8, 17, 10, 0), False),
    # 02:00 UTC is 09:00 WIB on Monday
    (dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.timezone.utc), True),
    # 10:00 UTC is 17:00 WIB
    (dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone.utc), False),
])
def test_is_open_at(cal: OfficeCalendar, moment: dt.datetime, is_open: bool) -> None:
    assert cal.is_open_at(moment) is is_open


@pytest.mark.parametrize("after, expected", [
    (dt.datetime(2026, 11, 29, 10, 0), dt.datetime(2026, 11, 30, 8, 0)),   # Sunday -> Monday
    (dt.datetime(2026, 11, 30, 7, 0), dt.datetime(2026, 11, 30, 8, 0)),    # before opening
    (dt.datetime(2026, 11, 30, 8, 0), dt.datetime(2026, 11, 30, 8, 0)),    # exactly at opening
    (dt.datetime(2026, 11, 30, 9, 0), dt.datetime(2026, 12, 1, 8, 0)),     # open now: next interval
    (dt.datetime(2026, 12, 4, 12, 0), dt.datetime(2026, 12, 4, 13, 0)),    # Friday break
    (dt.datetime(2026, 12, 4, 16, 30), dt.datetime(2026, 12, 7, 8, 0)),    # Friday evening
    (dt.datetime(2026, 3, 17, 17, 0), dt.datetime(2026, 3, 25, 8, 0)),     # before Lebaran closure
    (dt.datetime(2026, 12, 23, 17, 0), dt.datetime(2026, 12, 28, 8, 0)),   # Christmas
    (dt.datetime(2026, 12, 31, 17, 0), dt.datetime(2027, 1, 1, 8, 0)),     # 2027 not loaded
])
def test_next_opening(cal: OfficeCalendar, after: dt.datetime, expected: dt.datetime) -> None:
    assert cal.next_opening(after) == expected


def test_next_opening_aware(cal: OfficeCalendar) -> None:
    # Friday 4 Dec 10:00 UTC = 17:00 WIB -> Monday 08:00 WIB
    result = cal.next_opening(dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.timezone.utc))
    assert result == dt.datetime(2026, 12, 7, 8, 0, tzinfo=WIB)
    assert result.tzinfo is not None and result.utcoffset() == dt.timedelta(hours=7)


# ---- construction and profile values ----------------------------------------------------------------

def test_calendar_without_hours_fails_clearly() -> None:
    empty = OfficeCalendar([], {})
    assert not empty.is_working_day(D(2026, 12, 1))
    with pytest.raises(ValueError, match="no working day"):
        empty.next_working_days(D(2026, 12, 1), 1)
    with pytest.raises(ValueError, match="no opening hours"):
        empty.next_opening(dt.datetime(2026, 12, 1, 9, 0))


@pytest.mark.parametrize("hours", [
    {0: [(T(16), T(8))]},
    {0: [(T(8), T(12)), (T(11), T(16))]},
    {7: [(T(8), T(16))]},
])
def test_invalid_opening_hours(hours: dict) -> None:
    with pytest.raises(ValueError):
        OfficeCalendar([], hours)


def test_invalid_holiday() -> None:
    with pytest.raises(ValueError):
        Holiday(D(2026, 1, 1), "Tahun Baru", "libur")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Holiday(D(2026, 1, 1), " ", "libur_nasional")
    with pytest.raises(ValueError):
        parse_holidays([{"date": "1 Jan 2026", "name": "Tahun Baru", "kind": "libur_nasional"}])
    with pytest.raises(ValueError):
        parse_holidays([{"date": "2026-01-01", "name": "Tahun Baru", "kind": "hari besar"}])


def test_parse_holidays_accepts_strings_and_aliases() -> None:
    parsed = parse_holidays([
        {"date": "2026-03-23", "name": "Cuti bersama Idulfitri", "kind": "cuti bersama"},
        {"date": D(2026, 8, 17), "name": "Hari Kemerdekaan", "kind": "libur_nasional"},
    ])
    assert parsed == [
        Holiday(D(2026, 3, 23), "Cuti bersama Idulfitri", "cuti_bersama"),
        Holiday(D(2026, 8, 17), "Hari Kemerdekaan", "libur_nasional"),
    ]


def test_parse_opening_hours_from_yaml() -> None:
    raw = yaml.safe_load("""
opening_hours:
  senin: "08:00-16:00"
  selasa: ["08:00", "16:00"]
  rabu: ["08.00-12.00", "13.00-16.00"]
  thursday: {open: "08:00", close: "15:00"}
  4: [08:00, 11:30]
  sabtu: tutup
  minggu:
""")["opening_hours"]
    hours = parse_opening_hours(raw)
    assert hours == {
        0: [(T(8), T(16))],
        1: [(T(8), T(16))],
        2: [(T(8), T(12)), (T(13), T(16))],
        3: [(T(8), T(15))],
        4: [(T(8), T(11, 30))],   # unquoted 08:00 is read by YAML 1.1 as 480 minutes
        5: [],
        6: [],
    }
    cal = OfficeCalendar([], hours)
    assert cal.is_working_day(D(2026, 12, 2))
    assert not cal.is_working_day(D(2026, 12, 5))
    assert not cal.is_open_at(dt.datetime(2026, 12, 2, 12, 30))


@pytest.mark.parametrize("raw", [{"senen": "08:00-16:00"}, {0: "8-16"}, {0: "25:00-26:00"}, {9: "08:00-16:00"}])
def test_parse_opening_hours_rejects_nonsense(raw: dict) -> None:
    with pytest.raises(ValueError):
        parse_opening_hours(raw)


def test_same_day_holidays_prefer_libur_nasional() -> None:
    cal = OfficeCalendar([Holiday(D(2027, 1, 1), "Cuti", "cuti_bersama"),
                          Holiday(D(2027, 1, 1), "Tahun Baru", "libur_nasional")], HOURS)
    assert cal.holiday_on(D(2027, 1, 1)).name == "Tahun Baru"  # type: ignore[union-attr]
    assert len(cal.holidays) == 2
