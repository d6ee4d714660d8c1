"""Officers' complaint pages: the inbox per unit with SLA badges, the ticket page, and the actions on
a ticket (reply to the citizen, internal note, status, reassign, merge). Officers see their own
unit's tickets only; supervisors and administrators see every unit. A confidential ticket's
identity is shown to the compliance unit only. Everything a citizen wrote is rendered escaped
(Jinja autoescape; no |safe anywhere in these templates)."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, RedirectResponse, Response

from office import audit, clock
from office.complaints.config import load_config
from office.complaints.evidence import download_name, size_text, stored_file
from office.complaints.models import STATUS_LABELS, STATUSES, Ticket
from office.complaints.service import (
    ComplaintError, assign_officer, can_see_identity, can_view, get_by_code, inbox, internal_note, merge,
    next_deadline, officer_reply, open_tickets_of, reassign, set_status, sla_state, unit_officers,
)
from office.db import session_scope
from office.settings import get_settings
from office.staff import ADMIN, OFFICER, SUPERVISOR

from backoffice.auth import StaffContext, client_ip, require_roles
from backoffice.forms import FormError, read_form, text_field
from backoffice.templating import render

router = APIRouter()
ticket_roles = require_roles(OFFICER, SUPERVISOR, ADMIN)

SLA_LABELS = {"ok": "Sesuai jadwal", "due_soon": "Segera jatuh tempo", "overdue": "Terlambat", "closed": "Ditutup"}
OK_MESSAGES = {
    "reply": "Balasan tersimpan dan akan dikirim ke warga melalui kanalnya.",
    "reply_anon": "Balasan tersimpan. Pelapor anonim melihatnya melalui cek status.",
    "note": "Catatan internal tersimpan.",
    "status": "Status diperbarui.",
    "reassign": "Tiket dialihkan ke unit lain.",
    "merge": "Tiket digabungkan.",
    "assign": "Petugas yang menangani diperbarui.",
}
MODE_TEXT = {"biasa": "Biasa", "rahasia": "Rahasia", "anonim": "Anonim"}
EVIDENCE_KIND_TEXT = {"image": "Foto", "pdf": "Dokumen PDF"}
PROVIDER_TEXT = {"twilio": "WhatsApp", "telegram": "Telegram", "meta": "Messenger/Instagram"}
# A downloaded evidence file is someone else's content: never rendered, never run, never cached.
EVIDENCE_HEADERS = {
    "content-security-policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "cache-control": "private, no-store",
    "cross-origin-resource-policy": "same-origin",
}
AUTHOR_TEXT = {"citizen": "Warga", "officer": "Petugas", "internal": "Catatan internal", "system": "Sistem"}


def _row(ticket: Ticket, now: Any) -> dict[str, Any]:
    config = load_config()
    state = sla_state(ticket, now, config)
    return {"code": ticket.code, "category": config.category(ticket.category).label, "unit": ticket.unit,
            "status": ticket.status_label, "priority": ticket.priority, "mode": MODE_TEXT.get(ticket.mode, ticket.mode),
            "sla": state, "sla_label": SLA_LABELS[state], "deadline": next_deadline(ticket),
            "escalation": config.ladder.get(ticket.escalation_level, "") if ticket.escalation_level else "",
            "excerpt": ("(bahasa kasar; buka tiket untuk membaca)" if ticket.abusive else
                        ticket.description[:140] + ("…" if len(ticket.description) > 140 else "")),
            "created_at": ticket.created_at, "assigned_to": ticket.assigned_to or ""}


def _load_visible(db: Session, code: str, staff: StaffContext) -> Ticket:
    ticket = get_by_code(db, code)
    if ticket is None or not can_view(ticket, staff.role, staff.unit):
        raise HTTPException(status_code=404)
    return ticket


@router.get("/staff/tickets")
def tickets_inbox(request: Request, staff: StaffContext = Depends(ticket_roles)) -> Response:
    """Open tickets of the officer's unit (all units for supervisors), nearest deadline first."""
    show_closed = request.query_params.get("closed") == "1"
    mine = request.query_params.get("mine") == "1"
    unit_filter = request.query_params.get("unit", "")[:80] or None
    config = load_config()
    now = clock.now()
    with session_scope(get_settings().database_url) as db:
        tickets = inbox(db, staff.role, staff.unit, include_closed=show_closed, unit_filter=unit_filter,
                        assigned_to=staff.username if mine else None)
        rows = [_row(t, now) for t in tickets]
    counts = {k: sum(1 for r in rows if r["sla"] == k) for k in ("overdue", "due_soon")}
    return render(request, "tickets_inbox.html", {
        "rows": rows, "counts": counts, "show_closed": show_closed, "unit_filter": unit_filter or "", "mine": mine,
        "units": config.unit_names(), "all_units": staff.role in (SUPERVISOR, ADMIN),
        "no_unit": staff.role == OFFICER and not staff.unit})


