"""Announcements to subscribers: the rules staff work under, the per-channel preview, and the fan-out.

Life of an announcement: draft -> scheduled -> sending -> sent, or cancelled before it goes out.
Content and channels may change only while it is a draft or scheduled; a time in the past is refused.
When it is due, `fan_out` moves it to "sending" with a conditional UPDATE and, in the same transaction,
writes one outbox message (kind "announcement") per active subscriber on the targeted channels, so a
restarted or second worker never sends it twice. Each channel's messages are spaced by its rate
(ANNOUNCEMENT_RATE_<CHANNEL> messages per minute) through `not_before`, also after announcements
already queued on that channel. It becomes "sent" once no delivery is still pending.

The channels' own formatting is reused (channels/common.py is pure Python: limits, splitting, the
WhatsApp template rule), so the preview shows what each channel really sends.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from channels import common as channel_format
from office import clock
from office.outbox import OutboxMessage, enqueue
from office.outreach.announcement_models import Announcement, AnnouncementDelivery
from office.outreach.subscriptions import active_subscribers, announcement_footer
from office.privacy import mask_personal_data

KIND = "announcement"
TITLE_MAX = 120
BODY_MAX = 3000
EDITABLE = ("draft", "scheduled")
CHANNELS: tuple[str, ...] = ("whatsapp", "telegram", "messenger", "instagram", "web")
CHANNEL_LABELS = {"whatsapp": "WhatsApp", "telegram": "Telegram", "messenger": "Messenger",
                  "instagram": "Instagram", "web": "Web chat"}
STATUS_LABELS = {"draft": "Draf", "scheduled": "Terjadwal", "sending": "Sedang dikirim", "sent": "Terkirim",
                 "cancelled": "Dibatalkan"}
# Messages per minute per channel (ANNOUNCEMENT_RATE_WHATSAPP ...): within what each provider lets a new
# business account send without being throttled or flagged as spam.
DEFAULT_RATES = {"whatsapp": 60, "telegram": 600, "messenger": 120, "instagram": 60, "web": 600}
TEXT_LIMITS = {**channel_format.TEXT_LIMITS, "web": 4000}  # the web chat takes what the widget accepts


class AnnouncementError(ValueError):
    """Bad input or a change the announcement's status does not allow; the message is for staff (Indonesian)."""


# ---------------------------------------------------------------------------------------------
# text per channel

def compose(title: str, body: str, channel: str, lang: str = "id") -> str:
    """The message a subscriber on `channel` receives: WhatsApp shows *bold*, the others show text as
    typed, so only WhatsApp gets the asterisks around the title. Ends with how to stop."""
    heading = f"*{title}*" if channel == "whatsapp" else title
    return f"📢 {heading}\n\n{body.strip()}\n\n{announcement_footer(lang)}"


def _length(channel: str):  # type: ignore[no-untyped-def]
    """How the provider counts: Instagram counts UTF-8 bytes, the others UTF-16 units (channels/meta.py)."""
    if channel == "instagram":
        return lambda text: len(text.encode("utf-8"))
    return channel_format.utf16_len


@dataclass
class ChannelPreview:
    channel: str
    label: str
    text: str
    chunks: list[str]
    length: int
    limit: int
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    template_text: str | None = None  # WhatsApp outside the 24-hour window
    segments: list[list[tuple[str, str]]] = field(default_factory=list)  # chunks with WhatsApp styling


_WA_STYLE = re.compile(r"(\*[^*\n]+\*|_[^_\n]+_|~[^~\n]+~)")
_WA_TAGS = {"*": "b", "_": "i", "~": "s"}


def whatsapp_segments(text: str) -> list[tuple[str, str]]:
    """WhatsApp's own markup (*bold*, _italic_, ~strike~) as (text, style) pieces, style "" for plain."""
    pieces: list[tuple[str, str]] = []
    for part in _WA_STYLE.split(text):
        if not part:
            continue
        if _WA_STYLE.fullmatch(part):
            pieces.append((part[1:-1], _WA_TAGS[part[0]]))
        else:
            pieces.append((part, ""))
    return pieces


