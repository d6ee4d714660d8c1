"""Conversations per day and channel, and the hand-off rate, from Rasa's own tracker store.

Rasa (3.6, SQLTrackerStore) keeps every event in the table `events` (sender_id, type_name, timestamp as
unix seconds, intent_name, action_name, data). A *conversation* here is one sender on one local day with
at least one message from the citizen (type_name 'user'); messages the office pushed through
trigger_intent (intents named EXTERNAL_...) are not the citizen writing and are left out. The channel is
the sender id's prefix (web:, whatsapp:, telegram:, messenger:, instagram:; "rest" without one).

The hand-off rate is the share of those conversations in which the citizen asked for an officer: the
intent `request_officer` in the tracker, or a live session (office.handoff.LiveSession) opened that day.
A live session also counts as a conversation, so the rate never passes 100%.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from office import clock
from office.senders import channel_of
from office.db import get_engine
from office.handoff import LiveSession
from office.reports.period import Period, local_day

HANDOFF_INTENT = "request_officer"
EXTERNAL_PREFIX = "EXTERNAL_"
CHANNEL_LABELS = {"web": "Web chat", "whatsapp": "WhatsApp", "telegram": "Telegram", "messenger": "Messenger",
                  "instagram": "Instagram", "rest": "Lainnya (REST)", "unknown": "Tidak diketahui"}
CHANNEL_ORDER = ("whatsapp", "telegram", "web", "messenger", "instagram", "rest", "unknown")


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)


def tracker_engine(url: str | None = None) -> Engine | None:
    """The engine of Rasa's tracker store (TRACKER_STORE_URL), or None when it is not configured."""
    url = url or os.environ.get("TRACKER_STORE_URL")
    return get_engine(url) if url else None


@dataclass(frozen=True)
class ConversationReport:
    """`counts[(day, channel)]` = conversations; `handoffs[(day, channel)]` = those that asked for an officer."""

    period: Period
    available: bool
    channels: tuple[str, ...]
    counts: dict[tuple[dt.date, str], int] = field(default_factory=dict)
    handoffs: dict[tuple[dt.date, str], int] = field(default_factory=dict)
    note: str = ""

    def on(self, day: dt.date, channel: str) -> int:
        return self.counts.get((day, channel), 0)

    def day_total(self, day: dt.date) -> int:
        return sum(v for (d, _), v in self.counts.items() if d == day)

    def channel_total(self, channel: str) -> int:
        return sum(v for (_, c), v in self.counts.items() if c == channel)

    def channel_handoffs(self, channel: str) -> int:
        return sum(v for (_, c), v in self.handoffs.items() if c == channel)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def handoff_total(self) -> int:
        return sum(self.handoffs.values())

    @property
    def handoff_rate(self) -> Fraction | None:
        return Fraction(self.handoff_total, self.total) if self.total else None


def _ordered(channels: set[str]) -> tuple[str, ...]:
    known = [c for c in CHANNEL_ORDER if c in channels]
    return tuple(known + sorted(channels - set(known)))


def conversation_report(office: Session, period: Period, engine: Engine | None = None) -> ConversationReport:
    """Conversations per local day and channel in `period`, with the hand-offs among them.
    `engine` is the tracker store's (default: TRACKER_STORE_URL)."""
    engine = engine if engine is not None else tracker_engine()
    start, after = period.utc_bounds()
    pairs: set[tuple[dt.date, str]] = set()   # (day, sender)
    asked: set[tuple[dt.date, str]] = set()
    available, note = False, ""
    if engine is None:
        note = "Penyimpanan percakapan Rasa (TRACKER_STORE_URL) belum diatur."
    elif not inspect(engine).has_table("events"):
        note = "Penyimpanan percakapan Rasa belum berisi percakapan."
    else:
        available = True
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT sender_id, timestamp, intent_name FROM events "
                "WHERE type_name = 'user' AND timestamp >= :start AND timestamp < :after"),
                {"start": start.timestamp(), "after": after.timestamp()})
            tz = clock.office_tz()
            for sender, stamp, intent in rows:
                if intent and intent.startswith(EXTERNAL_PREFIX):
                    continue
                day = dt.datetime.fromtimestamp(float(stamp), tz).date()
                pairs.add((day, sender))
                if intent == HANDOFF_INTENT:
                    asked.add((day, sender))
    for sender, created in office.execute(
            LiveSession.__table__.select().with_only_columns(LiveSession.sender_id, LiveSession.created_at)
            .where(LiveSession.created_at >= start, LiveSession.created_at < after)):
        key = (local_day(created), sender)
        pairs.add(key)
        asked.add(key)
    counts: dict[tuple[dt.date, str], int] = {}
    handoffs: dict[tuple[dt.date, str], int] = {}
    for day, sender in pairs:
        key = (day, channel_of(sender) or "unknown")
        counts[key] = counts.get(key, 0) + 1
        if (day, sender) in asked:
            handoffs[key] = handoffs.get(key, 0) + 1
    return ConversationReport(period=period, available=available or bool(pairs),
                              channels=_ordered({c for _, c in counts}), counts=counts, handoffs=handoffs,
                              note=note)
