"""Date understanding in Indonesian and English chat messages, and the office's date format."""
from __future__ import annotations

import datetime as dt

import pytest

from office.calendar import Holiday, OfficeCalendar
from office.dates import (
    REASON_AMBIGUOUS,
    REASON_INVALID,
    REASON_NOT_FOUND,
    format_date,
    format_date_short,
    parse_date,
)

D = dt.date
SUNDAY = D(2026, 11, 29)      # the main fixed "today": a Sunday near the year end
FRIDAY = D(2026, 12, 4)
WEDNESDAY = D(2026, 3, 11)
NEW_YEARS_EVE = D(2026, 12, 31)


# ---- Indonesian, today = Sunday 29 November 2026 --------------------------------------------------

ID_CASES = [
    ("besok", D(2026, 11, 30), "besok"),
    ("bsk bisa dtg?", D(2026, 11, 30), "bsk"),
    ("Selamat siang, saya mau buat paspor, bisa datang besok pagi jam 9?", D(2026, 11, 30), "besok pagi"),
    ("lusa", D(2026, 12, 1), "lusa"),
    ("hari ini buka?", D(2026, 11, 29), "hari ini"),
    ("nanti siang bisa?", D(2026, 11, 29), "nanti siang"),
    ("kemarin saya sudah datang", D(2026, 11, 28), "kemarin"),
    ("kmrn", D(2026, 11, 28), "kmrn"),
    ("kemarin lusa", D(2026, 11, 27), "kemarin lusa"),
    ("senin depan", D(2026, 11, 30), "senin depan"),
    ("hari senin", D(2026, 11, 30), "hari senin"),
    ("senin", D(2026, 11, 30), "senin"),
    ("Senin besok bisa?", D(2026, 11, 30), "Senin besok"),
    ("kalau hari sabtu buka gak?", D(2026, 12, 5), "hari sabtu"),
    ("hari minggu", D(2026, 12, 6), "hari minggu"),
    ("hari minggu ini", D(2026, 11, 29), "hari minggu ini"),
    ("jumat depan", D(2026, 12, 4), "jumat depan"),
    ("jum'at", D(2026, 12, 4), "jum'at"),
    ("minggu depan", D(2026, 11, 30), "minggu depan"),
    ("pekan depan", D(2026, 11, 30), "pekan depan"),
    ("tgl 5 des", D(2026, 12, 5), "tgl 5 des"),
    ("tanggal 5 desember", D(2026, 12, 5), "tanggal 5 desember"),
    ("5 desember 2026", D(2026, 12, 5), "5 desember 2026"),
    ("5 Des.", D(2026, 12, 5), "5 Des."),
    ("tgl 5 bln 12", D(2026, 12, 5), "tgl 5 bln 12"),
    ("5/12", D(2026, 12, 5), "5/12"),
    ("05-12-2026", D(2026, 12, 5), "05-12-2026"),
    ("5.12", D(2026, 12, 5), "5.12"),
    ("tgl 2/3", D(2027, 3, 2), "tgl 2/3"),
    ("24/12/2026", D(2026, 12, 24), "24/12/2026"),
    ("5/12/26", D(2026, 12, 5), "5/12/26"),
    ("2026-12-05", D(2026, 12, 5), "2026-12-05"),
    ("3 hari lagi", D(2026, 12, 2), "3 hari lagi"),
    ("tiga hari lagi", D(2026, 12, 2), "tiga hari lagi"),
    ("2 minggu lagi", D(2026, 12, 13), "2 minggu lagi"),
    ("seminggu lagi", D(2026, 12, 6), "seminggu lagi"),
    ("sebulan lagi", D(2026, 12, 29), "sebulan lagi"),
    ("3 hari yang lalu", D(2026, 11, 26), "3 hari yang lalu"),
    ("23 maret", D(2027, 3, 23), "23 maret"),
    ("Pak, kantor buka tgl 23 maret?", D(2027, 3, 23), "tgl 23 maret"),
    ("tgl 23 maret 2026 buka?", D(2026, 3, 23), "tgl 23 maret 2026"),
    ("17 agustus", D(2027, 8, 17), "17 agustus"),
    ("tgl 5 jan", D(2027, 1, 5), "tgl 5 jan"),
    ("tgl 29 nov", D(2026, 11, 29), "tgl 29 nov"),
    ("tgl 28 nov", D(2027, 11, 28), "tgl 28 nov"),
    ("tgl 31", D(2026, 12, 31), "tgl 31"),
    ("tgl 25", D(2026, 12, 25), "tgl 25"),
    ("29/2", D(2028, 2, 29), "29/2"),
    ("akhir pekan ini", D(2026, 11, 29), "akhir pekan ini"),
    ("akhir pekan depan", D(2026, 12, 5), "akhir pekan depan"),
    ("Senin, 7 Desember 2026", D(2026, 12, 7), "Senin, 7 Desember 2026"),
    ("tgl 5 des jam 10.30", D(2026, 12, 5), "tgl 5 des"),
    ("besok senin kan?", D(2026, 11, 30), "besok"),
]


