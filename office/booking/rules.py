"""Small rules every booking path shares: phone numbers, booking codes, atomic counters, write locks."""
from __future__ import annotations

import re
import secrets

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from office.booking.models import BookingCounter

# Read aloud over the phone without confusion: no 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
_CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


class PhoneError(ValueError):
    """The text is not an Indonesian mobile number."""


def normalise_phone(text: str) -> str:
    """An Indonesian mobile number as +628...; accepts 08.., 628.., +62 8.., with spaces, dots, dashes.

    Mobile numbers start with 8 after the country code and have 9 to 12 digits after it; landlines
    (+62 21 ...) cannot receive WhatsApp reminders reliably, so they are refused with a clear reason."""
    raw = (text or "").strip()
    if raw.startswith("whatsapp:"):
        raw = raw[len("whatsapp:"):]
    compact = re.sub(r"[\s.\-()/]", "", raw)
    if not re.fullmatch(r"\+?\d+", compact):
        raise PhoneError("not_a_number")
    digits = compact.lstrip("+")
    if digits.startswith("62"):
        rest = digits[2:]
    elif digits.startswith("0"):
        rest = digits[1:]
    elif digits.startswith("8"):
        rest = digits
    else:
        raise PhoneError("not_indonesian")
    if rest.startswith("0"):
        rest = rest[1:]  # "+62 0812..." is a common slip
    if not rest.startswith("8"):
        raise PhoneError("not_mobile")
    if not 9 <= len(rest) <= 12:
        raise PhoneError("wrong_length")
    return "+62" + rest


def phone_from_sender(sender_id: str) -> str | None:
    """The phone number a WhatsApp sender id carries ("whatsapp:+62812..."), else None."""
    if not sender_id or not sender_id.startswith("whatsapp:"):
        return None
    try:
        return normalise_phone(sender_id)
    except PhoneError:
        return None


def mask_phone(phone: str) -> str:
    """+62812****5678: staff lists and logs never need the full number."""
    if len(phone) < 8:
        return "****"
    return phone[:6] + "*" * (len(phone) - 10) + phone[-4:]


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def clean_code(text: str) -> str | None:
    """A booking code from what a citizen typed ("abc 234", "ABC-234"), or None when it cannot be one.
    Lookalikes are mapped (O->0 is not in the alphabet, so O and 0 are refused rather than guessed)."""
    compact = re.sub(r"[\s\-]", "", (text or "").upper())
    return compact if _CODE_RE.match(compact) else None


def code_from_scan(text: str) -> str | None:
    """The code a kiosk QR scanner typed: the code itself, or a URL whose last path part (or last
    query value) is the code, e.g. https://kantor.example/booking/ABC234 or ...?kode=ABC234."""
    last = re.split(r"[/=]", (text or "").strip().rstrip("/"))[-1]
    return clean_code(last)


# Six-letter words that happen to use only code characters; never read them as a code.
_NOT_CODES = frozenset({"berapa", "status", "change", "dengan", "segera", "tempat", "sampah", "supaya", "karena",
                        "bertanya", "jumpa", "agenda", "semua", "bersama", "tanpa", "sebentar", "server"})


def find_code(text: str) -> str | None:
    """The code in a message ("cek booking ABC234", "batal booking kmnpqr"): tokens with a digit or
    typed in capitals first, then any other six-character token that is not a common word."""
    tokens = re.findall(r"(?<![A-Za-z0-9])[A-Za-z0-9]{6}(?![A-Za-z0-9])", text or "")
    for token in tokens:
        if any(c.isdigit() for c in token) or token.isupper():
            code = clean_code(token)
            if code:
                return code
    for token in tokens:
        if token.lower() not in _NOT_CODES:
            code = clean_code(token)
            if code:
                return code
    return None


def lock_for_write(session: Session) -> None:
    """On SQLite, take the database write lock now (BEGIN IMMEDIATE) so a read-then-write
    transaction cannot fail with 'database is locked' halfway; PostgreSQL locks rows itself."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    dbapi = conn.connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _ensure_counter(session: Session, key: str) -> None:
    if session.get(BookingCounter, key) is not None:
        return
    try:
        with session.begin_nested():
            session.execute(insert(BookingCounter).values(key=key, value=0))
    except IntegrityError:
        pass  # created by a concurrent transaction: fine, it exists now


def take(session: Session, key: str, limit: int | None) -> int | None:
    """Increment counter `key` if it is below `limit` (None: no limit); the new value, or None when full.
    A single conditional UPDATE: the database serialises it, so the limit holds under concurrency."""
    _ensure_counter(session, key)
    stmt = update(BookingCounter).where(BookingCounter.key == key)
    if limit is not None:
        stmt = stmt.where(BookingCounter.value < limit)
    stmt = stmt.values(value=BookingCounter.value + 1).returning(BookingCounter.value)
    row = session.execute(stmt, execution_options={"synchronize_session": False}).first()
    return None if row is None else int(row[0])


def give_back(session: Session, key: str) -> None:
    """Release one place (cancel, reschedule)."""
    session.execute(update(BookingCounter).where(BookingCounter.key == key, BookingCounter.value > 0)
                    .values(value=BookingCounter.value - 1), execution_options={"synchronize_session": False})


def counter_value(session: Session, key: str) -> int:
    value = session.scalar(select(BookingCounter.value).where(BookingCounter.key == key))
    return int(value or 0)


def counter_values(session: Session, prefix: str) -> dict[str, int]:
    rows = session.execute(select(BookingCounter.key, BookingCounter.value)
                           .where(BookingCounter.key.like(prefix + "%"))).all()
    return {k: int(v) for k, v in rows}
