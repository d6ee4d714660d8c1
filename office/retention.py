"""How long each kind of citizen data is kept, and the record of each purge run (UU 27/2022: keep
personal data no longer than its purpose needs).

The office profile has one `retention_days`; an optional `retention:` mapping there sets other days
per kind. The worker (worker/retention.py) purges with these cutoffs and records each run here, so the
data-protection page can show the officer in charge when the purge last ran and what it removed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, delete, func, inspect, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from office import clock
from office.db import Base
from office.profile import OfficeProfile

#: The kinds of data with their own retention period, in the order staff read them.
RETENTION_KINDS: tuple[str, ...] = ("conversations", "bookings", "complaints", "survey_invitations",
                                    "unanswered_questions", "outreach")
KIND_LABELS: dict[str, str] = {
    "conversations": "Percakapan (riwayat chat di Rasa) dan pesan keluar terkirim",
    "bookings": "Booking kunjungan (nama, nomor HP)",
    "complaints": "Pengaduan yang sudah ditutup, dengan buktinya",
    "survey_invitations": "Undangan survei (jawaban survei yang selesai anonim dan disimpan)",
    "unanswered_questions": "Pertanyaan yang belum bisa dijawab bot",
    "outreach": "Pendaftar layanan keliling/sosialisasi (nama, tanggal lahir; dihitung dari hari kegiatan) dan permohonan kunjungan",
}
RUNS_KEPT = 100  # the page shows the last run; a short history is enough


@dataclass(frozen=True)
class RetentionSetting:
    kind: str
    label: str
    days: int
    from_default: bool  # True when the kind falls back to retention_days


def days_for(profile: OfficeProfile, kind: str) -> int:
    """Days to keep `kind`: its own value in the profile, else the office-wide retention_days."""
    if kind not in RETENTION_KINDS:
        raise ValueError(f"unknown kind of data: {kind}")
    return profile.retention_by_kind.get(kind, profile.retention_days)


def settings_of(profile: OfficeProfile) -> list[RetentionSetting]:
    return [RetentionSetting(kind, KIND_LABELS[kind], days_for(profile, kind), kind not in profile.retention_by_kind)
            for kind in RETENTION_KINDS]


def cutoffs(profile: OfficeProfile, now: dt.datetime) -> dict[str, dt.datetime]:
    """Per kind, the UTC moment before which its rows are purged."""
    now_utc = clock.to_utc(now)
    return {kind: now_utc - dt.timedelta(days=days_for(profile, kind)) for kind in RETENTION_KINDS}


class PurgeRun(Base):
    """One run of the retention purge: when, and how many rows (or files) it removed per table."""

    __tablename__ = "retention_purge_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ran_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    removed: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record_run(session: Session, removed: dict[str, int], now: dt.datetime) -> PurgeRun:
    """Store this run and drop runs beyond the last RUNS_KEPT."""
    run = PurgeRun(ran_at=clock.to_utc(now), removed=dict(removed))
    session.add(run)
    session.flush()
    keep = select(PurgeRun.id).order_by(PurgeRun.id.desc()).limit(RUNS_KEPT).scalar_subquery()
    session.execute(delete(PurgeRun).where(PurgeRun.id.not_in(keep)))
    return run


def last_run(session: Session) -> PurgeRun | None:
    return session.scalar(select(PurgeRun).order_by(PurgeRun.id.desc()).limit(1))


def row_counts(session: Session, tracker_engine: Any = None) -> dict[str, int | None]:
    """Rows held now per kind (None when unknown: the tracker store is not configured or empty)."""
    from office.booking.models import Booking
    from office.complaints.models import Ticket
    from office.kb.store import UnansweredQuestion
    from office.outreach.retention import held_rows
    from office.survey.models import SurveyInvitation

    counts: dict[str, int | None] = {
        "conversations": None,
        "bookings": session.scalar(select(func.count()).select_from(Booking)),
        "complaints": session.scalar(select(func.count()).select_from(Ticket)),
        "survey_invitations": session.scalar(select(func.count()).select_from(SurveyInvitation)),
        "unanswered_questions": session.scalar(select(func.count()).select_from(UnansweredQuestion)),
        "outreach": held_rows(session),
    }
    if tracker_engine is not None and inspect(tracker_engine).has_table("events"):
        with tracker_engine.connect() as conn:
            counts["conversations"] = conn.execute(text("SELECT COUNT(DISTINCT sender_id) FROM events")).scalar()
    return counts
