"""Purging closed complaints past the office's retention period (UU 27/2022: keep personal data no
longer than needed), with their evidence files.

Only closed tickets go (selesai/ditolak, and merged duplicates), counted from when they were closed,
so an open case is never lost however old it is. Rows go first; the files follow once the transaction
is committed (a failed commit keeps both), and a file another ticket still points at (a merged copy)
stays.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from office.complaints.models import OPEN_STATUSES, StaffNotification, Ticket, TicketEvidence


def purge_closed_tickets(session: Session, cutoff: dt.datetime) -> tuple[int, list[str]]:
    """Delete tickets closed before `cutoff` (with their messages, evidence and staff notifications).
    Returns (tickets removed, stored evidence paths to delete after commit)."""
    tickets = list(session.scalars(select(Ticket).where(Ticket.status.not_in(OPEN_STATUSES),
                                                        Ticket.closed_at.is_not(None), Ticket.closed_at < cutoff)))
    if not tickets:
        return 0, []
    ids = [t.id for t in tickets]
    paths = list(session.scalars(select(TicketEvidence.stored_path).where(
        TicketEvidence.ticket_id.in_(ids), TicketEvidence.stored_path.is_not(None))))
    # a ticket merged into one of these points at it: unlink first so the foreign key holds
    for other in session.scalars(select(Ticket).where(Ticket.merged_into_id.in_(ids))):
        other.merged_into_id = None
    session.execute(delete(StaffNotification).where(StaffNotification.ticket_id.in_(ids)))
    for ticket in tickets:
        session.delete(ticket)
    session.flush()
    return len(tickets), paths
