"""Complaints by category, unit and status; SLA compliance; the tickets overdue right now.

Tickets count in the period of the local day they were filed; tickets merged into another are left out
(the surviving ticket counts). SLA, per ticket filed in the period:
- first response: on time when the first officer reply came by `first_response_due`; late when it came
  after, or has not come and the due time has passed; pending otherwise (not yet decidable);
- resolution: on time when closed (selesai/ditolak) by `resolution_due`; late when closed after it, or
  still open past it; pending otherwise.
Compliance = on time / (on time + late). The overdue list is every open ticket past its next deadline
now (office.complaints.service.sla_state), whatever day it was filed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from office import clock
from office.complaints.config import RoutingConfig, load_config
from office.complaints.models import OPEN_STATUSES, STATUS_LABELS, STATUSES, Ticket
from office.complaints.service import next_deadline, sla_state
from office.reports.period import Period, local_day


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class SlaFigures:
    on_time: int = 0
    late: int = 0
    pending: int = 0

    @property
    def decided(self) -> int:
        return self.on_time + self.late

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.on_time, self.decided) if self.decided else None


@dataclass(frozen=True)
class OverdueTicket:
    code: str
    category: str
    unit: str
    status: str
    stage: str          # "Tanggapan pertama" or "Penyelesaian"
    due: dt.datetime    # UTC
    hours_late: int


@dataclass(frozen=True)
class ComplaintReport:
    period: Period
    total: int
    by_category: tuple[Count, ...]
    by_unit: tuple[Count, ...]
    by_status: tuple[Count, ...]
    first_response: SlaFigures
    resolution: SlaFigures
    overdue: tuple[OverdueTicket, ...]


def _sla(done_at: dt.datetime | None, due: dt.datetime, now: dt.datetime, counts: list[int]) -> None:
    due = clock.to_utc(due)
    if done_at is not None:
        counts[0 if clock.to_utc(done_at) <= due else 1] += 1
    elif now > due:
        counts[1] += 1
    else:
        counts[2] += 1


def _ranked(counts: dict[str, int], labels: dict[str, str], order: tuple[str, ...] | None = None) -> tuple[Count, ...]:
    if order is not None:
        keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
    else:
        keys = sorted(counts, key=lambda k: (-counts[k], labels.get(k, k)))
    return tuple(Count(k, labels.get(k, k), counts[k]) for k in keys)


def complaint_report(session: Session, period: Period, now: dt.datetime | None = None,
                     config: RoutingConfig | None = None) -> ComplaintReport:
    config = config or load_config()
    now = clock.to_utc(now or clock.now())
    start, after = period.utc_bounds()
    tickets = list(session.scalars(select(Ticket).where(Ticket.merged_into_id.is_(None),
                                                        Ticket.created_at >= start, Ticket.created_at < after)))
    tickets = [t for t in tickets if period.contains(local_day(t.created_at))]
    categories: dict[str, int] = {}
    units: dict[str, int] = {}
    statuses: dict[str, int] = {}
    first, resolution = [0, 0, 0], [0, 0, 0]
    for t in tickets:
        categories[t.category] = categories.get(t.category, 0) + 1
        units[t.unit] = units.get(t.unit, 0) + 1
        statuses[t.status] = statuses.get(t.status, 0) + 1
        _sla(t.first_response_at, t.first_response_due, now, first)
        _sla(t.closed_at if t.status not in OPEN_STATUSES else None, t.resolution_due, now, resolution)
    category_labels = {c.key: c.label for c in config.categories}
    overdue = []
    for t in session.scalars(select(Ticket).where(Ticket.merged_into_id.is_(None),
                                                  Ticket.status.in_(OPEN_STATUSES))):
        if sla_state(t, now, config) != "overdue":
            continue
        due = next_deadline(t)
        overdue.append(OverdueTicket(code=t.code, category=category_labels.get(t.category, t.category), unit=t.unit,
                                     status=STATUS_LABELS.get(t.status, t.status),
                                     stage="Penyelesaian" if t.first_response_at else "Tanggapan pertama",
                                     due=due, hours_late=int((now - due).total_seconds() // 3600)))
    overdue.sort(key=lambda o: (o.due, o.code))
    return ComplaintReport(
        period=period, total=len(tickets),
        by_category=_ranked(categories, category_labels),
        by_unit=_ranked(units, {}),
        by_status=_ranked(statuses, STATUS_LABELS, STATUSES),
        first_response=SlaFigures(*first), resolution=SlaFigures(*resolution), overdue=tuple(overdue))
