"""Test set-up for outreach events: an event and registrations written straight into the tables, as the
citizen side (office/outreach/registrations.py) leaves them: members with a folded name key, seats
taken counted per person. Staff-side tests use this so they do not depend on the conversation."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy.orm import Session

from office import clock
from office.outreach.event_models import EventRegistration, OutreachEvent, RegistrationMember, VisitRequest


def make_event(session: Session, day: dt.date, *, kind: str = "service_day", quota: int = 50,
               title: str = "Layanan Paspor Keliling Tumijajar", place: str = "Balai Desa Daya Murni",
               kecamatan: str = "Tumijajar") -> OutreachEvent:
    event = OutreachEvent(kind=kind, title=title, place=place, kecamatan=kecamatan, kabupaten="Tulang Bawang Barat",
                          day=day, start_time=dt.time(9, 0), end_time=dt.time(14, 0), quota=quota, seats_taken=0,
                          services="Paspor baru (permohonan pertama)" if kind == "service_day" else "",
                          description="" if kind == "service_day" else "Cara mengurus paspor tanpa calo",
                          status="published", created_by="uji", created_at=clock.utc_now())
    session.add(event)
    session.flush()
    return event


def register_directly(session: Session, event: OutreachEvent, sender_id: str, leader: str,
                      members: list[tuple[str, dt.date]], language: str = "id",
                      created_at: dt.datetime | None = None) -> EventRegistration:
    registration = EventRegistration(code=f"JB-{secrets.token_hex(3).upper()}", event_id=event.id,
                                     sender_id=sender_id, language=language, leader_name=leader,
                                     status="registered", created_at=clock.to_utc(created_at or clock.now()))
    session.add(registration)
    session.flush()
    for name, born in members:
        session.add(RegistrationMember(registration_id=registration.id, event_id=event.id, name=name,
                                       name_key=" ".join(name.lower().split()), birth_date=born))
    event.seats_taken += len(members)
    session.flush()
    return registration


def make_visit_request(session: Session, *, sender_id: str = "telegram:900", language: str = "id",
                       organisation: str = "SMA Negeri 1 Tumijajar", contact_name: str = "Bapak Suryadi",
                       headcount: int = 40) -> VisitRequest:
    request = VisitRequest(code=f"KJ-{secrets.token_hex(3).upper()}", sender_id=sender_id, language=language,
                           organisation=organisation, contact_name=contact_name, place="Aula SMA Negeri 1",
                           kecamatan="Tumijajar", headcount=headcount, preferred_dates="awal Desember",
                           status="new", decision_note="", decided_by="", created_at=clock.utc_now())
    session.add(request)
    session.flush()
    return request
