"""The office's working-day calendar: when it is open, and how working days are counted.

Bookings need to know whether a day is open ("besok buka?"), complaint SLAs are counted in working
days, and the bot says when the office opens next. A working day is a weekday on which the office has
opening hours and that is neither a national holiday (libur nasional) nor a collective leave day
(cuti bersama): on cuti bersama the office is closed to the public, so it counts as closed here.

No I/O here: office/profile.py reads the profile (office/profile.yml) and builds an OfficeCalendar,
with `parse_holidays` and `parse_opening_hours` turning the profile's plain values into ours.
Times are the office's local time (Asia/Jakarta). Naive datetimes are taken as local time;
aware ones are converted to the office time zone first.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Iterable, Literal, Mapping, Sequence, overload
from zoneinfo import ZoneInfo

__all__ = [
    "Holiday",
    "HolidayKind",
    "HOLIDAY_KINDS",
    "OfficeCalendar",
    "OpeningHours",
    "parse_holidays",
    "parse_opening_hours",
]

HolidayKind = Literal["libur_nasional", "cuti_bersama"]
HOLIDAY_KINDS: dict[str, str] = {"libur_nasional": "Libur nasional", "cuti_bersama": "Cuti bersama"}
OpeningHours = Mapping[int, Sequence[tuple[dt.time, dt.time]]]

# A calendar with no working day at all would make every search loop forever; give up after this.
_MAX_SEARCH_DAYS = 3 * 366


@dataclass(frozen=True, order=True)
class Holiday:
    """A day the office is closed by decree: a national holiday or a collective leave day."""

    date: dt.date
    name: str
    kind: HolidayKind

    def __post_init__(self) -> None:
        if self.kind not in HOLIDAY_KINDS:
            raise ValueError(f"holiday kind must be one of {sorted(HOLIDAY_KINDS)}, not {self.kind!r}")
        if not isinstance(self.date, dt.date) or isinstance(self.date, dt.datetime):
            raise ValueError(f"holiday date must be a date, not {self.date!r}")
        if not self.name.strip():
            raise ValueError(f"holiday on {self.date.isoformat()} has no name")

    @property
    def kind_label(self) -> str:
        """The kind as the office says it ("Libur nasional", "Cuti bersama")."""
        return HOLIDAY_KINDS[self.kind]


class OfficeCalendar:
    """Working days, opening hours and holidays of one office.

    `opening_hours` maps a weekday (0 = Monday ... 6 = Sunday) to its opening intervals, e.g.
    {0: [(time(8), time(16))], ...}; a weekday that is missing or empty is closed. Several intervals a
    day (a lunch break) are allowed; they must not overlap.
    """

    def __init__(self, holidays: Iterable[Holiday], opening_hours: OpeningHours,
                 timezone: str = "Asia/Jakarta") -> None:
        self._tz = ZoneInfo(timezone)
        self._holidays: dict[dt.date, list[Holiday]] = {}
        for holiday in sorted(holidays, key=lambda h: (h.date, h.kind != "libur_nasional", h.name)):
            self._holidays.setdefault(holiday.date, []).append(holiday)
        self._hours: dict[int, tuple[tuple[dt.time, dt.time], ...]] = {}
        for weekday, intervals in opening_hours.items():
            if not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise ValueError(f"opening hours: weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}")
            ordered = tuple(sorted((open_, close) for open_, close in intervals))
            for open_, close in ordered:
                if not open_ < close:
                    raise ValueError(f"opening hours for weekday {weekday}: {open_} must be before {close}")
            for (_, close), (next_open, _) in zip(ordered, ordered[1:]):
                if next_open < close:
                    raise ValueError(f"opening hours for weekday {weekday}: intervals overlap")
            if ordered:
                self._hours[weekday] = ordered

    # ---- days -----------------------------------------------------------------------------------

    @property
    def timezone(self) -> ZoneInfo:
        """The office's time zone (local times are in it)."""
        return self._tz

    @property
    def holidays(self) -> tuple[Holiday, ...]:
        """Every holiday, in date order."""
        return tuple(h for day in sorted(self._holidays) for h in self._holidays[day])

    def holiday_on(self, d: dt.date) -> Holiday | None:
        """The holiday on that day (a national holiday before a cuti bersama), or None."""
        found = self._holidays.get(_as_date(d))
        return found[0] if found else None

    def holidays_between(self, start: dt.date, end: dt.date) -> list[Holiday]:
        """Holidays from start to end, both included (for "libur apa saja bulan ini?")."""
        first, last = _as_date(start), _as_date(end)
        return [h for h in self.holidays if first <= h.date <= last]

    def hours_on(self, d: dt.date) -> list[tuple[dt.time, dt.time]]:
        """Opening intervals on that day; empty when the office is closed (weekend, holiday)."""
        day = _as_date(d)
        if day in self._holidays:
            return []
        return list(self._hours.get(day.weekday(), ()))

    def is_working_day(self, d: dt.date) -> bool:
        """True when the office opens that day: it has hours on that weekday and it is no holiday."""
        return bool(self.hours_on(d))

    def next_working_day(self, start: dt.date, include_start: bool = False) -> dt.date:
        """The first working day after start (or start itself when include_start and it is one)."""
        return self.next_working_days(start, 1, include_start=include_start)[0]

    def next_working_days(self, start: dt.date, n: int, include_start: bool = False) -> list[dt.date]:
        """The next n working days after start (start included only when include_start is True)."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = _as_date(start)
        if not include_start:
            day += dt.timedelta(days=1)
        found: list[dt.date] = []
        gap = 0
        while len(found) < n:
            if self.is_working_day(day):
                found.append(day)
                gap = 0
            else:
                gap += 1
                if gap > _MAX_SEARCH_DAYS:
                    raise ValueError("the calendar has no working day: check the opening hours")
            day += dt.timedelta(days=1)
        return found

    @overload
    def add_working_days(self, start: dt.datetime, n: int) -> dt.datetime: ...

    @overload
    def add_working_days(self, start: dt.date, n: int) -> dt.date: ...

    def add_working_days(self, start: dt.date | dt.datetime, n: int) -> dt.date | dt.datetime:
        """The moment n working days after start, at the same local clock time (for SLA deadlines).

        Only working days count: a complaint received on Friday 15:00 with a 1-working-day SLA is due
        Monday 15:00 (or later when Monday is a holiday); one received on Saturday is due on the
        n-th working day after Saturday. n = 0 returns start. A date gives a date.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        if isinstance(start, dt.datetime):
            local = self._local(start)
            if n == 0:
                return local
            day = self.next_working_days(local.date(), n)[-1]
            return dt.datetime.combine(day, local.timetz())
        if n == 0:
            return start
        return self.next_working_days(start, n)[-1]

    def working_days_between(self, a: dt.date | dt.datetime, b: dt.date | dt.datetime) -> int:
        """How many working days lie after a, up to and including b (negative when b is before a).

        It is the inverse of add_working_days: working_days_between(d, add_working_days(d, n)) == n,
        so an SLA report can say how many working days a ticket took.
        """
        first, last = self._day(a), self._day(b)
        if last < first:
            return -self.working_days_between(last, first)
        return sum(1 for offset in range(1, (last - first).days + 1)
                   if self.is_working_day(first + dt.timedelta(days=offset)))

    # ---- moments --------------------------------------------------------------------------------

    def is_open_at(self, moment: dt.datetime) -> bool:
        """True when the office is open at that moment (opening time included, closing time excluded)."""
        local = self._local(moment)
        clock = local.time().replace(tzinfo=None)
        return any(open_ <= clock < close for open_, close in self.hours_on(local.date()))

    def next_opening(self, after: dt.datetime) -> dt.datetime:
        """The start of the next opening interval at or after `after` (local time).

        When the office is open at `after`, this is the next interval's start (after a break or on the
        next working day): callers ask is_open_at first. Aware input gives an aware result in the
        office time zone; naive input gives naive local time.
        """
        local = self._local(after)
        clock = local.time().replace(tzinfo=None)
        day = local.date()
        for _ in range(_MAX_SEARCH_DAYS + 1):
            for open_, _close in self.hours_on(day):
                if day > local.date() or open_ >= clock:
                    result = dt.datetime.combine(day, open_)
                    return result.replace(tzinfo=local.tzinfo) if local.tzinfo else result
            day += dt.timedelta(days=1)
        raise ValueError("the calendar has no opening hours: check the office profile")

    # ---- helpers --------------------------------------------------------------------------------

    def _local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self._tz) if moment.tzinfo is not None else moment

    def _day(self, value: dt.date | dt.datetime) -> dt.date:
        return self._local(value).date() if isinstance(value, dt.datetime) else value


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


