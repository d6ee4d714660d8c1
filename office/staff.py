"""Staff accounts and sign-in sessions of the back-office (domain rules, no HTTP).

Why here and not in backoffice/: the worker, the CLI and tests need the same rules (lockout, password
policy, "never leave the office without an administrator") without importing a web framework.

Times are stored as naive UTC datetimes (SQLite keeps no time zone); every function accepts `now`
so tests can travel in time without sleeping.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from office.db import Base
from office.settings import get_settings

# --------------------------------------------------------------------------------------------
# Roles
# --------------------------------------------------------------------------------------------
ADMIN = "admin"
SUPERVISOR = "supervisor"
OFFICER = "officer"
COUNTER = "counter"
EDITOR = "editor"
ROLES: tuple[str, ...] = (ADMIN, SUPERVISOR, OFFICER, COUNTER, EDITOR)

#: Indonesian names shown to staff.
ROLE_LABELS: dict[str, str] = {
    ADMIN: "Administrator",
    SUPERVISOR: "Kepala Kantor / Supervisor",
    OFFICER: "Petugas Pengaduan",
    COUNTER: "Petugas Loket",
    EDITOR: "Editor Basis Pengetahuan",
}

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256  # argon2 would hash more, but a megabyte "password" is an attack, not a secret
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
MAX_FULL_NAME = 120
MAX_UNIT = 80


# --------------------------------------------------------------------------------------------
# Errors (messages are shown to staff as they are, hence Indonesian)
# --------------------------------------------------------------------------------------------
class StaffError(ValueError):
    """A request the rules refuse; `str(error)` is a message for staff, in Indonesian."""


class InvalidCredentials(StaffError):
    """Unknown user or wrong password (deliberately the same message for both)."""

    def __init__(self) -> None:
        super().__init__("Nama pengguna atau kata sandi salah.")


class AccountLocked(StaffError):
    """Too many wrong passwords; the account opens again by itself after `minutes`."""

    def __init__(self, minutes: int) -> None:
        self.minutes = max(1, minutes)
        super().__init__(
            f"Akun dikunci sementara karena terlalu banyak percobaan masuk yang gagal. "
            f"Silakan coba lagi dalam {self.minutes} menit."
        )


class AccountInactive(StaffError):
    """Password right, but an administrator has deactivated the account."""

    def __init__(self) -> None:
        super().__init__("Akun ini sudah dinonaktifkan. Hubungi administrator kantor.")


class WeakPassword(StaffError):
    """The new password breaks the password policy."""


class LastAdminError(StaffError):
    """The change would leave the office without an active administrator."""

    def __init__(self) -> None:
        super().__init__("Perubahan ditolak: harus tetap ada minimal satu administrator aktif.")


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------
def _utcnow() -> datetime:
    """Naive UTC now (module-level so tests can monkeypatch the clock)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def utcnow() -> datetime:
    """The clock the account rules use (naive UTC), for callers comparing against stored times."""
    return _utcnow()


def _naive_utc(value: datetime | None) -> datetime:
    """Normalise an optional `now` to naive UTC, the form stored in the database."""
    if value is None:
        return _utcnow()
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


class StaffUser(Base):
    """A person who signs in to the back-office."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    full_name: Mapped[str] = mapped_column(String(MAX_FULL_NAME))
    role: Mapped[str] = mapped_column(String(16), index=True)
    unit: Mapped[str | None] = mapped_column(String(MAX_UNIT), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    sessions: Mapped[list["StaffSession"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def role_label(self) -> str:
        """The role in words staff understand."""
        return ROLE_LABELS.get(self.role, self.role)

    def __repr__(self) -> str:  # never include the hash
        return f"StaffUser(id={self.id!r}, username={self.username!r}, role={self.role!r})"


class StaffSession(Base):
    """A signed-in browser. Only a SHA-256 of the cookie token is stored, so a database leak
    does not hand out live sessions."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)

    user: Mapped[StaffUser] = relationship(back_populates="sessions", lazy="joined")


# --------------------------------------------------------------------------------------------
# Password hashing
# --------------------------------------------------------------------------------------------
_hasher = PasswordHasher()
_dummy: tuple[PasswordHasher, str] | None = None


def _dummy_hash() -> str:
    """A hash made with the current hasher, verified for unknown users so that a wrong
    username costs as much time as a wrong password (no user enumeration by timing)."""
    global _dummy
    if _dummy is None or _dummy[0] is not _hasher:
        _dummy = (_hasher, _hasher.hash(secrets.token_urlsafe(16)))
    return _dummy[1]


def hash_password(password: str) -> str:
    """Argon2id hash of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches; never raises for a corrupt hash (treated as a mismatch)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def generate_one_time_password() -> str:
    """A readable random password (no 0/O/1/l) for an administrator to hand over once."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4)]
    return "-".join(groups)


