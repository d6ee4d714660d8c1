"""The outbox: every message the office sends without the citizen writing first.

Officer replies, reminders and queue alerts are written here in the same transaction as the
change that causes them; the worker delivers them through Rasa with retries, so nothing is lost
when a process restarts (Rasa's own reminders die with the process).

Several workers may run at once. A worker first *claims* a message (pending -> sending, with its own
claim token and a lease) by a conditional UPDATE that only one worker's statement can match, commits,
and only then sends it; so each message is sent by one worker. A worker that dies mid-send leaves a
claim whose lease runs out; another worker then claims the message again and retries it. The lease is
longer than a delivery's HTTP timeout, so a live worker never loses its claim while still sending.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from office import clock
from office.db import Base

MAX_ATTEMPTS = 8
CLAIM_LEASE = dt.timedelta(minutes=2)  # > the 30 s delivery timeout; a dead worker's claim is retried after this
# Staff are shown a message still undelivered this long after it was due (the worker is down or Rasa refuses it).
STUCK_AFTER = dt.timedelta(minutes=30)


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255), index=True)  # channel-namespaced, e.g. "telegram:123"
    output_channel: Mapped[str] = mapped_column(String(64), default="latest")
    kind: Mapped[str] = mapped_column(String(64))  # officer_reply | reminder | queue_alert | ...
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|sending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(96), nullable=True)  # "<worker>:<token>" of this claim
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


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


def claim_lease() -> dt.timedelta:
    """CLAIM_LEASE, or OUTBOX_CLAIM_LEASE_SECONDS when set: fault tests shorten it to see a killed
    worker's claims retried within seconds; in production keep it above the 30 s delivery timeout."""
    raw = os.environ.get("OUTBOX_CLAIM_LEASE_SECONDS", "").strip()
    return dt.timedelta(seconds=float(raw)) if raw else CLAIM_LEASE


def claim_due(session: Session, now: dt.datetime, worker: str, limit: int = 20,
              lease: dt.timedelta | None = None) -> list[OutboxMessage]:
    """Claim up to `limit` due messages for `worker` and commit, so no other worker sends them.

    Candidates are due pending messages and messages whose claim lease ran out (their worker died).
    Each is taken by an UPDATE whose WHERE repeats what this worker saw (status, attempts, the old
    claim token): when two workers race for a row, the database lets only one statement match it, on
    SQLite (one writer at a time) and PostgreSQL (the second UPDATE re-checks the row after the first
    commits) alike. Returns the claimed messages; `message.claimed_by` is this claim's token."""
    now_utc = clock.to_utc(now)
    lease = lease if lease is not None else claim_lease()
    stale = session.scalars(select(OutboxMessage).where(OutboxMessage.status == "sending")
                            .order_by(OutboxMessage.claimed_until).limit(limit)).all()
    candidates = [m for m in stale if m.claimed_until is None or clock.to_utc(m.claimed_until) <= now_utc]
    candidates += due(session, now, limit)
    claimed: list[OutboxMessage] = []
    for message in candidates[:limit]:
        token = f"{worker}:{secrets.token_hex(6)}"[-96:]
        seen = ((OutboxMessage.status == "sending") & (OutboxMessage.claimed_by == message.claimed_by)
                if message.status == "sending" else
                (OutboxMessage.status == "pending") & (OutboxMessage.attempts == message.attempts))
        result = session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id, seen)
                                 .values(status="sending", claimed_by=token, claimed_until=now_utc + lease)
                                 .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            claimed.append(message.id)
    session.commit()
    session.expire_all()
    return [session.get(OutboxMessage, message_id) for message_id in claimed]


def finish_claim(session: Session, message_id: int, token: str, error: str | None, now: dt.datetime) -> bool:
    """Record how a claimed delivery went (sent when `error` is None); False when the claim is no longer
    ours (its lease ran out and another worker took the message), and then nothing is changed."""
    message = session.get(OutboxMessage, message_id, with_for_update=True, populate_existing=True)
    if message is None or message.status != "sending" or message.claimed_by != token:
        return False
    message.claimed_by = None
    message.claimed_until = None
    if error is None:
        mark_sent(message, now)
    else:
        message.status = "pending"
        mark_failed(message, error, now)
    return True


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


def undelivered(session: Session, now: dt.datetime, stuck_after: dt.timedelta = STUCK_AFTER,
                limit: int = 200) -> list[OutboxMessage]:
    """What staff must look at, newest first: messages the worker gave up on (failed), and messages
    still not sent `stuck_after` past their due time (retrying, or no worker running). A reminder
    scheduled for tomorrow is not listed: it is not late."""
    cutoff = clock.to_utc(now) - stuck_after
    rows = session.scalars(select(OutboxMessage)
                           .where(OutboxMessage.status.in_(["failed", "pending", "sending"]))
                           .order_by(OutboxMessage.id.desc()).limit(limit * 5)).all()

    def late(message: OutboxMessage) -> bool:
        due_at = clock.to_utc(message.created_at if message.attempts else message.not_before)
        return due_at <= cutoff

    return [m for m in rows if m.status == "failed" or late(m)][:limit]


def requeue(session: Session, message_id: int, now: dt.datetime) -> OutboxMessage | None:
    """Send a failed or stuck message again from a fresh start (pending, no attempts, due now), e.g.
    after the provider outage is over. None when there is nothing to requeue: a sent message is
    never sent twice, and one a worker holds right now (an unexpired claim) is left to that worker."""
    message = session.get(OutboxMessage, message_id, with_for_update=True, populate_existing=True)
    if message is None or message.status == "sent":
        return None
    now_utc = clock.to_utc(now)
    if message.status == "sending" and message.claimed_until and clock.to_utc(message.claimed_until) > now_utc:
        return None
    message.status = "pending"
    message.attempts = 0
    message.not_before = now_utc
    message.claimed_by = None
    message.claimed_until = None
    return message