def _detail_context(db: Session, ticket: Ticket, staff: StaffContext) -> dict[str, Any]:
    config = load_config()
    identity_visible = can_see_identity(ticket, staff.unit, config)
    candidates = []
    if identity_visible and ticket.sender_id:
        candidates = [t.code for t in open_tickets_of(db, ticket.sender_id) if t.id != ticket.id]
    merged_into = db.get(Ticket, ticket.merged_into_id).code if ticket.merged_into_id else None
    return {
        "t": ticket, "row": _row(ticket, clock.now()), "identity_visible": identity_visible,
        "mode_text": MODE_TEXT.get(ticket.mode, ticket.mode), "category": config.category(ticket.category).label,
        "messages": [{"kind": m.author_kind, "who": AUTHOR_TEXT.get(m.author_kind, m.author_kind),
                      "author": m.author, "text": m.text, "at": m.created_at, "abusive": m.abusive}
                     for m in ticket.messages],
        "evidence": [{"id": e.id, "kind": EVIDENCE_KIND_TEXT.get(e.kind, e.kind), "mime": e.mime_type or "-",
                      "size": size_text(e.size), "provider": PROVIDER_TEXT.get(e.provider or "", e.provider or "-"),
                      "status": e.status, "status_label": e.status_label, "reason": e.status_reason or "",
                      "attempts": e.attempts, "at": e.created_at, "sha256": e.sha256 or "",
                      "downloadable": e.status == "stored"}
                     for e in ticket.evidence],
        "statuses": [(s, STATUS_LABELS[s]) for s in STATUSES], "units": config.unit_names(),
        "candidates": candidates, "merged_into": merged_into,
        "ladder_label": config.ladder.get(ticket.escalation_level, ""),
        "officers": [(u.username, u.full_name) for u in unit_officers(db, ticket.unit)],
        "can_assign": ticket.is_open and (staff.role in (SUPERVISOR, ADMIN) or staff.unit == ticket.unit),
    }


def _detail_page(request: Request, staff: StaffContext, code: str, *, error: str = "", ok: str | None = None,
                 status_code: int = 200) -> Response:
    with session_scope(get_settings().database_url) as db:
        ticket = _load_visible(db, code, staff)
        return render(request, "ticket_detail.html", {**_detail_context(db, ticket, staff), "error": error,
                                                      "ok": ok}, status_code=status_code)


@router.get("/staff/tickets/{code}")
def ticket_page(code: str, request: Request, staff: StaffContext = Depends(ticket_roles)) -> Response:
    return _detail_page(request, staff, code, ok=OK_MESSAGES.get(request.query_params.get("ok", "")))


async def _act(request: Request, staff: StaffContext, code: str, fields: dict[str, tuple[str, int]],
               do: Any) -> Response:
    """Read the form, run `do(db, ticket, values)` in one transaction, redirect with a message or
    show the page again with the error."""
    form = await read_form(request)
    try:
        values = {name: text_field(form, name, label, limit) for name, (label, limit) in fields.items()}
    except FormError as exc:
        return await run_in_threadpool(lambda: _detail_page(request, staff, code, error=str(exc), status_code=400))

    def _run() -> str | None:
        with session_scope(get_settings().database_url) as db:
            ticket = _load_visible(db, code, staff)
            return do(db, ticket, values)

    try:
        ok = await run_in_threadpool(_run)
    except ComplaintError as exc:
        return await run_in_threadpool(lambda: _detail_page(request, staff, code, error=str(exc), status_code=400))
    target = ok.split("|", 1)[1] if ok and "|" in ok else code
    key = ok.split("|", 1)[0] if ok else ""
    if target != code:  # reassigned away from an officer's unit or merged: go where the case is
        return RedirectResponse(f"/staff/tickets?ok={quote(key)}", status_code=303)
    return RedirectResponse(f"/staff/tickets/{quote(code)}?ok={quote(key)}", status_code=303)


