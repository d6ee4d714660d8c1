"""Understanding dates in citizens' messages, and writing dates the way the office writes them.

Citizens write dates inside longer, informal messages ("bsk bisa dtg?", "tgl 23 maret buka?",
"can I come next monday"). `parse_date` finds the one date a message talks about, relative to a
`today` the caller supplies (Asia/Jakarta), so the result never depends on the machine clock.

How it works, and why:
- Our own rules run first. dateparser understands only part of Indonesian ("lusa", "3 hari lagi",
  "tgl 5 des" and "senin depan" escape it) and its free-text search turns stray tokens into dates
  ("jam 10" becomes the 10th of the month, "may" a month), so rules cover everything we promise.
- Some spans are recognised only to be ignored ("blockers"): durations ("2 minggu", "3 hari kerja"),
  clock times ("jam 10.30"), money, phone numbers, ticket codes. They stop a weekday name inside
  "2 minggu" from reading as Sunday, and they keep dateparser away from those messages.
- dateparser (languages id/en, future preference, day-month order) is a last resort, asked only
  when our rules found nothing and the message holds a date word, and its answer is kept only
  if the phrase it matched contains such a word. Bare numbers, "p", "ok", phone numbers and ticket
  codes never reach it.
- When a message names different dates ("besok atau lusa") or only a period ("bulan depan"),
  the answer is `ambiguous`, so the bot asks instead of guessing. Dates that do not exist
  ("31 februari", "31/2") are `invalid`, so the bot can say so.

Numeric dates are day/month (Indonesian order); an ISO date (2026-12-05) is year-month-day.
A day and month without a year mean the next occurrence on or after today; an explicit year is kept
even when that date is past (the caller decides what a past date means).
Weekdays: "senin" / "hari senin" is the coming Monday (today excluded), "senin ini" may be today,
"senin depan" / "next monday" is the Monday of next week (weeks start on Monday), "minggu depan" /
"next week" is the Monday of next week, "akhir pekan" / "weekend" is the coming Saturday (today when
today is already Saturday or Sunday).
"""
from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

__all__ = [
    "DateParse",
    "parse_date",
    "format_date",
    "format_date_short",
    "format_date_plain",
    "REASON_AMBIGUOUS",
    "REASON_INVALID",
    "REASON_NOT_FOUND",
]

REASON_AMBIGUOUS = "ambiguous"
REASON_INVALID = "invalid"
REASON_NOT_FOUND = "not_found"


@dataclass(frozen=True)
class DateParse:
    """The outcome of reading a date from a message.

    `date` is set only when the message names exactly one date. `matched` is the phrase as the user
    wrote it (for echoing back, e.g. "besok" -> "Senin, 30 November 2026"). `reason` is None on
    success, otherwise "not_found", "invalid" (e.g. "31 februari") or "ambiguous" (several
    different dates, a weekday that contradicts the date, or only a period such as "bulan depan");
    `candidates` lists the dates an ambiguous message named, so the bot can offer them.
    """

    date: dt.date | None
    matched: str | None
    reason: str | None
    candidates: tuple[dt.date, ...] = ()

    @property
    def found(self) -> bool:
        """True when exactly one date was recognised."""
        return self.date is not None


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

ID_WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ID_MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember")
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
ID_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
EN_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Every spelling of a month we accept next to a day number (Indonesian, English, common abbreviations).
_MONTH_WORDS: dict[str, int] = {}
for _number, _names in enumerate((
    ("januari", "january", "jan", "janu"),
    ("februari", "pebruari", "febuari", "february", "feb", "peb", "febr"),
    ("maret", "march", "mar", "mrt"),
    ("april", "apr", "apl"),
    ("mei", "may"),
    ("juni", "june", "jun"),
    ("juli", "july", "jul"),
    ("agustus", "august", "agu", "ags", "agt", "agst", "agus", "aug"),
    ("september", "sep", "sept", "spt"),
    ("oktober", "october", "okt", "oct"),
    ("november", "nopember", "nov", "nop"),
    ("desember", "december", "des", "dec"),
), start=1):
    for _name in _names:
        _MONTH_WORDS[_name] = _number

