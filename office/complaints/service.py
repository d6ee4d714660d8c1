"""Complaint business rules: filing, codes, SLA, visibility, messages, status, merge, escalation.

No Rasa and no HTTP here: the actions, the back-office and the worker call these functions inside
their own transaction (office.db.session_scope), so a ticket, its audit entries, the citizen's
outbox message and the staff notification are committed together or not at all.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Iterable
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from office import audit, clock, outbox
from office.complaints.config import RoutingConfig, is_abusive, load_config, propose_category, route_unit
from office.complaints.evidence import copy_stored_fields
from office.complaints.models import (
    MODES, OPEN_STATUSES, STATUS_LABELS, STATUSES, StaffNotification, Ticket, TicketEvidence, TicketMessage,
    TicketSequence,
)
from office.dates import format_date
from office.kb.normalise import tokens
from office.holidays import office_calendar
from office.senders import channel_of
from office.staff import ADMIN, OFFICER, SUPERVISOR, StaffUser

CODE_RE = re.compile(r"\bADU-(\d{4})-(\d{6})\b", re.IGNORECASE)
SYSTEM_ACTOR = "sistem"
MAX_TEXT = 4000
DUPLICATE_SIMILARITY = 0.5


class ComplaintError(ValueError):
    """A request the rules refuse; the message is shown to staff (Indonesian)."""


# ------------------------------------------------------------------------------------------------
# codes and time
# ------------------------------------------------------------------------------------------------
def format_code(year: int, number: int) -> str:
    return f"ADU-{year}-{number:06d}"


def find_code(text: str) -> str | None:
    """The first ticket code in a text, upper-cased ("cek status adu-2026-000123" -> ADU-2026-000123)."""
    match = CODE_RE.search(text or "")
    return f"ADU-{match.group(1)}-{match.group(2)}" if match else None


def next_code(session: Session, year: int) -> str:
    """Hand out the next number of `year` atomically: the UPDATE locks the row (PostgreSQL) or the
    database (SQLite) until the caller's transaction ends, so two filings never get the same code."""
    for _attempt in range(3):
        result = session.execute(update(TicketSequence).where(TicketSequence.year == year)
                                 .values(last=TicketSequence.last + 1))
        if result.rowcount:
            number = session.scalar(select(TicketSequence.last).where(TicketSequence.year == year))
            return format_code(year, int(number))
        try:
            with session.begin_nested():
                session.add(TicketSequence(year=year, last=1))
            return format_code(year, 1)
        except IntegrityError:  # another process created the year's row first: retry the UPDATE
            continue
    raise ComplaintError("Nomor tiket tidak dapat dibuat. Coba lagi.")


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return clock.to_utc(value) if value is not None else None


def sla_deadlines(created: dt.datetime, config: RoutingConfig | None = None,
                  session: Session | None = None) -> tuple[dt.datetime, dt.datetime]:
    """(first response due, resolution due): working days on the office calendar (weekends, holidays
    and cuti bersama skipped), at the same local clock time."""
    config = config or load_config()
    calendar = office_calendar(session)  # holidays as edited in the back-office
    local = created.astimezone(clock.office_tz())
    return (clock.to_utc(calendar.add_working_days(local, config.first_response_days)),
            clock.to_utc(calendar.add_working_days(local, config.resolution_days)))


def local_date_text(moment: dt.datetime, lang: str = "id") -> str:
    """'Kamis, 26 Maret 2026' for a stored UTC moment."""
    return format_date(clock.to_utc(moment).astimezone(clock.office_tz()).date(), lang)


# ------------------------------------------------------------------------------------------------
# filing
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvidenceCheck:
    accepted: list[dict[str, Any]]
    rejected: list[tuple[dict[str, Any], str]]  # (attachment, reason: "type" | "size")


def evidence_kind(attachment: dict[str, Any]) -> str | None:
    """'image' or 'pdf' for an accepted attachment type, else None. Messenger sends a document with
    no MIME type and no file name, only a CDN URL whose path ends with the name: that counts too
    (the worker checks the content itself before keeping it)."""
    mime = str(attachment.get("mime_type") or "").lower()
    kind = str(attachment.get("type") or "").lower()
    name = str(attachment.get("file_name") or urlsplit(str(attachment.get("url") or "")).path).lower()
    if mime == "application/pdf" or (kind == "document" and name.endswith(".pdf")):
        return "pdf"
    if kind == "image" or mime.startswith("image/"):
        return "image"
    return None


