"""Booking a visit slot: slots from the office calendar, the rules, and atomic capacity.

Every public function takes the caller's Session (one unit of work) plus `now` (office local time)
and a calendar, so tests and the action server can travel in time through office.clock.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from office import clock
from office.booking.catalogue import Policy, get_policy, get_service
from office.booking.models import Booking, BookingService
from office.booking.rules import (PhoneError, clean_code, counter_values, give_back, lock_for_write,
                                  new_code, normalise_phone, take)
from office.calendar import OfficeCalendar

# Reasons (stable values the actions and the back-office turn into words).
FULL = "penuh"
DUPLICATE = "duplicate"
PAST = "past"
CLOSED = "closed"
NOT_OFFERED = "not_offered"
TOO_FAR = "too_far"
CUTOFF = "cutoff"
BAD_SLOT = "bad_slot"
BAD_PHONE = "bad_phone"
BAD_NAME = "bad_name"
NOT_FOUND = "not_found"
NOT_ACTIVE = "not_active"
RESCHEDULE_LIMIT = "reschedule_limit"
RESCHEDULE_TOO_LATE = "reschedule_too_late"
NO_BOOKING = "no_booking"


@dataclass
class SlotInfo:
    day: dt.date
    start: dt.time
    free: int
    capacity: int


@dataclass
class BookingResult:
    ok: bool
    reason: str | None = None
    booking: Booking | None = None
    alternatives: list[SlotInfo] = field(default_factory=list)
    detail: str = ""  # e.g. the holiday's name


def _calendar(calendar: OfficeCalendar | None, session: Session) -> OfficeCalendar:
    """The given calendar, else the one in force (profile + back-office holidays) in this session's database."""
    if calendar is not None:
        return calendar
    from office.holidays import office_calendar

    return office_calendar(session)


def slot_key(service_code: str, day: dt.date, start: dt.time) -> str:
    return f"slot:{service_code}:{day.isoformat()}:{start.strftime('%H:%M')}"


def slot_times(calendar: OfficeCalendar, service: BookingService, day: dt.date) -> list[dt.time]:
    """Start times of the service's slots that day: its duration stepped through each opening interval."""
    if not service.booking_needed or day.weekday() not in service.weekday_set:
        return []
    times: list[dt.time] = []
    step = dt.timedelta(minutes=max(5, service.duration_minutes))
    for opening, closing in calendar.hours_on(day):
        cursor = dt.datetime.combine(day, opening)
        end = dt.datetime.combine(day, closing)
        while cursor + step <= end:
            times.append(cursor.time())
            cursor += step
    return times


def date_problem(service: BookingService, day: dt.date, now: dt.datetime, calendar: OfficeCalendar,
                 policy: Policy) -> tuple[str, str] | None:
    """Why `day` cannot be booked for `service` (reason, detail), or None when it can."""
    today = now.date()
    if day < today:
        return PAST, ""
    holiday = calendar.holiday_on(day)
    if holiday is not None:
        return CLOSED, holiday.name
    if not calendar.is_working_day(day):
        return CLOSED, ""
    if day.weekday() not in service.weekday_set:
        return NOT_OFFERED, ""
    if (day - today).days > policy.booking_horizon_days:
        return TOO_FAR, str(policy.booking_horizon_days)
    if day == today:
        if policy.same_day_cutoff is None or now.time() >= policy.same_day_cutoff:
            return CUTOFF, policy.same_day_cutoff.strftime("%H.%M") if policy.same_day_cutoff else ""
    return None


def slots_on(session: Session, service: BookingService, day: dt.date, now: dt.datetime,
             calendar: OfficeCalendar) -> list[SlotInfo]:
    """Every slot of that day with its free places (slots already started today are left out)."""
    used = counter_values(session, f"slot:{service.code}:{day.isoformat()}:")
    result = []
    for start in slot_times(calendar, service, day):
        if day == now.date() and start <= now.time():
            continue
        booked = used.get(slot_key(service.code, day, start), 0)
        result.append(SlotInfo(day, start, max(0, service.capacity_per_slot - booked), service.capacity_per_slot))
    return result


def free_slots(session: Session, service: BookingService, day: dt.date, now: dt.datetime | None = None,
               calendar: OfficeCalendar | None = None) -> list[SlotInfo]:
    now = now or clock.now()
    return [s for s in slots_on(session, service, day, now, _calendar(calendar, session)) if s.free > 0]