def preview(title: str, body: str, channels: list[str] | tuple[str, ...], lang: str = "id") -> list[ChannelPreview]:
    """How the announcement reads on each targeted channel: the text, how it is split, and what to fix.
    Errors block scheduling; warnings are for the editor to weigh."""
    result = []
    for channel in channels:
        text = compose(title, body, channel, lang)
        limit = TEXT_LIMITS[channel]
        length = _length(channel)
        chunks = (channel_format.split_text(text, limit, length) if channel != "web" else [text])
        item = ChannelPreview(channel, CHANNEL_LABELS[channel], text, chunks, length(text), limit)
        if len(chunks) > 1:
            item.warnings.append(f"Terlalu panjang untuk satu pesan {item.label} (batas {limit:,} karakter): "
                                 f"dikirim sebagai {len(chunks)} pesan berurutan.".replace(",", "."))
        if channel == "whatsapp":
            item.segments = [whatsapp_segments(chunk) for chunk in chunks]
            item.template_text = text
            if channel_format.utf16_len(text) > channel_format.TEMPLATE_VARIABLE_MAX:
                item.errors.append("Terlalu panjang untuk WhatsApp: warga yang tidak menulis dalam 24 jam terakhir "
                                   "menerimanya sebagai template yang memuat paling banyak "
                                   f"{channel_format.TEMPLATE_VARIABLE_MAX:,} karakter. Persingkat isi.".replace(",", "."))
            if not channel_format.template_sid(KIND):
                item.warnings.append("Template WhatsApp belum diatur (TWILIO_CONTENT_SID_ANNOUNCEMENT atau "
                                     "TWILIO_CONTENT_SID_DEFAULT): warga di luar jendela 24 jam tidak akan menerimanya "
                                     "dan tercatat gagal.")
            else:
                item.warnings.append("Di luar jendela 24 jam, teks ini dikirim di dalam template WhatsApp yang "
                                     "disetujui (TWILIO_CONTENT_SID_ANNOUNCEMENT).")
        else:
            item.segments = [[(chunk, "")] for chunk in chunks]
            if re.search(r"\*[^*\n]+\*|_[^_\n]+_", body):
                item.warnings.append(f"{item.label} tidak mengenal format *tebal* atau _miring_: tanda bintang "
                                     "dan garis bawah tampil apa adanya.")
        if channel in ("messenger", "instagram"):
            item.warnings.append("Meta hanya mengizinkan pesan ini kepada pengikut yang menulis dalam 24 jam "
                                 "terakhir; yang lain tercatat gagal dan dapat dikirim ulang setelah mereka menulis.")
        result.append(item)
    return result


# ---------------------------------------------------------------------------------------------
# validation and changes by staff

def parse_channels(values: list[str] | tuple[str, ...]) -> list[str]:
    """The targeted channels in a fixed order; unknown names are refused."""
    chosen = []
    for value in values:
        if value not in CHANNELS:
            raise AnnouncementError(f"Kanal tidak dikenal: {value[:30]}.")
        if value not in chosen:
            chosen.append(value)
    return [c for c in CHANNELS if c in chosen]


def channels_of(announcement: Announcement) -> list[str]:
    return [c for c in (announcement.channels or "").split(",") if c in CHANNELS]


def validate(title: str, body: str, channels: list[str]) -> tuple[str, str]:
    """Cleaned title and body, or AnnouncementError saying what to fix."""
    title = " ".join((title or "").split())
    body = (body or "").replace("\r\n", "\n").strip()
    if not title:
        raise AnnouncementError("Judul wajib diisi.")
    if len(title) > TITLE_MAX:
        raise AnnouncementError(f"Judul terlalu panjang (maksimal {TITLE_MAX} karakter).")
    if not body:
        raise AnnouncementError("Isi pengumuman wajib diisi.")
    if len(body) > BODY_MAX:
        raise AnnouncementError(f"Isi terlalu panjang (maksimal {BODY_MAX:,} karakter).".replace(",", "."))
    if not channels:
        raise AnnouncementError("Pilih paling sedikit satu kanal.")
    for item in preview(title, body, channels, "id") + preview(title, body, channels, "en"):
        if item.errors:
            raise AnnouncementError(item.errors[0])
    return title, body


def create_draft(session: Session, title: str, body: str, channels: list[str], actor: str,
                 now: dt.datetime | None = None) -> Announcement:
    title, body = validate(title, body, channels)
    now_utc = clock.to_utc(now or clock.now())
    announcement = Announcement(title=title, body=body, channels=",".join(channels), status="draft",
                                created_by=actor[:64], created_at=now_utc, updated_by=actor[:64], updated_at=now_utc,
                                recipients=0)
    session.add(announcement)
    session.flush()
    return announcement


def get_announcement(session: Session, announcement_id: int) -> Announcement:
    announcement = session.get(Announcement, announcement_id)
    if announcement is None:
        raise AnnouncementError("Pengumuman tidak ditemukan.")
    return announcement


def _editable(announcement: Announcement) -> None:
    if announcement.status not in EDITABLE:
        raise AnnouncementError(f"Pengumuman berstatus \"{STATUS_LABELS[announcement.status]}\" tidak dapat diubah "
                                "lagi.")


