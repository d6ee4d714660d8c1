"""The same-day queue: numbers per line (A-012), walk-ins within the daily quota, priority line P,
check-in of bookings, counter actions, "now serving", people ahead and the estimated wait.

Numbers come from an atomic counter per line and day (never issued twice, also under concurrency,
and a unique (day, line, number) index backs it up). A waiting ticket is called with a conditional
UPDATE (status = 'waiting'), so two counters can never call the same person.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from office import clock
from office.booking.catalogue import get_policy, get_service, list_services
from office.booking.models import Booking, BookingService, QueueTicket
from office.booking.rules import lock_for_write, take
from office.calendar import OfficeCalendar
from office.outbox import enqueue

PRIORITY_LINE = "P"
OPEN_STATUSES = ("waiting", "called")

# Reasons
CLOSED = "closed"
QUOTA_FULL = "quota_full"
ALREADY = "already"
NOT_FOUND = "not_found"
WRONG_DAY = "wrong_day"
NOT_ACTIVE = "not_active"
NO_TICKET = "no_ticket"
NOT_OFFERED = "not_offered"


@dataclass
class QueueResult:
    ok: bool
    reason: str | None = None
    ticket: QueueTicket | None = None
    detail: str = ""


@dataclass
class QueueStatus:
    ticket: QueueTicket
    serving: str | None      # label now being served in the ticket's line
    ahead: int
    wait_minutes: int


def _calendar(calendar: OfficeCalendar | None, session: Session) -> OfficeCalendar:
    """The given calendar, else the one in force (profile + back-office holidays) in this session's database."""
    if calendar is not None:
        return calendar
    from office.holidays import office_calendar

    return office_calendar(session)


def _office_open_today(calendar: OfficeCalendar, now: dt.datetime) -> bool:
    """Numbers are issued on working days until the last closing time."""
    hours = calendar.hours_on(now.date())
    return bool(hours) and now.time() < max(close for _, close in hours)


def _offers_walkin_today(service: BookingService, calendar: OfficeCalendar, now: dt.datetime) -> bool:
    return (service.active and service.daily_quota > 0 and _office_open_today(calendar, now)
            and now.date().weekday() in service.weekday_set)


def walkin_services(session: Session, now: dt.datetime | None = None,
                    calendar: OfficeCalendar | None = None) -> list[BookingService]:
    """The services that give same-day numbers right now (none on weekends, holidays, after closing)."""
    now = now or clock.now()
    cal = _calendar(calendar, session)
    return [s for s in list_services(session) if _offers_walkin_today(s, cal, now)]


def _issue(session: Session, service: BookingService, source: str, now: dt.datetime, sender_id: str = "",
           booking_id: int | None = None, sort_at: dt.datetime | None = None, note: str = "",
           language: str = "id") -> QueueTicket:
    day = now.date()
    number = take(session, f"line:{service.line}:{day.isoformat()}", None)
    assert number is not None
    stamp = clock.to_utc(now)
    ticket = QueueTicket(day=day, line=service.line, number=number, service_code=service.code, source=source,
                         booking_id=booking_id, sender_id=sender_id or "", status="waiting", counter="", calls=0,
                         sort_at=clock.to_utc(sort_at) if sort_at else stamp, issued_at=stamp, note=note,
                         language="en" if language == "en" else "id")
    session.add(ticket)
    session.flush()
    return ticket


def open_ticket_of(session: Session, sender_id: str, day: dt.date) -> QueueTicket | None:
    """The sender's ticket still waiting or being served today (latest first)."""
    if not sender_id:
        return None
    return session.scalar(select(QueueTicket).where(
        QueueTicket.sender_id == sender_id, QueueTicket.day == day, QueueTicket.status.in_(OPEN_STATUSES))
        .order_by(QueueTicket.id.desc()).limit(1))


def take_walkin(session: Session, service_code: str, sender_id: str = "", now: dt.datetime | None = None,
                calendar: OfficeCalendar | None = None, language: str = "id") -> QueueResult:
    """A same-day number without booking, within the service's daily quota (priority service: line P).
    `language` is the citizen's ("id"/"en"): the "hampir dipanggil" message is written in it."""
    now = now or clock.now()
    lock_for_write(session)  # first: the calendar read below then sits inside the write transaction
    cal = _calendar(calendar, session)
    service = get_service(session, service_code)
    if service is None or not service.active or service.daily_quota < 1:
        return QueueResult(False, NOT_OFFERED)
    if not _offers_walkin_today(service, cal, now):
        holiday = cal.holiday_on(now.date())
        return QueueResult(False, CLOSED, detail=holiday.name if holiday else "")
    existing = open_ticket_of(session, sender_id, now.date())
    if existing is not None:
        return QueueResult(False, ALREADY, ticket=existing)
    if take(session, f"walkin:{service.code}:{now.date().isoformat()}", service.daily_quota) is None:
        return QueueResult(False, QUOTA_FULL)
    source = "priority" if service.line == PRIORITY_LINE else "walkin"
    ticket = _issue(session, service, source, now, sender_id=sender_id, language=language)
    send_near_turn_alerts(session, ticket.line, now)
    return QueueResult(True, ticket=ticket)


