"""Complaint tables: tickets, their messages, evidence metadata, the yearly code sequence and staff
notifications waiting for the worker. Timestamps are stored in UTC."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from office.db import Base

STATUSES: tuple[str, ...] = ("baru", "diproses", "menunggu_warga", "selesai", "ditolak")
STATUS_LABELS: dict[str, str] = {"baru": "Baru", "diproses": "Diproses", "menunggu_warga": "Menunggu warga",
                                 "selesai": "Selesai", "ditolak": "Ditolak"}
STATUS_LABELS_EN: dict[str, str] = {"baru": "New", "diproses": "In progress", "menunggu_warga": "Waiting for you",
                                    "selesai": "Resolved", "ditolak": "Rejected"}
OPEN_STATUSES: tuple[str, ...] = ("baru", "diproses", "menunggu_warga")
MODES: tuple[str, ...] = ("biasa", "rahasia", "anonim")
MODE_LABELS: dict[str, str] = {"biasa": "Biasa", "rahasia": "Rahasia", "anonim": "Anonim"}
AUTHOR_KINDS: tuple[str, ...] = ("citizen", "officer", "internal", "system")


class TicketSequence(Base):
    """The last number handed out per year (ADU-<year>-<number>)."""

    __tablename__ = "complaint_sequence"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    __tablename__ = "complaint_ticket"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True, index=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    unit: Mapped[str] = mapped_column(String(80), index=True)
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    status: Mapped[str] = mapped_column(String(16), default="baru", index=True)
    reject_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    mode: Mapped[str] = mapped_column(String(10), default="biasa")  # biasa | rahasia | anonim
    # Identity: NULL for anonymous tickets (nothing kept at all).
    sender_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    contact_preference: Mapped[str | None] = mapped_column(String(40), nullable=True)
    language: Mapped[str] = mapped_column(String(2), default="id")  # of the messages relayed to the citizen
    description: Mapped[str] = mapped_column(Text)
    when_where: Mapped[str | None] = mapped_column(Text, nullable=True)
    abusive: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_to: Mapped[str | None] = mapped_column(String(32), nullable=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_ticket.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    first_response_due: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    resolution_due: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    first_response_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    messages: Mapped[list["TicketMessage"]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketMessage.id")
    evidence: Mapped[list["TicketEvidence"]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketEvidence.id")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def confidential(self) -> bool:
        return self.mode != "biasa"


class TicketMessage(Base):
    __tablename__ = "complaint_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("complaint_ticket.id", ondelete="CASCADE"), index=True)
    author_kind: Mapped[str] = mapped_column(String(10))  # citizen | officer | internal | system
    author: Mapped[str | None] = mapped_column(String(32), nullable=True)  # staff username
    text: Mapped[str] = mapped_column(Text)
    abusive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    ticket: Mapped[Ticket] = relationship(back_populates="messages")


EVIDENCE_STATUSES: tuple[str, ...] = ("pending", "stored", "rejected", "failed")
EVIDENCE_STATUS_LABELS: dict[str, str] = {"pending": "Menunggu unduhan", "stored": "Tersimpan",
                                          "rejected": "Ditolak", "failed": "Gagal diunduh"}


class TicketEvidence(Base):
    """A photo or document the citizen sent: first the provider's reference, then (worker/evidence_jobs.py)
    the file itself under MEDIA_DIR, named by its SHA-256, with what the download found."""

    __tablename__ = "complaint_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("complaint_ticket.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # image | pdf
    mime_type: Mapped[str | None] = mapped_column(String(80), nullable=True)
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reference: Mapped[str | None] = mapped_column(Text, nullable=True)  # provider URL or file id
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # pending (to download, maybe after a failed attempt) | stored | rejected (type/size) | failed (gave up)
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending", index=True)
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # shown to officers (Indonesian)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    stored_path: Mapped[str | None] = mapped_column(String(200), nullable=True)  # relative to MEDIA_DIR
    stored_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    ticket: Mapped[Ticket] = relationship(back_populates="evidence")

    @property
    def status_label(self) -> str:
        return EVIDENCE_STATUS_LABELS.get(self.status, self.status)


class StaffNotification(Base):
    """A staff alert (new or escalated ticket) the worker sends by e-mail and/or Telegram."""

    __tablename__ = "complaint_notification"
    __table_args__ = (UniqueConstraint("ticket_id", "event", "unit", name="uq_complaint_notification"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("complaint_ticket.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(32))  # new | escalated_1 | escalated_2
    unit: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Retries wait (30 s, 1 min, 2 min ...); each channel is marked once sent so a retry after a
    # Telegram failure does not e-mail the unit twice.
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    email_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    telegram_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
