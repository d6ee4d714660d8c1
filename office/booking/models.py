"""Tables of visit booking and the same-day queue.

Capacity and queue numbers are guarded by `booking_counters`: one row per slot, per queue line and
day, per walk-in quota and day, changed only by conditional UPDATEs (value < limit) so two
transactions can never both take the last place, on SQLite and PostgreSQL alike.
Timestamps are UTC; `day` and `start` are the office's local date and time of the visit.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from office.db import Base


class BookingService(Base):
    """One service of the catalogue (seeded from office/booking/services.yml, edited by the admin)."""

    __tablename__ = "booking_services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    line: Mapped[str] = mapped_column(String(2))
    duration_minutes: Mapped[int] = mapped_column(Integer, default=15)
    weekdays: Mapped[str] = mapped_column(String(40), default="0,1,2,3,4")  # 0 = Monday
    capacity_per_slot: Mapped[int] = mapped_column(Integer, default=1)
    daily_quota: Mapped[int] = mapped_column(Integer, default=0)
    booking_needed: Mapped[bool] = mapped_column(Boolean, default=True)
    kb_topic: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def weekday_set(self) -> set[int]:
        return {int(x) for x in self.weekdays.split(",") if x.strip() != ""}

    def label(self, lang: str = "id") -> str:
        return self.name_en if lang == "en" and self.name_en else self.name


class BookingSetting(Base):
    """A policy value (same-day cut-off, reschedule rule, near-turn distance...), editable by the admin."""

    __tablename__ = "booking_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class BookingCounter(Base):
    """An atomic counter: booked places of a slot, last queue number of a line, walk-ins of a day."""

    __tablename__ = "booking_counters"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Booking(Base):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    service_code: Mapped[str] = mapped_column(String(32), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    start: Mapped[dt.time] = mapped_column(Time)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    sender_id: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)  # active|checked_in|cancelled
    # "phone|service" while active, NULL otherwise: the unique index enforces one active booking
    # per phone per service even under concurrent requests.
    active_key: Mapped[str | None] = mapped_column(String(80), unique=True, nullable=True)
    reschedules: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reminder_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # the citizen's language when booking ("id"/"en"): reminders and notices are written in it
    language: Mapped[str] = mapped_column(String(2), default="id", server_default="id")


class QueueTicket(Base):
    """A same-day queue number (A-012): from a checked-in booking, a walk-in or a transfer."""

    __tablename__ = "queue_tickets"
    __table_args__ = (UniqueConstraint("day", "line", "number", name="uq_queue_ticket_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    line: Mapped[str] = mapped_column(String(2))
    number: Mapped[int] = mapped_column(Integer)
    service_code: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))  # booking | walkin | priority | transfer
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), nullable=True)
    sender_id: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    # waiting | called | served | no_show | transferred
    counter: Mapped[str] = mapped_column(String(16), default="")
    calls: Mapped[int] = mapped_column(Integer, default=0)
    sort_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))  # place in the line
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    called_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_call_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    near_alert_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    transferred_to_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(2), default="id", server_default="id")  # of the "hampir dipanggil" text

    @property
    def label(self) -> str:
        return f"{self.line}-{self.number:03d}"