def check_evidence(attachments: Iterable[dict[str, Any]], config: RoutingConfig | None = None) -> EvidenceCheck:
    """Images and PDFs up to the configured size (10 MB) are accepted; others are refused with a reason.
    A missing size (WhatsApp does not send one) is accepted: the provider already limits it."""
    config = config or load_config()
    accepted, rejected = [], []
    for item in attachments or []:
        if not isinstance(item, dict):
            continue
        kind = evidence_kind(item)
        mime = str(item.get("mime_type") or "").lower()
        if kind is None or kind not in config.allowed_evidence_types or (mime and mime not in config.allowed_mime):
            rejected.append((item, "type"))
            continue
        size = item.get("size")
        if isinstance(size, (int, float)) and size > config.max_evidence_bytes:
            rejected.append((item, "size"))
            continue
        accepted.append({**item, "kind": kind})
    return EvidenceCheck(accepted, rejected)


def _evidence_row(item: dict[str, Any], now: dt.datetime) -> TicketEvidence:
    size = item.get("size")
    return TicketEvidence(kind=str(item.get("kind") or evidence_kind(item) or "image"),
                          mime_type=(str(item.get("mime_type"))[:80] if item.get("mime_type") else None),
                          size=int(size) if isinstance(size, (int, float)) else None,
                          provider=(str(item.get("provider"))[:32] if item.get("provider") else None),
                          reference=str(item.get("url") or item.get("file_id") or "") or None, created_at=now)


def file_ticket(session: Session, *, description: str, sender_id: str | None, category_key: str | None = None,
                mode: str = "biasa", when_where: str | None = None, contact_preference: str | None = None,
                evidence: Iterable[dict[str, Any]] = (), now: dt.datetime | None = None,
                config: RoutingConfig | None = None, language: str = "id") -> Ticket:
    """Create a ticket with its code, routing, SLA deadlines, first message, evidence, audit entry and
    the 'new ticket' staff notification. Pungli/calo reports are always confidential; an anonymous
    ticket keeps no sender id at all."""
    config = config or load_config()
    description = (description or "").strip()[:MAX_TEXT]
    if not description:
        raise ComplaintError("Isi pengaduan kosong.")
    if mode not in MODES:
        raise ComplaintError("Mode kerahasiaan tidak dikenal.")
    category = config.category(category_key) if config.has_category(category_key) else propose_category(description, config)
    if category.always_confidential and mode == "biasa":
        mode = "rahasia"
    now = clock.to_utc(now or clock.now())
    first_due, resolution_due = sla_deadlines(now, config, session)
    local_year = now.astimezone(clock.office_tz()).year
    abusive = is_abusive(description, config)
    ticket = Ticket(code=next_code(session, local_year), category=category.key,
                    unit=route_unit(category, description + " " + (when_where or ""), config),
                    priority=category.priority, status="baru", mode=mode,
                    sender_id=None if mode == "anonim" else sender_id,
                    channel=channel_of(sender_id) if mode != "anonim" else None,
                    contact_preference=(contact_preference or None) if mode != "anonim" else None,
                    description=description, when_where=(when_where or "").strip()[:MAX_TEXT] or None,
                    abusive=abusive, escalation_level=0, created_at=now, updated_at=now,
                    language="en" if language == "en" else "id",
                    first_response_due=first_due, resolution_due=resolution_due)
    ticket.messages.append(TicketMessage(author_kind="citizen", text=description, abusive=abusive, created_at=now))
    for item in check_evidence(evidence, config).accepted:
        ticket.evidence.append(_evidence_row(item, now))
    session.add(ticket)
    session.flush()
    audit.record(session, SYSTEM_ACTOR, "complaint_filed", target=ticket.code,
                 detail={"category": category.key, "unit": ticket.unit, "mode": mode,
                         "evidence": len(ticket.evidence)}, now=now)
    _notify(session, ticket, "new", config, now)
    return ticket


