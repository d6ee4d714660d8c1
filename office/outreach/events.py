"""Staff rules for mobile service days (layanan keliling / Eazy Passport) and information sessions
(sosialisasi): publish, edit, close the list, cancel, see who registered, check people in on the day.

Why the rules sit here: the back-office pages, the CLI and tests share them, and none of them may
depend on HTTP. Every refusal is an `EventError` whose message (Indonesian) is shown to staff as is.

- A new event, or an edited one, must be in the future (today is allowed), hours must make sense, and
  the quota must be at least 1 and never below the places already taken. The quota is changed by a
  conditional UPDATE (quota >= seats_taken), so an edit cannot race a registration below the places
  people already hold (registrations take places by the same kind of UPDATE, see registrations.py).
- Changing the day, hours or place of an event people registered for tells each of them (outbox).
- Cancelling needs a reason; every active registration is told once, in its own language. Cancelling
  again changes nothing and sends nothing.
- The list is closed ("Tutup daftar") on the day or after it; a closed or cancelled event takes no
  more registrations, check-ins or edits.
- Check-in is on the day or after; checking in twice (two officers, a double tap) changes nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from office import clock
from office.outbox import enqueue
from office.outreach.event_models import (EVENT_KINDS, EventRegistration, OutreachEvent, RegistrationMember)
from office.outreach.staff_messages import cancellation_text, change_text

KIND_LABELS = {"service_day": "Layanan keliling (Eazy Passport)", "info_session": "Sosialisasi"}
STATUS_LABELS = {"published": "Dibuka", "closed": "Daftar ditutup", "cancelled": "Dibatalkan"}
# What a mobile service day may offer, from reference/immigration-facts.md ("Eazy Passport"): new
# passports and replacement of an expired or full one; lost or damaged passports need the office (BAP).
DEFAULT_SERVICES = ("Paspor baru (permohonan pertama)", "Penggantian paspor habis masa berlaku atau halaman penuh")
DEFAULT_KABUPATEN = "Tulang Bawang Barat"
MAX_QUOTA = 500  # one team serves at most a few hundred people a day; more is a typing error
MAX_DAYS_AHEAD = 366
MIN_REASON = 5
ACTIVE = "registered"


class EventError(ValueError):
    """The rules refuse; `problems` lists every reason (Indonesian, shown to staff)."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(" ".join(self.problems))


@dataclass
class EventInput:
    """What staff fill in for an event (already parsed from the form)."""

    kind: str
    title: str
    place: str
    kecamatan: str
    day: dt.date | None
    start_time: dt.time | None
    end_time: dt.time | None
    quota: int | None
    services: list[str] = field(default_factory=list)
    description: str = ""
    kabupaten: str = DEFAULT_KABUPATEN


def _parse_time(text: str) -> dt.time | None:
    text = text.strip().replace(".", ":")
    try:
        return dt.time.fromisoformat(text) if text else None
    except ValueError:
        return None


def parse_event_form(values: dict[str, str]) -> tuple[EventInput, list[str]]:
    """Read the staff form (strings) into an EventInput; the problems found while reading are returned,
    the rules (validate_event) add theirs."""
    problems: list[str] = []
    day: dt.date | None = None
    if values.get("day", "").strip():
        try:
            day = dt.date.fromisoformat(values["day"].strip())
        except ValueError:
            problems.append("Tanggal tidak dikenali; pilih tanggal dari kalender.")
    start, end = _parse_time(values.get("start_time", "")), _parse_time(values.get("end_time", ""))
    if values.get("start_time", "").strip() and start is None:
        problems.append("Jam mulai tidak dikenali; tulis seperti 09.00.")
    if values.get("end_time", "").strip() and end is None:
        problems.append("Jam selesai tidak dikenali; tulis seperti 14.00.")
    raw_quota = values.get("quota", "").strip()
    quota = int(raw_quota) if raw_quota.isdigit() and len(raw_quota) <= 9 else None
    if raw_quota and quota is None:
        problems.append("Kuota harus berupa bilangan bulat, mis. 50.")
    services = [line.strip(" -•\t") for line in values.get("services", "").splitlines()]
    data = EventInput(kind=values.get("kind", "").strip(), title=" ".join(values.get("title", "").split()),
                      place=" ".join(values.get("place", "").split()),
                      kecamatan=" ".join(values.get("kecamatan", "").split()),
                      kabupaten=" ".join(values.get("kabupaten", "").split()) or DEFAULT_KABUPATEN,
                      day=day, start_time=start, end_time=end, quota=quota,
                      services=[s for s in services if s], description=values.get("description", "").strip())
    return data, problems


