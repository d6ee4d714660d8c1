"""Worker job of the satisfaction survey: invite after served visits and closed complaints, send the
invitations that are due (through the outbox, so delivery retries like every office message) and
expire old ones. Safe to run from several workers (every step is guarded in office.survey)."""
from __future__ import annotations

import logging

from office import clock
from office.db import session_scope
from office.survey.service import expire_old
from office.survey.triggers import invite_closed_complaints, invite_served_visits, send_due_invitations

log = logging.getLogger("worker.survey")


def run_survey_jobs(url: str | None = None) -> dict[str, int]:
    """One pass; returns what it did (created, enqueued, expired)."""
    now = clock.now()
    with session_scope(url) as session:
        created = invite_served_visits(session, now) + invite_closed_complaints(session, now)
    with session_scope(url) as session:
        expired = expire_old(session, now)
    with session_scope(url) as session:
        enqueued = send_due_invitations(session, now)
    result = {"created": created, "enqueued": enqueued, "expired": expired}
    if any(result.values()):
        log.info("survey jobs: %s", result)
    return result