@router.post("/staff/tickets/{code}/reply")
async def ticket_reply(code: str, request: Request, staff: StaffContext = Depends(ticket_roles)) -> Response:
    def do(db: Session, ticket: Ticket, v: dict[str, str]) -> str:
        officer_reply(db, ticket, staff.username, v["text"], ip=client_ip(request))
        return "reply" if ticket.sender_id else "reply_anon"

    return await _act(request, staff, code, {"text": ("Balasan", 4000)}, do)


@router.post("/staff/tickets/{code}/note")
async def ticket_note(code: str, request: Request, staff: StaffContext = Depends(ticket_roles)) -> Response:
    def do(db: Session, ticket: Ticket, v: dict[str, str]) -> str:
        internal_note(db, ticket, staff.username, v["text"], ip=client_ip(request))
        return "note"

    return await _act(request, staff, code, {"text": ("Catatan", 4000)}, do)


@router.post("/staff/tickets/{code}/status")
async def ticket_status(code: str, request: Request, staff: StaffContext = Depends(ticket_roles)) -> Response:
    def do(db: Session, ticket: Ticket, v: dict[str, str]) -> str:
        set_status(db, ticket, staff.username, v["status"], v["reason"], ip=client_ip(request))
        return "status"

    return await _act(request, staff, code, {"status": ("Status", 20), "reason": ("Alasan", 2000)}, do)


@router.post("/staff/tickets/{code}/reassign")
async def ticket_reassign(code: str, request: Request, staff: StaffContext = Depends(ticket_roles)) -> Response:
    def do(db: Session, ticket: Ticket, v: dict[str, str]) -> str:
        reassign(db, ticket, staff.username, v["unit"], ip=client_ip(request))
        visible = can_view(ticket, staff.role, staff.unit)
        return "reassign" if visible else "reassign|-"

    return await _act(request, staff, code, {"unit": ("Unit", 80)}, do)


@router.post("/staff/tickets/{code}/assign")
async def ticket_assign(code: str, request: Request, staff: StaffContext = Depends(ticket_roles)) -> Response:
    """Assign the ticket to a named officer of its unit (or to nobody)."""
    def do(db: Session, ticket: Ticket, v: dict[str, str]) -> str:
        assign_officer(db, ticket, staff.username, staff.role, staff.unit, v["officer"], ip=client_ip(request))
        return "assign"

    return await _act(request, staff, code, {"officer": ("Petugas", 32)}, do)


@router.post("/staff/tickets/{code}/merge")
async def ticket_merge(code: str, request: Request, staff: StaffContext = Depends(ticket_roles)) -> Response:
    """Merge this ticket into another one the staff member may also see."""
    def do(db: Session, ticket: Ticket, v: dict[str, str]) -> str:
        target = get_by_code(db, v["target"])
        if target is None or not can_view(target, staff.role, staff.unit):
            raise ComplaintError("Tiket tujuan tidak ditemukan di unit Anda.")
        merge(db, ticket, target, staff.username, ip=client_ip(request))
        return "merge|" + target.code

    return await _act(request, staff, code, {"target": ("Tiket tujuan", 20)}, do)


@router.get("/staff/tickets/{code}/evidence/{evidence_id}")
def ticket_evidence(code: str, evidence_id: int, request: Request,
                    staff: StaffContext = Depends(ticket_roles)) -> Response:
    """Download one stored evidence file, for whoever may see the ticket (same check as its page).
    Always as an attachment with the type found when it was stored, so a browser never runs it."""
    with session_scope(get_settings().database_url) as db:
        ticket = _load_visible(db, code, staff)
        evidence = next((e for e in ticket.evidence if e.id == evidence_id), None)
        path = stored_file(evidence) if evidence is not None else None
        if evidence is None or path is None:
            raise HTTPException(status_code=404)
        name, mime = download_name(ticket.code, evidence), evidence.mime_type or "application/octet-stream"
        audit.record(db, staff.username, "complaint_evidence_download", target=ticket.code,
                     detail={"evidence": evidence.id, "sha256": evidence.sha256}, ip=client_ip(request))
    return FileResponse(path, media_type=mime, filename=name, content_disposition_type="attachment",
                        headers=EVIDENCE_HEADERS)