def validate_event(data: EventInput, today: dt.date, seats_taken: int = 0) -> list[str]:
    """Every reason the rules refuse `data` (empty when it may be saved)."""
    problems: list[str] = []
    if data.kind not in EVENT_KINDS:
        problems.append("Pilih jenis kegiatan: layanan keliling atau sosialisasi.")
    if not data.title:
        problems.append("Judul wajib diisi.")
    if not data.place:
        problems.append("Tempat wajib diisi (mis. Balai Desa Daya Murni).")
    if not data.kecamatan:
        problems.append("Kecamatan wajib diisi.")
    if data.day is None:
        problems.append("Tanggal wajib diisi.")
    elif data.day < today:
        problems.append("Tanggal sudah lewat; pilih hari ini atau tanggal yang akan datang.")
    elif data.day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        problems.append("Tanggal terlalu jauh (lebih dari setahun lagi); periksa tahunnya.")
    if data.start_time is None or data.end_time is None:
        problems.append("Jam mulai dan jam selesai wajib diisi.")
    elif data.end_time <= data.start_time:
        problems.append("Jam selesai harus sesudah jam mulai.")
    if data.quota is None:
        problems.append("Kuota wajib diisi.")
    elif data.quota < 1:
        problems.append("Kuota minimal 1 orang.")
    elif data.quota > MAX_QUOTA:
        problems.append(f"Kuota paling banyak {MAX_QUOTA} orang; periksa kembali angkanya.")
    elif data.quota < seats_taken:
        problems.append(f"Kuota tidak boleh di bawah jumlah tempat yang sudah terisi ({seats_taken} orang).")
    if data.kind == "service_day" and not data.services:
        problems.append("Tuliskan layanan yang dibuka (satu per baris).")
    if data.kind == "info_session" and not data.description:
        problems.append("Tuliskan topik sosialisasi pada kolom deskripsi.")
    return problems


def _get(session: Session, event_id: int) -> OutreachEvent:
    event = session.get(OutreachEvent, event_id)
    if event is None:
        raise EventError("Kegiatan tidak ditemukan.")
    return event


def create_event(session: Session, data: EventInput, officer: str, now: dt.datetime | None = None) -> OutreachEvent:
    """Publish a new event (citizens can find and register for it at once)."""
    now = now or clock.now()
    problems = validate_event(data, now.date())
    if problems:
        raise EventError(problems)
    event = OutreachEvent(kind=data.kind, title=data.title[:200], place=data.place[:200], kecamatan=data.kecamatan[:100],
                          kabupaten=data.kabupaten[:100], day=data.day, start_time=data.start_time,
                          end_time=data.end_time, quota=data.quota, seats_taken=0,
                          services="\n".join(data.services) if data.kind == "service_day" else "",
                          description=data.description, status="published", created_by=officer[:100],
                          created_at=clock.to_utc(now))
    session.add(event)
    session.flush()
    return event


@dataclass
class UpdateResult:
    event: OutreachEvent
    changed: list[str]  # names of the fields that changed
    notified: int  # registrations told about a new day, hours or place


def update_event(session: Session, event_id: int, data: EventInput, officer: str,
                 now: dt.datetime | None = None) -> UpdateResult:
    """Edit a published event. A new day, hours or place is sent to every active registration."""
    now = now or clock.now()
    event = _get(session, event_id)
    if event.status != "published":
        raise EventError(f"Kegiatan ini {STATUS_LABELS[event.status].lower()}; tidak dapat diubah lagi.")
    if data.kind != event.kind:
        raise EventError("Jenis kegiatan tidak dapat diubah; batalkan lalu buat kegiatan baru.")
    problems = validate_event(data, now.date(), event.seats_taken)
    if problems:
        raise EventError(problems)
    # the quota first, conditionally: a registration that took places a moment ago is respected
    done = session.execute(update(OutreachEvent).where(OutreachEvent.id == event.id,
                                                       OutreachEvent.seats_taken <= data.quota)
                           .values(quota=data.quota), execution_options={"synchronize_session": False})
    session.refresh(event)
    if done.rowcount != 1:
        raise EventError(f"Kuota tidak boleh di bawah jumlah tempat yang sudah terisi ({event.seats_taken} orang).")
    new = {"title": data.title[:200], "place": data.place[:200], "kecamatan": data.kecamatan[:100],
           "kabupaten": data.kabupaten[:100], "day": data.day, "start_time": data.start_time,
           "end_time": data.end_time, "services": "\n".join(data.services) if event.kind == "service_day" else "",
           "description": data.description}
    changed = [key for key, value in new.items() if getattr(event, key) != value]
    for key in changed:
        setattr(event, key, new[key])
    notified = 0
    if {"day", "start_time", "end_time", "place", "kecamatan"} & set(changed):
        for registration in active_registrations(session, event.id):
            if registration.sender_id:
                enqueue(session, registration.sender_id, "outreach_change",
                        change_text(event, registration, registration.language),
                        payload={"event": event.id, "registration": registration.code})
                notified += 1
    session.flush()
    return UpdateResult(event, changed, notified)