# ---- turning profile values into calendar values (the profile module does the reading) ----------

_WEEKDAY_KEYS = {
    "senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "jum'at": 4, "sabtu": 5, "minggu": 6, "ahad": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}
_KIND_ALIASES = {
    "libur_nasional": "libur_nasional", "libur nasional": "libur_nasional", "nasional": "libur_nasional",
    "national": "libur_nasional", "national_holiday": "libur_nasional",
    "cuti_bersama": "cuti_bersama", "cuti bersama": "cuti_bersama", "collective_leave": "cuti_bersama",
}


def _parse_time(value: Any) -> dt.time:
    """"08:00", "8.00", a time, or minutes since midnight (YAML 1.1 reads unquoted 08:00 as 480)."""
    if isinstance(value, dt.time):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return dt.time(value // 60, value % 60)
    match = re.fullmatch(r"\s*(\d{1,2})[:.](\d{2})\s*", str(value))
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"opening hours: {value!r} is not a time like 08:00")
    return dt.time(int(match[1]), int(match[2]))


def _is_single_time(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (dt.time, int)):
        return True
    return isinstance(value, str) and not re.search(r"[-–]", value)


def _parse_interval(value: Any) -> tuple[dt.time, dt.time]:
    if isinstance(value, str):
        parts = re.split(r"\s*[-–]\s*", value.strip())
        if len(parts) != 2:
            raise ValueError(f"opening hours: {value!r} is not an interval like 08:00-16:00")
        return _parse_time(parts[0]), _parse_time(parts[1])
    if isinstance(value, Mapping):
        return _parse_time(value["open"]), _parse_time(value["close"])
    open_, close = value
    return _parse_time(open_), _parse_time(close)


def parse_opening_hours(raw: Mapping[Any, Any]) -> dict[int, list[tuple[dt.time, dt.time]]]:
    """Opening hours from profile values: weekday (0-6, "senin", "monday", "mon") -> intervals.

    An interval is "08:00-16:00" (or "08.00-16.00"), a pair, or {open, close}; a day may have a list of
    them, one of them, or nothing / "tutup" / "closed" for a closed day.
    """
    hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for key, value in raw.items():
        if isinstance(key, int) and not isinstance(key, bool):
            weekday = key
        elif str(key).strip().isdigit():
            weekday = int(str(key).strip())
        else:
            name = str(key).strip().lower()
            if name not in _WEEKDAY_KEYS:
                raise ValueError(f"opening hours: unknown day {key!r}")
            weekday = _WEEKDAY_KEYS[name]
        if not 0 <= weekday <= 6:
            raise ValueError(f"opening hours: weekday {weekday} is not 0 (Monday) to 6 (Sunday)")
        if value is None or (isinstance(value, str) and value.strip().lower() in {"", "tutup", "closed", "libur"}):
            intervals: list[tuple[dt.time, dt.time]] = []
        elif isinstance(value, (str, Mapping)):
            intervals = [_parse_interval(value)]
        elif len(value) == 2 and all(_is_single_time(v) for v in value):
            intervals = [_parse_interval(value)]  # one pair: [open, close]
        else:
            intervals = [_parse_interval(v) for v in value]
        hours[weekday] = intervals
    return hours


def parse_holidays(records: Iterable[Mapping[str, Any]]) -> list[Holiday]:
    """Holidays from profile records {date: 2026-03-21 (or "2026-03-21"), name: ..., kind: ...}."""
    holidays: list[Holiday] = []
    for record in records:
        raw_date = record.get("date")
        if isinstance(raw_date, dt.datetime):
            day = raw_date.date()
        elif isinstance(raw_date, dt.date):
            day = raw_date
        else:
            try:
                day = dt.date.fromisoformat(str(raw_date).strip())
            except ValueError:
                raise ValueError(f"holiday: {raw_date!r} is not a date like 2026-03-21") from None
        kind = _KIND_ALIASES.get(str(record.get("kind", "")).strip().lower())
        if kind is None:
            raise ValueError(f"holiday on {day.isoformat()}: kind must be libur_nasional or cuti_bersama, "
                             f"not {record.get('kind')!r}")
        holidays.append(Holiday(day, str(record.get("name") or "").strip(), kind))  # type: ignore[arg-type]
    return holidays
