"""Personal data of outreach events (UU 27/2022: no longer than the purpose needs), for the retention
purge (kind "outreach" in office/retention.py) and for a citizen's "hapus data saya".

What is personal: registrations (leader name, chat sender) with their members (name, date of birth),
and visit requests (contact name, sender). The events themselves hold no personal data and stay, with
`seats_taken` as the count of people who registered, for the office's evaluation.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from office import clock
from office.outreach.event_models import EventRegistration, OutreachEvent, RegistrationMember, VisitRequest


def _delete_registrations(session: Session, registration_ids: list[int]) -> tuple[int, int]:
    if not registration_ids:
        return 0, 0
    members = session.execute(delete(RegistrationMember).where(RegistrationMember.registration_id.in_(registration_ids)),
                              execution_options={"synchronize_session": False}).rowcount or 0
    registrations = session.execute(delete(EventRegistration).where(EventRegistration.id.in_(registration_ids)),
                                    execution_options={"synchronize_session": False}).rowcount or 0
    return registrations, members


def purge_before(session: Session, day: dt.date, requests_before: dt.datetime) -> dict[str, int]:
    """Retention: delete the registrations and members of events held before `day`, and visit requests
    received before `requests_before` (UTC). Returns the rows removed per table."""
    old_events = select(OutreachEvent.id).where(OutreachEvent.day < day)
    ids = list(session.scalars(select(EventRegistration.id).where(EventRegistration.event_id.in_(old_events))))
    registrations, members = _delete_registrations(session, ids)
    requests = session.execute(delete(VisitRequest).where(VisitRequest.created_at < clock.to_utc(requests_before)),
                               execution_options={"synchronize_session": False}).rowcount or 0
    return {"outreach_registrations": registrations, "outreach_members": members, "outreach_visit_requests": requests}


def held_rows(session: Session) -> int:
    """Rows of personal data held now (registrations, members, visit requests), for the data-protection page."""
    return sum(session.scalar(select(func.count()).select_from(table)) or 0
               for table in (EventRegistration, RegistrationMember, VisitRequest))


@dataclass(frozen=True)
class SenderHoldings:
    registrations: int
    members: int
    visit_requests: int


def holdings_of(session: Session, sender_id: str) -> SenderHoldings:
    """How many registrations (and people in them) and visit requests a conversation made."""
    if not sender_id:
        return SenderHoldings(0, 0, 0)
    ids = list(session.scalars(select(EventRegistration.id).where(EventRegistration.sender_id == sender_id)))
    members = session.scalar(select(func.count()).select_from(RegistrationMember)
                             .where(RegistrationMember.registration_id.in_(ids))) if ids else 0
    requests = session.scalar(select(func.count()).select_from(VisitRequest).where(VisitRequest.sender_id == sender_id))
    return SenderHoldings(len(ids), members or 0, requests or 0)


def erase_sender(session: Session, sender_id: str, now: dt.datetime | None = None) -> dict[str, int]:
    """"Hapus data saya": the places of registrations for events still to come are given back (their
    seats freed by a conditional UPDATE), then every registration with its members, and every visit
    request, of this conversation is deleted. Returns counts for the erasure record."""
    if not sender_id:
        return {"outreach_registrations_deleted": 0, "outreach_visit_requests_deleted": 0}
    today = (now or clock.now()).date()
    rows = session.execute(select(EventRegistration, OutreachEvent)
                           .join(OutreachEvent, OutreachEvent.id == EventRegistration.event_id)
                           .where(EventRegistration.sender_id == sender_id)).all()
    for registration, event in rows:
        if registration.status == "registered" and event.status == "published" and event.day >= today:
            people = session.scalar(select(func.count()).select_from(RegistrationMember)
                                    .where(RegistrationMember.registration_id == registration.id)) or 0
            session.execute(update(OutreachEvent).where(OutreachEvent.id == event.id,
                                                        OutreachEvent.seats_taken >= people)
                            .values(seats_taken=OutreachEvent.seats_taken - people),
                            execution_options={"synchronize_session": False})
    registrations, _ = _delete_registrations(session, [r.id for r, _ in rows])
    requests = session.execute(delete(VisitRequest).where(VisitRequest.sender_id == sender_id),
                               execution_options={"synchronize_session": False}).rowcount or 0
    return {"outreach_registrations_deleted": registrations, "outreach_visit_requests_deleted": requests}