# Full month names that may stand alone ("bulan desember", "in december"): a period, not a date.
_FULL_MONTHS = sorted({m.lower() for m in ID_MONTHS + EN_MONTHS} | {"nopember", "pebruari"},
                      key=len, reverse=True)

_WEEKDAY_WORDS: dict[str, int] = {
    "senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "jum'at": 4, "jumaat": 4,
    "sabtu": 5, "minggu": 6, "ahad": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}

_NUMBER_WORDS: dict[str, int] = {
    "se": 1, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
    "delapan": 8, "sembilan": 9, "sepuluh": 10, "sebelas": 11, "dua belas": 12,
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}


def _alt(words: Iterable[str]) -> str:
    """A regex alternation, longest first, so "desember" wins over "des"."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_B = r"(?<![\w'])"   # start of a word
_E = r"(?![\w'])"    # end of a word
_MONTH = _alt(_MONTH_WORDS)
_WEEKDAY = _alt(_WEEKDAY_WORDS)
_NUMWORD = _alt(k for k in _NUMBER_WORDS if k != "se")
_TGL = r"(?:tanggal|tangal|tgl|tg|tggl|tgll|date)\.?"
_ORD = r"(?:st|nd|rd|th)"
_DAY_UNITS = {"hari": "d", "day": "d", "days": "d",
              "minggu": "w", "pekan": "w", "week": "w", "weeks": "w",
              "bulan": "m", "bln": "m", "month": "m", "months": "m",
              "tahun": "y", "thn": "y", "year": "y", "years": "y"}
_UNIT = _alt(_DAY_UNITS)
_COUNT = rf"(?:\d{{1,3}}|{_NUMWORD})"
# Words that make a message worth handing to dateparser when our rules found nothing.
_DATE_HINTS = frozenset(
    set(_MONTH_WORDS) - {"mar", "may", "jun", "jul", "des", "dec", "sep", "nov", "apr", "jan", "feb",
                         "mei", "okt", "oct", "aug", "agu", "ags", "agt"}
    | set(_WEEKDAY_WORDS)
    | {"today", "tomorrow", "yesterday", "tonight", "fortnight", "week", "weeks", "day", "days",
       "month", "months", "weekend", "besok", "lusa", "kemarin", "pekan", "bulan", "depan"}
)


# --------------------------------------------------------------------------------------------
# Date arithmetic helpers
# --------------------------------------------------------------------------------------------

def _add_months(d: dt.date, months: int) -> dt.date:
    """Same day `months` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    last = _calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(d.day, last))


def _next_weekday(today: dt.date, weekday: int, include_today: bool) -> dt.date:
    delta = (weekday - today.weekday()) % 7
    if delta == 0 and not include_today:
        delta = 7
    return today + dt.timedelta(days=delta)


def _weekday_next_week(today: dt.date, weekday: int) -> dt.date:
    monday_next = today + dt.timedelta(days=7 - today.weekday())
    return monday_next + dt.timedelta(days=weekday)


def _previous_weekday(today: dt.date, weekday: int) -> dt.date:
    delta = (today.weekday() - weekday) % 7 or 7
    return today - dt.timedelta(days=delta)


def _day_month_exists(day: int, month: int) -> bool:
    """Whether the day exists in that month in some year (29 Feb does, 31 Feb never)."""
    return 1 <= month <= 12 and 1 <= day <= (29 if month == 2 else _calendar.monthrange(2001, month)[1])


def _next_day_month(today: dt.date, day: int, month: int) -> dt.date:
    """The next occurrence of day/month on or after today (29 Feb: the next leap year)."""
    year = today.year
    for _ in range(9):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            year += 1
            continue
        if candidate >= today:
            return candidate
        year += 1
    raise ValueError(f"no date {day}/{month} found")


