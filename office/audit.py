"""Audit trail: who did what in the back-office, when, from where.

Why: an office handling citizens' complaints and personal data must be able to answer "who changed
this account / who signed in" (UU 27/2022 accountability). Entries are append-only; secrets never
enter them: any detail key that looks like a password or token is dropped by `record`.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from office.db import Base

_SECRET_WORDS = ("password", "passwd", "sandi", "token", "secret", "hash", "csrf")
MAX_ACTOR = 64
MAX_ACTION = 64
MAX_TARGET = 200


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class AuditEntry(Base):
    """One staff action (naive UTC time)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(MAX_ACTOR), index=True)
    action: Mapped[str] = mapped_column(String(MAX_ACTION), index=True)
    target: Mapped[str | None] = mapped_column(String(MAX_TARGET), nullable=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)


def _scrub(value: Any) -> Any:
    """Drop secret-looking keys at any depth; keep everything else staff need to read."""
    if isinstance(value, dict):
        return {
            str(k): _scrub(v)
            for k, v in value.items()
            if not any(word in str(k).lower() for word in _SECRET_WORDS)
        }
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def record(
    db: Session,
    actor: str,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Append an entry. `actor` is a username (or "sistem"/"cli"); `action` a short code such as
    `login_ok`, `user_created`; `detail` a JSON-able dict (secrets are removed)."""
    if now is not None and now.tzinfo is not None:
        now = now.astimezone(timezone.utc).replace(tzinfo=None)
    entry = AuditEntry(
        at=now or _utcnow(),
        actor=(actor or "-")[:MAX_ACTOR],
        action=(action or "-")[:MAX_ACTION],
        target=target[:MAX_TARGET] if target else None,
        detail=_scrub(detail) if detail else None,
        ip=ip[:64] if ip else None,
    )
    db.add(entry)
    db.flush()
    return entry


def recent(
    db: Session,
    limit: int = 100,
    actor: str | None = None,
    action: str | None = None,
) -> list[AuditEntry]:
    """Newest entries first, optionally only one actor (case-insensitive) and/or one action."""
    query = select(AuditEntry)
    if actor:
        query = query.where(func.lower(AuditEntry.actor) == actor.strip().lower()[:MAX_ACTOR])
    if action:
        query = query.where(AuditEntry.action == action.strip()[:MAX_ACTION])
    limit = max(1, min(int(limit), 1000))
    return list(db.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))


def known_actions(db: Session) -> list[str]:
    """Distinct action codes present, for a filter list."""
    return sorted(a for a in db.scalars(select(AuditEntry.action).distinct()) if a)
