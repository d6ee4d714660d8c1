"""Staff pages of mobile service days (layanan keliling / Eazy Passport) and information sessions
(sosialisasi): the events list, the create/edit form, the event page with registrants and big check-in
buttons for a phone on the day, close/cancel, a printable list, and the inbox of visit requests.

Roles: administrators and supervisors plan events and decide on visit requests; counter officers (who
serve people on the day) see the events and check people in. Rules live in office/outreach; every
action is audited; everything citizens wrote is escaped by Jinja.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from office import audit, clock
from office.dates import format_date, format_date_plain
from office.db import session_scope
from office.outreach import events as ev
from office.outreach.event_models import EVENT_KINDS, OutreachEvent, RegistrationMember, VisitRequest
from office.outreach.visit_decisions import (REQUEST_STATUSES, STATUS_LABELS as REQUEST_LABELS,
                                             accept_visit_request, decline_visit_request, list_visit_requests)
from office.settings import get_settings
from office.staff import ADMIN, COUNTER, SUPERVISOR

from backoffice.auth import StaffContext, client_ip, require_roles
from backoffice.forms import FormError, RecordId, read_form, text_field
from backoffice.templating import render

router = APIRouter()
outreach_view = require_roles(ADMIN, SUPERVISOR, COUNTER)  # see events, check people in
outreach_plan = require_roles(ADMIN, SUPERVISOR)  # create, edit, close, cancel, decide visit requests
FORM_FIELDS = (("kind", "Jenis", 16), ("title", "Judul", 200), ("place", "Tempat", 200),
               ("kecamatan", "Kecamatan", 100), ("kabupaten", "Kabupaten", 100), ("day", "Tanggal", 10),
               ("start_time", "Jam mulai", 5), ("end_time", "Jam selesai", 5), ("quota", "Kuota", 6),
               ("services", "Layanan", 2000), ("description", "Deskripsi", 4000))


def _url() -> str:
    return get_settings().database_url


def _back(path: str, anchor: str = "", **params: Any) -> RedirectResponse:
    """303 to `path` with the non-empty `params` as the query (msg/err are shown there) and an anchor."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return RedirectResponse(f"{path}{'?' + query if query else ''}{'#' + anchor if anchor else ''}", status_code=303)


def _hours(event: OutreachEvent) -> str:
    return f"{event.start_time.strftime('%H.%M')}–{event.end_time.strftime('%H.%M')} WIB"


def _event_row(event: OutreachEvent, counts: ev.Counts, today: dt.date) -> dict[str, Any]:
    return {"id": event.id, "kind": event.kind, "kind_label": ev.KIND_LABELS.get(event.kind, event.kind),
            "title": event.title, "place": event.place, "kecamatan": event.kecamatan, "kabupaten": event.kabupaten,
            "date": format_date(event.day), "day_iso": event.day.isoformat(), "hours": _hours(event),
            "quota": event.quota, "seats_taken": event.seats_taken, "left": max(0, event.quota - event.seats_taken),
            "status": event.status, "status_label": ev.STATUS_LABELS.get(event.status, event.status),
            "services": [s for s in event.services.splitlines() if s.strip()], "description": event.description,
            "registrations": counts.registrations, "people": counts.people, "checked_in": counts.checked_in,
            "is_today": event.day == today, "is_past": event.day < today,
            "can_close": event.status == "published" and event.day <= today,
            "can_check_in": event.status == "published" and event.day <= today,
            "created_by": event.created_by}


# ------------------------------------------------------------------------------------------------
# events list
# ------------------------------------------------------------------------------------------------
def _list_context(when: str, kind: str) -> dict[str, Any]:
    today = clock.today()
    with session_scope(_url()) as db:
        events = ev.list_events(db, past=when == "past", kind=kind or None, today=today)
        numbers = ev.counts(db, [e.id for e in events])
        rows = [_event_row(e, numbers[e.id], today) for e in events]
        new_requests = len(list_visit_requests(db, "new"))
    return {"events": rows, "when": when, "kind": kind, "kinds": ev.KIND_LABELS, "new_requests": new_requests}


@router.get("/staff/outreach")
async def events_page(request: Request, staff: StaffContext = Depends(outreach_view)) -> Response:
    when = "past" if request.query_params.get("when") == "past" else "upcoming"
    kind = request.query_params.get("kind", "")
    kind = kind if kind in EVENT_KINDS else ""
    ctx = await run_in_threadpool(_list_context, when, kind)
    ctx.update(message=request.query_params.get("msg", "")[:300], error=request.query_params.get("err", "")[:300],
               can_plan=staff.role in (ADMIN, SUPERVISOR))
    return render(request, "outreach/events.html", ctx)