def _next_day_of_month(today: dt.date, day: int) -> dt.date:
    """The next date on or after today whose day of the month is `day` ("tgl 31" skips short months)."""
    year, month = today.year, today.month
    for _ in range(14):
        if day <= _calendar.monthrange(year, month)[1] and dt.date(year, month, day) >= today:
            return dt.date(year, month, day)
        month += 1
        if month > 12:
            year, month = year + 1, 1
    raise ValueError(f"no day {day} found")


def _full_year(text: str) -> int:
    year = int(text)
    return 2000 + year if len(text) == 2 else year


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Outcome:
    kind: str                     # "date" | "invalid" | "vague" | "conflict" | "block"
    dates: tuple[dt.date, ...] = ()


_BLOCK = _Outcome("block")
_VAGUE = _Outcome("vague")
_INVALID = _Outcome("invalid")

# A handler reads a match (or a _Rebind of one) and returns an outcome, or None when the text
# only looked like the pattern (e.g. "05-12-2026" is not a phone number) and must not occupy a span.
_Handler = Callable[[Any, dt.date], "_Outcome | None"]


def _date(d: dt.date) -> _Outcome:
    return _Outcome("date", (d,))


class _Rebind:
    """A match with some groups replaced, so one handler serves several spellings of a rule."""

    def __init__(self, match: re.Match[str], **groups: str | None) -> None:
        self._match = match
        self._groups = groups

    def __getitem__(self, key: str) -> str | None:
        if key in self._groups:
            return self._groups[key]
        return self._match[key]


@dataclass(frozen=True)
class _Rule:
    name: str
    pattern: re.Pattern[str]
    handle: _Handler


def _explicit(day: int, month: int, year_text: str | None, today: dt.date) -> _Outcome:
    """A day and month (and maybe a year) the user wrote: a date, or invalid if it cannot exist."""
    if year_text:
        try:
            return _date(dt.date(_full_year(year_text), month, day))
        except ValueError:
            return _INVALID
    if not _day_month_exists(day, month):
        return _INVALID
    return _date(_next_day_month(today, day, month))


def _with_weekday(outcome: _Outcome, weekday_text: str | None) -> _Outcome:
    """"Senin, 7 Desember": keep the date when the weekday agrees, ask when it contradicts it."""
    if not weekday_text or outcome.kind != "date":
        return outcome
    date = outcome.dates[0]
    return outcome if date.weekday() == _WEEKDAY_WORDS[weekday_text] else _Outcome("conflict", outcome.dates)


