"""Worker job of announcements: fan out the ones that are due (one outbox message per active
subscriber, spaced per channel), and mark "sent" those whose deliveries have all ended. Safe to run
from several workers: each fan-out claims its announcement with a conditional UPDATE in the same
transaction that writes the messages (office/outreach/announcements.py)."""
from __future__ import annotations

import logging

from office import clock
from office.db import session_scope
from office.outreach.announcements import due, fan_out, finish_sent

log = logging.getLogger("worker.announcements")


def run_announcement_jobs(url: str | None = None) -> dict[str, int]:
    """One pass; returns what it did (announcements fanned out, messages queued, announcements finished)."""
    now = clock.now()
    with session_scope(url) as session:
        due_ids = [a.id for a in due(session, now)]
    fanned = queued = 0
    for announcement_id in due_ids:
        with session_scope(url) as session:  # one transaction per announcement: claim + every message
            count = fan_out(session, announcement_id, now)
        if count is not None:
            fanned += 1
            queued += count
            log.info("announcement %s: %s messages queued", announcement_id, count)
    with session_scope(url) as session:
        finished = finish_sent(session, clock.now())
    return {"fanned_out": fanned, "queued": queued, "finished": finished}