@pytest.mark.parametrize("text, expected, matched", ID_CASES, ids=[c[0] for c in ID_CASES])
def test_indonesian(text: str, expected: dt.date, matched: str) -> None:
    result = parse_date(text, SUNDAY)
    assert result.date == expected
    assert result.matched == matched
    assert result.reason is None
    assert result.found


@pytest.mark.parametrize("text, month", [
    ("tgl 3 jan", 1), ("3 feb", 2), ("3 pebruari", 2), ("3 mar", 3), ("3 mrt", 3), ("3 apr", 4),
    ("3 mei", 5), ("3 jun", 6), ("3 jul", 7), ("3 agu", 8), ("3 ags", 8), ("3 agt", 8), ("3 agustus", 8),
    ("3 sep", 9), ("3 sept", 9), ("3 okt", 10), ("3 nov", 11), ("3 nopember", 11), ("3 des", 12),
    ("3 Januari 2027", 1), ("3-des-2026", 12),
])
def test_indonesian_month_names(text: str, month: int) -> None:
    result = parse_date(text, SUNDAY)
    assert result.date is not None and result.date.month == month and result.date.day == 3


# ---- English ------------------------------------------------------------------------------------

EN_CASES = [
    ("tomorrow", D(2026, 11, 30), "tomorrow"),
    ("Can I come tomorrow morning?", D(2026, 11, 30), "tomorrow morning"),
    ("today", D(2026, 11, 29), "today"),
    ("yesterday", D(2026, 11, 28), "yesterday"),
    ("the day after tomorrow", D(2026, 12, 1), "the day after tomorrow"),
    ("next monday", D(2026, 11, 30), "next monday"),
    ("Can I come next Friday at 10am?", D(2026, 12, 4), "next Friday"),
    ("this saturday", D(2026, 12, 5), "this saturday"),
    ("tuesday", D(2026, 12, 1), "tuesday"),
    ("last monday", D(2026, 11, 23), "last monday"),
    ("in 3 days", D(2026, 12, 2), "in 3 days"),
    ("in two weeks", D(2026, 12, 13), "in two weeks"),
    ("a week from now", D(2026, 12, 6), "a week from now"),
    ("I arrived 3 days ago", D(2026, 11, 26), "3 days ago"),
    ("december 5", D(2026, 12, 5), "december 5"),
    ("Dec 5th, 2026", D(2026, 12, 5), "Dec 5th, 2026"),
    ("5 dec", D(2026, 12, 5), "5 dec"),
    ("5th of December 2026", D(2026, 12, 5), "5th of December 2026"),
    ("march 23", D(2027, 3, 23), "march 23"),
    ("on the 25th", D(2026, 12, 25), "on the 25th"),
    ("May I come on the 3rd?", D(2026, 12, 3), "on the 3rd"),
    ("next week", D(2026, 11, 30), "next week"),
    ("this weekend", D(2026, 11, 29), "this weekend"),
    ("Monday, 7 December 2026", D(2026, 12, 7), "Monday, 7 December 2026"),
]


@pytest.mark.parametrize("text, expected, matched", EN_CASES, ids=[c[0] for c in EN_CASES])
def test_english(text: str, expected: dt.date, matched: str) -> None:
    result = parse_date(text, SUNDAY, lang="en")
    assert (result.date, result.matched, result.reason) == (expected, matched, None)


def test_lang_does_not_limit_understanding() -> None:
    # citizens mix languages; both are always understood
    assert parse_date("tomorrow", SUNDAY, lang="id").date == D(2026, 11, 30)
    assert parse_date("besok", SUNDAY, lang="en").date == D(2026, 11, 30)