def active_registrations(session: Session, event_id: int) -> list[EventRegistration]:
    return list(session.scalars(select(EventRegistration).where(EventRegistration.event_id == event_id,
                                                                EventRegistration.status == ACTIVE)
                                .order_by(EventRegistration.created_at, EventRegistration.id)))


@dataclass
class CancelResult:
    event: OutreachEvent
    changed: bool  # False: it was cancelled already, nothing was sent
    notified: int


def cancel_event(session: Session, event_id: int, officer: str, reason: str,
                 now: dt.datetime | None = None) -> CancelResult:
    """Cancel an event and tell each active registration once (outbox "outreach_cancelled"), in its
    language, with the reason. Cancelling twice changes nothing."""
    reason = " ".join(reason.split())
    event = _get(session, event_id)
    if event.status == "cancelled":
        return CancelResult(event, False, 0)
    if len(reason) < MIN_REASON:
        raise EventError("Tuliskan alasan pembatalan; alasan ini dikirim kepada warga yang sudah mendaftar.")
    if event.status == "closed":
        raise EventError("Daftar kegiatan ini sudah ditutup setelah pelaksanaannya; tidak dapat dibatalkan lagi.")
    now = now or clock.now()
    done = session.execute(update(OutreachEvent).where(OutreachEvent.id == event.id,
                                                       OutreachEvent.status == "published")
                           .values(status="cancelled", closed_at=clock.to_utc(now)),
                           execution_options={"synchronize_session": False})
    session.refresh(event)
    if done.rowcount != 1:  # another officer cancelled it a moment ago: they told the registrants
        return CancelResult(event, False, 0)
    notified = 0
    for registration in active_registrations(session, event.id):
        if registration.sender_id:
            enqueue(session, registration.sender_id, "outreach_cancelled",
                    cancellation_text(event, registration, reason, registration.language),
                    payload={"event": event.id, "registration": registration.code})
            notified += 1
    return CancelResult(event, True, notified)


def close_event(session: Session, event_id: int, officer: str, now: dt.datetime | None = None) -> bool:
    """Close the list on the day or after it (no more registrations, check-ins or edits). True when
    this call closed it; False when it was closed already."""
    now = now or clock.now()
    event = _get(session, event_id)
    if event.status == "closed":
        return False
    if event.status == "cancelled":
        raise EventError("Kegiatan ini sudah dibatalkan.")
    if event.day > now.date():
        raise EventError("Daftar baru dapat ditutup pada hari pelaksanaan atau sesudahnya.")
    done = session.execute(update(OutreachEvent).where(OutreachEvent.id == event.id,
                                                       OutreachEvent.status == "published")
                           .values(status="closed", closed_at=clock.to_utc(now)),
                           execution_options={"synchronize_session": False})
    session.refresh(event)
    return done.rowcount == 1


# ------------------------------------------------------------------------------------------------
# Registrants and check-in
# ------------------------------------------------------------------------------------------------

@dataclass
class AttendeeGroup:
    """One registration with its members, as staff see it on the day."""

    registration: EventRegistration
    members: list[RegistrationMember]

    @property
    def checked_in(self) -> int:
        return sum(1 for m in self.members if m.checked_in_at is not None)


