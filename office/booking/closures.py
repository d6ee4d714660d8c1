"""Bookings caught by a new closure (a holiday or cuti bersama added after they were booked).

Why: the office must not silently strand people who booked a day it later closes, nor cancel their
booking behind their back. The administrator sees who is affected before saving, and may send each
of them an apology with how to move the visit; such a booking may be rescheduled whatever the usual
reschedule limits (see bookings.can_reschedule), because the office caused the move.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from office.booking.catalogue import get_service
from office.booking.models import Booking
from office.calendar import Holiday
from office.dates import format_date
from office.outbox import enqueue


def bookings_on_days(session: Session, days: Iterable[dt.date]) -> list[Booking]:
    """Active bookings on any of these days, in visit order."""
    wanted = sorted(set(days))
    if not wanted:
        return []
    return list(session.scalars(select(Booking).where(Booking.day.in_(wanted), Booking.status == "active")
                                .order_by(Booking.day, Booking.start, Booking.id)))


def closure_notice_text(booking: Booking, holiday: Holiday, service_name: str, lang: str = "id") -> str:
    """The apology sent to a citizen whose booked day became a holiday, with how to move the visit."""
    time = booking.start.strftime("%H.%M")
    if lang == "en":
        kind = "a public holiday" if holiday.kind == "libur_nasional" else "a collective leave day (cuti bersama)"
        return (f"We apologise: {format_date(booking.day, 'en')} has been set as {kind} ({holiday.name}), so the "
                f"office is closed that day and cannot serve your visit ({service_name}, {time} WIB, booking code "
                f"{booking.code}). Your booking has not been cancelled. Please choose another day by typing "
                f"\"reschedule booking {booking.code}\", or \"cancel booking {booking.code}\" if you no longer "
                "need it.")
    kind = "hari libur nasional" if holiday.kind == "libur_nasional" else "cuti bersama"
    return (f"Mohon maaf, Bapak/Ibu. {format_date(booking.day)} ditetapkan sebagai {kind} ({holiday.name}), "
            f"sehingga kantor tutup dan kunjungan Anda ({service_name}, pukul {time} WIB, kode booking "
            f"{booking.code}) tidak dapat dilayani pada hari itu. Booking Anda tidak dibatalkan. Silakan pilih "
            f"hari lain dengan mengetik \"ubah jadwal booking {booking.code}\", atau \"batal booking "
            f"{booking.code}\" bila tidak jadi datang.")


def notify_closure(session: Session, bookings: Iterable[Booking], holidays: Iterable[Holiday]) -> list[str]:
    """Enqueue the apology to every affected booking that came through a chat channel (the caller's
    transaction commits it with the holiday change). Returns the codes notified."""
    by_day = {h.date: h for h in holidays}
    notified: list[str] = []
    for booking in bookings:
        holiday = by_day.get(booking.day)
        if holiday is None or not booking.sender_id:
            continue
        service = get_service(session, booking.service_code)
        name = service.label(booking.language) if service else booking.service_code
        enqueue(session, booking.sender_id, "booking_closure",
                closure_notice_text(booking, holiday, name, booking.language),
                payload={"booking": booking.code, "day": booking.day.isoformat()})
        notified.append(booking.code)
    return notified
