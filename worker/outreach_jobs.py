"""Periodic outreach job of the worker: the day-before reminder of each service-day or information-session
registration. It only enqueues (once per registration, guarded in office.outreach.reminders); the
delivery pass sends it through Rasa like every other office message."""
from __future__ import annotations

import logging

from office import clock
from office.db import session_scope
from office.outreach.reminders import send_event_reminders

log = logging.getLogger("worker.outreach")


def run_outreach_jobs(url: str | None = None) -> int:
    """One pass; returns how many reminders were enqueued. Safe to run from several workers."""
    with session_scope(url) as session:
        count = send_event_reminders(session, clock.now())
    if count:
        log.info("outreach jobs enqueued %s reminder(s)", count)
    return count
