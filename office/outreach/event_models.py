"""Tables of mobile service days and information sessions.

An event is a day the office serves people away from its counter (a mobile service day, "layanan
keliling" / Eazy Passport) or an information session (sosialisasi). People register alone or as a
group: a group leader gives only each member's name and date of birth (the least personal data the
visit needs; documents are checked on the day). `seats_taken` is changed only by a conditional UPDATE
(seats_taken + n <= quota), so two registrations can never both take the last places, on SQLite and
PostgreSQL alike. Timestamps are UTC; `day` is the office's local date of the event.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from office.db import Base

EVENT_KINDS = ("service_day", "info_session")
EVENT_STATUSES = ("published", "closed", "cancelled")  # closed: the day is over, staff closed the list


class OutreachEvent(Base):
    __tablename__ = "outreach_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # service_day | info_session
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))  # e.g. "Balai Desa Daya Murni"
    kecamatan: Mapped[str] = mapped_column(String(100), index=True)
    kabupaten: Mapped[str] = mapped_column(String(100), default="Tulang Bawang Barat")
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)
    quota: Mapped[int] = mapped_column(Integer)  # people (group members count one each)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    services: Mapped[str] = mapped_column(Text, default="")  # one offered service per line (service days)
    description: Mapped[str] = mapped_column(Text, default="")  # topic of a session, notes for citizens
    status: Mapped[str] = mapped_column(String(16), default="published", index=True)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class EventRegistration(Base):
    """One registration: a person alone, or a group leader with the members they registered."""

    __tablename__ = "outreach_registrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # told to the citizen, e.g. "JB-4K7Q2"
    event_id: Mapped[int] = mapped_column(ForeignKey("outreach_events.id"), index=True)
    sender_id: Mapped[str] = mapped_column(String(255), index=True)  # channel-namespaced conversation
    language: Mapped[str] = mapped_column(String(5), default="id")
    leader_name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="registered", index=True)  # registered | cancelled
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RegistrationMember(Base):
    """A person who will be served; the leader is a member too when they come themselves."""

    __tablename__ = "outreach_members"
    __table_args__ = (UniqueConstraint("event_id", "name_key", "birth_date", name="uq_outreach_member_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("outreach_registrations.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outreach_events.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # The name folded for comparison (case, spaces, punctuation): one person is registered once per event.
    name_key: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class VisitRequest(Base):
    """A school, village or company asking the office to come (who, where, how many, preferred dates)."""

    __tablename__ = "outreach_visit_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # e.g. "KJ-8H2MD"
    sender_id: Mapped[str] = mapped_column(String(255), index=True)
    language: Mapped[str] = mapped_column(String(5), default="id")
    organisation: Mapped[str] = mapped_column(String(200))  # school, village, company, community
    contact_name: Mapped[str] = mapped_column(String(120))
    place: Mapped[str] = mapped_column(String(200))
    kecamatan: Mapped[str] = mapped_column(String(100), default="")
    headcount: Mapped[int] = mapped_column(Integer)
    preferred_dates: Mapped[str] = mapped_column(Text)  # as the requester wrote them, plus parsed dates
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)  # new | accepted | declined
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("outreach_events.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
