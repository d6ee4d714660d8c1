"""Holidays and cuti bersama as the office administers them: profile defaults plus back-office edits.

Why a table: the government announces or moves holidays and cuti bersama during the year (an SKB
revision, a regional closure) and the administrator must be able to follow without editing files
or restarting anything. office/profile.yml stays the source of the defaults; once the administrator
changes anything in a year, that year's whole list lives in `office_holiday` (the defaults are
copied in first), so removing a default holiday is remembered. "Kembalikan ke default" deletes the
year's rows and the profile applies again.

Every place that counts open days (booking rules, the same-day queue, complaint SLA deadlines,
opening-hour answers, the hand-off) reads the calendar through `office_profile()` /
`office_calendar()`, so they all agree.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Literal

from sqlalchemy import Boolean, Date, DateTime, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from office import clock
from office.calendar import HOLIDAY_KINDS, Holiday, OfficeCalendar
from office.dates import format_date
from office.db import Base, session_scope

MAX_NAME = 120
# A holiday list further back or ahead than this is a typo (2062 for 2026), not a plan.
YEARS_BACK = 1
YEARS_AHEAD = 2

ChangeAction = Literal["add", "edit", "remove", "reset"]


class HolidayError(ValueError):
    """A holiday form value is wrong; the message (Indonesian: staff read it) says what to fix."""


class OfficeHoliday(Base):
    """One holiday of a year the administrator manages in the back-office.

    `removed` rows remember that a profile default was taken out (and keep the year managed even
    when every holiday of it was removed)."""

    __tablename__ = "office_holiday"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    kind: Mapped[str] = mapped_column(String(20))
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64), default="")


@dataclass(frozen=True)
class HolidayChange:
    """What the administrator asks: add a holiday, edit the one on `original`, remove it, or reset
    `year` to the profile defaults."""

    action: ChangeAction
    year: int
    holiday: Holiday | None = None
    original: dt.date | None = None


@dataclass
class ChangePlan:
    """A change checked against the current list: the year's list after it, and the days it closes."""

    change: HolidayChange
    before: list[Holiday]
    after: list[Holiday]
    newly_closed: list[dt.date] = field(default_factory=list)


# ---- reading ------------------------------------------------------------------------------------

def _managed_rows(session: Session, year: int | None = None) -> list[OfficeHoliday]:
    stmt = select(OfficeHoliday)
    if year is not None:
        stmt = stmt.where(OfficeHoliday.year == year)
    return list(session.scalars(stmt.order_by(OfficeHoliday.day)))


def _as_holiday(row: OfficeHoliday) -> Holiday:
    return Holiday(row.day, row.name, row.kind)  # type: ignore[arg-type]


def managed_years(session: Session) -> set[int]:
    """Years whose list the back-office holds (the profile defaults no longer apply to them)."""
    return set(session.scalars(select(OfficeHoliday.year).distinct()))


def effective_holidays(session: Session, defaults: Iterable[Holiday]) -> list[Holiday]:
    """The holidays in force: the database's list for managed years, the profile's for the others."""
    rows = _managed_rows(session)
    managed = {row.year for row in rows}
    kept = [h for h in defaults if h.date.year not in managed]
    return sorted(kept + [_as_holiday(r) for r in rows if not r.removed], key=lambda h: (h.date, h.name))


def year_holidays(session: Session, year: int, defaults: Iterable[Holiday]) -> tuple[list[Holiday], bool]:
    """(the year's holidays in force, whether the year is managed in the back-office)."""
    rows = _managed_rows(session, year)
    if rows:
        return [_as_holiday(r) for r in rows if not r.removed], True
    return sorted((h for h in defaults if h.date.year == year), key=lambda h: (h.date, h.name)), False


def office_profile(session: Session | None = None):  # type: ignore[no-untyped-def]
    """The office profile with the holidays in force (profile.yml defaults + back-office edits).
    Use this, not load_profile(), wherever open days matter."""
    from office.profile import load_profile

    profile = load_profile()
    if session is None:
        with session_scope() as own:
            holidays = effective_holidays(own, profile.holidays)
    else:
        holidays = effective_holidays(session, profile.holidays)
    return dataclasses.replace(profile, holidays=tuple(holidays))


def office_calendar(session: Session | None = None) -> OfficeCalendar:
    """The working-day calendar in force (see office_profile)."""
    return office_profile(session).calendar