def _notify(session: Session, ticket: Ticket, event: str, config: RoutingConfig, now: dt.datetime) -> None:
    """Queue staff notifications (no identity and, for confidential tickets, no content: a Telegram
    group is wider than the compliance unit)."""
    category = config.category(ticket.category)
    units = [ticket.unit, *category.also_notify]
    if event == "escalated_2" and config.head_of_office_unit not in units:
        units.append(config.head_of_office_unit)
    headline = {"new": "Pengaduan baru", "escalated_1": "Eskalasi ke kepala seksi (batas tanggapan pertama lewat)",
                "escalated_2": "Eskalasi ke Kepala Kantor (batas penyelesaian lewat)"}.get(event, event)
    lines = [f"{headline}: {ticket.code}", f"Kategori: {category.label}", f"Unit: {ticket.unit}",
             f"Prioritas: {ticket.priority}",
             f"Tanggapan pertama paling lambat: {local_date_text(ticket.first_response_due)}",
             f"Penyelesaian paling lambat: {local_date_text(ticket.resolution_due)}"]
    if ticket.mode == "biasa" and not ticket.abusive:
        excerpt = ticket.description[:200] + ("…" if len(ticket.description) > 200 else "")
        lines.append(f"Ringkasan: {excerpt}")
    else:
        lines.append("Isi dan identitas hanya dapat dilihat di back-office (tiket rahasia/anonim).")
    for unit in dict.fromkeys(units):
        exists = session.scalar(select(StaffNotification.id).where(
            StaffNotification.ticket_id == ticket.id, StaffNotification.event == event, StaffNotification.unit == unit))
        if exists is None:
            session.add(StaffNotification(ticket_id=ticket.id, event=event, unit=unit, text="\n".join(lines),
                                          status="pending", attempts=0, created_at=now))
    session.flush()


# ------------------------------------------------------------------------------------------------
# lookup, duplicates and the citizen's side
# ------------------------------------------------------------------------------------------------
def get_by_code(session: Session, code: str | None) -> Ticket | None:
    code = find_code(code or "")
    return session.scalar(select(Ticket).where(Ticket.code == code)) if code else None


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the normalised word sets (0..1)."""
    sa, sb = set(tokens(a or "")), set(tokens(b or ""))
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def find_duplicate(session: Session, sender_id: str | None, description: str) -> Ticket | None:
    """An open ticket of the same sender with a similar text (offer to add to it instead)."""
    if not sender_id:
        return None
    candidates = session.scalars(select(Ticket).where(Ticket.sender_id == sender_id,
                                                      Ticket.status.in_(OPEN_STATUSES),
                                                      Ticket.merged_into_id.is_(None))
                                 .order_by(Ticket.id.desc())).all()
    for ticket in candidates:
        if similarity(ticket.description, description) >= DUPLICATE_SIMILARITY:
            return ticket
    return None


def open_tickets_of(session: Session, sender_id: str) -> list[Ticket]:
    return list(session.scalars(select(Ticket).where(Ticket.sender_id == sender_id, Ticket.status.in_(OPEN_STATUSES),
                                                     Ticket.merged_into_id.is_(None)).order_by(Ticket.id.desc())))


def resolve_merged(session: Session, ticket: Ticket) -> Ticket:
    """Follow merges to the ticket that now carries the case."""
    seen = set()
    while ticket.merged_into_id and ticket.id not in seen:
        seen.add(ticket.id)
        target = session.get(Ticket, ticket.merged_into_id)
        if target is None:
            break
        ticket = target
    return ticket


def may_follow(ticket: Ticket, sender_id: str | None) -> bool:
    """The complainant (same sender id) may follow a ticket; an anonymous ticket's code is its only key."""
    return ticket.mode == "anonim" or (ticket.sender_id is not None and ticket.sender_id == sender_id)


def last_officer_reply(ticket: Ticket) -> TicketMessage | None:
    replies = [m for m in ticket.messages if m.author_kind == "officer"]
    return replies[-1] if replies else None