# ------------------------------------------------------------------------------------------------
# create / edit
# ------------------------------------------------------------------------------------------------
def _blank_form(kind: str, visit_request: VisitRequest | None) -> dict[str, str]:
    values = {"kind": kind, "title": "", "place": "", "kecamatan": "", "kabupaten": ev.DEFAULT_KABUPATEN,
              "day": "", "start_time": "09:00", "end_time": "14:00", "quota": "50",
              "services": "\n".join(ev.DEFAULT_SERVICES) if kind == "service_day" else "", "description": ""}
    if visit_request is not None:
        values.update(title=f"Layanan Paspor Keliling {visit_request.organisation}"[:200], place=visit_request.place,
                      kecamatan=visit_request.kecamatan, quota=str(max(1, min(visit_request.headcount, ev.MAX_QUOTA))))
    return values


def _request_summary(item: VisitRequest) -> dict[str, Any]:
    return {"id": item.id, "code": item.code, "organisation": item.organisation, "contact_name": item.contact_name,
            "place": item.place, "kecamatan": item.kecamatan, "headcount": item.headcount,
            "preferred_dates": item.preferred_dates, "status": item.status,
            "status_label": REQUEST_LABELS.get(item.status, item.status), "decision_note": item.decision_note,
            "decided_by": item.decided_by, "decided_at": item.decided_at, "created_at": item.created_at,
            "event_id": item.event_id, "language": "Inggris" if item.language == "en" else "Indonesia",
            "channel": item.sender_id.split(":", 1)[0] if ":" in item.sender_id else "-"}


def _form_context(event_id: int | None, kind: str, request_id: int | None) -> dict[str, Any]:
    with session_scope(_url()) as db:
        visit = db.get(VisitRequest, request_id) if request_id else None
        if visit is not None and visit.status != "new":
            visit = None
        if event_id is None:
            return {"values": _blank_form(kind, visit), "event": None,
                    "visit": _request_summary(visit) if visit else None}
        event = ev.get_event(db, event_id)
        if event is None:
            raise HTTPException(status_code=404)
        values = {"kind": event.kind, "title": event.title, "place": event.place, "kecamatan": event.kecamatan,
                  "kabupaten": event.kabupaten, "day": event.day.isoformat(),
                  "start_time": event.start_time.strftime("%H:%M"), "end_time": event.end_time.strftime("%H:%M"),
                  "quota": str(event.quota), "services": event.services, "description": event.description}
        row = _event_row(event, ev.counts(db, [event.id])[event.id], clock.today())
        return {"values": values, "event": row, "visit": None}


def _render_form(request: Request, ctx: dict[str, Any], problems: list[str] | None = None,
                 status_code: int = 200) -> Response:
    ctx.update(problems=problems or [], kinds=ev.KIND_LABELS, today=clock.today().isoformat(),
               default_services="\n".join(ev.DEFAULT_SERVICES), max_quota=ev.MAX_QUOTA)
    return render(request, "outreach/event_form.html", ctx, status_code=status_code)


@router.get("/staff/outreach/new")
async def new_event_page(request: Request, staff: StaffContext = Depends(outreach_plan)) -> Response:
    kind = request.query_params.get("kind", "service_day")
    kind = kind if kind in EVENT_KINDS else "service_day"
    raw = request.query_params.get("request", "")
    request_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
    ctx = await run_in_threadpool(_form_context, None, kind, request_id)
    return _render_form(request, ctx)


async def _read_event_form(request: Request) -> tuple[dict[str, str], list[str], Any]:
    form = await read_form(request)
    values: dict[str, str] = {}
    problems: list[str] = []
    for key, label, size in FORM_FIELDS:
        try:
            values[key] = text_field(form, key, label, size)
        except FormError as exc:
            values[key] = ""
            problems.append(str(exc))
    return values, problems, form