def password_problem(username: str, password: str) -> str | None:
    """Why `password` is not acceptable for `username`, in Indonesian, or None when it is fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Kata sandi maksimal {MAX_PASSWORD_LENGTH} karakter."
    if password.strip().lower() == username.strip().lower():
        return "Kata sandi tidak boleh sama dengan nama pengguna."
    return None


# --------------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CreatedUser:
    """A new account and, when the caller gave no password, the one-time password to hand over."""

    user: StaffUser
    one_time_password: str | None


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: stored and looked up in lower case."""
    return (username or "").strip().lower()


def _check_role_unit(role: str, unit: str | None) -> str | None:
    if role not in ROLES:
        raise StaffError("Peran tidak dikenal.")
    unit = (unit or "").strip() or None
    if unit is not None and len(unit) > MAX_UNIT:
        raise StaffError(f"Nama unit maksimal {MAX_UNIT} karakter.")
    if role == OFFICER and unit is None:
        raise StaffError("Petugas pengaduan harus memiliki unit kerja.")
    return unit


def get_user(db: Session, user_id: int) -> StaffUser | None:
    """The account with id `user_id`, or None."""
    return db.get(StaffUser, user_id)


def get_user_by_username(db: Session, username: str) -> StaffUser | None:
    """The account named `username` (case-insensitive), or None."""
    name = normalise_username(username)
    if not name:
        return None
    return db.scalar(select(StaffUser).where(StaffUser.username == name))


def list_users(db: Session) -> list[StaffUser]:
    """Every account, active first, then by username."""
    return list(
        db.scalars(select(StaffUser).order_by(StaffUser.is_active.desc(), StaffUser.username))
    )


def list_units(db: Session) -> list[str]:
    """Units already in use, to suggest them when creating officers."""
    rows = db.scalars(select(StaffUser.unit).where(StaffUser.unit.is_not(None)).distinct())
    return sorted({u for u in rows if u})


def create_user(
    db: Session,
    username: str,
    full_name: str,
    role: str,
    unit: str | None = None,
    password: str | None = None,
    now: datetime | None = None,
) -> CreatedUser:
    """Create an account. Without `password` a one-time password is generated and returned;
    either way the person must choose their own password at first sign-in, because the
    administrator knew the first one."""
    name = normalise_username(username)
    if not USERNAME_RE.match(name):
        raise StaffError(
            "Nama pengguna 3-32 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung."
        )
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise StaffError("Nama lengkap wajib diisi.")
    if len(full_name) > MAX_FULL_NAME:
        raise StaffError(f"Nama lengkap maksimal {MAX_FULL_NAME} karakter.")
    unit = _check_role_unit(role, unit)
    if get_user_by_username(db, name) is not None:
        raise StaffError(f"Nama pengguna '{name}' sudah dipakai.")
    one_time: str | None = None
    if password is None:
        one_time = password = generate_one_time_password()
    else:
        problem = password_problem(name, password)
        if problem:
            raise WeakPassword(problem)
    user = StaffUser(
        username=name,
        full_name=full_name,
        role=role,
        unit=unit,
        password_hash=hash_password(password),
        is_active=True,
        failed_logins=0,
        must_change_password=True,
        created_at=_naive_utc(now),
    )
    db.add(user)
    db.flush()
    return CreatedUser(user=user, one_time_password=one_time)


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, int((until - now).total_seconds() + 59) // 60)


