"""The office profile (office/profile.yml): identity, contacts, hours, services, holidays.

One file an administrator edits. Empty fields mean "not verified": callers must say so and point to
the website instead of guessing. The profile also builds the office's working-day calendar.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from office.calendar import Holiday, OfficeCalendar, parse_holidays, parse_opening_hours
from office.config_files import ConfigFileError, read_yaml
from office.settings import get_settings

class ProfileError(ValueError):
    """The profile file is malformed; the message says which field and why."""


@dataclass(frozen=True)
class OfficeProfile:
    name: str
    short_name: str
    serves: tuple[str, ...]
    address: str
    map_url: str
    phone: str
    whatsapp: str
    email: str
    instagram: str
    website: str
    m_paspor_url: str
    hours_verified: bool
    retention_days: int
    opening_hours: dict[int, list[tuple[dt.time, dt.time]]]
    services: tuple[str, ...]
    holidays: tuple[Holiday, ...]
    source_path: Path = field(default=Path("office/profile.yml"), compare=False)
    # optional days per kind of data (office/retention.py lists the kinds); a kind not given uses retention_days
    retention_by_kind: dict[str, int] = field(default_factory=dict, compare=False)

    @property
    def calendar(self) -> OfficeCalendar:
        return OfficeCalendar(list(self.holidays), self.opening_hours)

    def holiday_years(self) -> set[int]:
        """Years for which the holiday list is loaded (others cannot be answered for sure)."""
        return {h.date.year for h in self.holidays}


def _positive_int(value: object, key: str, source: Path) -> int:
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ProfileError(f"{source}: '{key}' must be a whole number") from exc
    if number <= 0:
        raise ProfileError(f"{source}: '{key}' must be positive")
    return number


def _retention_by_kind(value: object, source: Path) -> dict[str, int]:
    """The optional `retention:` mapping (kind -> days); unknown kinds are refused so a typo is not
    silently ignored (the office would keep data longer than it decided)."""
    from office.retention import RETENTION_KINDS

    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ProfileError(f"{source}: 'retention' must map kinds of data to days")
    result = {}
    for kind, days in value.items():
        if kind not in RETENTION_KINDS:
            raise ProfileError(f"{source}: 'retention.{kind}' is not a kind of data; use one of "
                               f"{', '.join(RETENTION_KINDS)}")
        result[str(kind)] = _positive_int(days, f"retention.{kind}", source)
    return result


def parse_profile(data: dict, source: Path) -> OfficeProfile:
    """Validate the YAML mapping and build the profile; raises ProfileError naming the bad field."""
    if not isinstance(data, dict):
        raise ProfileError(f"{source}: the profile must be a mapping of fields")
    for required in ("name", "website", "opening_hours"):
        if not data.get(required):
            raise ProfileError(f"{source}: '{required}' is required")
    try:
        hours = parse_opening_hours(data["opening_hours"])
        holidays = parse_holidays(data.get("holidays") or [])
        OfficeCalendar(holidays, hours)  # validates intervals (order, overlap)
    except (ValueError, TypeError, KeyError) as exc:
        raise ProfileError(f"{source}: {exc}") from exc

    def text(key: str) -> str:
        value = data.get(key)
        return "" if value is None else str(value).strip()

    return OfficeProfile(
        name=text("name"),
        short_name=text("short_name") or text("name"),
        serves=tuple(str(s) for s in data.get("serves") or ()),
        address=text("address"),
        map_url=text("map_url"),
        phone=text("phone"),
        whatsapp=text("whatsapp"),
        email=text("email"),
        instagram=text("instagram"),
        website=text("website"),
        m_paspor_url=text("m_paspor_url"),
        hours_verified=bool(data.get("hours_verified", False)),
        retention_days=_positive_int(data.get("retention_days", 365), "retention_days", source),
        opening_hours=hours,
        services=tuple(str(s) for s in data.get("services") or ()),
        holidays=tuple(sorted(holidays, key=lambda h: h.date)),
        source_path=source,
        retention_by_kind=_retention_by_kind(data.get("retention"), source),
    )


# path -> (the parsed YAML mapping read_yaml returned, the profile built from it)
_PARSED: dict[Path, tuple[object, OfficeProfile]] = {}


def load_profile(path: Path | None = None) -> OfficeProfile:
    """Load the profile; an edit of the file applies on the next call (no restart).

    The profile built from a mapping is reused for as long as read_yaml returns that same mapping (it
    re-reads the file, giving a new one, when the modification time changes). Why: the action server
    asks for the profile several times per message (consent notice hash, calendar, texts) and validating
    it again each time cost 150-350 us a call, ~2% of the action server's CPU under `make bench`
    (py-spy: load_profile + parse_profile)."""
    path = Path(path or get_settings().profile_path)
    try:
        data = read_yaml(path)
    except ConfigFileError as exc:
        raise ProfileError(f"office profile: {exc}") from exc
    cached = _PARSED.get(path)
    if cached is not None and cached[0] is data:
        return cached[1]
    profile = parse_profile(data, path)
    _PARSED[path] = (data, profile)
    return profile