def update_content(session: Session, announcement_id: int, title: str, body: str, channels: list[str], actor: str,
                   now: dt.datetime | None = None) -> Announcement:
    """Change title, body and channels while the announcement is a draft or scheduled (it stays so)."""
    announcement = get_announcement(session, announcement_id)
    _editable(announcement)
    announcement.title, announcement.body = validate(title, body, channels)
    announcement.channels = ",".join(channels)
    announcement.updated_by = actor[:64]
    announcement.updated_at = clock.to_utc(now or clock.now())
    session.flush()
    return announcement


def schedule(session: Session, announcement_id: int, when: dt.datetime, actor: str,
             now: dt.datetime | None = None) -> Announcement:
    """Send at `when` (office time). A time in the past is refused; `send_now` sends at once."""
    now = now or clock.now()
    announcement = get_announcement(session, announcement_id)
    _editable(announcement)
    validate(announcement.title, announcement.body, channels_of(announcement))
    if when.tzinfo is None:
        when = when.replace(tzinfo=clock.office_tz())
    if clock.to_utc(when) < clock.to_utc(now) - dt.timedelta(seconds=60):
        raise AnnouncementError("Waktu kirim sudah lewat. Pilih waktu yang akan datang, atau pilih \"Kirim sekarang\".")
    announcement.status = "scheduled"
    announcement.scheduled_for = clock.to_utc(max(when, now))
    announcement.updated_by = actor[:64]
    announcement.updated_at = clock.to_utc(now)
    session.flush()
    return announcement


def send_now(session: Session, announcement_id: int, actor: str, now: dt.datetime | None = None) -> Announcement:
    now = now or clock.now()
    return schedule(session, announcement_id, now, actor, now)


def unschedule(session: Session, announcement_id: int, actor: str, now: dt.datetime | None = None) -> Announcement:
    """Back to a draft (a scheduled announcement that should not go out yet)."""
    announcement = get_announcement(session, announcement_id)
    if announcement.status != "scheduled":
        raise AnnouncementError("Hanya pengumuman terjadwal yang dapat dikembalikan ke draf.")
    announcement.status = "draft"
    announcement.scheduled_for = None
    announcement.updated_by = actor[:64]
    announcement.updated_at = clock.to_utc(now or clock.now())
    session.flush()
    return announcement