def authenticate(
    db: Session, username: str, password: str, now: datetime | None = None
) -> StaffUser:
    """Check a sign-in. Returns the user or raises InvalidCredentials / AccountLocked /
    AccountInactive. After `max_login_failures` wrong passwords in a row the account is locked
    for `lockout_minutes` (settings) to stop password guessing; unknown users cost the same time."""
    settings = get_settings()
    now = _naive_utc(now)
    password = password or ""
    if len(password) > MAX_PASSWORD_LENGTH:
        password = password[:MAX_PASSWORD_LENGTH + 1]  # cannot match; keep hashing cost bounded
    user = get_user_by_username(db, username)
    if user is None:
        verify_password(_dummy_hash(), password)
        raise InvalidCredentials()
    if user.locked_until is not None and user.locked_until > now:
        verify_password(_dummy_hash(), password)
        raise AccountLocked(_minutes_left(user.locked_until, now))
    if not verify_password(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= max(1, settings.max_login_failures):
            user.failed_logins = 0
            user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
            db.flush()
            raise AccountLocked(settings.lockout_minutes)
        db.flush()
        raise InvalidCredentials()
    if not user.is_active:
        raise AccountInactive()
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.flush()
    return user


def change_password(
    db: Session,
    user: StaffUser,
    current_password: str,
    new_password: str,
    keep_session_id: int | None = None,
) -> None:
    """Change one's own password after proving the current one; ends the user's other sessions
    (a stolen session should not survive the owner changing the password)."""
    if not verify_password(user.password_hash, current_password or ""):
        raise StaffError("Kata sandi saat ini salah.")
    problem = password_problem(user.username, new_password or "")
    if problem:
        raise WeakPassword(problem)
    if verify_password(user.password_hash, new_password):
        raise WeakPassword("Kata sandi baru harus berbeda dari kata sandi saat ini.")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    end_user_sessions(db, user.id, except_session_id=keep_session_id)
    db.flush()


def reset_password(db: Session, user: StaffUser) -> str:
    """Give the user a new one-time password (returned once, never stored in clear), unlock the
    account and sign out all their browsers."""
    one_time = generate_one_time_password()
    user.password_hash = hash_password(one_time)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    end_user_sessions(db, user.id)
    db.flush()
    return one_time


def _active_admins(db: Session) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(StaffUser)
            .where(StaffUser.role == ADMIN, StaffUser.is_active.is_(True))
        )
        or 0
    )


def set_role(db: Session, user: StaffUser, role: str, unit: str | None = None) -> None:
    """Change role and unit; refuses to demote the last active administrator."""
    unit = _check_role_unit(role, unit)
    if user.role == ADMIN and role != ADMIN and user.is_active and _active_admins(db) <= 1:
        raise LastAdminError()
    user.role = role
    user.unit = unit
    db.flush()


def deactivate(db: Session, user: StaffUser) -> None:
    """Stop an account from signing in (kept for the audit trail, never deleted) and end its
    sessions; refuses to deactivate the last active administrator."""
    if user.role == ADMIN and user.is_active and _active_admins(db) <= 1:
        raise LastAdminError()
    user.is_active = False
    end_user_sessions(db, user.id)
    db.flush()


def activate(db: Session, user: StaffUser) -> None:
    """Let a deactivated account sign in again."""
    user.is_active = True
    user.failed_logins = 0
    user.locked_until = None
    db.flush()


# --------------------------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NewSession:
    """A started session; `token` goes into the cookie and exists nowhere else."""

    session: StaffSession
    token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(
    db: Session, user: StaffUser, ip: str | None = None, now: datetime | None = None
) -> NewSession:
    """Open a session for a user who just authenticated."""
    now = _naive_utc(now)
    token = secrets.token_urlsafe(32)
    session = StaffSession(
        token_hash=_token_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(minutes=get_settings().session_minutes),
        ip=(ip or None) and ip[:64],
    )
    db.add(session)
    db.flush()
    return NewSession(session=session, token=token)


def resolve_session(db: Session, token: str | None, now: datetime | None = None) -> StaffSession | None:
    """The live session for a cookie token, or None. Each use pushes the expiry
    `session_minutes` ahead (sliding), so an officer working all day is not thrown out, while an
    abandoned browser is. Expired sessions and those of deactivated users are deleted."""
    if not token or len(token) > 200:
        return None
    now = _naive_utc(now)
    digest = _token_hash(token)
    session = db.scalar(select(StaffSession).where(StaffSession.token_hash == digest))
    if session is None or not hmac.compare_digest(session.token_hash, digest):
        return None
    if session.expires_at <= now or not session.user.is_active:
        db.delete(session)
        db.flush()
        return None
    session.last_seen_at = now
    session.expires_at = now + timedelta(minutes=get_settings().session_minutes)
    db.flush()
    return session


def end_session(db: Session, token: str | None) -> StaffSession | None:
    """Sign out the browser holding `token`; returns the ended session (for the audit), if any."""
    if not token or len(token) > 200:
        return None
    session = db.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    if session is not None:
        db.delete(session)
        db.flush()
    return session


def end_user_sessions(db: Session, user_id: int, except_session_id: int | None = None) -> int:
    """Sign a user out everywhere (optionally except the current browser); returns how many."""
    sessions = db.scalars(select(StaffSession).where(StaffSession.user_id == user_id)).all()
    count = 0
    for s in sessions:
        if except_session_id is not None and s.id == except_session_id:
            continue
        db.delete(s)
        count += 1
    db.flush()
    return count


def purge_expired_sessions(db: Session, now: datetime | None = None) -> int:
    """Delete expired sessions (the worker may call it; resolve_session also cleans lazily)."""
    now = _naive_utc(now)
    sessions = db.scalars(select(StaffSession).where(StaffSession.expires_at <= now)).all()
    for s in sessions:
        db.delete(s)
    db.flush()
    return len(sessions)