def open_days(session: Session, service: BookingService, now: dt.datetime | None = None,
              calendar: OfficeCalendar | None = None, count: int = 5) -> list[dt.date]:
    """The next bookable days that still have a free slot (for the date buttons)."""
    now = now or clock.now()
    cal = _calendar(calendar, session)
    policy = get_policy(session)
    days: list[dt.date] = []
    day = now.date()
    for _ in range(policy.booking_horizon_days + 1):
        if date_problem(service, day, now, cal, policy) is None and free_slots(session, service, day, now, cal):
            days.append(day)
            if len(days) >= count:
                break
        day += dt.timedelta(days=1)
    return days


def nearest_alternatives(session: Session, service: BookingService, day: dt.date, start: dt.time,
                         now: dt.datetime, calendar: OfficeCalendar, limit: int = 3) -> list[SlotInfo]:
    """Free slots nearest to the wanted one: the same day first (closest time), then the next open days."""
    policy = get_policy(session)
    found: list[SlotInfo] = []
    if date_problem(service, day, now, calendar, policy) is None:
        wanted = dt.datetime.combine(day, start)
        same_day = sorted(free_slots(session, service, day, now, calendar),
                          key=lambda s: abs(dt.datetime.combine(day, s.start) - wanted))
        found.extend(same_day[:limit])
    cursor = max(day, now.date())
    for _ in range(policy.booking_horizon_days + 1):
        if len(found) >= limit:
            break
        cursor += dt.timedelta(days=1)
        if date_problem(service, cursor, now, calendar, policy) is None:
            for slot in free_slots(session, service, cursor, now, calendar):
                found.append(slot)
                if len(found) >= limit:
                    break
    return found[:limit]


def clean_name(text: str) -> str | None:
    """A person's name as typed (letters, spaces, . ' -), 2 to 80 characters, or None."""
    name = re.sub(r"\s+", " ", (text or "").strip())
    if not 2 <= len(name) <= 80 or not re.fullmatch(r"[^\W\d_][\w .,'\-]*", name) or any(c.isdigit() for c in name):
        return None
    return name


def _active_key(phone: str, service_code: str) -> str:
    return f"{phone}|{service_code}"


def _insert_booking(session: Session, values: dict) -> Booking:
    for _ in range(8):
        booking = Booking(code=new_code(), **values)
        try:
            with session.begin_nested():
                session.add(booking)
                session.flush()
            return booking
        except IntegrityError:
            if values.get("active_key") and session.scalar(
                    select(Booking.id).where(Booking.active_key == values["active_key"])) is not None:
                raise
            continue  # a code collision: draw another
    raise RuntimeError("could not draw a free booking code")


def book(session: Session, service_code: str, day: dt.date, start: dt.time, name: str, phone: str,
         sender_id: str = "", now: dt.datetime | None = None, calendar: OfficeCalendar | None = None,
         language: str = "id") -> BookingResult:
    """Book one place, or say why not. Capacity is taken with a conditional UPDATE, so under any
    number of concurrent requests a slot never goes over capacity; "penuh" comes with the nearest
    free alternatives. `language` ("id"/"en", from the conversation) is kept for the reminder."""
    now = now or clock.now()
    lock_for_write(session)  # first: the calendar read below then sits inside the write transaction
    cal = _calendar(calendar, session)
    service = get_service(session, service_code)
    if service is None or not service.active or not service.booking_needed:
        return BookingResult(False, NOT_OFFERED)
    policy = get_policy(session)
    problem = date_problem(service, day, now, cal, policy)
    if problem:
        return BookingResult(False, problem[0], detail=problem[1],
                             alternatives=nearest_alternatives(session, service, day, start, now, cal))
    if start not in slot_times(cal, service, day) or (day == now.date() and start <= now.time()):
        return BookingResult(False, BAD_SLOT, alternatives=nearest_alternatives(session, service, day, start, now, cal))
    clean = clean_name(name)
    if clean is None:
        return BookingResult(False, BAD_NAME)
    try:
        phone = normalise_phone(phone)
    except PhoneError as exc:
        return BookingResult(False, BAD_PHONE, detail=str(exc))
    key = _active_key(phone, service.code)
    existing = session.scalar(select(Booking).where(Booking.active_key == key))
    if existing is not None:
        return BookingResult(False, DUPLICATE, booking=existing)
    if take(session, slot_key(service.code, day, start), service.capacity_per_slot) is None:
        session.rollback()  # nothing of ours is kept; the alternatives are read fresh
        return BookingResult(False, FULL, alternatives=nearest_alternatives(session, service, day, start, now, cal))
    stamp = clock.to_utc(now)
    try:
        booking = _insert_booking(session, dict(
            service_code=service.code, day=day, start=start, name=clean, phone=phone, sender_id=sender_id or "",
            status="active", active_key=key, reschedules=0, created_at=stamp, updated_at=stamp,
            language="en" if language == "en" else "id"))
    except IntegrityError:
        session.rollback()
        existing = session.scalar(select(Booking).where(Booking.active_key == key))
        return BookingResult(False, DUPLICATE, booking=existing)
    return BookingResult(True, booking=booking)