def check_in(session: Session, code: str, now: dt.datetime | None = None) -> QueueResult:
    """A booked citizen arrives (code typed at the counter, or QR at the kiosk): a number on the line."""
    from office.booking.bookings import find_booking

    now = now or clock.now()
    lock_for_write(session)
    booking = find_booking(session, code)
    if booking is None:
        return QueueResult(False, NOT_FOUND)
    if booking.status == "checked_in":
        ticket = session.scalar(select(QueueTicket).where(QueueTicket.booking_id == booking.id)
                                .order_by(QueueTicket.id.desc()).limit(1))
        return QueueResult(False, ALREADY, ticket=ticket)
    if booking.status != "active":
        return QueueResult(False, NOT_ACTIVE)
    if booking.day != now.date():
        return QueueResult(False, WRONG_DAY, detail=booking.day.isoformat())
    service = get_service(session, booking.service_code)
    if service is None:
        return QueueResult(False, NOT_OFFERED)
    booking.status = "checked_in"
    booking.active_key = None
    booking.checked_in_at = booking.updated_at = clock.to_utc(now)
    ticket = _issue(session, service, "booking", now, sender_id=booking.sender_id, booking_id=booking.id,
                    language=booking.language)
    send_near_turn_alerts(session, ticket.line, now)
    return QueueResult(True, ticket=ticket)


def _waiting(session: Session, day: dt.date, lines: list[str] | None = None) -> list[QueueTicket]:
    stmt = select(QueueTicket).where(QueueTicket.day == day, QueueTicket.status == "waiting")
    if lines:
        stmt = stmt.where(QueueTicket.line.in_(lines))
    return list(session.scalars(stmt.order_by(QueueTicket.sort_at, QueueTicket.id)))


def call_next(session: Session, counter: str, lines: list[str], now: dt.datetime | None = None) -> QueueTicket | None:
    """Call the next person for `counter` among `lines`: the priority line first, then by arrival."""
    now = now or clock.now()
    lock_for_write(session)
    for _ in range(20):
        waiting = _waiting(session, now.date(), lines)
        if not waiting:
            return None
        waiting.sort(key=lambda t: (t.line != PRIORITY_LINE, clock.to_utc(t.sort_at), t.id))
        candidate = waiting[0]
        stamp = clock.to_utc(now)
        done = session.execute(update(QueueTicket).where(QueueTicket.id == candidate.id,
                                                         QueueTicket.status == "waiting")
                               .values(status="called", counter=counter, calls=1, called_at=stamp,
                                       last_call_at=stamp), execution_options={"synchronize_session": False})
        if done.rowcount == 1:
            session.refresh(candidate)
            send_near_turn_alerts(session, candidate.line, now)
            return candidate
    return None


def recall(session: Session, ticket_id: int, now: dt.datetime | None = None) -> QueueTicket | None:
    """Call the same number again (the board announces it once more)."""
    now = now or clock.now()
    ticket = session.get(QueueTicket, ticket_id)
    if ticket is None or ticket.status != "called":
        return None
    ticket.calls += 1
    ticket.last_call_at = clock.to_utc(now)
    return ticket


def finish(session: Session, ticket_id: int, outcome: str, now: dt.datetime | None = None) -> QueueTicket | None:
    """Served or no-show; the served time feeds the wait estimate."""
    if outcome not in ("served", "no_show"):
        raise ValueError("outcome must be served or no_show")
    now = now or clock.now()
    ticket = session.get(QueueTicket, ticket_id)
    if ticket is None or ticket.status != "called":
        return None
    ticket.status = outcome
    ticket.finished_at = clock.to_utc(now)
    return ticket


def transfer(session: Session, ticket_id: int, service_code: str, now: dt.datetime | None = None
             ) -> QueueTicket | None:
    """Send a person to another service's line, keeping their place (their original arrival time)."""
    now = now or clock.now()
    lock_for_write(session)
    ticket = session.get(QueueTicket, ticket_id)
    target = get_service(session, service_code)
    if ticket is None or target is None or ticket.status not in OPEN_STATUSES:
        return None
    new = _issue(session, target, "transfer", now, sender_id=ticket.sender_id, booking_id=ticket.booking_id,
                 sort_at=ticket.sort_at, note=f"dari {ticket.label}", language=ticket.language)
    ticket.status = "transferred"
    ticket.finished_at = clock.to_utc(now)
    ticket.transferred_to_id = new.id
    send_near_turn_alerts(session, new.line, now)
    return new


def serving_label(session: Session, line: str, day: dt.date) -> str | None:
    """The number most recently called on the line today."""
    ticket = session.scalar(select(QueueTicket).where(
        QueueTicket.day == day, QueueTicket.line == line, QueueTicket.called_at.is_not(None))
        .order_by(QueueTicket.called_at.desc(), QueueTicket.id.desc()).limit(1))
    return ticket.label if ticket else None


