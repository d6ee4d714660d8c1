"""Jinja2 set-up shared by every page: autoescaping, Indonesian date formatting, and `render`,
which adds the signed-in staff member, the menu and the CSRF token to every template."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from office.settings import get_settings
from office.staff import ROLE_LABELS

from backoffice.nav import nav_for

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
MONTHS = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]


def _local(value: datetime) -> datetime:
    """Stored times are naive UTC; staff read office time (Asia/Jakarta by default)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    try:
        zone = ZoneInfo(get_settings().timezone)
    except Exception:  # an unknown zone name must not break every page
        zone = ZoneInfo("Asia/Jakarta")
    return value.astimezone(zone)


def zone_abbreviation(value: datetime) -> str:
    """WIB/WITA/WIT for Indonesian zones, the zone's own abbreviation otherwise."""
    offset = value.utcoffset()
    hours = offset.total_seconds() / 3600 if offset is not None else 0
    return {7: "WIB", 8: "WITA", 9: "WIT"}.get(int(hours), value.tzname() or "")


def format_date_id(value: datetime | None) -> str:
    """`Senin, 7 Desember 2026` (office time)."""
    if value is None:
        return "-"
    local = _local(value)
    return f"{DAYS[local.weekday()]}, {local.day} {MONTHS[local.month - 1]} {local.year}"


def format_datetime_id(value: datetime | None) -> str:
    """`Senin, 7 Desember 2026 14.05 WIB` (office time)."""
    if value is None:
        return "-"
    local = _local(value)
    return f"{format_date_id(value)} {local:%H.%M} {zone_abbreviation(local)}"


def greeting(now: datetime | None = None) -> str:
    """Selamat pagi/siang/sore/malam by office time."""
    hour = _local(now or datetime.now(timezone.utc)).hour
    if 4 <= hour < 11:
        return "Selamat pagi"
    if 11 <= hour < 15:
        return "Selamat siang"
    if 15 <= hour < 18:
        return "Selamat sore"
    return "Selamat malam"


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters["date_id"] = format_date_id
templates.env.filters["datetime_id"] = format_datetime_id
templates.env.globals["ROLE_LABELS"] = ROLE_LABELS


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render `name` with the common context (staff, menu, csrf_token) of this request."""
    staff = getattr(request.state, "staff", None)
    ctx: dict[str, Any] = {
        "staff": staff,
        "nav": nav_for(staff.role) if staff else [],
        "csrf_token": staff.csrf_token if staff else "",
        "current_path": request.url.path,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
