"""Periodic booking and queue jobs of the worker: day-before reminders and near-turn alerts.

Both only enqueue to the outbox (once per booking / ticket, guarded in office.booking); the
worker's delivery pass sends them through Rasa like every other office message.
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from office import clock
from office.booking.models import QueueTicket
from office.booking.queue import send_near_turn_alerts
from office.booking.reminders import send_day_before_reminders
from office.db import session_scope

log = logging.getLogger("worker.booking")


def run_booking_jobs(url: str | None = None) -> int:
    """One pass; returns how many messages were enqueued. Safe to run from several workers."""
    now = clock.now()
    with session_scope(url) as session:
        count = send_day_before_reminders(session, now)
    with session_scope(url) as session:
        lines = session.scalars(select(QueueTicket.line).where(QueueTicket.day == now.date(),
                                                               QueueTicket.status == "waiting").distinct()).all()
        for line in lines:
            count += send_near_turn_alerts(session, line, now)
    if count:
        log.info("booking jobs enqueued %s message(s)", count)
    return count