def _create(values: dict[str, str], request_id: int | None, actor: str, ip: str | None) -> int:
    data, problems = ev.parse_event_form(values)
    if problems:
        raise ev.EventError(problems + ev.validate_event(data, clock.today()))
    with session_scope(_url()) as db:
        event = ev.create_event(db, data, actor)
        audit.record(db, actor, "outreach_event_created", target=f"outreach_event:{event.id}",
                     detail={"kind": event.kind, "title": event.title, "day": event.day.isoformat(),
                             "kecamatan": event.kecamatan, "quota": event.quota}, ip=ip)
        if request_id:
            result = accept_visit_request(db, request_id, actor, "", event_id=event.id)
            if result.changed:
                audit.record(db, actor, "visit_request_accepted", target=f"visit_request:{result.request.code}",
                             detail={"event": event.id, "organisation": result.request.organisation}, ip=ip)
        return event.id


@router.post("/staff/outreach/new")
async def create_event(request: Request, staff: StaffContext = Depends(outreach_plan)) -> Response:
    values, problems, form = await _read_event_form(request)
    raw = form.get("request_id", "")
    request_id = int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 10 else None
    if not problems:
        try:
            event_id = await run_in_threadpool(_create, values, request_id, staff.username, client_ip(request))
        except ev.EventError as exc:
            problems = exc.problems
        else:
            message = "Kegiatan diterbitkan; warga sudah dapat mendaftar lewat chat."
            if request_id:
                message += " Permohonan kunjungan diterima dan pemohon diberi tahu jadwalnya."
            return _back(f"/staff/outreach/{event_id}", msg=message)
    ctx = await run_in_threadpool(_form_context, None, values.get("kind") or "service_day", request_id)
    ctx["values"] = {**ctx["values"], **values}
    return _render_form(request, ctx, problems, status_code=400)


@router.get("/staff/outreach/{event_id}/edit")
async def edit_event_page(event_id: RecordId, request: Request, staff: StaffContext = Depends(outreach_plan)) -> Response:
    ctx = await run_in_threadpool(_form_context, event_id, "", None)
    return _render_form(request, ctx)


def _update(event_id: int, values: dict[str, str], actor: str, ip: str | None) -> ev.UpdateResult:
    data, problems = ev.parse_event_form(values)
    if problems:
        raise ev.EventError(problems)
    with session_scope(_url()) as db:
        result = ev.update_event(db, event_id, data, actor)
        audit.record(db, actor, "outreach_event_updated", target=f"outreach_event:{event_id}",
                     detail={"changed": result.changed, "quota": result.event.quota,
                             "day": result.event.day.isoformat(), "notified": result.notified}, ip=ip)
        return result


@router.post("/staff/outreach/{event_id}/edit")
async def edit_event(event_id: RecordId, request: Request, staff: StaffContext = Depends(outreach_plan)) -> Response:
    values, problems, _form = await _read_event_form(request)
    if not problems:
        try:
            result = await run_in_threadpool(_update, event_id, values, staff.username, client_ip(request))
        except ev.EventError as exc:
            problems = exc.problems
        else:
            message = "Perubahan disimpan." if result.changed else "Tidak ada yang berubah."
            if result.notified:
                message += f" {result.notified} pendaftar diberi tahu jadwal barunya lewat chat."
            return _back(f"/staff/outreach/{event_id}", msg=message)
    ctx = await run_in_threadpool(_form_context, event_id, "", None)
    ctx["values"] = {**ctx["values"], **values, "kind": ctx["values"]["kind"]}
    return _render_form(request, ctx, problems, status_code=400)


# ------------------------------------------------------------------------------------------------
# visit requests
# ------------------------------------------------------------------------------------------------
def _requests_context(status: str) -> dict[str, Any]:
    today = clock.today()
    with session_scope(_url()) as db:
        items = [_request_summary(r) for r in list_visit_requests(db, status)]
        totals = {s: len(list_visit_requests(db, s, limit=1000)) for s in REQUEST_STATUSES}
        upcoming = [{"id": e.id, "label": f"{format_date(e.day)} · {e.title} · {e.place}"}
                    for e in ev.list_events(db, kind="service_day", today=today) if e.status == "published"]
        titles = {e.id: e.title for e in db.query(OutreachEvent).filter(
            OutreachEvent.id.in_([i["event_id"] for i in items if i["event_id"]]))}
    for item in items:
        item["event_title"] = titles.get(item["event_id"], "")
    return {"requests": items, "status": status, "totals": totals, "labels": REQUEST_LABELS, "upcoming": upcoming}


