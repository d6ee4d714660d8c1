"""Which mobile service days and information sessions are coming, for a place, a month or a kind.

Only published events from today on are shown, by day. When the place a citizen asks about has no
event (or is not a place we know), `nearest_events` offers the scheduled ones nearest to it, or the
soonest ones. Also here: reading what a schedule question asks for (which kind, which month, which
place), so the action stays thin.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from office import clock
from office.dates import EN_MONTHS, ID_MONTHS
from office.outreach.event_models import OutreachEvent
from office.outreach.places import (Place, fold, match_kabupaten, match_place, match_place_span, order_by_nearness,
                                   same_place)

SERVICE_DAY = "service_day"
INFO_SESSION = "info_session"
SUGGESTIONS = 3

_SESSION_WORDS = re.compile(r"\b(sosialisasi|penyuluhan|seminar|information session|info session|briefing|"
                            r"talk|socialization|socialisation)\b")
_SERVICE_WORDS = re.compile(r"\b(keliling|jemput bola|jemput|eazy|easy passport|mobile|layanan paspor di|"
                            r"service day|outreach)\b")
_MONTH_NAMES = {fold(name): number for names in (ID_MONTHS, EN_MONTHS) for number, name in enumerate(names, start=1)}
_MONTH_NAMES.update({"nopember": 11, "pebruari": 2, "agustus": 8})
# Words that end a place phrase ("di Menggala bulan ini" -> "Menggala").
_STOP_WORDS = {"bulan", "minggu", "pekan", "tanggal", "tgl", "hari", "ini", "depan", "kapan", "ada", "tidak",
               "gak", "ga", "nggak", "ya", "kah", "dong", "min", "kak", "this", "next", "month", "week", "on",
               "for", "when", "please", "yang", "untuk", "tahun", "year", "jadwal", "layanan", "paspor",
               "passport", "sosialisasi", "keliling", "jemput", "bola", "atau", "dan", "and", "or", "sekitar",
               "tolong", "saja", "aja", "lagi", "sih", "mana", "sini", "sana", "situ", "kantor", "imigrasi", "tempat",
               "lokasi", "the", "my", "our", "area", "kami", "saya", "kita", "daerah", "wilayah"} | set(_MONTH_NAMES)
_PLACE_PHRASE = re.compile(r"\b(?:di|ke|dekat|near|around|in|at|sekitar|daerah|wilayah|kecamatan|kec|desa|kampung|"
                           r"tiyuh|kelurahan)\s+([a-z][a-z0-9 ]{2,60})")


@dataclass(frozen=True)
class ScheduleQuestion:
    """What a schedule question asks: a kind (None: both), a month (year, month), a place."""

    kind: str | None
    month: tuple[int, int] | None
    place: Place | None
    unknown_place: str | None  # a place the citizen named that we do not know ("Menggala")


def places_left(event: OutreachEvent) -> int:
    return max(0, int(event.quota) - int(event.seats_taken or 0))


def kind_in_text(text: str) -> str | None:
    """"sosialisasi" -> info_session; "layanan keliling", "jemput bola" -> service_day; else None (both)."""
    folded = fold(text)
    session, service = bool(_SESSION_WORDS.search(folded)), bool(_SERVICE_WORDS.search(folded))
    if session and not service:
        return INFO_SESSION
    if service and not session:
        return SERVICE_DAY
    return None


def month_in_text(text: str, today: dt.date) -> tuple[int, int] | None:
    """"bulan ini"/"this month", "bulan depan"/"next month", or a month name ("Desember", "januari 2027")."""
    folded = fold(text)
    if re.search(r"\b(bulan ini|bln ini|this month)\b", folded):
        return today.year, today.month
    if re.search(r"\b(bulan depan|bln depan|next month)\b", folded):
        return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    for word_match in re.finditer(r"[a-z]+", folded):
        number = _MONTH_NAMES.get(word_match.group(0))
        if number is None:
            continue
        year_match = re.match(r"\s+((?:19|20)\d{2})\b", folded[word_match.end():])
        if year_match:
            return int(year_match.group(1)), number
        return (today.year if number >= today.month else today.year + 1), number
    return None


def unknown_place_in_text(text: str) -> str | None:
    """A place phrase ("di Menggala", "near Way Kanan") whose words are not a schedule word, or None."""
    folded = fold(text)
    for match in _PLACE_PHRASE.finditer(folded):
        words = []
        for word in match.group(1).split():
            if word in _STOP_WORDS or word.isdigit():
                break
            words.append(word)
        if words:
            return " ".join(words[:4])
    return None


def read_question(text: str, today: dt.date) -> ScheduleQuestion:
    """Kind, month and place of a schedule question."""
    found = match_place_span(text)
    place = found[0] if found else None
    unknown = None if place or match_kabupaten(text) else unknown_place_in_text(text)
    return ScheduleQuestion(kind_in_text(text), month_in_text(text, today), place, unknown)


def upcoming_events(session: Session, *, kind: str | None = None, kecamatan: str | None = None,
                    month: tuple[int, int] | None = None, today: dt.date | None = None) -> list[OutreachEvent]:
    """Published events from today on, by day and start time; optionally of one kind, in one kecamatan
    (matched by name, alias or a small typo) or in one (year, month)."""
    today = today or clock.today()
    stmt = select(OutreachEvent).where(OutreachEvent.status == "published", OutreachEvent.day >= today)
    if kind:
        stmt = stmt.where(OutreachEvent.kind == kind)
    if month:
        first = dt.date(month[0], month[1], 1)
        after = dt.date(month[0] + 1, 1, 1) if month[1] == 12 else dt.date(month[0], month[1] + 1, 1)
        stmt = stmt.where(OutreachEvent.day >= first, OutreachEvent.day < after)
    events = list(session.scalars(stmt.order_by(OutreachEvent.day, OutreachEvent.start_time, OutreachEvent.id)))
    if kecamatan:
        place = match_place(kecamatan)
        if place is not None:
            events = [e for e in events if same_place(e.kecamatan, place)]
        else:
            wanted = fold(kecamatan)
            events = [e for e in events if fold(e.kecamatan) == wanted]
    return events


def nearest_events(session: Session, place_text: str, kind: str | None = None, *, today: dt.date | None = None,
                   limit: int = SUGGESTIONS) -> list[OutreachEvent]:
    """For a place with nothing scheduled (or unknown): the scheduled events nearest to it (approximate
    kecamatan centres), or the soonest ones when its position is unknown. Events with no place left
    come after those that still have room."""
    events = upcoming_events(session, kind=kind, today=today)
    ordered = order_by_nearness(events, match_place(place_text or ""))
    ordered.sort(key=lambda e: places_left(e) == 0)  # stable: keeps the nearness order within each group
    return ordered[:limit]


def open_for_registration(event: OutreachEvent, now: dt.datetime | None = None) -> bool:
    """Published, not over (the day has not ended), with at least one place left."""
    now = now or clock.now()
    if event.status != "published" or places_left(event) < 1:
        return False
    return event.day > now.date() or (event.day == now.date() and now.time() < event.end_time)
