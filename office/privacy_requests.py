"""A citizen's own data on request (UU 27/2022: the rights to information, access and deletion):
what the office holds about a conversation, a copy of it ("minta data saya"), and erasure ("hapus
data saya"), with a record of every request.

Why the record holds a hash: the officer in charge must be able to show that each request was carried
out, but the record itself must not become new personal data. The sender id is kept only while the
worker still has to erase the conversation in Rasa (`pending_sender_id`), and cleared once it has.

What erasure keeps, and why (the bot says this to the citizen):
- open complaints stay as they are until they are closed: the office must still handle them and reply;
- audit entries and this request record (no identity in them) prove what was done;
- completed survey answers are anonymous already (office/survey/models.py) and stay in the IKM;
- consent records (office/consent.py) stay as proof that consent was given and then withdrawn, with the
  sender id replaced by its hash; live chats with an officer lose their messages and their link to the sender.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from office import audit, clock, consent, handoff
from office.booking import bookings as booking_rules
from office.booking.models import Booking
from office.booking.retention import anonymise, forget_queue_sender
from office.complaints.models import OPEN_STATUSES, Ticket
from office.db import Base
from office.outbox import OutboxMessage
from office.outreach import subscriptions as announcement_subscriptions
from office.outreach import retention as outreach_retention
from office.outreach.announcement_models import AnnouncementSubscription
from office.survey.models import SurveyInvitation, SurveyResponse

EXPORT, ERASE = "export", "erase"
KINDS = (EXPORT, ERASE)
# tracker_status: Rasa's copy of the conversation still to erase (pending), erased (done), or nothing to do
TRACKER_PENDING, TRACKER_DONE, TRACKER_NONE = "pending", "done", "none"
RETRY_FIRST = dt.timedelta(seconds=30)
RETRY_MAX = dt.timedelta(hours=1)
EXPORT_LIMIT = 10  # rows per kind in the chat copy: short enough to read on a phone


class PrivacyRequest(Base):
    __tablename__ = "privacy_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), index=True)  # export | erase
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the sender id
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # counts only, never personal data
    tracker_status: Mapped[str] = mapped_column(String(8), default=TRACKER_NONE, index=True)
    pending_sender_id: Mapped[str | None] = mapped_column(String(255), nullable=True)  # cleared when done
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    tracker_done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def sender_hash(sender_id: str) -> str:
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()


@dataclass
class Holdings:
    """What the office holds about one conversation (its own rows only)."""

    bookings: list[Booking] = field(default_factory=list)
    complaints: list[Ticket] = field(default_factory=list)  # non-anonymous, this sender's
    survey_invitations: int = 0
    announcement_subscription: AnnouncementSubscription | None = None  # consent to announcements (issue 9)
    handoff_sessions: list[handoff.LiveSession] = field(default_factory=list)  # live chats with an officer
    consents: list[consent.ConsentRecord] = field(default_factory=list)  # consents given before forms
    outreach: outreach_retention.SenderHoldings | None = None  # service-day registrations, visit requests

    @property
    def open_complaints(self) -> list[Ticket]:
        return [t for t in self.complaints if t.status in OPEN_STATUSES]


def holdings(session: Session, sender_id: str) -> Holdings:
    """Every booking, complaint and survey invitation linked to `sender_id` (newest first)."""
    if not sender_id:
        return Holdings()
    return Holdings(
        bookings=list(session.scalars(select(Booking).where(Booking.sender_id == sender_id)
                                      .order_by(Booking.day.desc(), Booking.start.desc()))),
        complaints=list(session.scalars(select(Ticket).where(Ticket.sender_id == sender_id)
                                        .order_by(Ticket.created_at.desc()))),
        survey_invitations=len(list(session.scalars(
            select(SurveyInvitation.id).where(SurveyInvitation.sender_id == sender_id)))),
        announcement_subscription=announcement_subscriptions.find(session, sender_id),
        handoff_sessions=handoff.sessions_of(session, sender_id),
        consents=consent.consents_of(session, sender_id),
        outreach=outreach_retention.holdings_of(session, sender_id),
    )


def record_export(session: Session, sender_id: str, now: dt.datetime | None = None) -> Holdings:
    """The citizen's copy: their rows, and a record that a copy was given (done at once)."""
    now_utc = clock.to_utc(now or clock.now())
    found = holdings(session, sender_id)
    session.add(PrivacyRequest(kind=EXPORT, sender_hash=sender_hash(sender_id), requested_at=now_utc,
                               done_at=now_utc, tracker_status=TRACKER_NONE,
                               summary={"bookings": len(found.bookings), "complaints": len(found.complaints),
                                        "survey_invitations": found.survey_invitations,
                                        "announcement_subscription": found.announcement_subscription is not None,
                                        "handoff_sessions": len(found.handoff_sessions),
                                        "consents": len(found.consents),
                                        "outreach_registrations": found.outreach.registrations if found.outreach else 0,
                                        "visit_requests": found.outreach.visit_requests if found.outreach else 0}))
    session.flush()
    return found


@dataclass
class ErasureResult:
    request: PrivacyRequest
    cancelled: list[str]  # booking codes cancelled (their slots given back)
    bookings_anonymised: int
    complaints_anonymised: int
    kept_open_complaints: list[str]  # codes still handled until closed
    survey_invitations_deleted: int
    announcement_subscription_deleted: bool = False  # the consent row and announcements not yet sent
    handoff_sessions_erased: int = 0  # live chats: messages deleted, session unlinked (office/handoff.py)
    consents_withdrawn: int = 0  # consent records withdrawn and unlinked (office/consent.py)


