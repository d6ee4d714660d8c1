"""The reporting period: whole local days (Asia/Jakarta), a month or any from-to range."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from office import clock
from office.dates import ID_MONTHS, ID_MONTHS_SHORT

MAX_DAYS = 366
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    """A period the dashboards cannot show; the message is for staff (Indonesian)."""


@dataclass(frozen=True)
class Period:
    """[start, end], both days included, in office-local dates."""

    start: dt.date
    end: dt.date

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        return cls(dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]))

    @property
    def is_month(self) -> bool:
        return self.start.day == 1 and self == Period.month(self.start.year, self.start.month)

    @property
    def month_key(self) -> str:
        """'2026-03' for the month of the period's end."""
        return f"{self.end.year:04d}-{self.end.month:02d}"

    @property
    def label(self) -> str:
        """'Maret 2026' for a whole month, else '1 Mar 2026 – 15 Mar 2026'."""
        if self.is_month:
            return f"{ID_MONTHS[self.start.month - 1]} {self.start.year}"
        return f"{short_date(self.start)} – {short_date(self.end)}"

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) in UTC: local midnight of the first day to local midnight after the last."""
        tz = clock.office_tz()
        first = dt.datetime.combine(self.start, dt.time(0), tzinfo=tz)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        return clock.to_utc(first), clock.to_utc(after)


def short_date(day: dt.date) -> str:
    """'7 Des 2026'."""
    return f"{day.day} {ID_MONTHS_SHORT[day.month - 1]} {day.year}"


def month_label(year: int, month: int, short: bool = False) -> str:
    return f"{(ID_MONTHS_SHORT if short else ID_MONTHS)[month - 1]} {year}"


def local_day(moment: dt.datetime) -> dt.date:
    """The office-local date of a stored (UTC or naive-UTC) moment."""
    return clock.to_utc(moment).astimezone(clock.office_tz()).date()


def local_time(moment: dt.datetime) -> dt.datetime:
    return clock.to_utc(moment).astimezone(clock.office_tz())


def months_back(end: dt.date, count: int) -> list[tuple[int, int]]:
    """The `count` months ending with the month of `end`, oldest first."""
    year, month = end.year, end.month
    out = []
    for _ in range(count):
        out.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def parse_month(value: str) -> Period:
    match = _MONTH_RE.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise PeriodError(f"Bulan {value!r} tidak dikenali. Gunakan format TTTT-BB, misalnya 2026-03.")
    return Period.month(int(match.group(1)), int(match.group(2)))


def parse_period(month: str | None = None, start: str | None = None, end: str | None = None,
                 today: dt.date | None = None) -> Period:
    """The period a dashboard request asks for: `start`/`end` (YYYY-MM-DD) when given, else `month`
    (YYYY-MM), else the current month. Raises PeriodError with a message for staff."""
    today = today or clock.today()
    if start or end:
        try:
            first = dt.date.fromisoformat((start or "").strip())
            last = dt.date.fromisoformat((end or "").strip())
        except ValueError:
            raise PeriodError("Tanggal awal dan akhir harus diisi lengkap (TTTT-BB-HH).") from None
        if last < first:
            raise PeriodError("Tanggal akhir tidak boleh sebelum tanggal awal.")
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError(f"Rentang paling panjang {MAX_DAYS} hari. Persingkat rentangnya.")
        return Period(first, last)
    if month:
        return parse_month(month)
    return Period.month(today.year, today.month)
