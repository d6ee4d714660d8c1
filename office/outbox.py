"""The outbox: every message the office sends without the citizen writing first.

Officer replies, reminders and queue alerts are written here in the same transaction as the
change that causes them; the worker delivers them through Rasa with retries, so nothing is lost
when a process restarts (Rasa's own reminders die with the process).
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from office import clock
from office.db import Base

MAX_ATTEMPTS = 8


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255), index=True)  # channel-namespaced, e.g. "telegram:123"
    output_channel: Mapped[str] = mapped_column(String(64), default="latest")
    kind: Mapped[str] = mapped_column(String(64))  # officer_reply | reminder | queue_alert | ...
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


def enqueue(session: Session, sender_id: str, kind: str, text: str, *, output_channel: str = "latest",
            payload: dict[str, Any] | None = None, not_before: dt.datetime | None = None) -> OutboxMessage:
    """Add a message to deliver; the caller's transaction commits it together with its cause."""
    now = clock.utc_now()
    message = OutboxMessage(sender_id=sender_id, output_channel=output_channel, kind=kind, text=text,
                            payload=json.dumps(payload or {}), status="pending", attempts=0,
                            not_before=clock.to_utc(not_before) if not_before else now, created_at=now)
    session.add(message)
    return message


def due(session: Session, now: dt.datetime, limit: int = 20) -> list[OutboxMessage]:
    """Pending messages whose time has come, oldest first."""
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id).limit(limit * 5)
    ).all()
    return [m for m in rows if clock.to_utc(m.not_before) <= clock.to_utc(now)][:limit]


def mark_sent(message: OutboxMessage, now: dt.datetime) -> None:
    message.status = "sent"
    message.sent_at = clock.to_utc(now)
    message.last_error = None


def mark_failed(message: OutboxMessage, error: str, now: dt.datetime) -> None:
    """Retry with exponential backoff (30 s, 1 min, 2 min ...); give up after MAX_ATTEMPTS."""
    message.attempts += 1
    message.last_error = error[:2000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = "failed"
        return
    message.not_before = clock.to_utc(now) + dt.timedelta(seconds=30 * 2 ** (message.attempts - 1))
