"""Holiday settings: the year's libur nasional and cuti bersama, added, edited, removed by the
administrator or a supervisor (office.holidays keeps the rules; profile.yml gives the defaults).

A change that closes a day on which citizens already booked is not saved at once: the page lists
the affected bookings and asks to confirm, optionally sending each of them an apology with how to
reschedule through the outbox. Bookings are never cancelled here.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from office import audit, clock
from office.booking.catalogue import list_services
from office.booking.closures import bookings_on_days, notify_closure
from office.booking.rules import mask_phone
from office.calendar import HOLIDAY_KINDS
from office.dates import format_date
from office.db import session_scope
from office.holidays import (ChangePlan, HolidayChange, HolidayError, allowed_years, apply_change,
                             parse_holiday_form, plan_change, year_holidays)
from office.profile import load_profile
from office.settings import get_settings
from office.staff import ADMIN, SUPERVISOR

from backoffice.auth import StaffContext, client_ip, require_roles
from backoffice.forms import FormError, read_form, text_field
from backoffice.templating import render

router = APIRouter()
holiday_staff = require_roles(ADMIN, SUPERVISOR)
ACTIONS = ("add", "edit", "remove", "reset")
DONE_TEXT = {"add": "Hari libur ditambahkan.", "edit": "Hari libur diubah.", "remove": "Hari libur dihapus.",
             "reset": "Daftar hari libur dikembalikan ke bawaan profil kantor."}


def _url() -> str:
    return get_settings().database_url


def _year(value: str | None, today: dt.date) -> int:
    years = allowed_years(today)
    return int(value) if value and value.isdigit() and int(value) in years else today.year


def _page_context(year: int) -> dict[str, Any]:
    today = clock.today()
    profile = load_profile()
    with session_scope(_url()) as db:
        holidays, managed = year_holidays(db, year, profile.holidays)
    return {
        "year": year, "years": list(allowed_years(today)), "managed": managed,
        "holidays": [{"date": h.date.isoformat(), "label": format_date(h.date), "name": h.name, "kind": h.kind,
                      "kind_label": h.kind_label, "past": h.date < today} for h in holidays],
        "kinds": HOLIDAY_KINDS, "profile_path": profile.source_path.name,
        "new_date": f"{year}-01-01" if year != today.year else today.isoformat(),
    }


@router.get("/staff/holidays")
async def holidays_page(request: Request, staff: StaffContext = Depends(holiday_staff)) -> Response:
    ctx = await run_in_threadpool(_page_context, _year(request.query_params.get("year"), clock.today()))
    ctx.update(message=request.query_params.get("msg", ""), error=request.query_params.get("err", ""))
    return render(request, "holidays.html", ctx)


def _change_from_form(values: dict[str, str], today: dt.date) -> HolidayChange:
    action = values["action"]
    if action not in ACTIONS:
        raise HolidayError("Tindakan tidak dikenal.")
    year = _year(values["year"], today)
    original = None
    if action in ("edit", "remove"):
        try:
            original = dt.date.fromisoformat(values["original"])
        except ValueError:
            raise HolidayError("Hari libur yang dipilih tidak dikenal. Muat ulang halaman.") from None
    holiday = (parse_holiday_form(values["date"], values["name"], values["kind"], today)
               if action in ("add", "edit") else None)
    return HolidayChange(action, year, holiday, original)  # type: ignore[arg-type]


def _affected_rows(db: Any, plan: ChangePlan) -> list[dict[str, str]]:
    names = {s.code: s.name for s in list_services(db, include_inactive=True)}
    return [{"code": b.code, "day": format_date(b.day), "time": b.start.strftime("%H.%M"),
             "service": names.get(b.service_code, b.service_code), "name": b.name, "phone": mask_phone(b.phone),
             "chat": "ya" if b.sender_id else "tidak (hubungi lewat telepon)"}
            for b in bookings_on_days(db, plan.newly_closed)]


def _submit(values: dict[str, str], confirmed: bool, notify: bool, actor: str, ip: str | None
            ) -> tuple[str, list[dict[str, str]]]:
    """("" when saved, else nothing) and the affected bookings still to confirm (empty when saved)."""
    today = clock.today()
    change = _change_from_form(values, today)
    defaults = load_profile().holidays
    with session_scope(_url()) as db:
        plan = plan_change(db, change, defaults)
        affected = bookings_on_days(db, plan.newly_closed)
        if affected and not confirmed:
            return "confirm", _affected_rows(db, plan)
        apply_change(db, plan, actor)
        notified = notify_closure(db, affected, plan.after) if notify else []
        target = (change.holiday.date if change.holiday else change.original)
        audit.record(db, actor, f"holiday_{change.action}", target=target.isoformat() if target else str(change.year),
                     detail={"year": change.year, "name": change.holiday.name if change.holiday else "",
                             "kind": change.holiday.kind if change.holiday else "",
                             "original": change.original.isoformat() if change.original else "",
                             "affected_bookings": [b.code for b in affected], "notified": notified}, ip=ip)
    return "saved", []


@router.post("/staff/holidays")
async def holidays_save(request: Request, staff: StaffContext = Depends(holiday_staff)) -> Response:
    form = await read_form(request)
    try:
        values = {key: text_field(form, key, label, size) for key, label, size in (
            ("action", "Tindakan", 10), ("year", "Tahun", 4), ("original", "Tanggal semula", 10),
            ("date", "Tanggal", 10), ("name", "Nama", 200), ("kind", "Jenis", 20))}
    except FormError as exc:
        return RedirectResponse("/staff/holidays?" + urlencode({"err": f"Tidak tersimpan: {exc}"}), status_code=303)
    year = _year(values["year"], clock.today())
    try:
        outcome, affected = await run_in_threadpool(_submit, values, form.get("confirm") == "1",
                                                    form.get("notify") == "on", staff.username, client_ip(request))
    except HolidayError as exc:
        return RedirectResponse("/staff/holidays?" + urlencode({"year": year, "err": f"Tidak tersimpan: {exc}"}),
                                status_code=303)
    if outcome == "confirm":
        ctx = await run_in_threadpool(_page_context, year)
        ctx.update(message="", error="", affected=affected, pending=values)
        return render(request, "holidays.html", ctx, status_code=409)
    message = DONE_TEXT[values["action"]]
    if form.get("confirm") == "1":
        message += (" Pemberitahuan dikirim ke warga yang terdampak." if form.get("notify") == "on"
                    else " Booking yang terdampak tidak diberi tahu otomatis.")
    return RedirectResponse("/staff/holidays?" + urlencode({"year": year, "msg": message}), status_code=303)
