"""Tables of announcements: who opted in, what the office announces, and each delivery.

A subscription is the citizen's consent to receive announcements on the channel they wrote from
(one row per conversation id; opting out keeps the row with `unsubscribed_at` as the record of the
choice, opting in again clears it). An announcement is written by staff and sent once: when it is
due the worker writes one outbox message per active subscriber, and one `AnnouncementDelivery`
row linking the two, in the same transaction that moves it to "sending" (then "sent") — so counts and
failures per channel come from the outbox rows, and a restarted worker never sends twice.

The delivery keeps its channel and, once the announcement is finished, its outcome, so counts
survive the outbox row: when an outbox message is purged (retention) or erased (privacy request,
sent messages only) the link is set to NULL and the delivery counts as its outcome (else sent).
A delivery whose citizen opted out before it went out is marked `cancelled_at` and its pending
outbox message is deleted. Timestamps are UTC.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from office.db import Base

ANNOUNCEMENT_STATUSES = ("draft", "scheduled", "sending", "sent", "cancelled")


class AnnouncementSubscription(Base):
    __tablename__ = "announcement_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255), unique=True)  # channel-namespaced conversation id
    channel: Mapped[str] = mapped_column(String(32), index=True)  # office.senders.channel_of(sender_id)
    language: Mapped[str] = mapped_column(String(8), default="id")  # the language announcements are sent in
    subscribed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True,
                                                                index=True)


class Announcement(Base):
    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    channels: Mapped[str] = mapped_column(String(200))  # comma-separated targeted channels, e.g. "whatsapp,telegram"
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    scheduled_for: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    recipients: Mapped[int] = mapped_column(Integer, default=0)  # deliveries written at fan-out


class AnnouncementDelivery(Base):
    __tablename__ = "announcement_deliveries"
    __table_args__ = (UniqueConstraint("announcement_id", "subscription_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("announcement_subscriptions.id", ondelete="SET NULL"), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(32))
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"), nullable=True, index=True)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # sent | failed, written when the announcement is finished: the count once the outbox row is purged
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
