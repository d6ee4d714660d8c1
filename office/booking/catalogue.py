"""The service catalogue and booking policy: seeded from services.yml, then edited in the back-office."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from office.booking.models import BookingService, BookingSetting

DEFAULT_CATALOGUE = Path(__file__).with_name("services.yml")
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_KEYS_ID = ("sen", "sel", "rab", "kam", "jum", "sab", "min")


class CatalogueError(ValueError):
    """The catalogue file or a form value is wrong; the message (Indonesian: staff read it) names the field."""


# Field names as the back-office shows them.
FIELD_LABELS = {
    "same_day_cutoff": "Batas booking hari yang sama", "booking_horizon_days": "Booking paling jauh",
    "reschedule_days_before": "Ubah jadwal paling lambat", "max_reschedules": "Maksimal ubah jadwal",
    "near_turn_places": "Pesan hampir dipanggil", "reminder_time": "Pengingat H-1",
    "duration_minutes": "Durasi slot", "capacity_per_slot": "Kapasitas per slot", "daily_quota": "Kuota per hari",
    "weekdays": "Hari",
}


def _label(key: str) -> str:
    prefix, _, field = key.rpartition(": ")
    name = FIELD_LABELS.get(field or key, field or key)
    return f"{prefix}: {name}" if prefix else name


@dataclass(frozen=True)
class Policy:
    """Booking rules the office sets (services.yml `policy:`, editable by the admin)."""

    same_day_cutoff: dt.time | None = dt.time(12, 0)
    booking_horizon_days: int = 30
    reschedule_days_before: int = 1
    max_reschedules: int = 1
    near_turn_places: int = 3
    reminder_time: dt.time = dt.time(9, 0)

    def as_strings(self) -> dict[str, str]:
        return {
            "same_day_cutoff": self.same_day_cutoff.strftime("%H:%M") if self.same_day_cutoff else "",
            "booking_horizon_days": str(self.booking_horizon_days),
            "reschedule_days_before": str(self.reschedule_days_before),
            "max_reschedules": str(self.max_reschedules),
            "near_turn_places": str(self.near_turn_places),
            "reminder_time": self.reminder_time.strftime("%H:%M"),
        }


def _time(value: Any, key: str) -> dt.time | None:
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    try:
        hour, minute = text.replace(".", ":").split(":")
        return dt.time(int(hour), int(minute))
    except ValueError as exc:
        raise CatalogueError(f"{_label(key)}: gunakan format JJ:MM, bukan {text!r}") from exc


def _int(value: Any, key: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise CatalogueError(f"{_label(key)}: harus bilangan bulat") from exc
    if number < minimum:
        raise CatalogueError(f"{_label(key)}: minimal {minimum}")
    return number


def parse_policy(raw: dict[str, Any]) -> Policy:
    """Policy from plain strings/numbers (YAML or a form); raises CatalogueError naming the field."""
    return Policy(
        same_day_cutoff=_time(raw.get("same_day_cutoff", "12:00"), "same_day_cutoff"),
        booking_horizon_days=_int(raw.get("booking_horizon_days", 30), "booking_horizon_days", 1),
        reschedule_days_before=_int(raw.get("reschedule_days_before", 1), "reschedule_days_before", 0),
        max_reschedules=_int(raw.get("max_reschedules", 1), "max_reschedules", 0),
        near_turn_places=_int(raw.get("near_turn_places", 3), "near_turn_places", 1),
        reminder_time=_time(raw.get("reminder_time", "09:00"), "reminder_time") or dt.time(9, 0),
    )


def parse_weekdays(value: Any) -> str:
    """"mon,tue" / [mon, tue] / "0,1" -> "0,1" (0 = Monday)."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    days: set[int] = set()
    for item in items:
        token = str(item).strip().lower()[:3]
        if not token:
            continue
        if token.isdigit() and 0 <= int(token) <= 6:
            days.add(int(token))
        elif token in WEEKDAY_KEYS:
            days.add(WEEKDAY_KEYS.index(token))
        elif token in WEEKDAY_KEYS_ID:
            days.add(WEEKDAY_KEYS_ID.index(token))
        else:
            raise CatalogueError(f"Hari: {item!r} tidak dikenal (gunakan sen, sel, rab, kam, jum, sab, min atau mon ... sun)")
    return ",".join(str(d) for d in sorted(days))