def add_citizen_message(session: Session, ticket: Ticket, text: str, *, sender_id: str | None,
                        evidence: Iterable[dict[str, Any]] = (), now: dt.datetime | None = None,
                        config: RoutingConfig | None = None) -> TicketMessage:
    """More information from the complainant on an open ticket; a ticket waiting for the citizen goes
    back to 'diproses'."""
    config = config or load_config()
    if not may_follow(ticket, sender_id):
        raise ComplaintError("Tiket ini bukan milik pengirim.")
    if not ticket.is_open:
        raise ComplaintError("Tiket sudah ditutup.")
    now = clock.to_utc(now or clock.now())
    text = (text or "").strip()[:MAX_TEXT]
    abusive = is_abusive(text, config)
    message = TicketMessage(author_kind="citizen", text=text or "(lampiran)", abusive=abusive, created_at=now)
    ticket.messages.append(message)
    for item in check_evidence(evidence, config).accepted:
        ticket.evidence.append(_evidence_row(item, now))
    if ticket.status == "menunggu_warga":
        ticket.status = "diproses"
    ticket.updated_at = now
    session.flush()
    audit.record(session, SYSTEM_ACTOR, "complaint_citizen_message", target=ticket.code,
                 detail={"abusive": abusive}, now=now)
    return message


# ------------------------------------------------------------------------------------------------
# staff side
# ------------------------------------------------------------------------------------------------
def can_view(ticket: Ticket, role: str, unit: str | None) -> bool:
    """Supervisors and administrators see every ticket; an officer only their unit's."""
    return role in (ADMIN, SUPERVISOR) or (unit is not None and ticket.unit == unit)


def can_see_identity(ticket: Ticket, unit: str | None, config: RoutingConfig | None = None) -> bool:
    """Ordinary tickets: whoever may view. Confidential: only the compliance unit. Anonymous: nobody."""
    config = config or load_config()
    if ticket.mode == "anonim":
        return False
    if ticket.mode == "rahasia":
        return unit == config.compliance_unit
    return True


def inbox(session: Session, role: str, unit: str | None, *, include_closed: bool = False,
          unit_filter: str | None = None, assigned_to: str | None = None) -> list[Ticket]:
    """Tickets a staff member may see (`assigned_to`: only those assigned to that officer)."""
    query = select(Ticket).where(Ticket.merged_into_id.is_(None))
    if assigned_to:
        query = query.where(Ticket.assigned_to == assigned_to)
    if role not in (ADMIN, SUPERVISOR):
        query = query.where(Ticket.unit == (unit or "\x00"))
    elif unit_filter:
        query = query.where(Ticket.unit == unit_filter)
    if not include_closed:
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    return list(session.scalars(query.order_by(Ticket.first_response_due, Ticket.id)))


def sla_state(ticket: Ticket, now: dt.datetime | None = None, config: RoutingConfig | None = None) -> str:
    """'ok', 'due_soon' or 'overdue' against the next deadline (first response, then resolution)."""
    config = config or load_config()
    if not ticket.is_open:
        return "closed"
    now = clock.to_utc(now or clock.now())
    deadline = _aware(ticket.resolution_due if ticket.first_response_at else ticket.first_response_due)
    if now > deadline:
        return "overdue"
    if deadline - now <= dt.timedelta(hours=config.due_soon_hours):
        return "due_soon"
    return "ok"


def next_deadline(ticket: Ticket) -> dt.datetime:
    return _aware(ticket.resolution_due if ticket.first_response_at else ticket.first_response_due)


def officer_reply(session: Session, ticket: Ticket, actor: str, text: str, *, now: dt.datetime | None = None,
                  ip: str | None = None) -> TicketMessage:
    """A reply to the citizen: stored, audited and (when the citizen can be reached) queued in the
    outbox in the same transaction, so the worker relays it on the citizen's channel."""
    text = (text or "").strip()[:MAX_TEXT]
    if not text:
        raise ComplaintError("Balasan tidak boleh kosong.")
    now = clock.to_utc(now or clock.now())
    message = TicketMessage(author_kind="officer", author=actor, text=text, created_at=now)
    ticket.messages.append(message)
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    if ticket.status == "baru":
        ticket.status = "diproses"
    ticket.updated_at = now
    if ticket.sender_id:
        relayed = (f"An officer's reply to complaint {ticket.code}:\n{text}" if ticket.language == "en"
                   else f"Tanggapan petugas atas pengaduan {ticket.code}:\n{text}")
        outbox.enqueue(session, ticket.sender_id, "officer_reply", relayed, payload={"ticket_code": ticket.code})
    session.flush()
    audit.record(session, actor, "complaint_reply", target=ticket.code,
                 detail={"relayed": bool(ticket.sender_id)}, ip=ip, now=now)
    return message