def test_dateparser_fallback_for_phrasings_our_rules_do_not_cover() -> None:
    result = parse_date("can I come in a fortnight?", SUNDAY, lang="en")
    assert result.date == D(2026, 12, 13)
    assert result.matched == "in a fortnight"


# ---- other "today"s ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, today, expected", [
    ("besok", FRIDAY, D(2026, 12, 5)),                 # Saturday: parse gives it, the calendar says closed
    ("lusa", FRIDAY, D(2026, 12, 6)),
    ("senin", FRIDAY, D(2026, 12, 7)),
    ("jumat", FRIDAY, D(2026, 12, 11)),                # today excluded
    ("jumat ini", FRIDAY, D(2026, 12, 4)),             # "ini" includes today
    ("hari ini", FRIDAY, D(2026, 12, 4)),
    ("senin depan", FRIDAY, D(2026, 12, 7)),
    ("minggu depan", FRIDAY, D(2026, 12, 7)),
    ("weekend", FRIDAY, D(2026, 12, 5)),
    ("akhir pekan ini", FRIDAY, D(2026, 12, 5)),
    ("jumat depan", WEDNESDAY, D(2026, 3, 20)),        # Friday of next week, not the day after tomorrow
    ("jumat", WEDNESDAY, D(2026, 3, 13)),
    ("senin depan", WEDNESDAY, D(2026, 3, 16)),
    ("minggu depan", WEDNESDAY, D(2026, 3, 16)),
    ("23 maret", WEDNESDAY, D(2026, 3, 23)),
    ("besok", NEW_YEARS_EVE, D(2027, 1, 1)),           # year-end rollover
    ("3 hari lagi", NEW_YEARS_EVE, D(2027, 1, 3)),
    ("5/1", NEW_YEARS_EVE, D(2027, 1, 5)),
    ("tgl 31 des", NEW_YEARS_EVE, D(2026, 12, 31)),
    ("kemarin", D(2027, 1, 1), D(2026, 12, 31)),
    ("sebulan lagi", D(2027, 1, 31), D(2027, 2, 28)),  # month-end clamped
    ("tgl 31", D(2026, 4, 5), D(2026, 5, 31)),          # April has no 31st
    ("tgl 30", D(2027, 1, 31), D(2027, 3, 30)),         # nor does February have a 30th
    ("17 agustus", D(2026, 8, 1), D(2026, 8, 17)),
    ("17/8", D(2026, 8, 17), D(2026, 8, 17)),
])
def test_relative_to_other_days(text: str, today: dt.date, expected: dt.date) -> None:
    assert parse_date(text, today).date == expected


# ---- invalid, ambiguous, not found ------------------------------------------------------------------

@pytest.mark.parametrize("text, matched", [
    ("31 februari", "31 februari"),
    ("tgl 31/2 bisa?", "tgl 31/2"),
    ("31/2", "31/2"),
    ("30 feb", "30 feb"),
    ("31 april", "31 april"),
    ("31-06-2026", "31-06-2026"),
    ("29 feb 2027", "29 feb 2027"),
    ("tgl 32", "tgl 32"),
    ("2026-02-30", "2026-02-30"),
])
def test_invalid(text: str, matched: str) -> None:
    result = parse_date(text, SUNDAY)
    assert (result.date, result.reason, result.matched) == (None, REASON_INVALID, matched)


@pytest.mark.parametrize("text, candidates", [
    ("besok atau lusa?", (D(2026, 11, 30), D(2026, 12, 1))),
    ("tgl 5-7 desember", (D(2026, 12, 5), D(2026, 12, 7))),
    ("Selasa, 7 Desember 2026", (D(2026, 12, 7),)),      # 7 Dec 2026 is a Monday
    ("kamis 4/12", (D(2026, 12, 4),)),                   # a Friday
    ("sabtu minggu buka?", (D(2026, 12, 5), D(2026, 12, 6))),
    ("bulan depan", ()),
    ("minggu ini", ()),
    ("paspor saya habis bulan desember", ()),
    ("desember 2026", ()),
    ("next month", ()),
    ("in may", ()),
])
def test_ambiguous(text: str, candidates: tuple[dt.date, ...]) -> None:
    result = parse_date(text, SUNDAY)
    assert result.date is None
    assert result.reason == REASON_AMBIGUOUS
    assert result.candidates == candidates
    assert result.matched


