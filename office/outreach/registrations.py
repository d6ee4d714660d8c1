"""Registering a person or a group for a mobile service day or an information session.

A group leader sends one line per member, "Nama, tanggal lahir"; `parse_members` reads them and says
which line is wrong and why. `register` writes nothing unless everything holds: the event is open, the
list has no duplicate, nobody is already registered for that event, every birth date is plausible, and
the places are there. Places are taken with one conditional UPDATE (seats_taken + n <= quota), so
concurrent registrations can never both take the last places (SQLite and PostgreSQL alike); over the
quota the answer says how many places are left. Only names and dates of birth are kept: the least
personal data the day needs (documents are checked on the day, never sent in chat).
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from office import clock
from office.booking.bookings import clean_name
from office.booking.rules import CODE_ALPHABET, lock_for_write
from office.dates import parse_date
from office.outreach.event_models import EventRegistration, OutreachEvent, RegistrationMember
from office.outreach.places import fold
from office.outreach.schedule import places_left

MAX_GROUP = 50          # members in one registration; larger groups ask for a visit of their own
MAX_LIST_LINES = 60     # lines read from one message; more is refused before parsing
MAX_LIST_CHARS = 6000
MAX_AGE_YEARS = 120
CODE_PREFIX = "JB"

# Reasons a registration is refused.
NOT_FOUND = "not_found"
CLOSED = "closed"             # cancelled, or closed by staff
PAST = "past"                 # the event's day is over
FULL = "full"                 # not enough places left (`places_left` says how many)
DUPLICATE = "duplicate"       # the same person twice in the list
ALREADY = "already"           # already registered for this event
BAD_BIRTH_DATE = "bad_birth_date"
BAD_NAME = "bad_name"
EMPTY = "empty"
TOO_MANY = "too_many"
NOT_YOURS = "not_yours"
NOT_ACTIVE = "not_active"

# Reasons a member line is not understood (parse_members).
LINE_FORMAT = "format"            # no date found after the name
LINE_NAME = "name"                # the name is not a name (digits, too short or long)
LINE_DATE = "date"                # the date could not be read
LINE_DATE_INVALID = "date_invalid"  # a date that does not exist ("31-02-1990")
LINE_YEAR = "year"                # no four-digit year
LINE_FUTURE = "future"            # born after today
LINE_TOO_OLD = "too_old"          # more than MAX_AGE_YEARS ago
LINE_ID_NUMBER = "id_number"      # a NIK or other long number: never asked, never kept
LINE_DUPLICATE = "duplicate"      # the same person as an earlier line
LIST_TOO_LONG = "too_long"        # more lines than MAX_GROUP


@dataclass(frozen=True)
class LineProblem:
    line_no: int        # 1-based, counting the lines as the citizen wrote them
    line: str
    reason: str
    detail: str = ""    # e.g. the earlier line number of a duplicate


@dataclass
class RegistrationResult:
    ok: bool
    reason: str | None = None
    registration: EventRegistration | None = None
    event: OutreachEvent | None = None
    places_left: int = 0
    names: list[str] = field(default_factory=list)  # the members a DUPLICATE / ALREADY / BAD_BIRTH_DATE is about


def name_key(name: str) -> str:
    """A name folded for comparison: case, accents, spaces and punctuation do not make another person."""
    return fold(name)[:120]


def birth_date_problem(birth: dt.date, today: dt.date) -> str | None:
    if birth > today:
        return LINE_FUTURE
    if birth < dt.date(today.year - MAX_AGE_YEARS, today.month, min(today.day, 28)):
        return LINE_TOO_OLD
    return None


_BULLET = re.compile(r"^\s*(?:\d{1,3}\s*[.)]\s+|[-*\u2022]\s*)")
_LONG_NUMBER = re.compile(r"\d{10,}")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


def _split_line(line: str) -> tuple[str, str] | None:
    """"Siti Aminah, 12-05-1990" -> ("Siti Aminah", "12-05-1990"); also ";", tab, " - ", or the first digit."""
    for sep in (",", ";", "\t", " - ", " / ", ":"):
        if sep in line:
            name, rest = line.split(sep, 1)
            return name.strip(), rest.strip()
    digit = re.search(r"\d", line)
    if digit:
        return line[:digit.start()].strip(), line[digit.start():].strip()
    return None


def parse_members(text: str, today: dt.date | None = None) -> tuple[list[tuple[str, dt.date]], list[LineProblem]]:
    """Read "Nama, tanggal lahir" lines ("Siti Aminah, 12-05-1990", "Budi, 3 Maret 2001").

    Returns the members read and the problems, one per wrong line (its number, the line, the reason),
    so the citizen can fix exactly those lines. Blank lines and list bullets ("1.", "-") are ignored.
    A list longer than MAX_GROUP is refused as a whole (LIST_TOO_LONG) without reading it."""
    today = today or clock.today()
    raw_lines = (text or "")[:MAX_LIST_CHARS + 1].splitlines()
    numbered = [(i, line.strip()) for i, line in enumerate(raw_lines, start=1) if line.strip()]
    if len(numbered) > MAX_GROUP or len(text or "") > MAX_LIST_CHARS:
        return [], [LineProblem(0, "", LIST_TOO_LONG, str(len(numbered)))]
    members: list[tuple[str, dt.date]] = []
    problems: list[LineProblem] = []
    seen: dict[tuple[str, dt.date], int] = {}
    for line_no, line in numbered:
        body = _BULLET.sub("", line).strip()
        if _LONG_NUMBER.search(body):
            problems.append(LineProblem(line_no, line, LINE_ID_NUMBER))
            continue
        parts = _split_line(body)
        if parts is None or not parts[1]:
            problems.append(LineProblem(line_no, line, LINE_FORMAT))
            continue
        name_text, date_text = parts
        name = clean_name(name_text.strip(" .,"))
        if name is None:
            problems.append(LineProblem(line_no, line, LINE_NAME))
            continue
        if not _YEAR.search(date_text):
            problems.append(LineProblem(line_no, line, LINE_YEAR))
            continue
        parsed = parse_date(date_text, today)
        if parsed.reason == "invalid":
            problems.append(LineProblem(line_no, line, LINE_DATE_INVALID))
            continue
        if parsed.date is None or not _YEAR.search(parsed.matched or ""):  # "kemarin dulu 2001" is not a date
            problems.append(LineProblem(line_no, line, LINE_DATE))
            continue
        problem = birth_date_problem(parsed.date, today)
        if problem:
            problems.append(LineProblem(line_no, line, problem))
            continue
        key = (name_key(name), parsed.date)
        if key in seen:
            problems.append(LineProblem(line_no, line, LINE_DUPLICATE, str(seen[key])))
            continue
        seen[key] = line_no
        members.append((name, parsed.date))
    return members, problems


def new_code(prefix: str = CODE_PREFIX) -> str:
    """"JB-4K7Q2": five characters without lookalikes (no 0/O, 1/I/L)."""
    return f"{prefix}-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(5))


def find_registration(session: Session, code: str) -> EventRegistration | None:
    cleaned = re.sub(r"[\s]", "", (code or "").upper())
    if re.fullmatch(rf"{CODE_PREFIX}[{CODE_ALPHABET}]{{5}}", cleaned):
        cleaned = f"{CODE_PREFIX}-{cleaned[2:]}"
    return session.scalar(select(EventRegistration).where(EventRegistration.code == cleaned))


def find_code(text: str) -> str | None:
    """A registration code in a message ("batal pendaftaran JB-4K7Q2", "jb 4k7q2")."""
    match = re.search(rf"\b{CODE_PREFIX}[\s-]?([{CODE_ALPHABET}]{{5}})\b", (text or "").upper())
    return f"{CODE_PREFIX}-{match.group(1)}" if match else None


def members_of(session: Session, registration_id: int) -> list[RegistrationMember]:
    return list(session.scalars(select(RegistrationMember).where(RegistrationMember.registration_id == registration_id)
                                .order_by(RegistrationMember.id)))


def _event_problem(event: OutreachEvent | None, now: dt.datetime) -> str | None:
    if event is None:
        return NOT_FOUND
    if event.status != "published":
        return CLOSED
    if event.day < now.date() or (event.day == now.date() and now.time() >= event.end_time):
        return PAST
    return None


def register(session: Session, event_id: int, sender_id: str, leader_name: str,
             members: list[tuple[str, dt.date]], language: str = "id", *,
             now: dt.datetime | None = None) -> RegistrationResult:
    """Register `members` (name, birth date) for an event under `leader_name`, or say why not.

    Nothing is written on any refusal. On FULL, `places_left` is what is left now. A race with
    another registration of the same person ends as ALREADY (the unique constraint), with the
    caller's transaction rolled back."""
    now = now or clock.now()
    lock_for_write(session)
    event = session.get(OutreachEvent, event_id)
    problem = _event_problem(event, now)
    if problem:
        return RegistrationResult(False, problem, event=event, places_left=places_left(event) if event else 0)
    left = places_left(event)
    leader = clean_name(leader_name or "")
    if leader is None:
        return RegistrationResult(False, BAD_NAME, event=event, places_left=left)
    if not members:
        return RegistrationResult(False, EMPTY, event=event, places_left=left)
    if len(members) > MAX_GROUP:
        return RegistrationResult(False, TOO_MANY, event=event, places_left=left)
    cleaned: list[tuple[str, str, dt.date]] = []
    for name, birth in members:
        clean = clean_name(name)
        if clean is None:
            return RegistrationResult(False, BAD_NAME, event=event, places_left=left, names=[name])
        cleaned.append((clean, name_key(clean), birth))
    bad_dates = [n for n, _k, b in cleaned if birth_date_problem(b, now.date())]
    if bad_dates:
        return RegistrationResult(False, BAD_BIRTH_DATE, event=event, places_left=left, names=bad_dates)
    seen: set[tuple[str, dt.date]] = set()
    twice = []
    for name, key, birth in cleaned:
        if (key, birth) in seen:
            twice.append(name)
        seen.add((key, birth))
    if twice:
        return RegistrationResult(False, DUPLICATE, event=event, places_left=left, names=twice)
    existing = session.execute(select(RegistrationMember.name_key, RegistrationMember.birth_date)
                               .where(RegistrationMember.event_id == event.id,
                                      RegistrationMember.name_key.in_([k for _n, k, _b in cleaned]))).all()
    taken = {(k, b) for k, b in existing}
    already = [n for n, k, b in cleaned if (k, b) in taken]
    if already:
        return RegistrationResult(False, ALREADY, event=event, places_left=left, names=already)
    count = len(cleaned)
    taken_seats = session.execute(
        update(OutreachEvent)
        .where(OutreachEvent.id == event.id, OutreachEvent.status == "published",
               OutreachEvent.seats_taken + count <= OutreachEvent.quota)
        .values(seats_taken=OutreachEvent.seats_taken + count)
        .execution_options(synchronize_session=False))
    if taken_seats.rowcount != 1:
        session.rollback()
        event = session.get(OutreachEvent, event_id)
        session.refresh(event)
        return RegistrationResult(False, FULL if event.status == "published" else CLOSED, event=event,
                                  places_left=places_left(event))
    stamp = clock.to_utc(now)
    try:
        registration = _insert_registration(session, dict(
            event_id=event.id, sender_id=sender_id or "", language="en" if language == "en" else "id",
            leader_name=leader, status="registered", created_at=stamp))
        for name, key, birth in cleaned:
            session.add(RegistrationMember(registration_id=registration.id, event_id=event.id, name=name,
                                           name_key=key, birth_date=birth))
        session.flush()
    except IntegrityError:
        session.rollback()
        return RegistrationResult(False, ALREADY, event=session.get(OutreachEvent, event_id),
                                  names=[n for n, _k, _b in cleaned])
    session.refresh(event)
    return RegistrationResult(True, registration=registration, event=event, places_left=places_left(event))