def internal_note(session: Session, ticket: Ticket, actor: str, text: str, *, now: dt.datetime | None = None,
                  ip: str | None = None) -> TicketMessage:
    text = (text or "").strip()[:MAX_TEXT]
    if not text:
        raise ComplaintError("Catatan tidak boleh kosong.")
    now = clock.to_utc(now or clock.now())
    message = TicketMessage(author_kind="internal", author=actor, text=text, created_at=now)
    ticket.messages.append(message)
    ticket.updated_at = now
    session.flush()
    audit.record(session, actor, "complaint_note", target=ticket.code, ip=ip, now=now)
    return message


def set_status(session: Session, ticket: Ticket, actor: str, status: str, reason: str | None = None, *,
               now: dt.datetime | None = None, ip: str | None = None) -> None:
    """Change the status; 'ditolak' needs a reason, which the citizen is told."""
    if status not in STATUSES:
        raise ComplaintError("Status tidak dikenal.")
    reason = (reason or "").strip()[:MAX_TEXT]
    if status == "ditolak" and not reason:
        raise ComplaintError("Status ditolak wajib disertai alasan.")
    now = clock.to_utc(now or clock.now())
    old = ticket.status
    ticket.status = status
    ticket.reject_reason = reason if status == "ditolak" else None
    ticket.closed_at = now if status in ("selesai", "ditolak") else None
    ticket.updated_at = now
    if status in ("selesai", "ditolak") and ticket.sender_id and old != status:
        if ticket.language == "en":
            text = (f"Complaint {ticket.code} has been {'resolved' if status == 'selesai' else 'rejected'}."
                    + (f" Reason: {reason}" if status == "ditolak" else "") + " Thank you for your report.")
        else:
            text = (f"Pengaduan {ticket.code} telah dinyatakan {STATUS_LABELS[status].lower()}."
                    + (f" Alasan: {reason}" if status == "ditolak" else "")
                    + " Terima kasih atas laporan Bapak/Ibu.")
        outbox.enqueue(session, ticket.sender_id, "complaint_status", text, payload={"ticket_code": ticket.code})
    session.flush()
    audit.record(session, actor, "complaint_status", target=ticket.code,
                 detail={"from": old, "to": status, "reason": reason or None}, ip=ip, now=now)


def reassign(session: Session, ticket: Ticket, actor: str, unit: str, *, now: dt.datetime | None = None,
             ip: str | None = None, config: RoutingConfig | None = None) -> None:
    """Move a ticket to another unit. A confidential category never leaves the compliance unit."""
    config = config or load_config()
    unit = (unit or "").strip()
    if unit not in config.unit_names():
        raise ComplaintError("Unit tidak dikenal.")
    if config.category(ticket.category).always_confidential and unit != config.compliance_unit:
        raise ComplaintError("Laporan pungli/calo/gratifikasi tetap ditangani Unit Kepatuhan Internal.")
    now = clock.to_utc(now or clock.now())
    old = ticket.unit
    ticket.unit = unit
    ticket.assigned_to = None
    ticket.updated_at = now
    session.flush()
    audit.record(session, actor, "complaint_reassign", target=ticket.code, detail={"from": old, "to": unit},
                 ip=ip, now=now)


def unit_officers(session: Session, unit: str) -> list[StaffUser]:
    """Active officers of a unit: the people a ticket of that unit can be assigned to."""
    return list(session.scalars(select(StaffUser).where(StaffUser.unit == unit, StaffUser.role == OFFICER,
                                                        StaffUser.is_active.is_(True))
                                .order_by(StaffUser.full_name, StaffUser.username)))


