"""Which service events earn a survey invitation, and sending the invitations that are due.

Events: a queue ticket the counter marked "served" (the citizen who took the number or made the
booking), and a complaint closed as "selesai" or "ditolak". A rejected complaint is surveyed too: the
citizen still experienced the handling, and leaving rejections out would flatter the IKM. Not surveyed:
anonymous complaints (no sender id), duplicates merged into another ticket (the survey follows the
ticket that carried the case), and visits without a chat conversation (walk-ins at the kiosk).
Only events of the last `expiry_days` (and within the retention period) are looked at, so a purged
invitation is never created again.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from office import clock, outbox
from office.booking.models import Booking, QueueTicket
from office.complaints.models import Ticket
from office.profile import load_profile
from office.survey.messages import invite_text
from office.survey.models import SurveyInvitation
from office.survey.questions import settings
from office.survey.service import (COMPLAINT, VISIT, complaint_event_key, create_invitation, due_invitations,
                                   mark_invited, visit_event_key)

INVITE_KIND = "survey_invite"
CLOSED_COMPLAINT_STATUSES = ("selesai", "ditolak")


def _lookback_start(now: dt.datetime) -> dt.datetime:
    days = min(settings().expiry_days, load_profile().retention_days)
    return clock.to_utc(now) - dt.timedelta(days=days)


def _existing(session: Session, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(session.scalars(select(SurveyInvitation.event_key).where(SurveyInvitation.event_key.in_(keys))))


def invite_served_visits(session: Session, now: dt.datetime | None = None) -> int:
    """An invitation for every recently served queue ticket with a known conversation."""
    now = now or clock.now()
    rows = session.execute(
        select(QueueTicket, Booking.sender_id).outerjoin(Booking, Booking.id == QueueTicket.booking_id)
        .where(QueueTicket.status == "served", QueueTicket.finished_at >= _lookback_start(now))
        .order_by(QueueTicket.finished_at, QueueTicket.id)).all()
    done = _existing(session, [visit_event_key(t.id) for t, _ in rows])
    created = 0
    for ticket, booking_sender in rows:
        key = visit_event_key(ticket.id)
        sender = ticket.sender_id or booking_sender
        if key in done or not sender:
            continue
        if create_invitation(session, event_key=key, event_kind=VISIT, sender_id=sender,
                             service_code=ticket.service_code, now=ticket.finished_at) is not None:
            created += 1
    return created


def invite_closed_complaints(session: Session, now: dt.datetime | None = None) -> int:
    """An invitation for every recently closed complaint of a known (not anonymous) citizen."""
    now = now or clock.now()
    rows = list(session.scalars(
        select(Ticket).where(Ticket.status.in_(CLOSED_COMPLAINT_STATUSES), Ticket.closed_at.is_not(None),
                             Ticket.closed_at >= _lookback_start(now), Ticket.merged_into_id.is_(None),
                             Ticket.sender_id.is_not(None))
        .order_by(Ticket.closed_at, Ticket.id)))
    done = _existing(session, [complaint_event_key(t.code) for t in rows])
    created = 0
    for ticket in rows:
        key = complaint_event_key(ticket.code)
        if key in done or ticket.mode == "anonim":
            continue
        if create_invitation(session, event_key=key, event_kind=COMPLAINT, sender_id=ticket.sender_id,
                             service_code=ticket.category, now=ticket.closed_at) is not None:
            created += 1
    return created


def send_due_invitations(session: Session, now: dt.datetime | None = None) -> int:
    """Enqueue the invitations whose delay has passed (one per citizen at a time) to the outbox; the
    conversation renders them with buttons in the citizen's language (kind survey_invite)."""
    now = now or clock.now()
    sent = 0
    for invitation in due_invitations(session, now):
        sender = invitation.sender_id
        if not sender or not mark_invited(session, invitation, now):
            continue
        outbox.enqueue(session, sender, INVITE_KIND, invite_text(invitation),
                       payload={"survey_event": invitation.event_key})
        sent += 1
    return sent