def service_values(raw: dict[str, Any]) -> dict[str, Any]:
    """Validated column values of one service entry."""
    code = str(raw.get("code") or "").strip().upper()
    if not code or not code.replace("_", "").isalnum():
        raise CatalogueError("Kode: hanya huruf, angka dan _")
    name = str(raw.get("name") or "").strip()
    if not name:
        raise CatalogueError(f"{code}: nama wajib diisi")
    line = str(raw.get("line") or "").strip().upper()
    if len(line) != 1 or not line.isalpha():
        raise CatalogueError(f"{code}: huruf antrean harus satu huruf (A, B, P ...)")
    booking_needed = raw.get("booking_needed", True)
    if isinstance(booking_needed, str):
        booking_needed = booking_needed.lower() in ("1", "true", "ya", "yes", "on")
    values = {
        "code": code, "name": name, "name_en": str(raw.get("name_en") or "").strip(), "line": line,
        "duration_minutes": _int(raw.get("duration_minutes", 15), f"{code}: duration_minutes", 5),
        "weekdays": parse_weekdays(raw.get("weekdays", "mon,tue,wed,thu,fri")),
        "capacity_per_slot": _int(raw.get("capacity_per_slot", 1), f"{code}: capacity_per_slot", 0),
        "daily_quota": _int(raw.get("daily_quota", 0), f"{code}: daily_quota", 0),
        "booking_needed": bool(booking_needed),
        "kb_topic": str(raw.get("kb_topic") or "").strip(),
    }
    if values["booking_needed"] and values["capacity_per_slot"] < 1:
        raise CatalogueError(f"{code}: layanan yang perlu booking membutuhkan kapasitas per slot minimal 1")
    return values


def read_default(path: Path | None = None) -> tuple[Policy, list[dict[str, Any]]]:
    with (path or DEFAULT_CATALOGUE).open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    policy = parse_policy(data.get("policy") or {})
    services = [service_values(item) for item in data.get("services") or []]
    return policy, services


def ensure_seeded(session: Session, path: Path | None = None) -> None:
    """Fill an empty catalogue from the YAML default (idempotent, safe when two processes race)."""
    if session.scalar(select(BookingService.id).limit(1)) is not None:
        return
    policy, services = read_default(path)
    try:
        with session.begin_nested():
            for position, values in enumerate(services):
                session.add(BookingService(position=position, active=True, **values))
            for key, value in policy.as_strings().items():
                if session.get(BookingSetting, key) is None:
                    session.add(BookingSetting(key=key, value=value))
    except IntegrityError:
        pass


def list_services(session: Session, bookable_only: bool = False, include_inactive: bool = False
                  ) -> list[BookingService]:
    ensure_seeded(session)
    stmt = select(BookingService).order_by(BookingService.position, BookingService.id)
    rows = list(session.scalars(stmt))
    if not include_inactive:
        rows = [s for s in rows if s.active]
    if bookable_only:
        rows = [s for s in rows if s.booking_needed]
    return rows


def get_service(session: Session, code: str) -> BookingService | None:
    ensure_seeded(session)
    return session.scalar(select(BookingService).where(BookingService.code == (code or "").strip().upper()))


def get_policy(session: Session) -> Policy:
    ensure_seeded(session)
    rows = {s.key: s.value for s in session.scalars(select(BookingSetting))}
    return parse_policy(rows) if rows else Policy()


def save_policy(session: Session, raw: dict[str, Any]) -> Policy:
    policy = parse_policy(raw)
    for key, value in policy.as_strings().items():
        row = session.get(BookingSetting, key)
        if row is None:
            session.add(BookingSetting(key=key, value=value))
        else:
            row.value = value
    return policy


def save_service(session: Session, raw: dict[str, Any]) -> BookingService:
    """Create or update a service from form values (admin)."""
    values = service_values(raw)
    service = session.scalar(select(BookingService).where(BookingService.code == values["code"]))
    if service is None:
        position = len(list_services(session, include_inactive=True))
        service = BookingService(position=position, active=True, **values)
        session.add(service)
    else:
        for key, value in values.items():
            setattr(service, key, value)
    if "active" in raw:
        active = raw["active"]
        service.active = active if isinstance(active, bool) else str(active).lower() in ("1", "true", "on", "ya")
    return service
