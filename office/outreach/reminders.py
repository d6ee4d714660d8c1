"""Day-before reminders of outreach events (service days and information sessions), enqueued to the
outbox once per registration: `reminded_at` is set by a conditional UPDATE before the message is
written, in the same transaction, so two workers never both remind the same registration.

Like booking reminders, they go out from REMINDER_FROM (not at midnight), and a registration made
today for tomorrow is not reminded: its confirmation is fresh.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from office import clock
from office.outbox import enqueue
from office.outreach.event_models import EventRegistration, OutreachEvent, RegistrationMember
from office.outreach.staff_messages import reminder_text

REMINDER_FROM = dt.time(9, 0)  # office time, the day before


def send_event_reminders(session: Session, now: dt.datetime | None = None) -> int:
    """Remind every active registration of tomorrow's published events that has not been reminded.
    Returns how many reminders were enqueued."""
    now = now or clock.now()
    if now.time() < REMINDER_FROM:
        return 0
    tomorrow = now.date() + dt.timedelta(days=1)
    start_of_today = clock.to_utc(dt.datetime.combine(now.date(), dt.time(0, 0), tzinfo=now.tzinfo))
    rows = session.execute(
        select(EventRegistration, OutreachEvent)
        .join(OutreachEvent, OutreachEvent.id == EventRegistration.event_id)
        .where(OutreachEvent.day == tomorrow, OutreachEvent.status == "published",
               EventRegistration.status == "registered", EventRegistration.reminded_at.is_(None))
        .order_by(EventRegistration.id)).all()
    sent = 0
    for registration, event in rows:
        if not registration.sender_id or clock.to_utc(registration.created_at) >= start_of_today:
            continue
        done = session.execute(update(EventRegistration).where(EventRegistration.id == registration.id,
                                                               EventRegistration.reminded_at.is_(None))
                               .values(reminded_at=clock.to_utc(now)),
                               execution_options={"synchronize_session": False})
        if done.rowcount != 1:
            continue
        people = session.scalar(select(func.count()).select_from(RegistrationMember)
                                .where(RegistrationMember.registration_id == registration.id)) or 0
        enqueue(session, registration.sender_id, "outreach_reminder",
                reminder_text(event, registration, people, registration.language),
                payload={"event": event.id, "registration": registration.code})
        sent += 1
    return sent
