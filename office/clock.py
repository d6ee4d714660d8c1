"""The office's clock: local time in the office's time zone (Asia/Jakarta by default).

OFFICE_NOW (ISO date-time) fixes the clock for every process: tests use it to travel in time
(a holiday, a Sunday, an overdue SLA) through the real servers.
"""
from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

from office.settings import get_settings


def office_tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def now() -> dt.datetime:
    """Aware local time of the office."""
    tz = office_tz()
    fixed = os.environ.get("OFFICE_NOW")
    if fixed:
        value = dt.datetime.fromisoformat(fixed)
        return value if value.tzinfo else value.replace(tzinfo=tz)
    return dt.datetime.now(tz)


def today() -> dt.date:
    return now().date()


def to_utc(value: dt.datetime) -> dt.datetime:
    """For storage: every timestamp is stored in UTC (SQLite keeps no zone; naive means UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def utc_now() -> dt.datetime:
    return to_utc(now())
