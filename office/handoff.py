"""Live hand-off to an officer: the queue, the officer's chat and its end (hand-back or time-out).

During office hours a citizen who asks for an officer enters the queue; an officer takes the
session in the back-office and chats. The bot stays silent in that conversation (the citizen's
messages are stored here for the officer) until the officer hands it back or nobody writes for
HANDOFF_TIMEOUT_MINUTES; then the citizen is told, through the outbox, that the assistant is back.
Officer messages travel like every office-initiated message: outbox -> worker -> Rasa.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from office import audit, clock, outbox
from office.db import Base

WAITING, ACTIVE, CLOSED = "menunggu", "aktif", "selesai"
OPEN_STATES = (WAITING, ACTIVE)
END_KIND = "handoff_end"
MESSAGE_KIND = "handoff_message"
MAX_TEXT = 4000


def timeout_minutes() -> int:
    """Minutes without any message before a waiting or active session closes (default 15)."""
    try:
        return max(1, int(os.environ.get("HANDOFF_TIMEOUT_MINUTES", "15")))
    except ValueError:
        return 15


class HandoffError(ValueError):
    """A request the rules refuse; the message is shown to staff (Indonesian)."""


class LiveSession(Base):
    __tablename__ = "handoff_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)  # menunggu | aktif | selesai
    officer: Mapped[str | None] = mapped_column(String(32), nullable=True)
    language: Mapped[str] = mapped_column(String(2), default="id")
    close_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)  # returned | timeout | citizen
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_activity_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    messages: Mapped[list["LiveMessage"]] = relationship(back_populates="session", cascade="all, delete-orphan",
                                                         order_by="LiveMessage.id")


class LiveMessage(Base):
    __tablename__ = "handoff_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("handoff_session.id", ondelete="CASCADE"), index=True)
    author_kind: Mapped[str] = mapped_column(String(10))  # citizen | officer | system
    author: Mapped[str | None] = mapped_column(String(32), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    session: Mapped[LiveSession] = relationship(back_populates="messages")


def _now(now: dt.datetime | None) -> dt.datetime:
    return clock.to_utc(now or clock.now())


def open_session_for(session: Session, sender_id: str) -> LiveSession | None:
    return session.scalar(select(LiveSession).where(LiveSession.sender_id == sender_id,
                                                    LiveSession.status.in_(OPEN_STATES))
                          .order_by(LiveSession.id.desc()))


def request_officer(session: Session, sender_id: str, language: str = "id",
                    now: dt.datetime | None = None) -> LiveSession:
    """Put the conversation in the queue (or return the session already open)."""
    existing = open_session_for(session, sender_id)
    if existing is not None:
        return existing
    now = _now(now)
    live = LiveSession(sender_id=sender_id, status=WAITING, language="en" if language == "en" else "id",
                       created_at=now, last_activity_at=now)
    session.add(live)
    session.flush()
    audit.record(session, "sistem", "handoff_requested", target=f"live-{live.id}", now=now)
    return live


def queue_position(session: Session, live: LiveSession) -> int:
    """1 for the first waiting conversation."""
    waiting = session.scalars(select(LiveSession.id).where(LiveSession.status == WAITING)
                              .order_by(LiveSession.id)).all()
    return waiting.index(live.id) + 1 if live.id in waiting else 0


def citizen_message(session: Session, sender_id: str, text: str, now: dt.datetime | None = None) -> LiveSession | None:
    """Store what the citizen wrote for the officer; None when no session is open any more."""
    live = open_session_for(session, sender_id)
    if live is None:
        return None
    now = _now(now)
    live.messages.append(LiveMessage(author_kind="citizen", text=(text or "").strip()[:MAX_TEXT] or "(lampiran)",
                                     created_at=now))
    live.last_activity_at = now
    session.flush()
    return live


def take(session: Session, live: LiveSession, officer: str, now: dt.datetime | None = None) -> None:
    if live.status == CLOSED:
        raise HandoffError("Percakapan ini sudah selesai.")
    if live.status == ACTIVE and live.officer != officer:
        raise HandoffError(f"Percakapan ini sudah ditangani {live.officer}.")
    now = _now(now)
    live.status, live.officer, live.taken_at, live.last_activity_at = ACTIVE, officer, now, now
    text = (f"Officer {officer} has joined the conversation." if live.language == "en"
            else f"Petugas {officer} telah bergabung. Silakan sampaikan keperluan Bapak/Ibu.")
    live.messages.append(LiveMessage(author_kind="system", author=officer, text=text, created_at=now))
    outbox.enqueue(session, live.sender_id, MESSAGE_KIND, text, payload={"handoff": "taken"})
    session.flush()
    audit.record(session, officer, "handoff_taken", target=f"live-{live.id}", now=now)


def officer_message(session: Session, live: LiveSession, officer: str, text: str,
                    now: dt.datetime | None = None) -> LiveMessage:
    text = (text or "").strip()[:MAX_TEXT]
    if not text:
        raise HandoffError("Pesan tidak boleh kosong.")
    if live.status != ACTIVE or live.officer != officer:
        raise HandoffError("Ambil percakapan ini terlebih dahulu.")
    now = _now(now)
    message = LiveMessage(author_kind="officer", author=officer, text=text, created_at=now)
    live.messages.append(message)
    live.last_activity_at = now
    outbox.enqueue(session, live.sender_id, MESSAGE_KIND, text, payload={"handoff": "message"})
    session.flush()
    return message


def _close(session: Session, live: LiveSession, reason: str, actor: str, now: dt.datetime, notify: bool) -> None:
    live.status, live.close_reason, live.closed_at = CLOSED, reason, now
    if notify:
        if reason == "timeout":
            text = ("The session with our officer has ended because no one wrote for a while. The virtual assistant "
                    "is back: how can I help?" if live.language == "en" else
                    "Sesi dengan petugas berakhir karena tidak ada pesan dalam beberapa waktu. Asisten virtual kembali "
                    "melayani Bapak/Ibu: ada yang bisa kami bantu?")
        else:
            text = ("The officer has handed the conversation back to the virtual assistant. Thank you!"
                    if live.language == "en" else
                    "Petugas telah mengakhiri percakapan; asisten virtual kembali melayani Bapak/Ibu. Terima kasih.")
        live.messages.append(LiveMessage(author_kind="system", author=actor, text=text, created_at=now))
        outbox.enqueue(session, live.sender_id, END_KIND, text, payload={"handoff": "ended"})
    session.flush()
    audit.record(session, actor, "handoff_closed", target=f"live-{live.id}", detail={"reason": reason}, now=now)


def hand_back(session: Session, live: LiveSession, officer: str, now: dt.datetime | None = None) -> None:
    if live.status == CLOSED:
        raise HandoffError("Percakapan ini sudah selesai.")
    _close(session, live, "returned", officer, _now(now), notify=True)


def citizen_ends(session: Session, sender_id: str, now: dt.datetime | None = None) -> bool:
    live = open_session_for(session, sender_id)
    if live is None:
        return False
    _close(session, live, "citizen", "warga", _now(now), notify=False)
    return True


def expire_idle(session: Session, now: dt.datetime | None = None) -> list[LiveSession]:
    """Close sessions idle longer than the time-out and tell the citizen (worker job)."""
    now = _now(now)
    limit = dt.timedelta(minutes=timeout_minutes())
    expired = []
    for live in session.scalars(select(LiveSession).where(LiveSession.status.in_(OPEN_STATES))):
        if now - clock.to_utc(live.last_activity_at) > limit:
            # Several workers run this: only the one whose UPDATE still finds the session open closes it
            # and tells the citizen (PostgreSQL re-checks the row after a concurrent commit).
            taken = session.execute(update(LiveSession).where(LiveSession.id == live.id,
                                                              LiveSession.status.in_(OPEN_STATES))
                                    .values(status=CLOSED).execution_options(synchronize_session=False))
            if taken.rowcount != 1:
                continue
            _close(session, live, "timeout", "sistem", now, notify=True)
            expired.append(live)
    return expired


def live_queue(session: Session) -> list[LiveSession]:
    return list(session.scalars(select(LiveSession).where(LiveSession.status.in_(OPEN_STATES))
                                .order_by(LiveSession.id)))


def sessions_of(session: Session, sender_id: str) -> list[LiveSession]:
    """Every live chat of this conversation, newest first (the citizen's copy of their data)."""
    if not sender_id:
        return []
    return list(session.scalars(select(LiveSession).where(LiveSession.sender_id == sender_id)
                                .order_by(LiveSession.id.desc())))


def forget_sender(session: Session, sender_id: str, now: dt.datetime | None = None) -> int:
    """Erasure ("hapus data saya"): an open chat is closed (the officer sees it end), every message of the
    citizen's chats is deleted, and each session keeps only a random id under the same channel, so the hand-off
    figures of past days stay right while nothing links them to the citizen. Returns the sessions erased."""
    now = _now(now)
    lives = sessions_of(session, sender_id)
    channel = sender_id.split(":", 1)[0] if ":" in sender_id else "rest"
    for live in lives:
        if live.status in OPEN_STATES:
            live.status, live.close_reason, live.closed_at = CLOSED, "citizen", now
        live.messages.clear()  # delete-orphan: the rows go
        live.sender_id = f"{channel}:dihapus-{secrets.token_hex(8)}"
    session.flush()
    return len(lives)
