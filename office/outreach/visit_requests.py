"""A school, village or company asking the office to come to them (a new mobile service day or session).

The request keeps who asks (organisation and a contact name), where, how many people and the preferred
dates as the requester wrote them, plus the dates we could read. Staff accept or decline it in the
back-office (office/outreach/visit_decisions.py) and the requester is told in this conversation.
Bad input is refused with a reason and nothing is written.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from office import clock
from office.booking.bookings import clean_name
from office.dates import REASON_INVALID, parse_date
from office.outreach.event_models import VisitRequest
from office.outreach.registrations import new_code

CODE_PREFIX = "KJ"
MAX_HEADCOUNT = 5000
MAX_TEXT = 200

# Reasons a request is refused.
BAD_ORGANISATION = "bad_organisation"
BAD_CONTACT = "bad_contact"
BAD_PLACE = "bad_place"
BAD_HEADCOUNT = "bad_headcount"
HEADCOUNT_TOO_LARGE = "headcount_too_large"
NO_DATES = "no_dates"
INVALID_DATE = "invalid_date"
PAST_DATE = "past_date"


class VisitRequestError(ValueError):
    """The request cannot be accepted as written; `reason` says which part."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PreferredDates:
    text: str                      # as the requester wrote it
    dates: tuple[dt.date, ...]     # the dates we could read (may be empty: "awal bulan depan")


def clean_text(value: str, reason: str, max_length: int = MAX_TEXT) -> str:
    """A short free-text answer (organisation, place): 2..max_length characters, not only digits, and not a
    button's payload ("/consent_agree" pressed on an earlier question is not a name)."""
    text = re.sub(r"\s+", " ", (value or "").strip())
    if not 2 <= len(text) <= max_length or not re.search(r"[^\W\d_]", text) or text.startswith("/"):
        raise VisitRequestError(reason)
    return text


def parse_headcount(value: str | int) -> int:
    """"sekitar 40 orang" -> 40. Refuses no number, zero, and more than MAX_HEADCOUNT."""
    if isinstance(value, int):
        number = value
    else:
        match = re.search(r"\d[\d.]*", value or "")
        if not match:
            raise VisitRequestError(BAD_HEADCOUNT)
        number = int(match.group(0).replace(".", ""))
    if number < 1:
        raise VisitRequestError(BAD_HEADCOUNT)
    if number > MAX_HEADCOUNT:
        raise VisitRequestError(HEADCOUNT_TOO_LARGE)
    return number


def parse_preferred_dates(text: str, today: dt.date) -> PreferredDates:
    """The dates in "5 atau 12 Desember", "minggu kedua Januari", "2026-12-05". Every date read must be
    today or later; a text with no readable date is kept as written (staff agree on the day)."""
    raw = re.sub(r"\s+", " ", (text or "").strip())
    if len(raw) < 2 or len(raw) > MAX_TEXT:
        raise VisitRequestError(NO_DATES)
    parsed = parse_date(raw, today)
    if parsed.reason == REASON_INVALID:
        raise VisitRequestError(INVALID_DATE)
    dates = (parsed.date,) if parsed.date else tuple(parsed.candidates)
    if any(d < today for d in dates):
        raise VisitRequestError(PAST_DATE)
    return PreferredDates(raw, tuple(sorted(set(dates))))


def stored_dates(preferred: PreferredDates) -> str:
    """What staff see: the words as written, then the dates read (ISO) on a second line."""
    if not preferred.dates:
        return preferred.text
    return preferred.text + "\n" + "Tanggal: " + ", ".join(d.isoformat() for d in preferred.dates)


def submit_visit_request(session: Session, sender_id: str, language: str, organisation: str, contact_name: str,
                         place: str, kecamatan: str, headcount: int | str, preferred_dates: str, *,
                         today: dt.date | None = None) -> VisitRequest:
    """Validate and save a visit request; raises VisitRequestError (nothing written) on bad input."""
    today = today or clock.today()
    org = clean_text(organisation, BAD_ORGANISATION)
    contact = clean_name(contact_name or "")
    if contact is None:
        raise VisitRequestError(BAD_CONTACT)
    where = clean_text(place, BAD_PLACE)
    number = parse_headcount(headcount)
    preferred = parse_preferred_dates(preferred_dates, today)
    values = dict(sender_id=sender_id or "", language="en" if language == "en" else "id", organisation=org,
                  contact_name=contact, place=where, kecamatan=(kecamatan or "").strip()[:100], headcount=number,
                  preferred_dates=stored_dates(preferred), status="new", created_at=clock.to_utc(clock.now()))
    for _ in range(8):
        request = VisitRequest(code=new_code(CODE_PREFIX), **values)
        try:
            with session.begin_nested():
                session.add(request)
                session.flush()
            return request
        except IntegrityError:
            continue  # a code collision: draw another
    raise RuntimeError("could not draw a free visit request code")


def visit_requests_of(session: Session, sender_id: str) -> list[VisitRequest]:
    return list(session.scalars(select(VisitRequest).where(VisitRequest.sender_id == sender_id)
                                .order_by(VisitRequest.created_at.desc())))