@router.get("/staff/outreach/requests")
async def requests_page(request: Request, staff: StaffContext = Depends(outreach_plan)) -> Response:
    status = request.query_params.get("status", "new")
    status = status if status in REQUEST_STATUSES else "new"
    ctx = await run_in_threadpool(_requests_context, status)
    ctx.update(message=request.query_params.get("msg", "")[:300], error=request.query_params.get("err", "")[:300])
    return render(request, "outreach/requests.html", ctx)


def _decide(request_id: int, accept: bool, note: str, event_id: int | None, actor: str, ip: str | None) -> tuple[bool, str]:
    with session_scope(_url()) as db:
        if accept:
            result = accept_visit_request(db, request_id, actor, note, event_id=event_id)
        else:
            result = decline_visit_request(db, request_id, actor, note)
        if result.changed:
            audit.record(db, actor, "visit_request_accepted" if accept else "visit_request_declined",
                         target=f"visit_request:{result.request.code}",
                         detail={"organisation": result.request.organisation, "note": note, "event": event_id}, ip=ip)
        return result.changed, result.request.organisation


@router.post("/staff/outreach/requests/{request_id}/decide")
async def decide_request(request_id: RecordId, request: Request, staff: StaffContext = Depends(outreach_plan)) -> Response:
    form = await read_form(request)
    decision = form.get("decision")
    if decision not in ("accept", "decline"):
        return _back("/staff/outreach/requests", err="Pilih terima atau tolak.")
    try:
        note = text_field(form, "note", "Catatan" if decision == "accept" else "Alasan", 1000)
        raw = text_field(form, "event_id", "Kegiatan", 10)
        event_id = int(raw) if raw.isdigit() else None
        changed, organisation = await run_in_threadpool(_decide, request_id, decision == "accept", note, event_id,
                                                        staff.username, client_ip(request))
    except (FormError, ev.EventError) as exc:
        return _back("/staff/outreach/requests", err=str(exc))
    if not changed:
        return _back("/staff/outreach/requests", msg="Permohonan ini sudah diputuskan sebelumnya; tidak ada yang berubah.")
    verb = "diterima" if decision == "accept" else "ditolak"
    return _back("/staff/outreach/requests", msg=f"Permohonan {organisation} {verb}; pemohon diberi tahu lewat chat.")


# ------------------------------------------------------------------------------------------------
# event page: registrants, check-in, close, cancel, print
# ------------------------------------------------------------------------------------------------
def _event_context(event_id: int, query: str) -> dict[str, Any]:
    today = clock.today()
    with session_scope(_url()) as db:
        event = ev.get_event(db, event_id)
        if event is None:
            raise HTTPException(status_code=404)
        row = _event_row(event, ev.counts(db, [event.id])[event.id], today)
        needle = " ".join(query.lower().split())
        groups = []
        for group in ev.attendees(db, event_id):
            reg = group.registration
            members = [{"id": m.id, "name": m.name, "born": format_date_plain(m.birth_date),
                        "checked_in": m.checked_in_at is not None,
                        "checked_in_at": (clock.to_utc(m.checked_in_at).astimezone(clock.office_tz()).strftime("%H.%M")
                                          if m.checked_in_at else "")}
                       for m in group.members]
            if needle and needle not in reg.code.lower() and needle not in reg.leader_name.lower() and not any(
                    needle in m["name"].lower() for m in members):
                continue
            groups.append({"id": reg.id, "code": reg.code, "leader": reg.leader_name, "members": members,
                           "size": len(members), "checked_in": group.checked_in,
                           "language": "EN" if reg.language == "en" else "ID",
                           "channel": reg.sender_id.split(":", 1)[0] if ":" in reg.sender_id else "-",
                           "reminded": reg.reminded_at is not None})
        linked = [_request_summary(r) for r in db.query(VisitRequest).filter(VisitRequest.event_id == event_id)]
    return {"event": row, "groups": groups, "query": query, "linked_requests": linked}


@router.get("/staff/outreach/{event_id}")
async def event_page(event_id: RecordId, request: Request, staff: StaffContext = Depends(outreach_view)) -> Response:
    query = request.query_params.get("q", "").strip()[:100]
    ctx = await run_in_threadpool(_event_context, event_id, query)
    ctx.update(message=request.query_params.get("msg", "")[:300], error=request.query_params.get("err", "")[:300],
               can_plan=staff.role in (ADMIN, SUPERVISOR))
    return render(request, "outreach/event.html", ctx)


@router.get("/staff/outreach/{event_id}/print")
async def event_print(event_id: RecordId, request: Request, staff: StaffContext = Depends(outreach_view)) -> Response:
    ctx = await run_in_threadpool(_event_context, event_id, "")
    ctx["printed_at"] = clock.now()
    return render(request, "outreach/event_print.html", ctx)