def cancel(session: Session, announcement_id: int, actor: str, now: dt.datetime | None = None) -> Announcement:
    """Cancel before sending. The conditional UPDATE loses against a worker fanning it out right now."""
    now_utc = clock.to_utc(now or clock.now())
    announcement = get_announcement(session, announcement_id)
    _editable(announcement)
    done = session.execute(update(Announcement)
                           .where(Announcement.id == announcement_id, Announcement.status.in_(EDITABLE))
                           .values(status="cancelled", cancelled_at=now_utc, updated_by=actor[:64],
                                   updated_at=now_utc)
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise AnnouncementError("Pengumuman sudah mulai dikirim dan tidak dapat dibatalkan.")
    session.expire(announcement)
    return announcement


# ---------------------------------------------------------------------------------------------
# sending (the worker)

def rate_per_minute(channel: str) -> int:
    """ANNOUNCEMENT_RATE_<CHANNEL> (messages per minute), else the default; at least 1."""
    raw = os.environ.get(f"ANNOUNCEMENT_RATE_{channel.upper()}", "").strip()
    try:
        value = int(raw) if raw else DEFAULT_RATES.get(channel, 60)
    except ValueError:
        value = DEFAULT_RATES.get(channel, 60)
    return max(1, value)


def due(session: Session, now: dt.datetime) -> list[Announcement]:
    rows = session.scalars(select(Announcement).where(Announcement.status == "scheduled")
                           .order_by(Announcement.scheduled_for, Announcement.id)).all()
    now_utc = clock.to_utc(now)
    return [a for a in rows if a.scheduled_for is not None and clock.to_utc(a.scheduled_for) <= now_utc]


def _queue_end(session: Session, channel: str) -> dt.datetime | None:
    """The latest pending announcement message on `channel`: a new announcement queues after it."""
    latest = session.scalar(select(func.max(OutboxMessage.not_before))
                            .join(AnnouncementDelivery, AnnouncementDelivery.outbox_message_id == OutboxMessage.id)
                            .where(AnnouncementDelivery.channel == channel, OutboxMessage.status == "pending"))
    return clock.to_utc(latest) if latest else None


def fan_out(session: Session, announcement_id: int, now: dt.datetime) -> int | None:
    """Claim a due announcement and write its outbox messages in the caller's transaction; None when
    another worker (or a cancel) got there first. Returns the number of recipients."""
    now_utc = clock.to_utc(now)
    claimed = session.execute(update(Announcement)
                              .where(Announcement.id == announcement_id, Announcement.status == "scheduled")
                              .values(status="sending", updated_at=now_utc)
                              .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        return None
    announcement = session.get(Announcement, announcement_id, populate_existing=True)
    assert announcement is not None
    # time is compared here, not in SQL (SQLite keeps no zone); rescheduled meanwhile: not due, give it back
    if announcement.scheduled_for is None or clock.to_utc(announcement.scheduled_for) > now_utc:
        announcement.status = "scheduled"
        session.flush()
        return None
    count = 0
    for channel in channels_of(announcement):
        interval = dt.timedelta(seconds=60 / rate_per_minute(channel))
        queue_end = _queue_end(session, channel)
        start = max(now_utc, queue_end + interval) if queue_end else now_utc
        for i, subscriber in enumerate(active_subscribers(session, [channel])):
            text = compose(announcement.title, announcement.body, channel, subscriber.language)
            message = enqueue(session, subscriber.sender_id, KIND, text, not_before=start + i * interval)
            session.flush()
            session.add(AnnouncementDelivery(announcement_id=announcement.id, subscription_id=subscriber.id,
                                             channel=channel, outbox_message_id=message.id))
            count += 1
    announcement.recipients = count
    if count == 0:
        announcement.status = "sent"
        announcement.sent_at = now_utc
    session.flush()
    return count


def finish_sent(session: Session, now: dt.datetime) -> int:
    """Announcements still "sending" whose deliveries all ended (sent, failed or cancelled) become "sent",
    and each delivery keeps its outcome for when the outbox row is purged."""
    finished = 0
    for announcement in session.scalars(select(Announcement).where(Announcement.status == "sending")):
        counts = delivery_counts(session, [announcement.id])[announcement.id]
        if counts["total"]["pending"] == 0:
            rows = session.execute(select(AnnouncementDelivery, OutboxMessage.status)
                                   .outerjoin(OutboxMessage, OutboxMessage.id == AnnouncementDelivery.outbox_message_id)
                                   .where(AnnouncementDelivery.announcement_id == announcement.id)).all()
            for delivery, status in rows:
                if delivery.cancelled_at is None:
                    delivery.outcome = _state(delivery, status)
            announcement.status = "sent"
            announcement.sent_at = clock.to_utc(now)
            finished += 1
    session.flush()
    return finished


# ---------------------------------------------------------------------------------------------
# what staff see

STATES = ("sent", "pending", "failed", "cancelled")


def _state(delivery: AnnouncementDelivery, outbox_status: str | None) -> str:
    if delivery.cancelled_at is not None:
        return "cancelled"
    if delivery.outbox_message_id is None:
        # purged (retention) or erased on the citizen's request (only delivered messages are erased)
        return delivery.outcome or "sent"
    if outbox_status == "sent":
        return "sent"
    if outbox_status == "failed":
        return "failed"
    return "pending"


def delivery_counts(session: Session, announcement_ids: list[int]) -> dict[int, dict[str, dict[str, int]]]:
    """Per announcement: {"total": {sent, pending, failed, cancelled}, "<channel>": {...}}."""
    result: dict[int, dict[str, dict[str, int]]] = {
        a: {"total": dict.fromkeys(STATES, 0)} for a in announcement_ids}
    if not announcement_ids:
        return result
    rows = session.execute(select(AnnouncementDelivery, OutboxMessage.status)
                           .outerjoin(OutboxMessage, OutboxMessage.id == AnnouncementDelivery.outbox_message_id)
                           .where(AnnouncementDelivery.announcement_id.in_(announcement_ids))).all()
    for delivery, status in rows:
        state = _state(delivery, status)
        per = result[delivery.announcement_id]
        per["total"][state] += 1
        per.setdefault(delivery.channel, dict.fromkeys(STATES, 0))[state] += 1
    return result


@dataclass(frozen=True)
class FailedDelivery:
    outbox_id: int
    channel: str
    recipient: str  # masked
    attempts: int
    error: str  # masked


def failed_deliveries(session: Session, announcement_id: int, limit: int = 100) -> list[FailedDelivery]:
    rows = session.execute(select(AnnouncementDelivery, OutboxMessage)
                           .join(OutboxMessage, OutboxMessage.id == AnnouncementDelivery.outbox_message_id)
                           .where(AnnouncementDelivery.announcement_id == announcement_id,
                                  AnnouncementDelivery.cancelled_at.is_(None), OutboxMessage.status == "failed")
                           .order_by(AnnouncementDelivery.id).limit(limit)).all()
    return [FailedDelivery(m.id, d.channel, mask_personal_data(m.sender_id), m.attempts,
                           mask_personal_data(m.last_error or "")) for d, m in rows]


def recent(session: Session, limit: int = 100) -> list[Announcement]:
    return list(session.scalars(select(Announcement).order_by(Announcement.id.desc()).limit(limit)))
