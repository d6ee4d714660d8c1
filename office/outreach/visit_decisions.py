"""Staff decide on requests for a visit (a school, village or company asking the office to come):
accept, optionally with the scheduled service day, or decline with a reason. The requester is told
through the outbox (kind "visit_request_decision") in the language they wrote in.

Deciding is idempotent: the decision is written by a conditional UPDATE (status = "new"), so a second
click, or a second officer deciding at the same moment, changes nothing and sends nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from office import clock
from office.outbox import enqueue
from office.outreach.event_models import OutreachEvent, VisitRequest
from office.outreach.events import EventError
from office.outreach.staff_messages import visit_accepted_text, visit_declined_text

REQUEST_STATUSES = ("new", "accepted", "declined")
STATUS_LABELS = {"new": "Baru", "accepted": "Diterima", "declined": "Ditolak"}
MIN_REASON = 5
MAX_NOTE = 1000


@dataclass
class DecisionResult:
    request: VisitRequest
    changed: bool  # False: it had been decided already; nothing changed and nothing was sent


def _decide(session: Session, request_id: int, status: str, officer: str, note: str, event_id: int | None,
            now: dt.datetime) -> tuple[VisitRequest, bool]:
    request = session.get(VisitRequest, request_id)
    if request is None:
        raise EventError("Permohonan kunjungan tidak ditemukan.")
    if request.status != "new":
        return request, False
    done = session.execute(update(VisitRequest).where(VisitRequest.id == request.id, VisitRequest.status == "new")
                           .values(status=status, decision_note=note, decided_by=officer[:100],
                                   decided_at=clock.to_utc(now), event_id=event_id),
                           execution_options={"synchronize_session": False})
    session.refresh(request)
    return request, done.rowcount == 1


def accept_visit_request(session: Session, request_id: int, officer: str, note: str = "",
                         event_id: int | None = None, now: dt.datetime | None = None) -> DecisionResult:
    """Accept; with `event_id` the requester is told the scheduled day and place."""
    now = now or clock.now()
    note = " ".join(note.split())[:MAX_NOTE]
    event = None
    if event_id is not None:
        event = session.get(OutreachEvent, event_id)
        if event is None:
            raise EventError("Kegiatan yang dipilih tidak ditemukan.")
        if event.status != "published" or event.day < now.date():
            raise EventError("Kegiatan yang dipilih sudah lewat, ditutup atau dibatalkan; pilih kegiatan lain.")
    request, changed = _decide(session, request_id, "accepted", officer, note, event_id, now)
    if changed and request.sender_id:
        enqueue(session, request.sender_id, "visit_request_decision",
                visit_accepted_text(request, note, event, request.language),
                payload={"visit_request": request.code, "decision": "accepted",
                         "event": event.id if event else None})
    return DecisionResult(request, changed)


def decline_visit_request(session: Session, request_id: int, officer: str, reason: str,
                          now: dt.datetime | None = None) -> DecisionResult:
    """Decline with a reason the requester reads."""
    now = now or clock.now()
    reason = " ".join(reason.split())[:MAX_NOTE]
    request = session.get(VisitRequest, request_id)
    if request is not None and request.status == "new" and len(reason) < MIN_REASON:
        raise EventError("Tuliskan alasan penolakan; alasan ini dikirim kepada pemohon.")
    request, changed = _decide(session, request_id, "declined", officer, reason, None, now)
    if changed and request.sender_id:
        enqueue(session, request.sender_id, "visit_request_decision",
                visit_declined_text(request, reason, request.language),
                payload={"visit_request": request.code, "decision": "declined"})
    return DecisionResult(request, changed)


def list_visit_requests(session: Session, status: str | None = None, limit: int = 200) -> list[VisitRequest]:
    """The inbox: new requests oldest first (first come, first decided); decided ones newest first."""
    query = select(VisitRequest)
    if status in REQUEST_STATUSES:
        query = query.where(VisitRequest.status == status)
    if status == "new":
        query = query.order_by(VisitRequest.created_at, VisitRequest.id)
    else:
        query = query.order_by(VisitRequest.created_at.desc(), VisitRequest.id.desc())
    return list(session.scalars(query.limit(limit)))