# ---- validating a form --------------------------------------------------------------------------

def allowed_years(today: dt.date) -> range:
    """Years the administrator may edit: last year (late corrections) to two years ahead (SKB lists
    are published about a year in advance)."""
    return range(today.year - YEARS_BACK, today.year + YEARS_AHEAD + 1)


def parse_holiday_form(day_text: str, name: str, kind: str, today: dt.date) -> Holiday:
    """A Holiday from form values, or HolidayError saying what is wrong."""
    try:
        day = dt.date.fromisoformat((day_text or "").strip())
    except ValueError:
        raise HolidayError("Tanggal tidak valid: gunakan format TTTT-BB-HH, misalnya 2026-08-17.") from None
    years = allowed_years(today)
    if day.year not in years:
        raise HolidayError(f"Tanggal harus di antara tahun {years[0]} dan {years[-1]}.")
    clean_name = " ".join((name or "").split())
    if not clean_name:
        raise HolidayError("Nama hari libur wajib diisi.")
    if len(clean_name) > MAX_NAME:
        raise HolidayError(f"Nama hari libur terlalu panjang (maksimal {MAX_NAME} karakter).")
    if kind not in HOLIDAY_KINDS:
        raise HolidayError("Jenis harus libur nasional atau cuti bersama.")
    return Holiday(day, clean_name, kind)  # type: ignore[arg-type]


# ---- planning and applying a change -------------------------------------------------------------

def plan_change(session: Session, change: HolidayChange, defaults: Iterable[Holiday]) -> ChangePlan:
    """Check the change against the year's list (duplicates, unknown entry) and compute the days it
    newly closes, without writing anything. Raises HolidayError for a change that cannot be made."""
    defaults = list(defaults)
    before, _managed = year_holidays(session, change.year, defaults)
    by_day = {h.date: h for h in before}
    after = dict(by_day)
    if change.action == "reset":
        after = {h.date: h for h in defaults if h.date.year == change.year}
    elif change.action == "remove":
        if change.original not in by_day:
            raise HolidayError("Hari libur itu tidak ada (mungkin sudah dihapus).")
        del after[change.original]
    else:
        new = change.holiday
        assert new is not None
        if new.date.year != change.year:
            raise HolidayError(f"Tanggal harus di tahun {change.year}; untuk tahun lain pilih tahunnya dulu.")
        if change.action == "edit":
            if change.original not in by_day:
                raise HolidayError("Hari libur yang diubah tidak ada (mungkin sudah dihapus).")
            del after[change.original]
        if new.date in after:
            existing = after[new.date]
            raise HolidayError(f"{format_date(new.date)} sudah terdaftar sebagai "
                               f"{existing.kind_label.lower()}: {existing.name}. Ubah entri itu saja.")
        after[new.date] = new
    newly = sorted(set(after) - set(by_day))
    return ChangePlan(change, before, sorted(after.values()), newly)


def apply_change(session: Session, plan: ChangePlan, actor: str, now: dt.datetime | None = None) -> None:
    """Write the planned list of the year (a reset deletes the year's rows: the defaults apply again)."""
    now = now or clock.now()
    year = plan.change.year
    rows = {row.day: row for row in _managed_rows(session, year)}
    if plan.change.action == "reset":
        session.execute(delete(OfficeHoliday).where(OfficeHoliday.year == year))
        session.flush()
        return
    wanted = {h.date: h for h in plan.after}
    stamp = clock.to_utc(now)
    for day in sorted(set(rows) | set(wanted) | {h.date for h in plan.before}):
        row = rows.get(day)
        holiday = wanted.get(day)
        if row is None:
            row = OfficeHoliday(day=day, year=year, name=(holiday or _find(plan.before, day)).name,
                                kind=(holiday or _find(plan.before, day)).kind, removed=holiday is None,
                                updated_at=stamp, updated_by=actor[:64])
            session.add(row)
            continue
        changed = (holiday is None) != row.removed or (holiday is not None and (holiday.name, holiday.kind)
                                                       != (row.name, row.kind))
        if changed:
            row.removed = holiday is None
            if holiday is not None:
                row.name, row.kind = holiday.name, holiday.kind
            row.updated_at, row.updated_by = stamp, actor[:64]
    session.flush()


def _find(holidays: list[Holiday], day: dt.date) -> Holiday:
    return next(h for h in holidays if h.date == day)