def _count(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_WORDS[text]


def _shift(today: dt.date, amount: int, unit: str) -> dt.date:
    code = _DAY_UNITS[unit]
    if code == "d":
        return today + dt.timedelta(days=amount)
    if code == "w":
        return today + dt.timedelta(weeks=amount)
    if code == "m":
        return _add_months(today, amount)
    return _add_months(today, 12 * amount)


def _h_day_month(m: Any, today: dt.date) -> _Outcome:
    # "tgl 5 des", "5 desember 2026", "5th of december", "senin, 7 desember 2026"
    return _with_weekday(_explicit(int(m["day"]), _MONTH_WORDS[m["month"]], m["year"], today), m["weekday"])


def _h_month_day(m: Any, today: dt.date) -> _Outcome | None:
    # "december 5", "dec 5th, 2026"; "may 2 of us come" is the verb, not the month
    if m["month"] == "may" and not (m["ord"] or m["year"]):
        return None
    return _with_weekday(_explicit(int(m["day"]), _MONTH_WORDS[m["month"]], m["year"], today), m["weekday"])


def _h_day_month_range(m: Any, today: dt.date) -> _Outcome:
    # "5-7 desember": two dates named, the bot must ask which one
    month = _MONTH_WORDS[m["month"]]
    first = _explicit(int(m["day"]), month, m["year"], today)
    last = _explicit(int(m["day2"]), month, m["year"], today)
    if first.kind == "invalid" or last.kind == "invalid":
        return _INVALID
    return _Outcome("conflict", first.dates + last.dates)


def _h_numeric(m: Any, today: dt.date) -> _Outcome | None:
    # "5/12", "05-12-2026", "5.12": day/month; numbers out of range ("10.30") are not a date at all
    day, month = int(m["day"]), int(m["month"])
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return None
    if m["sep2"] is not None and m["sep2"] != m["sep"]:
        return None
    return _with_weekday(_explicit(day, month, m["year"], today), m["weekday"])


def _h_iso(m: Any, today: dt.date) -> _Outcome | None:
    # "2026-12-05"
    if not 1 <= int(m["month"]) <= 12:
        return None
    try:
        return _date(dt.date(int(m["year"]), int(m["month"]), int(m["day"])))
    except ValueError:
        return _INVALID


def _h_day_only(m: Any, today: dt.date) -> _Outcome:
    # "tgl 25", "on the 25th": the next 25th on or after today
    day = int(m["day"] or m["dayo"])
    if not 1 <= day <= 31:
        return _INVALID
    return _date(_next_day_of_month(today, day))


def _h_tanggal_bulan(m: Any, today: dt.date) -> _Outcome:
    # "tanggal 5 bulan 12"
    day, month = int(m["day"]), int(m["month"])
    if not 1 <= month <= 12:
        return _INVALID
    return _explicit(day, month, m["year"], today)


def _offset(days: int) -> _Handler:
    def handle(m: Any, today: dt.date) -> _Outcome:
        return _date(today + dt.timedelta(days=days))
    return handle


def _h_relative_future(m: Any, today: dt.date) -> _Outcome:
    # "3 hari lagi", "2 minggu lagi", "in 3 days", "two weeks from now"
    return _date(_shift(today, _count(m["n"] or m["n2"]), m["unit"] or m["unit2"]))


def _h_relative_single(m: Any, today: dt.date) -> _Outcome:
    # "seminggu lagi", "sebulan lagi"
    return _date(_shift(today, 1, m["unit"]))


def _h_relative_past(m: Any, today: dt.date) -> _Outcome:
    # "3 hari yang lalu", "2 days ago": past, returned as is
    return _date(_shift(today, -_count(m["n"]), m["unit"]))


_NEXT_WEEK_POST = {"depan", "minggu depan", "pekan depan", "next week", "yang akan datang", "mendatang"}
_LAST_POST = {"lalu", "yang lalu", "minggu lalu", "pekan lalu", "last week"}


def _h_weekday(m: Any, today: dt.date) -> _Outcome:
    """"senin" / "hari senin" / "senin besok": coming Monday (not today); "senin ini" / "this monday":
    today or later; "senin depan" / "next monday": Monday of next week; "senin lalu": the last one."""
    weekday = _WEEKDAY_WORDS[m["wd"]]
    pre = m["pre"] or ""
    post = re.sub(r"\s+", " ", (m["post"] or "").strip())
    if pre == "next" or post in _NEXT_WEEK_POST:
        return _date(_weekday_next_week(today, weekday))
    if pre == "last" or post in _LAST_POST:
        return _date(_previous_weekday(today, weekday))
    if pre == "this" or post == "ini":
        return _date(_next_weekday(today, weekday, include_today=True))
    return _date(_next_weekday(today, weekday, include_today=False))


def _h_next_week(m: Any, today: dt.date) -> _Outcome:
    # "minggu depan", "pekan depan", "next week": Monday of next week
    return _date(_weekday_next_week(today, 0))


def _h_weekend(m: Any, today: dt.date) -> _Outcome:
    # "akhir pekan ini", "weekend": the coming Saturday, or today during the weekend
    if today.weekday() >= 5:
        return _date(today)
    return _date(_next_weekday(today, 5, include_today=False))


def _h_next_weekend(m: Any, today: dt.date) -> _Outcome:
    return _date(_weekday_next_week(today, 5))


def _h_vague(m: Any, today: dt.date) -> _Outcome:
    return _VAGUE


def _h_block(m: Any, today: dt.date) -> _Outcome:
    return _BLOCK


def _h_phone(m: Any, today: dt.date) -> _Outcome | None:
    # Indonesian phone numbers have at least 9 digits; "05-12-2026" has 8 and is a date
    return _BLOCK if len(re.sub(r"\D", "", m[0])) >= 9 else None


def _rule(name: str, pattern: str, handle: _Handler) -> _Rule:
    return _Rule(name, re.compile(pattern), handle)


_WD_PREFIX = rf"(?:(?:hari\s+)?(?P<weekday>{_WEEKDAY})\s*,?\s+)?"
_YEAR_SUFFIX = r"(?:\s*,?\s*(?P<year>(?:19|20)\d{2}))?"
_NUM_BEFORE = r"(?<![\w.,/:+-])"
_NUM_AFTER = r"(?![\w]|[.,/:-]\d)"
_FULL_MONTH = _alt(_FULL_MONTHS)
_FREE_MONTH = _alt(m for m in _FULL_MONTHS if m not in {"may", "march"})

_RULES: tuple[_Rule, ...] = (
    # ---- blockers: recognised so that nothing inside them reads as a date ----------------------
    _rule("ticket", rf"{_B}[a-z]{{2,6}}-\d{{2,4}}-\d{{2,}}{_E}", _h_block),
    _rule("phone", r"(?<![\w+])(?:\+?62|0)[\d\s.-]{7,16}\d(?!\w)", _h_phone),
    _rule("long_number", r"(?<!\w)\d{5,}(?!\w)", _h_block),
    _rule("money", r"(?<!\w)(?:rp\.?\s*\d[\d.,]*(?:\s*(?:rb|ribu|jt|juta|k)(?!\w))?"
                   r"|\d[\d.,]*\s*(?:rb|ribu|jt|juta)(?!\w))", _h_block),
    _rule("clock", rf"{_B}(?:jam|pukul|pkl|at)\.?\s*\d{{1,2}}(?:[.:]\d{{2}})?(?:\s*(?:wib|wita|wit|am|pm))?{_E}",
          _h_block),
    _rule("clock_zone", rf"(?<![\w.:])\d{{1,2}}[.:]\d{{2}}\s*(?:wib|wita|wit|am|pm){_E}", _h_block),
    _rule("duration",
          rf"{_B}(?:(?:dalam|selama|within|for|per|tiap|setiap|every)\s+)?"
          rf"(?:{_COUNT}|beberapa|bbrp|few|several)\s+(?:{_UNIT})"
          rf"(?:\s+kerja|\s+working\s+days?|\s+business\s+days?)?{_E}",
          _h_block),
    _rule("duration_word", rf"{_B}(?:se(?:hari|minggu|pekan|bulan|tahun)|per(?:hari|minggu|bulan)){_E}", _h_block),
    _rule("count_pair", rf"{_B}\d{{1,2}}\s*[/-]\s*\d{{1,2}}\s+(?:orang|org|people|persons|kali|anak|lembar|buah){_E}",
          _h_block),
    _rule("weekday_every", rf"{_B}(?:tiap|setiap|every|per)\s+(?:hari\s+)?(?:{_WEEKDAY}){_E}", _h_block),
    # ---- explicit dates --------------------------------------------------------------------------
    _rule("day_month",
          rf"{_B}{_WD_PREFIX}(?:(?:{_TGL}|on\s+the|the|on)\s*)?(?P<day>\d{{1,2}}){_ORD}?"
          rf"(?:\s+of)?[\s.-]*(?P<month>{_MONTH})\.?{_E}{_YEAR_SUFFIX}(?!\d)",
          _h_day_month),
    _rule("month_day",
          rf"{_B}{_WD_PREFIX}(?P<month>{_MONTH})\.?\s+(?:the\s+)?(?P<day>\d{{1,2}})(?P<ord>{_ORD})?{_E}"
          rf"{_YEAR_SUFFIX}(?!\d)",
          _h_month_day),
    _rule("day_month_range",
          rf"{_B}(?:{_TGL}\s*)?(?P<day>\d{{1,2}})\s*(?:-|s/d|sd|sampai|to|until|hingga)\s*(?P<day2>\d{{1,2}})"
          rf"\s+(?P<month>{_MONTH})\.?{_E}{_YEAR_SUFFIX}(?!\d)",
          _h_day_month_range),
    _rule("iso", rf"{_NUM_BEFORE}(?P<year>(?:19|20)\d{{2}})-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}}){_NUM_AFTER}",
          _h_iso),
    _rule("numeric",
          rf"{_NUM_BEFORE}(?:{_WD_PREFIX}(?:{_TGL}\s*)?)?(?P<day>\d{{1,2}})(?P<sep>[/.-])(?P<month>\d{{1,2}})"
          rf"(?:(?P<sep2>[/.-])(?P<year>\d{{4}}|\d{{2}}))?{_NUM_AFTER}",
          _h_numeric),
    _rule("tanggal_bulan",
          rf"{_B}{_TGL}\s*(?P<day>\d{{1,2}})\s+(?:bulan|bln)\s*(?P<month>\d{{1,2}}){_E}{_YEAR_SUFFIX}(?!\d)",
          _h_tanggal_bulan),
    _rule("day_only",
          rf"{_B}(?:{_TGL}\s*(?P<day>\d{{1,2}})(?:{_ORD})?|(?:on\s+)?the\s+(?P<dayo>\d{{1,2}}){_ORD}|on\s+(?P<dayx>\d{{1,2}}){_ORD})"
          rf"{_E}(?!\s*[/.-]\d)",
          lambda m, today: _h_day_only(_Rebind(m, day=m["day"] or m["dayo"] or m["dayx"]), today)),
    # ---- relative words --------------------------------------------------------------------------
    _rule("today", rf"{_B}(?:hari\s+ini|hr\s+ini|today|tonight|nanti\s+(?:pagi|siang|sore|malam)"
                   rf"|(?:pagi|siang|sore|malam)\s+ini|this\s+(?:morning|afternoon|evening))(?:\s+(?:ini|juga))?{_E}",
          _offset(0)),
    _rule("tomorrow", rf"{_B}(?:besok|bsk|besuk|bsok|esok(?:\s+hari)?|tomorrow|tmrw|tmr|tomorow|tommorow|tommorrow)"
                      rf"(?:\s+(?:pagi|siang|sore|malam|morning|afternoon|evening))?{_E}",
          _offset(1)),
    _rule("day_after_tomorrow", rf"{_B}(?:lusa|besok\s+lusa|(?:the\s+)?day\s+after\s+tomorrow){_E}", _offset(2)),
    _rule("yesterday", rf"{_B}(?:kemarin|kemaren|kmrn|kmarin|kmaren|kmren|yesterday){_E}", _offset(-1)),
    _rule("day_before_yesterday", rf"{_B}(?:kemarin\s+lusa|(?:the\s+)?day\s+before\s+yesterday){_E}", _offset(-2)),
    _rule("relative_future",
          rf"{_B}(?:(?P<n>{_COUNT})\s+(?P<unit>{_UNIT})\s+(?:lagi|ke\s*depan|mendatang|dari\s+sekarang|from\s+now|later)"
          rf"|in\s+(?P<n2>{_COUNT})\s+(?P<unit2>{_UNIT})){_E}",
          _h_relative_future),
    _rule("relative_single", rf"{_B}se(?P<unit>hari|minggu|pekan|bulan|tahun)\s+(?:lagi|ke\s*depan|dari\s+sekarang){_E}",
          _h_relative_single),
    _rule("relative_past", rf"{_B}(?P<n>{_COUNT})\s+(?P<unit>{_UNIT})\s+(?:yang\s+lalu|yg\s+lalu|lalu|ago){_E}",
          _h_relative_past),
    _rule("next_week", rf"{_B}(?:(?:minggu|pekan|mgg|mg)\s+depan|next\s+week){_E}", _h_next_week),
    _rule("weekend", rf"{_B}(?:(?:akhir\s+(?:pekan|minggu)|weekend)(?:\s+ini)?|this\s+weekend){_E}", _h_weekend),
    _rule("next_weekend", rf"{_B}(?:(?:akhir\s+(?:pekan|minggu)|weekend)\s+depan|next\s+weekend){_E}", _h_next_weekend),
    _rule("weekday",
          rf"{_B}(?:(?P<pre>next|this|coming|last)\s+)?(?:hari\s+)?(?P<wd>{_WEEKDAY})"
          rf"(?P<post>\s+(?:minggu\s+depan|pekan\s+depan|next\s+week|minggu\s+lalu|pekan\s+lalu|last\s+week"
          rf"|yang\s+akan\s+datang|mendatang|yang\s+lalu|depan|ini|besok|lalu|nanti))?{_E}",
          _h_weekday),
    # ---- periods: a span of time rather than a day; the bot must ask for the day ----------------
    _rule("vague_period",
          rf"{_B}(?:(?:minggu|pekan|bulan|tahun)\s+(?:ini|depan|lalu)|akhir\s+bulan|awal\s+bulan|pertengahan\s+bulan"
          rf"|(?:this|next|last)\s+(?:week|month|year)|end\s+of\s+(?:the\s+)?month"
          rf"|(?:bulan|bln|in|awal|akhir|pertengahan|early|late|end\s+of)\s+(?:{_FULL_MONTH})"
          rf"|(?:{_FULL_MONTH})\s+(?:19|20)\d{{2}}|{_FREE_MONTH}){_E}",
          _h_vague),
)

# Equal spans: "minggu depan" is next week (not Sunday next week), "minggu ini" a period (not Sunday).
_PRIORITY = {rule.name: index for index, rule in enumerate(_RULES)}
_PRIORITY["next_week"] = -2
_PRIORITY["vague_period"] = -1


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

def _normalise(text: str) -> str:
    """Lowercase without changing the length, so spans map back onto the user's own words."""
    out = []
    for char in text:
        if char in "\u2019\u2018`\u00b4":
            out.append("'")
        elif char in "\u2013\u2014":
            out.append("-")
        else:
            lowered = char.lower()
            out.append(lowered if len(lowered) == 1 else char)
    return "".join(out)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    rule: str
    outcome: _Outcome


def _find_spans(normalised: str, today: dt.date) -> list[_Span]:
    """Every rule's matches, then the longest non-overlapping ones (ties: rule priority, then left first)."""
    found: list[_Span] = []
    for rule in _RULES:
        for match in rule.pattern.finditer(normalised):
            if match.end() == match.start():
                continue
            outcome = rule.handle(match, today)
            if outcome is not None:
                found.append(_Span(match.start(), match.end(), rule.name, outcome))
    found.sort(key=lambda s: (-(s.end - s.start), _PRIORITY[s.rule], s.start))
    chosen: list[_Span] = []
    for span in found:
        if all(span.end <= other.start or span.start >= other.end for other in chosen):
            chosen.append(span)
    chosen.sort(key=lambda s: s.start)
    return chosen


def _dateparser_fallback(text: str, normalised: str, today: dt.date, lang: str) -> DateParse | None:
    """Ask dateparser about messages our rules did not understand, keeping only answers anchored on a date word."""
    words = set(re.findall(r"[a-z']+", normalised))
    if not words & _DATE_HINTS:
        return None
    from dateparser.search import search_dates  # imported late: loading its language data takes a while
    import dateparser

    languages = ["en", "id"] if lang.lower().startswith("en") else ["id", "en"]
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": dt.datetime.combine(today, dt.time(12, 0)),
        "DATE_ORDER": "DMY",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    try:
        results = search_dates(normalised, languages=languages, settings=settings) or []
    except Exception:  # dateparser raises on some odd inputs; a chat message must never crash the bot
        return None
    dates: dict[dt.date, str] = {}
    for phrase, _value in results:
        tokens = re.findall(r"[a-z']+", phrase.lower())
        if not set(tokens) & _DATE_HINTS or len(phrase.strip()) < 3:
            continue
        if all(t in _MONTH_WORDS for t in tokens) and not re.search(r"\d", phrase):
            continue  # a month alone ("may", "desember") is a period, not a day
        # search_dates mis-evaluates some phrases it finds ("the day after tomorrow"); parse the phrase again
        try:
            value = dateparser.parse(phrase, languages=languages, settings=settings)
        except Exception:
            value = None
        if value is None:
            continue
        start = normalised.find(phrase.lower())
        shown = text[start:start + len(phrase)] if start >= 0 else phrase
        dates.setdefault(value.date(), shown)
    if not dates:
        return None
    if len(dates) == 1:
        (date, shown), = dates.items()
        return DateParse(date, shown, None)
    first = next(iter(dates.values()))
    return DateParse(None, first, REASON_AMBIGUOUS, tuple(sorted(dates)))


def parse_date(text: str, today: dt.date, lang: str = "id") -> DateParse:
    """Find the single date a message talks about, relative to `today` (the office's local date).

    Returns a DateParse with the date and the phrase, or a reason when there is none ("not_found"),
    the phrase names an impossible date ("invalid"), or the message is unclear ("ambiguous").
    Past dates ("kemarin", "23 maret 2026" after March) are returned as they are: the caller decides.
    `lang` ("id" or "en") only orders the languages of the dateparser fallback; both languages are
    always understood, because citizens mix them.
    """
    if not text or not text.strip():
        return DateParse(None, None, REASON_NOT_FOUND)
    normalised = _normalise(text)
    all_spans = _find_spans(normalised, today)
    spans = [s for s in all_spans if s.outcome.kind != "block"]
    blocked = len(spans) != len(all_spans)

    def shown(span: _Span) -> str:
        return text[span.start:span.end].strip()

    invalid = [s for s in spans if s.outcome.kind == "invalid"]
    if invalid:
        return DateParse(None, shown(invalid[0]), REASON_INVALID)
    conflicts = [s for s in spans if s.outcome.kind == "conflict"]
    dated = [s for s in spans if s.outcome.kind == "date"]
    if conflicts:
        candidates = sorted({d for s in conflicts + dated for d in s.outcome.dates})
        return DateParse(None, shown(conflicts[0]), REASON_AMBIGUOUS, tuple(candidates))
    if dated:
        distinct = sorted({s.outcome.dates[0] for s in dated})
        if len(distinct) == 1:
            return DateParse(distinct[0], shown(dated[0]), None)
        return DateParse(None, shown(dated[0]), REASON_AMBIGUOUS, tuple(distinct))
    vague = [s for s in spans if s.outcome.kind == "vague"]
    if vague:
        return DateParse(None, shown(vague[0]), REASON_AMBIGUOUS)
    if not blocked:
        fallback = _dateparser_fallback(text, normalised, today, lang)
        if fallback is not None:
            return fallback
    return DateParse(None, None, REASON_NOT_FOUND)


def _is_english(lang: str) -> bool:
    return (lang or "").lower().startswith("en")


def format_date(d: dt.date, lang: str = "id") -> str:
    """The office's long date: "Senin, 7 Desember 2026" (English: "Monday, 7 December 2026")."""
    if _is_english(lang):
        return f"{EN_WEEKDAYS[d.weekday()]}, {d.day} {EN_MONTHS[d.month - 1]} {d.year}"
    return f"{ID_WEEKDAYS[d.weekday()]}, {d.day} {ID_MONTHS[d.month - 1]} {d.year}"


def format_date_short(d: dt.date, lang: str = "id") -> str:
    """A compact date for lists and staff tables: "7 Des 2026" (English: "7 Dec 2026")."""
    months = EN_MONTHS_SHORT if _is_english(lang) else ID_MONTHS_SHORT
    return f"{d.day} {months[d.month - 1]} {d.year}"


def format_date_plain(d: dt.date, lang: str = "id") -> str:
    """A date without the weekday, for "diperbarui 29 November 2026" / "updated 29 November 2026":
    the weekday of an edit date tells the reader nothing, and the short month form reads as a table."""
    months = EN_MONTHS if _is_english(lang) else ID_MONTHS
    return f"{d.day} {months[d.month - 1]} {d.year}"