def attendees(session: Session, event_id: int) -> list[AttendeeGroup]:
    """Active registrations of the event in the order they came, each with its members in the order the
    leader gave them (the leader first when they come themselves)."""
    registrations = active_registrations(session, event_id)
    members = session.scalars(select(RegistrationMember).where(
        RegistrationMember.registration_id.in_([r.id for r in registrations]))
        .order_by(RegistrationMember.id)).all() if registrations else []
    by_registration: dict[int, list[RegistrationMember]] = {r.id: [] for r in registrations}
    for member in members:
        by_registration[member.registration_id].append(member)
    return [AttendeeGroup(r, by_registration[r.id]) for r in registrations]


@dataclass(frozen=True)
class Counts:
    registrations: int
    people: int
    checked_in: int


def counts(session: Session, event_ids: list[int]) -> dict[int, Counts]:
    """Per event: active registrations, people registered, people checked in (one query each)."""
    if not event_ids:
        return {}
    active = (EventRegistration.status == ACTIVE) & EventRegistration.event_id.in_(event_ids)
    regs = dict(session.execute(select(EventRegistration.event_id, func.count())
                                .where(active).group_by(EventRegistration.event_id)).all())
    joined = (select(RegistrationMember.event_id, func.count(), func.count(RegistrationMember.checked_in_at))
              .join(EventRegistration, EventRegistration.id == RegistrationMember.registration_id)
              .where(active).group_by(RegistrationMember.event_id))
    people = {row[0]: (row[1], row[2]) for row in session.execute(joined).all()}
    return {e: Counts(regs.get(e, 0), people.get(e, (0, 0))[0], people.get(e, (0, 0))[1]) for e in event_ids}


@dataclass
class CheckInResult:
    member: RegistrationMember
    changed: bool  # False: already so (a second tap, another officer)


def _member_for_day(session: Session, member_id: int, now: dt.datetime) -> tuple[RegistrationMember, OutreachEvent]:
    member = session.get(RegistrationMember, member_id)
    if member is None:
        raise EventError("Peserta tidak ditemukan.")
    event = _get(session, member.event_id)
    registration = session.get(EventRegistration, member.registration_id)
    if event.status == "cancelled":
        raise EventError("Kegiatan ini sudah dibatalkan.")
    if event.status == "closed":
        raise EventError("Daftar kegiatan ini sudah ditutup; kehadiran tidak dapat diubah lagi.")
    if registration is None or registration.status != ACTIVE:
        raise EventError("Pendaftaran peserta ini sudah dibatalkan.")
    if event.day > now.date():
        raise EventError("Check-in baru dibuka pada hari pelaksanaan.")
    return member, event


def check_in(session: Session, member_id: int, officer: str, now: dt.datetime | None = None) -> CheckInResult:
    """Mark a member present. A second check-in keeps the first time and reports no change."""
    now = now or clock.now()
    member, _ = _member_for_day(session, member_id, now)
    done = session.execute(update(RegistrationMember).where(RegistrationMember.id == member.id,
                                                            RegistrationMember.checked_in_at.is_(None))
                           .values(checked_in_at=clock.to_utc(now)),
                           execution_options={"synchronize_session": False})
    session.refresh(member)
    return CheckInResult(member, done.rowcount == 1)


def undo_check_in(session: Session, member_id: int, officer: str, now: dt.datetime | None = None) -> CheckInResult:
    """Take back a check-in tapped by mistake (the list is still open)."""
    now = now or clock.now()
    member, _ = _member_for_day(session, member_id, now)
    done = session.execute(update(RegistrationMember).where(RegistrationMember.id == member.id,
                                                            RegistrationMember.checked_in_at.is_not(None))
                           .values(checked_in_at=None), execution_options={"synchronize_session": False})
    session.refresh(member)
    return CheckInResult(member, done.rowcount == 1)


def list_events(session: Session, *, past: bool = False, kind: str | None = None,
                today: dt.date | None = None, limit: int = 200) -> list[OutreachEvent]:
    """Upcoming events (today on, soonest first) or past ones (most recent first), optionally one kind."""
    today = today or clock.today()
    query = select(OutreachEvent)
    if kind in EVENT_KINDS:
        query = query.where(OutreachEvent.kind == kind)
    if past:
        query = query.where(OutreachEvent.day < today).order_by(OutreachEvent.day.desc(), OutreachEvent.start_time.desc())
    else:
        query = query.where(OutreachEvent.day >= today).order_by(OutreachEvent.day, OutreachEvent.start_time)
    return list(session.scalars(query.limit(limit)))


def get_event(session: Session, event_id: int) -> OutreachEvent | None:
    return session.get(OutreachEvent, event_id)