@pytest.mark.parametrize("text", [
    "p", "ok", "okee", "", "   ", "halo", "pagi", "terima kasih", "have a nice day", "a", "1", "2x",
    "081234567890", "0812-3456-7890", "+62 812 3456 7890", "nomor saya 0812 3456 7890",
    "ADU-2026-000123", "tiket saya ADU-2026-000123 sudah 3 hari belum dibalas",
    "jam 10", "pukul 08.00", "10.30", "buka jam 8:00 wib?", "13/13", "45/2",
    "prosesnya 2 minggu?", "berapa lama jadi? 3 hari kerja ya?", "dalam 3 hari", "2 minggu",
    "biaya Rp350.000", "Rp 1.5 juta", "Rp650rb", "1.5 juta", "saya 2 org", "2/3 orang",
    "buka setiap senin?", "may 2 of us come", "mon maaf pak", "versi 1.0",
    "saya mau buat paspor", "passport fee please", "NIK 1234567890123456",
])
def test_not_found(text: str) -> None:
    result = parse_date(text, SUNDAY)
    assert result.date is None
    assert result.reason == REASON_NOT_FOUND
    assert result.matched is None


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("text", ["p", "ok", "081234567890", "ADU-2026-000123"])
def test_short_tokens_and_codes_never_become_dates(text: str, lang: str) -> None:
    for today in (SUNDAY, FRIDAY, WEDNESDAY, NEW_YEARS_EVE):
        assert parse_date(text, today, lang=lang).date is None


# ---- with the calendar: the parse gives the day, the calendar says whether it is open ---------------

def _calendar() -> OfficeCalendar:
    hours = {wd: [(dt.time(8), dt.time(16))] for wd in range(5)}
    return OfficeCalendar([
        Holiday(D(2026, 3, 23), "Cuti bersama Idulfitri", "cuti_bersama"),
        Holiday(D(2026, 8, 17), "Hari Kemerdekaan Republik Indonesia", "libur_nasional"),
    ], hours)


@pytest.mark.parametrize("text, today, open_", [
    ("besok", FRIDAY, False),                        # Saturday
    ("senin", FRIDAY, True),
    ("tgl 23 maret 2026 buka?", SUNDAY, False),       # cuti bersama
    ("tgl 23 maret buka?", WEDNESDAY, False),
    ("17 agustus", D(2026, 8, 1), False),
    ("18 agustus", D(2026, 8, 1), True),
])
def test_parse_then_calendar(text: str, today: dt.date, open_: bool) -> None:
    day = parse_date(text, today).date
    assert day is not None
    assert _calendar().is_working_day(day) is open_


# ---- formatting ---------------------------------------------------------------------------------

@pytest.mark.parametrize("day, lang, expected", [
    (D(2026, 12, 7), "id", "Senin, 7 Desember 2026"),
    (D(2026, 12, 7), "en", "Monday, 7 December 2026"),
    (D(2026, 3, 23), "id", "Senin, 23 Maret 2026"),
    (D(2026, 8, 17), "id", "Senin, 17 Agustus 2026"),
    (D(2026, 11, 29), "id", "Minggu, 29 November 2026"),
    (D(2026, 12, 4), "id", "Jumat, 4 Desember 2026"),
    (D(2027, 1, 1), "en", "Friday, 1 January 2027"),
    (D(2026, 5, 6), "en-US", "Wednesday, 6 May 2026"),
])
def test_format_date(day: dt.date, lang: str, expected: str) -> None:
    assert format_date(day, lang) == expected


def test_format_date_short() -> None:
    assert format_date_short(D(2026, 12, 7)) == "7 Des 2026"
    assert format_date_short(D(2026, 8, 17)) == "17 Agu 2026"
    assert format_date_short(D(2026, 12, 7), "en") == "7 Dec 2026"
    assert format_date_short(D(2026, 5, 1), "en") == "1 May 2026"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_formatted_dates_parse_back(lang: str) -> None:
    day = D(2026, 1, 1)
    for offset in range(0, 730, 7):
        current = day + dt.timedelta(days=offset)
        assert parse_date(format_date(current, lang), SUNDAY, lang).date == current
        assert parse_date(format_date_short(current, lang), SUNDAY, lang).date == current
