"""The IKM of a period (office.survey.ikm) with its elements, per month over the last year, per service
and channel, and the citizens' comments.

The trend covers the `TREND_MONTHS` whole months ending with the month the period ends in, whatever the
period's start: one month's dashboard still shows where the index is heading.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from office.booking.models import BookingService
from office.complaints.config import load_config
from office.reports.period import Period, month_label, months_back
from office.survey.ikm import IkmResult, element_names, ikm_by, ikm_for_period, target_sample_size
from office.survey.models import SurveyResponse

TREND_MONTHS = 12
KIND_LABELS = {"visit": "Kunjungan", "complaint": "Pengaduan"}


@dataclass(frozen=True)
class MonthIkm:
    year: int
    month: int
    label: str
    result: IkmResult


@dataclass(frozen=True)
class Comment:
    day: dt.date
    service: str
    channel: str
    text: str


@dataclass(frozen=True)
class GroupIkm:
    key: str
    label: str
    result: IkmResult


@dataclass(frozen=True)
class SatisfactionReport:
    period: Period
    overall: IkmResult
    months: tuple[MonthIkm, ...]
    by_service: tuple[GroupIkm, ...]
    by_channel: tuple[GroupIkm, ...]
    comments: tuple[Comment, ...]


def service_labels(session: Session) -> dict[str, str]:
    """Service code -> name: booking services and complaint categories (a survey follows one of them)."""
    labels = {c.key: f"Pengaduan: {c.label}" for c in load_config().categories}
    for code, name in session.execute(select(BookingService.code, BookingService.name)):
        labels[code] = name
    return labels


def satisfaction_report(session: Session, period: Period, target_sample: int | None = None,
                        comment_limit: int = 50) -> SatisfactionReport:
    from office.reports.conversations import channel_label

    target = target_sample if target_sample is not None else target_sample_size(period.start, period.end)
    overall = ikm_for_period(session, period.start, period.end, target_sample=target)
    monthly = target_sample if target_sample is not None else target_sample_size()
    months = []
    for year, month in months_back(period.end, TREND_MONTHS):
        whole = Period.month(year, month)
        months.append(MonthIkm(year, month, month_label(year, month, short=True),
                               ikm_for_period(session, whole.start, whole.end, target_sample=monthly)))
    labels = service_labels(session)
    by_service = tuple(GroupIkm(k, labels.get(k, k), r)
                       for k, r in ikm_by(session, period.start, period.end, "service_code").items())
    by_channel = tuple(GroupIkm(k, channel_label(k), r)
                       for k, r in ikm_by(session, period.start, period.end, "channel").items())
    rows = session.execute(
        select(SurveyResponse.period_day, SurveyResponse.service_code, SurveyResponse.channel, SurveyResponse.comment)
        .where(SurveyResponse.status == "completed", SurveyResponse.period_day >= period.start,
               SurveyResponse.period_day <= period.end, SurveyResponse.comment.is_not(None),
               SurveyResponse.comment != "")
        .order_by(SurveyResponse.period_day.desc(), SurveyResponse.id.desc()).limit(comment_limit)).all()
    comments = tuple(Comment(day=d, service=labels.get(s or "", s or "-"), channel=channel_label(c or "unknown"),
                             text=text.strip()) for d, s, c, text in rows if text and text.strip())
    return SatisfactionReport(period=period, overall=overall, months=tuple(months), by_service=by_service,
                              by_channel=by_channel, comments=comments)


__all__ = ["SatisfactionReport", "satisfaction_report", "element_names", "KIND_LABELS"]
