"""Opting in and out of the office's announcements, and what the bot says about it.

Why consent is a row of its own: the office may only push news to people who asked for it (UU 27/2022,
and WhatsApp's and Meta's own rules), so the choice is recorded with when it was made, on which
channel and in which language, and the confirmation always says how to stop. Asking twice changes
nothing; opting out cancels announcements still waiting in the outbox for that citizen, so nothing
reaches them after they said stop.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from office import clock
from office.bilingual import text_for
from office.outbox import OutboxMessage
from office.outreach.announcement_models import AnnouncementDelivery, AnnouncementSubscription
from office.senders import channel_of

# A bare stop word outside a form opts a subscriber out (the convention people know from WhatsApp
# broadcasts); inside a form the same word only cancels the form.
STOP_WORDS = frozenset({"berhenti", "stop", "unsubscribe", "berhenti langganan", "stop info"})
HOW_TO_STOP_ID = 'Ketik "berhenti langganan" kapan saja untuk berhenti menerima pengumuman.'
HOW_TO_STOP_EN = 'Type "unsubscribe" at any time to stop receiving announcements.'


@dataclass(frozen=True)
class SubscriptionChange:
    """What opting in or out did: `changed` is False when the citizen was already in that state."""

    changed: bool
    subscription: AnnouncementSubscription | None


def find(session: Session, sender_id: str) -> AnnouncementSubscription | None:
    return session.scalar(select(AnnouncementSubscription).where(AnnouncementSubscription.sender_id == sender_id))


def is_active(subscription: AnnouncementSubscription | None) -> bool:
    return subscription is not None and subscription.unsubscribed_at is None


def is_subscribed(session: Session, sender_id: str) -> bool:
    return is_active(find(session, sender_id))


def is_stop_word(text: str | None) -> bool:
    """True for a message that is only a stop word ("berhenti", "STOP", "stop."), not for "batal"."""
    cleaned = re.sub(r"[^\w\s]", " ", (text or "").lower())
    return " ".join(cleaned.split()) in STOP_WORDS


def subscribe(session: Session, sender_id: str, language: str, now: dt.datetime | None = None) -> SubscriptionChange:
    """Record consent for `sender_id` (the channel comes from its namespace). An active subscriber
    asking again changes nothing but the language they now write in; one who opted out before is
    subscribed again from now."""
    if not sender_id:
        raise ValueError("a subscription needs a conversation id")
    now_utc = clock.to_utc(now or clock.now())
    language = "en" if language == "en" else "id"
    current = find(session, sender_id)
    if current is None:
        current = AnnouncementSubscription(sender_id=sender_id, channel=channel_of(sender_id) or "rest",
                                           language=language, subscribed_at=now_utc, unsubscribed_at=None)
        session.add(current)
        session.flush()
        return SubscriptionChange(True, current)
    current.language = language
    if current.unsubscribed_at is None:
        return SubscriptionChange(False, current)
    current.subscribed_at = now_utc
    current.unsubscribed_at = None
    session.flush()
    return SubscriptionChange(True, current)


def unsubscribe(session: Session, sender_id: str, now: dt.datetime | None = None) -> SubscriptionChange:
    """Withdraw consent: the row keeps when it happened, and every announcement not yet sent to this
    citizen is cancelled (its pending outbox message deleted). A non-subscriber changes nothing."""
    now_utc = clock.to_utc(now or clock.now())
    current = find(session, sender_id)
    if not is_active(current):
        return SubscriptionChange(False, current)
    assert current is not None
    current.unsubscribed_at = now_utc
    cancel_pending_deliveries(session, current, now_utc)
    session.flush()
    return SubscriptionChange(True, current)


def cancel_pending_deliveries(session: Session, subscription: AnnouncementSubscription, now: dt.datetime) -> int:
    """Cancel this subscriber's announcements still waiting in the outbox (pending, not claimed by a
    worker); returns how many. A message a worker is sending at this very moment is let go."""
    rows = session.execute(
        select(AnnouncementDelivery, OutboxMessage)
        .join(OutboxMessage, OutboxMessage.id == AnnouncementDelivery.outbox_message_id)
        .where(AnnouncementDelivery.subscription_id == subscription.id,
               AnnouncementDelivery.cancelled_at.is_(None), OutboxMessage.status == "pending")).all()
    ids = [message.id for _, message in rows]
    for delivery, _ in rows:
        delivery.cancelled_at = clock.to_utc(now)
        delivery.outbox_message_id = None
    session.flush()
    if ids:
        session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.status == "pending"),
                        execution_options={"synchronize_session": False})
    return len(ids)


def forget(session: Session, sender_id: str, now: dt.datetime | None = None) -> bool:
    """For erasure ("hapus data saya"): stop everything pending, then delete the subscription row
    (deliveries keep only their channel). True when there was a row."""
    current = find(session, sender_id)
    if current is None:
        return False
    cancel_pending_deliveries(session, current, clock.to_utc(now or clock.now()))
    session.delete(current)
    session.flush()
    return True


def purge_unsubscribed(session: Session, cutoff: dt.datetime) -> int:
    """Retention: the record of an opt-out is kept as long as conversations are, then deleted (an
    active subscription is consent in force and stays until withdrawn or erased)."""
    cutoff_utc = clock.to_utc(cutoff)
    old = [s.id for s in session.scalars(select(AnnouncementSubscription)
                                         .where(AnnouncementSubscription.unsubscribed_at.is_not(None)))
           if s.unsubscribed_at is not None and clock.to_utc(s.unsubscribed_at) < cutoff_utc]
    if not old:  # compared in Python: SQLite keeps no zone
        return 0
    return session.execute(delete(AnnouncementSubscription).where(AnnouncementSubscription.id.in_(old)),
                           execution_options={"synchronize_session": False}).rowcount or 0


def active_counts(session: Session) -> dict[str, int]:
    """Active subscribers per channel, for the staff page."""
    rows = session.execute(select(AnnouncementSubscription.channel, func.count())
                           .where(AnnouncementSubscription.unsubscribed_at.is_(None))
                           .group_by(AnnouncementSubscription.channel)).all()
    return {channel: count for channel, count in rows}


def active_subscribers(session: Session, channels: list[str] | tuple[str, ...]) -> list[AnnouncementSubscription]:
    """Active subscribers on `channels`, oldest first (the order announcements go out)."""
    if not channels:
        return []
    return list(session.scalars(select(AnnouncementSubscription)
                                .where(AnnouncementSubscription.unsubscribed_at.is_(None),
                                       AnnouncementSubscription.channel.in_(list(channels)))
                                .order_by(AnnouncementSubscription.id)))


# ---------------------------------------------------------------------------------------------
# what the bot says

def subscribed_text(change: SubscriptionChange, lang: str) -> str:
    if not change.changed:
        return text_for(lang,
                        "Bapak/Ibu sudah berlangganan pengumuman Kantor Imigrasi, jadi tidak ada yang perlu diubah. "
                        + HOW_TO_STOP_ID,
                        "You are already subscribed to the immigration office's announcements, so nothing "
                        "has changed. " + HOW_TO_STOP_EN)
    return text_for(lang,
                    "Terima kasih, Bapak/Ibu sekarang berlangganan pengumuman Kantor Imigrasi di percakapan ini: "
                    "info penting seperti jadwal libur, perubahan layanan, kuota, dan layanan keliling. "
                    + HOW_TO_STOP_ID,
                    "Thank you, you are now subscribed to the immigration office's announcements in this chat: "
                    "important news such as closures, service changes, quotas and mobile service days. "
                    + HOW_TO_STOP_EN)


def unsubscribed_text(change: SubscriptionChange, lang: str) -> str:
    if not change.changed:
        return text_for(lang,
                        "Bapak/Ibu tidak sedang berlangganan pengumuman kami, jadi tidak ada yang perlu dihentikan. "
                        'Bila ingin menerima info terbaru, ketik "langganan info".',
                        "You are not subscribed to our announcements, so there is nothing to stop. "
                        'To receive the latest news, type "subscribe".')
    return text_for(lang,
                    "Baik, Bapak/Ibu sudah berhenti berlangganan dan tidak akan menerima pengumuman lagi dari kami. "
                    'Bila berubah pikiran, ketik "langganan info" kapan saja.',
                    "Done, you have unsubscribed and will receive no more announcements from us. "
                    'If you change your mind, type "subscribe" at any time.')


def announcement_footer(lang: str) -> str:
    """Appended to every announcement a subscriber receives: how to stop."""
    return text_for(lang, HOW_TO_STOP_ID, HOW_TO_STOP_EN)