def _insert_registration(session: Session, values: dict) -> EventRegistration:
    for _ in range(8):
        registration = EventRegistration(code=new_code(), **values)
        try:
            with session.begin_nested():
                session.add(registration)
                session.flush()
            return registration
        except IntegrityError:
            if session.scalar(select(func.count(EventRegistration.id))
                              .where(EventRegistration.code == registration.code)) == 0:
                raise
            continue  # a code collision: draw another
    raise RuntimeError("could not draw a free registration code")


def cancel_registration(session: Session, code: str, sender_id: str, *,
                        now: dt.datetime | None = None) -> RegistrationResult:
    """Cancel one's own registration before the event: its places are freed and the members' names
    and birth dates deleted (nothing is kept that the office no longer needs)."""
    now = now or clock.now()
    lock_for_write(session)
    registration = find_registration(session, code)
    if registration is None:
        return RegistrationResult(False, NOT_FOUND)
    if registration.sender_id != sender_id:
        return RegistrationResult(False, NOT_YOURS)
    event = session.get(OutreachEvent, registration.event_id)
    if registration.status != "registered":
        return RegistrationResult(False, NOT_ACTIVE, registration=registration, event=event)
    problem = _event_problem(event, now)
    if problem in (PAST, NOT_FOUND):
        return RegistrationResult(False, PAST, registration=registration, event=event)
    count = session.scalar(select(func.count(RegistrationMember.id))
                           .where(RegistrationMember.registration_id == registration.id)) or 0
    session.execute(delete(RegistrationMember).where(RegistrationMember.registration_id == registration.id))
    session.execute(update(OutreachEvent).where(OutreachEvent.id == event.id)
                    .values(seats_taken=func.max(0, OutreachEvent.seats_taken - count)
                            if session.get_bind().dialect.name == "sqlite"
                            else func.greatest(0, OutreachEvent.seats_taken - count))
                    .execution_options(synchronize_session=False))
    registration.status = "cancelled"
    session.flush()
    session.refresh(event)
    return RegistrationResult(True, registration=registration, event=event, places_left=places_left(event))


def registrations_of(session: Session, sender_id: str, *, today: dt.date | None = None) -> list[EventRegistration]:
    """This conversation's active registrations for events from today on, soonest first."""
    today = today or clock.today()
    return list(session.scalars(
        select(EventRegistration).join(OutreachEvent, OutreachEvent.id == EventRegistration.event_id)
        .where(EventRegistration.sender_id == sender_id, EventRegistration.status == "registered",
               OutreachEvent.day >= today)
        .order_by(OutreachEvent.day, EventRegistration.id)))