def assign_officer(session: Session, ticket: Ticket, actor: str, actor_role: str, actor_unit: str | None,
                   officer: str, *, now: dt.datetime | None = None, ip: str | None = None) -> StaffUser | None:
    """Assign the ticket to a named officer of its unit ("" removes the assignment), or reassign it.

    Why these checks: the assignee answers for the ticket, so they must be an active officer of the
    unit that handles it (a confidential case stays inside its unit); only a supervisor, an
    administrator or staff of that same unit may hand the work around. Audited with from/to."""
    if actor_role not in (ADMIN, SUPERVISOR) and (actor_unit or "") != ticket.unit:
        raise ComplaintError("Hanya petugas unit ini atau supervisor yang dapat menugaskan tiket ini.")
    if not ticket.is_open:
        raise ComplaintError("Tiket yang sudah ditutup tidak dapat ditugaskan.")
    officer = (officer or "").strip()
    assignee = None
    if officer:
        assignee = next((u for u in unit_officers(session, ticket.unit) if u.username == officer), None)
        if assignee is None:
            raise ComplaintError(f"Petugas itu bukan petugas aktif unit {ticket.unit}.")
    old = ticket.assigned_to
    if old == (assignee.username if assignee else None):
        return assignee
    now = clock.to_utc(now or clock.now())
    ticket.assigned_to = assignee.username if assignee else None
    ticket.updated_at = now
    session.flush()
    audit.record(session, actor, "complaint_assign", target=ticket.code,
                 detail={"from": old, "to": ticket.assigned_to}, ip=ip, now=now)
    return assignee


def merge(session: Session, duplicate: Ticket, target: Ticket, actor: str, *, now: dt.datetime | None = None,
          ip: str | None = None) -> None:
    """Fold a duplicate into the ticket that carries the case: its messages and evidence are copied,
    it is closed with a pointer, and its code keeps working for the citizen (status follows the merge)."""
    if duplicate.id == target.id:
        raise ComplaintError("Tiket tidak dapat digabung dengan dirinya sendiri.")
    if target.merged_into_id:
        raise ComplaintError("Tiket tujuan sudah digabung ke tiket lain.")
    now = clock.to_utc(now or clock.now())
    for m in duplicate.messages:
        target.messages.append(TicketMessage(author_kind=m.author_kind, author=m.author, text=m.text,
                                             abusive=m.abusive, created_at=m.created_at))
    for e in duplicate.evidence:  # the stored file is shared, not downloaded again
        target.evidence.append(TicketEvidence(**copy_stored_fields(e)))
    target.messages.append(TicketMessage(author_kind="system", author=actor,
                                         text=f"Digabung dari {duplicate.code}.", created_at=now))
    duplicate.merged_into_id = target.id
    duplicate.status = "selesai"
    duplicate.closed_at = now
    duplicate.updated_at = now
    target.updated_at = now
    session.flush()
    audit.record(session, actor, "complaint_merge", target=target.code, detail={"merged": duplicate.code},
                 ip=ip, now=now)


def escalate_overdue(session: Session, now: dt.datetime | None = None,
                     config: RoutingConfig | None = None) -> list[Ticket]:
    """Climb the ladder for every open ticket past a deadline: first response missed -> section head
    (level 1); resolution missed -> head of office (level 2). Idempotent; each step is audited and
    notified once."""
    config = config or load_config()
    now = clock.to_utc(now or clock.now())
    changed = []
    for ticket in session.scalars(select(Ticket).where(Ticket.status.in_(OPEN_STATUSES),
                                                       Ticket.merged_into_id.is_(None))):
        level = 0
        if ticket.first_response_at is None and now > _aware(ticket.first_response_due):
            level = 1
        if now > _aware(ticket.resolution_due):
            level = 2
        if level > ticket.escalation_level:
            old = ticket.escalation_level
            ticket.escalation_level = level
            ticket.updated_at = now
            audit.record(session, SYSTEM_ACTOR, "complaint_escalated", target=ticket.code,
                         detail={"from": old, "to": level, "to_label": config.ladder.get(level, str(level))}, now=now)
            _notify(session, ticket, f"escalated_{level}", config, now)
            changed.append(ticket)
    session.flush()
    return changed