def erase(session: Session, sender_id: str, now: dt.datetime | None = None) -> ErasureResult:
    """Erase what identifies `sender_id`, in the caller's transaction: future bookings are cancelled
    through the booking cancel rule (the slot is freed) and every booking loses name, phone and sender;
    closed complaints lose sender and contact; survey invitations are deleted (an unfinished response
    with them); delivered outbox messages to the sender are deleted. Open complaints are kept. The
    request is recorded with Rasa's conversation still to erase by the worker."""
    now = now or clock.now()
    now_utc = clock.to_utc(now)
    found = holdings(session, sender_id)
    cancelled = []
    for booking in found.bookings:
        if booking.status == "active" and booking.day >= now.date():
            if booking_rules.cancel(session, booking.code, now).ok:
                cancelled.append(booking.code)
        anonymise(booking)
    forget_queue_sender(session, sender_id)
    closed = [t for t in found.complaints if t.status not in OPEN_STATUSES]
    for ticket in closed:
        ticket.sender_id = None
        ticket.contact_preference = None
        ticket.updated_at = now_utc
    invitation_ids = [i for i in session.scalars(
        select(SurveyInvitation.id).where(SurveyInvitation.sender_id == sender_id))]
    if invitation_ids:
        # a completed response is already unlinked; one still being filled in goes with its invitation
        session.execute(delete(SurveyResponse).where(SurveyResponse.invitation_id.in_(invitation_ids)),
                        execution_options={"synchronize_session": False})
        session.execute(delete(SurveyInvitation).where(SurveyInvitation.id.in_(invitation_ids)),
                        execution_options={"synchronize_session": False})
    # announcements: consent withdrawn, pending announcement messages cancelled, the row deleted
    subscription_deleted = announcement_subscriptions.forget(session, sender_id, now)
    handoff_erased = handoff.forget_sender(session, sender_id, now)
    consents_withdrawn = consent.forget(session, sender_id, now)
    outreach_erased = outreach_retention.erase_sender(session, sender_id, now)  # places freed, rows deleted
    outbox_deleted = session.execute(
        delete(OutboxMessage).where(OutboxMessage.sender_id == sender_id, OutboxMessage.status == "sent"),
        execution_options={"synchronize_session": False}).rowcount or 0
    kept = [t.code for t in found.open_complaints]
    summary = {"bookings_cancelled": len(cancelled), "bookings_anonymised": len(found.bookings),
               "complaints_anonymised": len(closed), "complaints_kept_open": len(kept),
               "survey_invitations_deleted": len(invitation_ids), "outbox_messages_deleted": outbox_deleted,
               "announcement_subscription_deleted": subscription_deleted,
               "handoff_sessions_erased": handoff_erased, "consents_withdrawn": consents_withdrawn,
               **outreach_erased,
               "conversation": "menunggu worker"}
    request = PrivacyRequest(kind=ERASE, sender_hash=sender_hash(sender_id), requested_at=now_utc, done_at=now_utc,
                             summary=summary, tracker_status=TRACKER_PENDING, pending_sender_id=sender_id,
                             attempts=0, next_attempt_at=now_utc)
    session.add(request)
    session.flush()
    audit.record(session, "warga", "privacy_erase", target=f"privacy_request:{request.id}",
                 detail={k: v for k, v in summary.items() if k != "conversation"}, now=now_utc)
    return ErasureResult(request, cancelled, len(found.bookings), len(closed), kept, len(invitation_ids),
                         subscription_deleted, handoff_sessions_erased=handoff_erased,
                         consents_withdrawn=consents_withdrawn)


def due_tracker_erasures(session: Session, now: dt.datetime, limit: int = 20) -> list[PrivacyRequest]:
    """Erase requests whose Rasa conversation is still to erase and whose next try has come."""
    rows = session.scalars(select(PrivacyRequest).where(PrivacyRequest.tracker_status == TRACKER_PENDING)
                           .order_by(PrivacyRequest.id).limit(limit * 5)).all()
    now_utc = clock.to_utc(now)
    return [r for r in rows if r.next_attempt_at is None or clock.to_utc(r.next_attempt_at) <= now_utc][:limit]


def tracker_erased(request: PrivacyRequest, now: dt.datetime) -> None:
    """The conversation is gone from Rasa: forget the sender id for good."""
    request.tracker_status = TRACKER_DONE
    request.pending_sender_id = None
    request.tracker_done_at = clock.to_utc(now)
    request.last_error = None
    request.summary = {**(request.summary or {}), "conversation": "dihapus"}


def tracker_failed(request: PrivacyRequest, error: str, now: dt.datetime) -> None:
    """Try again later (30 s, 1 min, 2 min ... at most hourly); never given up, since the sender
    id must not stay here longer than it takes Rasa to come back."""
    request.attempts = (request.attempts or 0) + 1
    wait = min(RETRY_MAX, RETRY_FIRST * (2 ** min(request.attempts - 1, 12)))
    request.next_attempt_at = clock.to_utc(now) + wait
    request.last_error = error[:500]


def recent(session: Session, limit: int = 200) -> list[PrivacyRequest]:
    return list(session.scalars(select(PrivacyRequest).order_by(PrivacyRequest.id.desc()).limit(limit)))
