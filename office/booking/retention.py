"""Removing who a booking belonged to (UU 27/2022), for the retention purge and for a citizen's
"hapus data saya".

The booking row itself stays (service, day, time, status): the queue and the dashboards count visits,
and a queue ticket may point at it. Only what identifies the person goes: name, phone and chat sender.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from office.booking.models import Booking, QueueTicket

ERASED_NAME = "(dihapus)"
FINISHED_QUEUE_STATUSES = ("served", "no_show", "transferred")


def anonymise(booking: Booking) -> None:
    """Blank the identity of one booking (its status is the caller's business)."""
    booking.name = ERASED_NAME
    booking.phone = ""
    booking.sender_id = ""
    booking.active_key = None


def anonymise_before(session: Session, day: dt.date) -> int:
    """Retention: blank the identity of bookings for visits before `day` (not yet blanked).
    Returns how many bookings were changed."""
    changed = session.execute(
        update(Booking).where(Booking.day < day, Booking.name != ERASED_NAME)
        .values(name=ERASED_NAME, phone="", sender_id="", active_key=None),
        execution_options={"synchronize_session": False}).rowcount or 0
    session.execute(update(QueueTicket).where(QueueTicket.day < day, QueueTicket.sender_id != "")
                    .values(sender_id=""), execution_options={"synchronize_session": False})
    return changed


def forget_queue_sender(session: Session, sender_id: str) -> int:
    """Cut finished queue numbers from the sender (a number still waiting keeps it: the "hampir
    dipanggil" alert needs it until the visit is over)."""
    return session.execute(
        update(QueueTicket).where(QueueTicket.sender_id == sender_id,
                                  QueueTicket.status.in_(FINISHED_QUEUE_STATUSES)).values(sender_id=""),
        execution_options={"synchronize_session": False}).rowcount or 0