def people_ahead(session: Session, ticket: QueueTicket) -> int:
    if ticket.status != "waiting":
        return 0
    waiting = _waiting(session, ticket.day, [ticket.line])
    mine = (clock.to_utc(ticket.sort_at), ticket.id)
    return sum(1 for t in waiting if (clock.to_utc(t.sort_at), t.id) < mine)


def average_service_minutes(session: Session, line: str, day: dt.date) -> float:
    """Mean minutes per person served on the line today (actual call-to-finish times); before anyone
    has been served, the configured duration of the line's services."""
    rows = session.execute(select(QueueTicket.called_at, QueueTicket.finished_at).where(
        QueueTicket.day == day, QueueTicket.line == line, QueueTicket.status == "served",
        QueueTicket.called_at.is_not(None), QueueTicket.finished_at.is_not(None))).all()
    spans = [(clock.to_utc(f) - clock.to_utc(c)).total_seconds() / 60 for c, f in rows]
    spans = [s for s in spans if s >= 0]
    if spans:
        return sum(spans) / len(spans)
    durations = [s.duration_minutes for s in list_services(session) if s.line == line]
    return float(min(durations)) if durations else 15.0


def active_counters(session: Session, line: str, day: dt.date) -> int:
    count = session.scalar(select(func.count(func.distinct(QueueTicket.counter))).where(
        QueueTicket.day == day, QueueTicket.line == line, QueueTicket.counter != ""))
    return max(1, int(count or 0))


def status_for(session: Session, sender_id: str, now: dt.datetime | None = None) -> QueueStatus | None:
    """The citizen's place today: now serving, people ahead and the estimated wait in minutes."""
    now = now or clock.now()
    ticket = open_ticket_of(session, sender_id, now.date())
    if ticket is None:
        return None
    ahead = people_ahead(session, ticket)
    minutes = average_service_minutes(session, ticket.line, ticket.day)
    wait = round(ahead * minutes / active_counters(session, ticket.line, ticket.day))
    return QueueStatus(ticket, serving_label(session, ticket.line, ticket.day), ahead, int(wait))


def near_turn_text(ticket: QueueTicket, ahead: int, lang: str = "id") -> str:
    if lang == "en":
        return (f"Your number {ticket.label} is almost up: {ahead} people ahead of you. "
                "Please stay near the counters and watch the display board.")
    return (f"Nomor Anda hampir dipanggil: {ticket.label}, {ahead} orang lagi di depan Bapak/Ibu. "
            "Mohon bersiap di dekat loket dan perhatikan layar antrean.")


def send_near_turn_alerts(session: Session, line: str, now: dt.datetime | None = None) -> int:
    """Enqueue "nomor Anda hampir dipanggil" once per ticket when it is N places (policy) from the counter.
    The once-only mark is a conditional UPDATE, so two processes never both send it."""
    now = now or clock.now()
    places = get_policy(session).near_turn_places
    sent = 0
    for position, ticket in enumerate(_waiting(session, now.date(), [line])):
        if position > places:
            break
        if not ticket.sender_id or ticket.near_alert_at is not None:
            continue
        done = session.execute(update(QueueTicket).where(QueueTicket.id == ticket.id,
                                                         QueueTicket.near_alert_at.is_(None))
                               .values(near_alert_at=clock.to_utc(now)),
                               execution_options={"synchronize_session": False})
        if done.rowcount == 1:
            enqueue(session, ticket.sender_id, "queue_alert", near_turn_text(ticket, position, ticket.language),
                    payload={"ticket": ticket.label})
            sent += 1
    return sent


def board(session: Session, day: dt.date, recent: int = 6) -> dict:
    """What the waiting-room board shows: numbers and counters only, no personal data."""
    called = list(session.scalars(select(QueueTicket).where(
        QueueTicket.day == day, QueueTicket.last_call_at.is_not(None))
        .order_by(QueueTicket.last_call_at.desc(), QueueTicket.id.desc()).limit(recent)))
    lines = sorted({s.line for s in list_services(session)})
    waiting = _waiting(session, day)
    return {
        "day": day.isoformat(),
        "calls": [{"id": t.id, "number": t.label, "counter": t.counter, "calls": t.calls,
                   "status": t.status} for t in called],
        "lines": [{"line": line, "serving": serving_label(session, line, day),
                   "waiting": sum(1 for t in waiting if t.line == line)} for line in lines],
    }


def tickets_today(session: Session, day: dt.date) -> list[QueueTicket]:
    return list(session.scalars(select(QueueTicket).where(QueueTicket.day == day)
                                .order_by(QueueTicket.sort_at, QueueTicket.id)))


def bookings_on(session: Session, day: dt.date) -> list[Booking]:
    return list(session.scalars(select(Booking).where(Booking.day == day, Booking.status != "cancelled")
                                .order_by(Booking.start, Booking.id)))
