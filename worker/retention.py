"""Delete conversations and citizen data older than the office's retention period (UU 27/2022)."""
from __future__ import annotations

import datetime as dt
import logging
import os

from sqlalchemy import create_engine, delete, inspect, text

from office import clock
from office.booking.retention import anonymise_before
from office.complaints.evidence import delete_unreferenced
from office.complaints.retention import purge_closed_tickets
from office.db import normalise_url, session_scope
from office.kb.store import UnansweredQuestion
from office.outbox import OutboxMessage
from office.outreach.retention import purge_before as purge_outreach
from office.outreach.subscriptions import purge_unsubscribed
from office.profile import load_profile
from office.retention import cutoffs, record_run
from office.survey.service import purge_invitations

log = logging.getLogger("worker.retention")


def purge_expired(now: dt.datetime | None = None) -> dict[str, int]:
    """Remove what is past its retention period (office/retention.py: per kind of data, else
    `retention_days`): Rasa's stored conversation events and delivered outbox messages
    (conversations), the identity on bookings for visits that long ago (bookings), complaints closed
    that long ago with their evidence files (complaints), survey invitations, recorded unanswered
    questions, and outreach registrations (after the event) and visit requests (outreach). Records the run; returns the number of rows (and files) removed per table."""
    now = now or clock.now()
    cut = cutoffs(load_profile(), now)
    removed: dict[str, int] = {}
    with session_scope() as session:
        removed["outbox_messages"] = session.execute(
            delete(OutboxMessage).where(OutboxMessage.status != "pending",
                                        OutboxMessage.created_at < cut["conversations"])
        ).rowcount or 0
        # the visit day is local; a booking is anonymised once the whole day is past the cutoff
        removed["bookings_anonymised"] = anonymise_before(
            session, cut["bookings"].astimezone(clock.office_tz()).date())
        # survey invitations hold sender ids; completed responses are anonymous and kept
        removed["survey_invitation"] = purge_invitations(session, cut["survey_invitations"], now)
        removed["unanswered_questions"] = session.execute(
            delete(UnansweredQuestion).where(UnansweredQuestion.created_at < cut["unanswered_questions"])
        ).rowcount or 0
        removed["complaint_tickets"], evidence_paths = purge_closed_tickets(session, cut["complaints"])
        # outreach: registrations counted from the event's day (local), visit requests from their arrival
        removed.update(purge_outreach(session, cut["outreach"].astimezone(clock.office_tz()).date(), cut["outreach"]))
        # announcements: the record of an opt-out, kept as long as conversations
        removed["announcement_subscriptions"] = purge_unsubscribed(session, cut["conversations"])
    if evidence_paths:  # only once the rows are gone for good
        with session_scope() as session:
            removed["evidence_files"] = delete_unreferenced(session, evidence_paths)
    tracker_url = os.environ.get("TRACKER_STORE_URL")
    if tracker_url:
        engine = create_engine(normalise_url(tracker_url))
        try:
            if inspect(engine).has_table("events"):
                with engine.begin() as conn:
                    removed["events"] = conn.execute(
                        text("DELETE FROM events WHERE timestamp < :cutoff"),
                        {"cutoff": cut["conversations"].timestamp()},
                    ).rowcount or 0
        finally:
            engine.dispose()
    with session_scope() as session:
        record_run(session, removed, now)
    if any(removed.values()):
        log.info("retention purge: %s", removed)
    return removed
