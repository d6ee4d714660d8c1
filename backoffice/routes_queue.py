"""Queue and booking screens: the counter screen, today's bookings with check-in, the kiosk, the
waiting-room board (public: numbers and counters only) and the service settings (admin).

Counter actions go through office.booking.queue, which calls with conditional UPDATEs: two counters
pressing "Panggil berikutnya" at once never get the same person.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response

from office import audit, clock
from office.booking import queue as q
from office.booking.bookings import find_booking
from office.booking.catalogue import CatalogueError, get_policy, list_services, save_policy, save_service
from office.booking.rules import clean_code, code_from_scan, mask_phone
from office.dates import format_date
from office.db import session_scope
from office.settings import get_settings
from office.staff import ADMIN, COUNTER, SUPERVISOR

from backoffice.auth import StaffContext, client_ip, require_roles
from backoffice.forms import FormError, read_form, text_field
from backoffice.templating import render

router = APIRouter()
queue_staff = require_roles(COUNTER, SUPERVISOR, ADMIN)
admin_only = require_roles(ADMIN)

STATUS_LABELS = {"waiting": "Menunggu", "called": "Dipanggil", "served": "Selesai", "no_show": "Tidak hadir",
                 "transferred": "Dialihkan", "active": "Belum datang", "checked_in": "Sudah check-in",
                 "cancelled": "Dibatalkan"}
QUEUE_REASONS = {
    q.NOT_FOUND: "Kode booking tidak ditemukan. Periksa kembali (6 karakter, tanpa O, I, L, 0, 1).",
    q.WRONG_DAY: "Booking ini bukan untuk hari ini.",
    q.NOT_ACTIVE: "Booking ini sudah dibatalkan.",
    q.ALREADY: "Booking ini sudah check-in.",
    q.QUOTA_FULL: "Kuota nomor antrean hari ini untuk layanan ini sudah habis.",
    q.CLOSED: "Kantor sedang tutup: nomor antrean hanya diterbitkan pada jam layanan.",
    q.NOT_OFFERED: "Layanan ini tidak menerbitkan nomor antrean.",
}


def _url() -> str:
    return get_settings().database_url


def _counter_params(loket: str, lines: list[str]) -> str:
    return urlencode([("loket", loket)] + [("lines", line) for line in lines])


def _clean_counter(value: str) -> str:
    value = "".join(ch for ch in (value or "") if ch.isalnum())[:8]
    return value or "1"


def _clean_lines(values: list[str], known: set[str]) -> list[str]:
    return [v for v in dict.fromkeys(x.strip().upper() for x in values) if v in known]


# ------------------------------------------------------------------------------------------------
# counter screen
# ------------------------------------------------------------------------------------------------
def _counter_context(loket: str, lines: list[str]) -> dict[str, Any]:
    today = clock.today()
    with session_scope(_url()) as db:
        services = list_services(db)
        known = sorted({s.line for s in services})
        chosen = _clean_lines(lines, set(known)) or known
        tickets = q.tickets_today(db, today)
        current = next((t for t in sorted(tickets, key=lambda t: t.last_call_at or t.issued_at, reverse=True)
                        if t.status == "called" and t.counter == loket), None)
        waiting = [t for t in tickets if t.status == "waiting" and t.line in chosen]
        names = {s.code: s.name for s in services}
        return {
            "loket": loket, "lines": chosen, "known_lines": known,
            "line_names": {line: ", ".join(s.name for s in services if s.line == line) for line in known},
            "services": [(s.code, s.name, s.line) for s in services],
            "current": ({"id": current.id, "label": current.label, "service": names.get(current.service_code, ""),
                         "calls": current.calls, "source": current.source} if current else None),
            "waiting": [{"label": t.label, "service": names.get(t.service_code, t.service_code), "source": t.source}
                        for t in waiting[:30]],
            "waiting_count": len(waiting),
            "board": q.board(db, today),
            "today": format_date(today),
            "query": _counter_params(loket, chosen),
        }


@router.get("/staff/queue")
async def counter_screen(request: Request, loket: str = "1", staff: StaffContext = Depends(queue_staff)) -> Response:
    lines = request.query_params.getlist("lines")
    ctx = await run_in_threadpool(_counter_context, _clean_counter(loket), lines)
    ctx["message"] = request.query_params.get("msg", "")
    return render(request, "queue_counter.html", ctx)


def _counter_action(action: str, ticket_id: int | None, loket: str, lines: list[str], target: str,
                    actor: str, ip: str | None) -> str:
    now = clock.now()
    with session_scope(_url()) as db:
        known = {s.line for s in list_services(db)}
        if action == "call":
            ticket = q.call_next(db, loket, _clean_lines(lines, known) or sorted(known), now)
            message = f"Memanggil {ticket.label} ke loket {loket}." if ticket else "Tidak ada antrean menunggu."
        elif action == "recall" and ticket_id:
            ticket = q.recall(db, ticket_id, now)
            message = f"Memanggil ulang {ticket.label}." if ticket else "Nomor ini tidak sedang dipanggil."
        elif action in ("served", "no_show") and ticket_id:
            ticket = q.finish(db, ticket_id, action, now)
            word = "selesai dilayani" if action == "served" else "tidak hadir"
            message = f"{ticket.label} {word}." if ticket else "Nomor ini tidak sedang dipanggil."
        elif action == "transfer" and ticket_id:
            ticket = q.transfer(db, ticket_id, target, now)
            message = f"Dialihkan sebagai nomor {ticket.label}." if ticket else "Nomor tidak dapat dialihkan."
        else:
            return "Tindakan tidak dikenal."
        if ticket is not None:
            audit.record(db, actor, f"queue_{action}", target=ticket.label, detail={"loket": loket}, ip=ip)
        return message


@router.post("/staff/queue/action")
async def counter_action(request: Request, staff: StaffContext = Depends(queue_staff)) -> Response:
    form = await read_form(request)
    try:
        action = text_field(form, "action", "Tindakan", 16)
        loket = _clean_counter(text_field(form, "loket", "Loket", 8))
        ticket_raw = text_field(form, "ticket_id", "Nomor", 12)
        target = text_field(form, "target", "Layanan tujuan", 32)
    except FormError as exc:
        return RedirectResponse("/staff/queue?" + urlencode({"msg": str(exc)}), status_code=303)
    lines = [v for v in form.getlist("lines") if isinstance(v, str)]
    ticket_id = int(ticket_raw) if ticket_raw.isdigit() else None
    message = await run_in_threadpool(_counter_action, action, ticket_id, loket, lines, target, staff.username,
                                      client_ip(request))
    return RedirectResponse(f"/staff/queue?{_counter_params(loket, lines)}&" + urlencode({"msg": message}),
                            status_code=303)


# ------------------------------------------------------------------------------------------------
# today's bookings and check-in
# ------------------------------------------------------------------------------------------------
def _bookings_context() -> dict[str, Any]:
    today = clock.today()
    with session_scope(_url()) as db:
        names = {s.code: s.name for s in list_services(db, include_inactive=True)}
        tickets = {t.booking_id: t.label for t in q.tickets_today(db, today) if t.booking_id}
        rows = [{"code": b.code, "time": b.start.strftime("%H.%M"), "service": names.get(b.service_code, b.service_code),
                 "name": b.name, "phone": mask_phone(b.phone), "status": STATUS_LABELS.get(b.status, b.status),
                 "checked_in": b.status == "checked_in", "ticket": tickets.get(b.id, "")}
                for b in q.bookings_on(db, today)]
    return {"rows": rows, "today": format_date(today)}


def _check_in(code_text: str, actor: str, ip: str | None) -> tuple[str, str]:
    """(message, ticket label or "")."""
    code = clean_code(code_text)
    if code is None:
        return QUEUE_REASONS[q.NOT_FOUND], ""
    with session_scope(_url()) as db:
        result = q.check_in(db, code, clock.now())
        if result.ok:
            audit.record(db, actor, "queue_check_in", target=code, detail={"ticket": result.ticket.label}, ip=ip)
            return f"Check-in {code} berhasil: nomor antrean {result.ticket.label}.", result.ticket.label
        label = result.ticket.label if result.ticket else ""
        message = QUEUE_REASONS.get(result.reason or "", "Check-in gagal.")
        if result.reason == q.WRONG_DAY:
            booking = find_booking(db, code)
            message = f"Booking ini untuk {format_date(booking.day)}, bukan hari ini."
        return (message + (f" Nomor antreannya {label}." if label else "")), label


@router.get("/staff/queue/bookings")
async def bookings_today(request: Request, staff: StaffContext = Depends(queue_staff)) -> Response:
    ctx = await run_in_threadpool(_bookings_context)
    ctx["message"] = request.query_params.get("msg", "")
    return render(request, "queue_bookings.html", ctx)


@router.post("/staff/queue/checkin")
async def check_in(request: Request, staff: StaffContext = Depends(queue_staff)) -> Response:
    form = await read_form(request)
    try:
        code = text_field(form, "code", "Kode booking", 20)
    except FormError as exc:
        return RedirectResponse("/staff/queue/bookings?" + urlencode({"msg": str(exc)}), status_code=303)
    message, _label = await run_in_threadpool(_check_in, code, staff.username, client_ip(request))
    return RedirectResponse("/staff/queue/bookings?" + urlencode({"msg": message}), status_code=303)


# ------------------------------------------------------------------------------------------------
# kiosk (a signed-in device in the waiting room): take a number, or check in with a code / QR scan
# ------------------------------------------------------------------------------------------------
def _kiosk_services() -> list[tuple[str, str, str]]:
    with session_scope(_url()) as db:
        return [(s.code, s.name, s.line) for s in q.walkin_services(db, clock.now())]


def _kiosk_number(service_code: str) -> tuple[str, str]:
    with session_scope(_url()) as db:
        result = q.take_walkin(db, service_code, "", clock.now())
        if result.ok:
            return "", result.ticket.label
        return QUEUE_REASONS.get(result.reason or "", "Nomor tidak dapat diterbitkan."), ""


@router.get("/staff/kiosk")
async def kiosk(request: Request, staff: StaffContext = Depends(queue_staff)) -> Response:
    services = await run_in_threadpool(_kiosk_services)
    return render(request, "queue_kiosk.html", {"services": services, "message": request.query_params.get("msg", ""),
                                                 "ticket": "", "code": request.query_params.get("code", "")})


@router.post("/staff/kiosk")
async def kiosk_take(request: Request, staff: StaffContext = Depends(queue_staff)) -> Response:
    form = await read_form(request)
    try:
        service = text_field(form, "service", "Layanan", 32)
        code = text_field(form, "code", "Kode booking", 200)
    except FormError as exc:
        return RedirectResponse("/staff/kiosk?" + urlencode({"msg": str(exc)}), status_code=303)
    if code:
        # a QR scanner types the code (or a URL ending in it) like a keyboard
        message, label = await run_in_threadpool(_check_in, code_from_scan(code) or code, staff.username,
                                                 client_ip(request))
    else:
        message, label = await run_in_threadpool(_kiosk_number, service)
    services = await run_in_threadpool(_kiosk_services)
    return render(request, "queue_kiosk.html", {"services": services, "message": "" if label and not code else message,
                                                 "ticket": label, "code": "", "today": format_date(clock.today())})


# ------------------------------------------------------------------------------------------------
# waiting-room board (public, numbers and counters only)
# ------------------------------------------------------------------------------------------------
def _board_data() -> dict[str, Any]:
    with session_scope(_url()) as db:
        data = q.board(db, clock.today())
        names = {}
        for s in list_services(db):
            names.setdefault(s.line, s.name)
    for item in data["lines"]:
        item["name"] = "Prioritas" if item["line"] == q.PRIORITY_LINE else names.get(item["line"], "")
    data["today"] = format_date(clock.today())
    return data


@router.get("/board")
async def board_page(request: Request) -> Response:
    return render(request, "queue_board.html", {"board": await run_in_threadpool(_board_data)})


@router.get("/board.json")
async def board_json() -> Response:
    return JSONResponse(await run_in_threadpool(_board_data), headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------------------------------------
# settings (admin): services, capacities, quotas, policy; holidays: routes_holidays.py
# ------------------------------------------------------------------------------------------------
SERVICE_FIELDS = ("code", "name", "name_en", "line", "duration_minutes", "weekdays", "capacity_per_slot",
                  "daily_quota", "kb_topic")


def _settings_context() -> dict[str, Any]:
    with session_scope(_url()) as db:
        services = [{"code": s.code, "name": s.name, "name_en": s.name_en, "line": s.line,
                     "duration_minutes": s.duration_minutes,
                     "weekdays": ",".join(["sen", "sel", "rab", "kam", "jum", "sab", "min"][int(d)]
                                          for d in s.weekdays.split(",") if d),
                     "capacity_per_slot": s.capacity_per_slot, "daily_quota": s.daily_quota,
                     "booking_needed": s.booking_needed, "kb_topic": s.kb_topic, "active": s.active}
                    for s in list_services(db, include_inactive=True)]
        policy = get_policy(db).as_strings()
    from office.profile import load_profile

    return {"services": services, "policy": policy, "profile_path": str(load_profile().source_path)}


@router.get("/staff/queue/settings")
async def settings_page(request: Request, staff: StaffContext = Depends(admin_only)) -> Response:
    ctx = await run_in_threadpool(_settings_context)
    ctx.update(message=request.query_params.get("msg", ""), error=request.query_params.get("err", ""))
    return render(request, "queue_settings.html", ctx)


def _save(kind: str, values: dict[str, Any], actor: str, ip: str | None) -> None:
    with session_scope(_url()) as db:
        if kind == "policy":
            save_policy(db, values)
        else:
            save_service(db, values)
        audit.record(db, actor, f"booking_{kind}_saved", target=str(values.get("code") or kind),
                     detail={k: str(v) for k, v in values.items()}, ip=ip)


@router.post("/staff/queue/settings")
async def settings_save(request: Request, staff: StaffContext = Depends(admin_only)) -> Response:
    form = await read_form(request)
    kind = "policy" if form.get("kind") == "policy" else "service"
    try:
        if kind == "policy":
            values: dict[str, Any] = {key: text_field(form, key, key, 10) for key in (
                "same_day_cutoff", "booking_horizon_days", "reschedule_days_before", "max_reschedules",
                "near_turn_places", "reminder_time")}
        else:
            values = {key: text_field(form, key, key, 200) for key in SERVICE_FIELDS}
            values["booking_needed"] = form.get("booking_needed") == "on"
            values["active"] = form.get("active") == "on"
        await run_in_threadpool(_save, kind, values, staff.username, client_ip(request))
    except (FormError, CatalogueError) as exc:
        return RedirectResponse("/staff/queue/settings?" + urlencode({"err": f"Tidak tersimpan: {exc}"}),
                                status_code=303)
    return RedirectResponse("/staff/queue/settings?" + urlencode({"msg": "Perubahan tersimpan."}), status_code=303)
