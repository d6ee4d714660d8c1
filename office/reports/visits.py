"""Bookings, no-shows, and waiting and service times at the counters, by hour of day and by weekday.

Definitions (all on office-local dates and times):
- a booking counts on its visit day: present (checked in), no-show (still active after its day: never
  came), cancelled, or upcoming (active, its day is today or later);
- a queue no-show is a number called at the counter and marked "tidak hadir";
- waiting time = from the number being issued (walk-in, or check-in of a booking) to its first call,
  over every number that was called; bucketed by the hour it was issued and by its weekday;
- service time = from the call to "selesai dilayani", over served numbers; bucketed by the hour of the
  call and by weekday.
Means are exact (fractions of minutes) and rounded only for display.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from office import clock
from office.booking.models import Booking, QueueTicket
from office.dates import ID_WEEKDAYS
from office.reports.period import Period, local_time

BOOKING_STATES = ("checked_in", "no_show", "cancelled", "upcoming")
BOOKING_STATE_LABELS = {"checked_in": "Hadir", "no_show": "Tidak datang", "cancelled": "Dibatalkan",
                        "upcoming": "Akan datang"}


@dataclass(frozen=True)
class BookingDay:
    day: dt.date
    checked_in: int = 0
    no_show: int = 0
    cancelled: int = 0
    upcoming: int = 0

    @property
    def total(self) -> int:
        return self.checked_in + self.no_show + self.cancelled + self.upcoming


@dataclass(frozen=True)
class Durations:
    """Count and total seconds of a set of spans; `mean_minutes` exact."""

    count: int = 0
    seconds: int = 0

    @property
    def mean_minutes(self) -> Fraction | None:
        return Fraction(self.seconds, 60 * self.count) if self.count else None

    def add(self, seconds: int) -> "Durations":
        return Durations(self.count + 1, self.seconds + seconds)


@dataclass(frozen=True)
class TimeBucket:
    key: int      # hour 0-23 or weekday 0 (Monday)-6
    label: str    # "08.00" or "Senin"
    wait: Durations
    service: Durations


@dataclass(frozen=True)
class VisitReport:
    period: Period
    days: tuple[BookingDay, ...]
    tickets: int
    served: int
    queue_no_shows: int
    wait: Durations
    service: Durations
    by_hour: tuple[TimeBucket, ...]
    by_weekday: tuple[TimeBucket, ...]

    def booking_total(self, state: str) -> int:
        return sum(getattr(d, state) for d in self.days)

    @property
    def bookings(self) -> int:
        return sum(d.total for d in self.days)


def _booking_state(booking: Booking, today: dt.date) -> str:
    if booking.status == "checked_in":
        return "checked_in"
    if booking.status == "cancelled":
        return "cancelled"
    return "no_show" if booking.day < today else "upcoming"


def _seconds(start: dt.datetime, end: dt.datetime) -> int | None:
    span = int(round((clock.to_utc(end) - clock.to_utc(start)).total_seconds()))
    return span if span >= 0 else None


def visit_report(session: Session, period: Period, today: dt.date | None = None) -> VisitReport:
    """Bookings per visit day and the queue's times in `period`; `today` decides what is a no-show."""
    today = today or clock.today()
    per_day: dict[dt.date, dict[str, int]] = {d: {s: 0 for s in BOOKING_STATES} for d in period.days()}
    for booking in session.scalars(select(Booking).where(Booking.day >= period.start, Booking.day <= period.end)):
        per_day[booking.day][_booking_state(booking, today)] += 1
    days = tuple(BookingDay(day=d, **per_day[d]) for d in period.days())

    hours: dict[int, list[Durations]] = {}
    weekdays: dict[int, list[Durations]] = {w: [Durations(), Durations()] for w in range(7)}
    wait, service = Durations(), Durations()
    tickets = served = no_shows = 0
    for t in session.scalars(select(QueueTicket).where(QueueTicket.day >= period.start,
                                                       QueueTicket.day <= period.end)):
        tickets += 1
        served += t.status == "served"
        no_shows += t.status == "no_show"
        weekday = t.day.weekday()
        if t.called_at is not None:
            span = _seconds(t.issued_at, t.called_at)
            if span is not None:
                wait = wait.add(span)
                hour = local_time(t.issued_at).hour
                hours.setdefault(hour, [Durations(), Durations()])
                hours[hour][0] = hours[hour][0].add(span)
                weekdays[weekday][0] = weekdays[weekday][0].add(span)
        if t.status == "served" and t.called_at is not None and t.finished_at is not None:
            span = _seconds(t.called_at, t.finished_at)
            if span is not None:
                service = service.add(span)
                hour = local_time(t.called_at).hour
                hours.setdefault(hour, [Durations(), Durations()])
                hours[hour][1] = hours[hour][1].add(span)
                weekdays[weekday][1] = weekdays[weekday][1].add(span)
    by_hour = tuple(TimeBucket(h, f"{h:02d}.00", *hours[h]) for h in sorted(hours))
    # Weekdays with any data, plus Monday-Friday always (the office's working week).
    by_weekday = tuple(TimeBucket(w, ID_WEEKDAYS[w], *weekdays[w]) for w in range(7)
                       if w < 5 or weekdays[w][0].count or weekdays[w][1].count)
    return VisitReport(period=period, days=days, tickets=tickets, served=served, queue_no_shows=no_shows,
                       wait=wait, service=service, by_hour=by_hour, by_weekday=by_weekday)