def _check_in(event_id: int, member_id: int, undo: bool, actor: str, ip: str | None) -> tuple[bool, str]:
    with session_scope(_url()) as db:
        member = db.get(RegistrationMember, member_id)
        if member is None or member.event_id != event_id:
            raise ev.EventError("Peserta tidak ditemukan pada kegiatan ini.")
        result = (ev.undo_check_in if undo else ev.check_in)(db, member_id, actor)
        if result.changed:
            audit.record(db, actor, "outreach_check_in_undone" if undo else "outreach_check_in",
                         target=f"outreach_event:{event_id}", detail={"member": member_id}, ip=ip)
        return result.changed, result.member.name


@router.post("/staff/outreach/{event_id}/members/{member_id}/check-in")
async def check_in(event_id: RecordId, member_id: RecordId, request: Request,
                   staff: StaffContext = Depends(outreach_view)) -> Response:
    return await _check_in_route(event_id, member_id, False, request, staff)


@router.post("/staff/outreach/{event_id}/members/{member_id}/undo")
async def undo_check_in(event_id: RecordId, member_id: RecordId, request: Request,
                        staff: StaffContext = Depends(outreach_view)) -> Response:
    return await _check_in_route(event_id, member_id, True, request, staff)


async def _check_in_route(event_id: int, member_id: int, undo: bool, request: Request,
                          staff: StaffContext) -> Response:
    form = await read_form(request)
    query = form.get("q", "")
    query = query[:100] if isinstance(query, str) else ""
    try:
        changed, name = await run_in_threadpool(_check_in, event_id, member_id, undo, staff.username,
                                                client_ip(request))
    except ev.EventError as exc:
        return _back(f"/staff/outreach/{event_id}", err=str(exc), q=query)
    if undo:
        message = f"Check-in {name} dibatalkan." if changed else f"{name} memang belum check-in."
    else:
        message = f"{name} hadir (check-in)." if changed else f"{name} sudah check-in sebelumnya."
    return _back(f"/staff/outreach/{event_id}", msg=message, q=query, anchor=f"m-{member_id}")


def _close(event_id: int, actor: str, ip: str | None) -> bool:
    with session_scope(_url()) as db:
        closed = ev.close_event(db, event_id, actor)
        if closed:
            numbers = ev.counts(db, [event_id])[event_id]
            audit.record(db, actor, "outreach_event_closed", target=f"outreach_event:{event_id}",
                         detail={"people": numbers.people, "checked_in": numbers.checked_in}, ip=ip)
        return closed


@router.post("/staff/outreach/{event_id}/close")
async def close_event(event_id: RecordId, request: Request, staff: StaffContext = Depends(outreach_plan)) -> Response:
    try:
        closed = await run_in_threadpool(_close, event_id, staff.username, client_ip(request))
    except ev.EventError as exc:
        return _back(f"/staff/outreach/{event_id}", err=str(exc))
    return _back(f"/staff/outreach/{event_id}", msg="Daftar ditutup." if closed else "Daftar ini sudah ditutup.")


def _cancel(event_id: int, reason: str, actor: str, ip: str | None) -> ev.CancelResult:
    with session_scope(_url()) as db:
        result = ev.cancel_event(db, event_id, actor, reason)
        if result.changed:
            audit.record(db, actor, "outreach_event_cancelled", target=f"outreach_event:{event_id}",
                         detail={"reason": reason, "notified": result.notified}, ip=ip)
        return result


@router.post("/staff/outreach/{event_id}/cancel")
async def cancel_event(event_id: RecordId, request: Request, staff: StaffContext = Depends(outreach_plan)) -> Response:
    form = await read_form(request)
    try:
        reason = text_field(form, "reason", "Alasan", 500)
        result = await run_in_threadpool(_cancel, event_id, reason, staff.username, client_ip(request))
    except (FormError, ev.EventError) as exc:
        return _back(f"/staff/outreach/{event_id}", err=str(exc))
    if not result.changed:
        return _back(f"/staff/outreach/{event_id}", msg="Kegiatan ini sudah dibatalkan sebelumnya.")
    return _back(f"/staff/outreach/{event_id}",
                 msg=f"Kegiatan dibatalkan. Pemberitahuan dikirim ke {result.notified} pendaftar lewat chat.")


