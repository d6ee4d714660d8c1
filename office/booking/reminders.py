"""Day-before reminders of bookings, enqueued to the outbox exactly once each."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from office import clock
from office.booking.catalogue import get_policy, get_service
from office.booking.models import Booking
from office.dates import format_date
from office.outbox import enqueue


def reminder_text(booking: Booking, service_name: str, lang: str = "id") -> str:
    """The day-before reminder, in the language the citizen booked in."""
    if lang == "en":
        return (f"Reminder of your visit tomorrow: {service_name}, {format_date(booking.day, 'en')} at "
                f"{booking.start.strftime('%H.%M')} WIB. Booking code: {booking.code}. Show this code at the counter "
                f"or the queue kiosk when you arrive. If you cannot come, type \"cancel booking {booking.code}\".")
    return (f"Pengingat kunjungan besok: {service_name}, {format_date(booking.day)} pukul "
            f"{booking.start.strftime('%H.%M')} WIB. Kode booking: {booking.code}. Tunjukkan kode ini di "
            f"loket atau kios antrean saat tiba. Jika berhalangan, ketik \"batal booking {booking.code}\".")


def send_day_before_reminders(session: Session, now: dt.datetime | None = None) -> int:
    """From the policy's reminder time, remind every active booking of tomorrow that has not been
    reminded (bookings made today are skipped: their confirmation is fresh). Returns how many."""
    now = now or clock.now()
    policy = get_policy(session)
    if now.time() < policy.reminder_time:
        return 0
    tomorrow = now.date() + dt.timedelta(days=1)
    start_of_today = clock.to_utc(dt.datetime.combine(now.date(), dt.time(0, 0), tzinfo=now.tzinfo))
    rows = list(session.scalars(select(Booking).where(
        Booking.day == tomorrow, Booking.status == "active", Booking.reminder_sent_at.is_(None))))
    sent = 0
    for booking in rows:
        if not booking.sender_id or clock.to_utc(booking.created_at) >= start_of_today:
            continue
        done = session.execute(update(Booking).where(Booking.id == booking.id, Booking.reminder_sent_at.is_(None))
                               .values(reminder_sent_at=clock.to_utc(now)),
                               execution_options={"synchronize_session": False})
        if done.rowcount != 1:
            continue
        service = get_service(session, booking.service_code)
        enqueue(session, booking.sender_id, "reminder",
                reminder_text(booking, service.label(booking.language) if service else booking.service_code,
                              booking.language),
                payload={"booking": booking.code})
        sent += 1
    return sent