def find_booking(session: Session, code: str) -> Booking | None:
    cleaned = clean_code(code)
    if cleaned is None:
        return None
    return session.scalar(select(Booking).where(Booking.code == cleaned))


def bookings_of(session: Session, sender_id: str = "", phone: str = "", include_past: bool = False,
                today: dt.date | None = None) -> list[Booking]:
    """Active bookings of a chat sender or a phone number, soonest first."""
    today = today or clock.today()
    conditions = []
    if sender_id:
        conditions.append(Booking.sender_id == sender_id)
    if phone:
        conditions.append(Booking.phone == phone)
    if not conditions:
        return []
    from sqlalchemy import or_

    stmt = select(Booking).where(or_(*conditions), Booking.status == "active")
    if not include_past:
        stmt = stmt.where(Booking.day >= today)
    return list(session.scalars(stmt.order_by(Booking.day, Booking.start)))


def can_reschedule(booking: Booking, policy: Policy, today: dt.date,
                   calendar: OfficeCalendar | None = None) -> str | None:
    """None when the policy allows moving this booking today, else the reason. A booking on a day the
    office has since closed (a holiday added later) may always be moved: the office caused it."""
    if booking.status != "active":
        return NOT_ACTIVE
    if calendar is not None and booking.day >= today and not calendar.is_working_day(booking.day):
        return None
    if booking.reschedules >= policy.max_reschedules:
        return RESCHEDULE_LIMIT
    if (booking.day - today).days < policy.reschedule_days_before:
        return RESCHEDULE_TOO_LATE
    return None


def reschedule(session: Session, code: str, day: dt.date, start: dt.time, now: dt.datetime | None = None,
               calendar: OfficeCalendar | None = None) -> BookingResult:
    """Move a booking to another slot (policy: up to N days before, at most M times), atomically."""
    now = now or clock.now()
    lock_for_write(session)  # first: the calendar read below then sits inside the write transaction
    cal = _calendar(calendar, session)
    booking = find_booking(session, code)
    if booking is None:
        return BookingResult(False, NOT_FOUND)
    policy = get_policy(session)
    reason = can_reschedule(booking, policy, now.date(), cal)
    if reason:
        return BookingResult(False, reason, booking=booking, detail=str(policy.reschedule_days_before))
    service = get_service(session, booking.service_code)
    if service is None:
        return BookingResult(False, NOT_OFFERED, booking=booking)
    problem = date_problem(service, day, now, cal, policy)
    if problem:
        return BookingResult(False, problem[0], booking=booking, detail=problem[1],
                             alternatives=nearest_alternatives(session, service, day, start, now, cal))
    if start not in slot_times(cal, service, day) or (day, start) == (booking.day, booking.start):
        return BookingResult(False, BAD_SLOT, booking=booking,
                             alternatives=nearest_alternatives(session, service, day, start, now, cal))
    if take(session, slot_key(service.code, day, start), service.capacity_per_slot) is None:
        session.rollback()
        booking = find_booking(session, code)
        return BookingResult(False, FULL, booking=booking,
                             alternatives=nearest_alternatives(session, service, day, start, now, cal))
    give_back(session, slot_key(booking.service_code, booking.day, booking.start))
    booking.day, booking.start = day, start
    booking.reschedules += 1
    booking.reminder_sent_at = None
    booking.updated_at = clock.to_utc(now)
    session.flush()
    return BookingResult(True, booking=booking)


def cancel(session: Session, code: str, now: dt.datetime | None = None) -> BookingResult:
    """Cancel an active booking and free its place (the slot can be booked again at once)."""
    now = now or clock.now()
    lock_for_write(session)
    booking = find_booking(session, code)
    if booking is None:
        return BookingResult(False, NOT_FOUND)
    if booking.status != "active":
        return BookingResult(False, NOT_ACTIVE, booking=booking)
    if booking.day < now.date():
        return BookingResult(False, PAST, booking=booking)
    give_back(session, slot_key(booking.service_code, booking.day, booking.start))
    booking.status = "cancelled"
    booking.active_key = None
    booking.cancelled_at = booking.updated_at = clock.to_utc(now)
    session.flush()
    return BookingResult(True, booking=booking)
