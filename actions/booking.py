"""The booking and queue conversation: thin actions over office.booking.

Form answers arrive as free text (buttons send plain values: a service code, an ISO date, "09:00"),
so typed answers and button presses go through the same validation. A procedure question typed
where an answer was expected is answered from the knowledge base and the form asks again; "batal"
ends the form through a rule and nothing is saved (the booking is written only on "Ya").
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

# Every table must be mapped before actions.knowledge starts its KB warm-up thread (KB_WARM_UP=1),
# or that thread configures the mappers halfway through another module's import and all queries fail.
import office.models  # noqa: F401,I001
from actions.common import language_of, menu_buttons
from actions.consent import ConsentFormValidation, consent_refused, consent_reset_events
from actions.knowledge import answer_text
from office import clock
from office.booking import bookings as bk
from office.booking import queue as q
from office.booking.catalogue import Policy, get_policy, get_service, list_services
from office.booking.models import Booking, BookingService
from office.booking.rules import PhoneError, find_code, mask_phone, normalise_phone, phone_from_sender
from office.dates import REASON_AMBIGUOUS, REASON_INVALID, format_date, parse_date
from office.db import session_scope
from office.kb.search import get_knowledge_base
from office.booking.qr import booking_qr_url
from office.holidays import office_calendar
from office.profile import load_profile
from office.bilingual import text_for as _t

FORM_SLOTS = ("booking_service", "booking_date", "booking_time", "booking_name", "booking_phone", "booking_confirm",
              "booking_code", "reschedule_code")
MAX_TIME_BUTTONS = 12
QUESTION_CONFIDENCE = 0.75
YES = {"ya", "iya", "y", "yes", "ok", "oke", "benar", "betul", "setuju", "lanjut", "konfirmasi", "sudah benar"}
CHANGE = {"ubah", "ganti", "change", "edit", "koreksi", "salah"}


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H.%M")


def _reset(names: tuple[str, ...] = FORM_SLOTS) -> list[EventType]:
    return [SlotSet(name, None) for name in names]


def _text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "").strip()


def _is_question(tracker: Tracker) -> bool:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name") == "ask_procedure" and float(intent.get("confidence") or 0) >= QUESTION_CONFIDENCE


def _answer_question(dispatcher: CollectingDispatcher, tracker: Tracker, lang: str) -> bool:
    """A procedure question inside the form: answer it when the knowledge base is sure, then the form
    asks its question again. Returns True when something was said."""
    if not _is_question(tracker):
        return False
    answer = get_knowledge_base().answer(_text(tracker), lang)
    if answer.status != "answer":
        return False
    dispatcher.utter_message(text=answer_text(answer))
    dispatcher.utter_message(text=_t(lang, "Kita lanjutkan booking-nya.", "Let's continue with the booking."))
    return True


def _calendar(session: Session | None = None):  # type: ignore[no-untyped-def]
    """The working-day calendar in force; pass the open session so it is read there and not in a
    session of its own (a connection checkout, a query and a commit: ~1.2 ms each time)."""
    return office_calendar(session)


def _service_label(service: BookingService | None, code: str, lang: str) -> str:
    return service.label(lang) if service else code


def _code_from(tracker: Tracker) -> str | None:
    entity = next(tracker.get_latest_entity_values("booking_code"), None)
    return find_code(str(entity)) if entity else find_code(_text(tracker))


def _summary(booking: Booking, service: BookingService | None, lang: str) -> str:
    when = f"{format_date(booking.day, lang)}, {_t(lang, 'pukul', 'at')} {_hhmm(booking.start)} WIB"
    return _t(lang,
              f"Kode booking: {booking.code}\nLayanan: {_service_label(service, booking.service_code, lang)}\n"
              f"Jadwal: {when}\nNama: {booking.name}\nNomor HP: {mask_phone(booking.phone)}",
              f"Booking code: {booking.code}\nService: {_service_label(service, booking.service_code, lang)}\n"
              f"Time: {when}\nName: {booking.name}\nPhone: {mask_phone(booking.phone)}")


def _alternatives_text(alternatives: list[bk.SlotInfo], lang: str) -> str:
    if not alternatives:
        return _t(lang, "Belum ada jadwal kosong terdekat; silakan coba tanggal lain.",
                  "There is no free slot nearby; please try another date.")
    items = "\n".join(f"- {format_date(a.day, lang)} {_hhmm(a.start)} WIB" for a in alternatives)
    return _t(lang, f"Jadwal kosong terdekat:\n{items}", f"Nearest free slots:\n{items}")


def _policy_text(policy: Policy, lang: str) -> str:
    times = policy.max_reschedules
    days = policy.reschedule_days_before
    if lang == "en":
        return (f"A booking can be moved {times} time(s), up to {days} day(s) before the visit, and cancelled "
                "any time before the visit day ends.")
    return (f"Jadwal dapat diubah {times} kali, paling lambat {days} hari sebelum kunjungan, dan booking dapat "
            "dibatalkan sebelum hari kunjungan berakhir.")


def _date_problem_text(reason: str, detail: str, day: dt.date | None, lang: str) -> str:
    shown = format_date(day, lang) if day else ""
    if reason == bk.PAST:
        return _t(lang, f"Tanggal {shown} sudah lewat. Mohon pilih tanggal mulai hari ini.",
                  f"{shown} is in the past. Please choose today or a later date.")
    if reason == bk.CLOSED:
        if detail:
            return _t(lang, f"Kantor tutup pada {shown} ({detail}). Mohon pilih hari kerja lain.",
                      f"The office is closed on {shown} ({detail}). Please choose another working day.")
        return _t(lang, f"Kantor tidak melayani pada {shown} (akhir pekan). Layanan hanya pada hari kerja.",
                  f"The office does not serve on {shown} (weekend). Service is on working days only.")
    if reason == bk.NOT_OFFERED:
        return _t(lang, f"Layanan ini tidak tersedia pada {shown}. Mohon pilih hari lain.",
                  f"This service is not offered on {shown}. Please choose another day.")
    if reason == bk.TOO_FAR:
        return _t(lang, f"Booking hanya dapat dibuat paling jauh {detail} hari ke depan.",
                  f"Bookings can be made at most {detail} days ahead.")
    if reason == bk.CUTOFF:
        limit = f" (batas pukul {detail} WIB)" if detail else ""
        limit_en = f" (until {detail} WIB)" if detail else ""
        return _t(lang, f"Booking untuk hari ini sudah ditutup{limit}. Mohon pilih hari kerja berikutnya.",
                  f"Same-day booking is closed{limit_en}. Please choose the next working day.")
    return _t(lang, "Tanggal tersebut tidak dapat dipilih.", "That date cannot be chosen.")


def _result_problem_text(result: bk.BookingResult, lang: str, day: dt.date | None = None) -> str:
    if result.reason == bk.FULL:
        return _t(lang, "Mohon maaf, jadwal tersebut sudah penuh.", "Sorry, that slot is full.") + "\n" + \
            _alternatives_text(result.alternatives, lang)
    if result.reason in (bk.PAST, bk.CLOSED, bk.NOT_OFFERED, bk.TOO_FAR, bk.CUTOFF):
        return _date_problem_text(result.reason, result.detail, day, lang)
    if result.reason == bk.BAD_SLOT:
        return _t(lang, "Jam tersebut tidak tersedia.", "That time is not available.") + "\n" + \
            _alternatives_text(result.alternatives, lang)
    if result.reason == bk.NOT_FOUND:
        return _t(lang, "Kode booking tidak ditemukan.", "Booking code not found.")
    if result.reason == bk.NOT_ACTIVE:
        return _t(lang, "Booking tersebut sudah tidak aktif (dibatalkan atau sudah check-in).",
                  "That booking is no longer active (cancelled or already checked in).")
    if result.reason == bk.RESCHEDULE_LIMIT:
        return _t(lang, "Booking ini sudah pernah diubah jadwalnya; perubahan berikutnya tidak dapat dilakukan. "
                        "Bapak/Ibu dapat membatalkannya lalu membuat booking baru.",
                  "This booking has already been moved; it cannot be moved again. You can cancel it and make a "
                  "new booking.")
    if result.reason == bk.RESCHEDULE_TOO_LATE:
        return _t(lang, f"Jadwal hanya dapat diubah paling lambat {result.detail} hari sebelum kunjungan.",
                  f"A booking can only be moved up to {result.detail} day(s) before the visit.")
    return _t(lang, "Booking tidak dapat diproses.", "The booking could not be processed.")


def _parse_day(text: str, today: dt.date, lang: str) -> tuple[dt.date | None, str | None]:
    """(date, None) or (None, reason) from a button value (ISO) or free text ("besok", "5/12")."""
    value = text.strip()
    try:
        return dt.date.fromisoformat(value), None
    except ValueError:
        pass
    parsed = parse_date(value, today, lang)
    return (parsed.date, None) if parsed.found else (None, parsed.reason)


def _parse_time(text: str) -> dt.time | None:
    """"09:00", "9.30", "jam 9", "pukul 14.30 WIB" -> time."""
    match = re.search(r"(?<!\d)(\d{1,2})(?:[:.](\d{2}))?(?!\d)", text or "")
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _match_service(services: list[BookingService], text: str) -> BookingService | None:
    value = (text or "").strip().lower()
    if not value:
        return None
    for service in services:
        if value == service.code.lower():
            return service
    for service in services:
        for name in (service.name.lower(), service.name_en.lower()):
            if name and (value == name or (len(value) >= 4 and value in name)):
                return service
    words = set(re.findall(r"\w{3,}", value))
    scored = [(len(words & set(re.findall(r"\w{3,}", f"{s.name} {s.name_en} {s.code}".lower()))), s) for s in services]
    scored = [x for x in scored if x[0] > 0]
    scored.sort(key=lambda x: -x[0])
    if scored and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][1]
    return None


def _mpaspor_text(lang: str) -> str:
    url = load_profile().m_paspor_url
    link = f": {url}" if url else "."
    return _t(lang,
              f"Permohonan paspor (paspor baru maupun penggantian) dijadwalkan melalui aplikasi M-Paspor{link}",
              f"Passport applications (new or replacement) are scheduled in the M-Paspor app{link}")


# ------------------------------------------------------------------------------------------------
# booking form
# ------------------------------------------------------------------------------------------------
class ActionBookingStart(Action):
    """Passport applications go to M-Paspor; then the office's own services (the form asks which)."""

    def name(self) -> str:
        return "action_booking_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        dispatcher.utter_message(text=_mpaspor_text(lang) + "\n\n" + _t(
            lang,
            "Di sini Bapak/Ibu dapat memesan jadwal kunjungan untuk layanan kantor lainnya. Lansia, penyandang "
            "disabilitas, ibu hamil, dan orang tua dengan balita dilayani tanpa booking melalui antrean prioritas "
            "(ketik \"ambil nomor antrean\" pada hari kedatangan).",
            "Here you can book a visit for the office's other services. Elderly people, people with disabilities, "
            "pregnant women and parents with toddlers are served without booking through the priority queue "
            "(type \"take a queue number\" on the day)."))
        events = _reset()
        phone = phone_from_sender(tracker.sender_id)
        if phone:
            events.append(SlotSet("booking_phone", phone))
        return events


class ActionAskBookingService(Action):
    def name(self) -> str:
        return "action_ask_booking_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        with session_scope() as session:
            buttons = [{"title": s.label(lang), "payload": s.code} for s in list_services(session, bookable_only=True)]
        dispatcher.utter_message(text=_t(lang, "Layanan apa yang ingin Bapak/Ibu jadwalkan?",
                                         "Which service would you like to book?"), buttons=buttons)
        return []


class ActionAskBookingDate(Action):
    def name(self) -> str:
        return "action_ask_booking_date"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        with session_scope() as session:
            service = get_service(session, tracker.get_slot("booking_service") or "")
            days = bk.open_days(session, service, clock.now(), _calendar(session)) if service else []
        buttons = [{"title": format_date(d, lang), "payload": d.isoformat()} for d in days]
        text = _t(lang, "Tanggal berapa Bapak/Ibu ingin datang? Pilih tanggal di bawah atau ketik, misalnya "
                        "\"besok\", \"senin depan\", \"tgl 5 des\", atau \"5/12\".",
                  "Which date would you like to come? Choose below or type e.g. \"tomorrow\", \"next monday\" or "
                  "\"5/12\".")
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionAskBookingTime(Action):
    def name(self) -> str:
        return "action_ask_booking_time"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        try:
            day = dt.date.fromisoformat(tracker.get_slot("booking_date") or "")
        except ValueError:
            return [SlotSet("booking_date", None)]
        with session_scope() as session:
            service = get_service(session, tracker.get_slot("booking_service") or "")
            slots = bk.free_slots(session, service, day, clock.now(), _calendar(session)) if service else []
        if not slots:
            # the day filled up after the citizen chose it (other citizens booked meanwhile): ask for a date
            # again instead of offering no times at all
            dispatcher.utter_message(text=_t(lang, f"Mohon maaf, jadwal pada {format_date(day, lang)} baru saja penuh.",
                                             f"Sorry, {format_date(day, lang)} has just been fully booked."))
            await ActionAskBookingDate().run(dispatcher, tracker, domain)
            return [SlotSet("booking_date", None), SlotSet("requested_slot", "booking_date")]
        buttons = [{"title": f"{_hhmm(s.start)} ({s.free})", "payload": s.start.strftime("%H:%M")}
                   for s in slots[:MAX_TIME_BUTTONS]]
        more = len(slots) > MAX_TIME_BUTTONS
        text = _t(lang, f"Pilih jam kedatangan pada {format_date(day, lang)} (angka dalam kurung = sisa tempat)."
                        + (" Jam lain dapat diketik, misalnya \"14.30\"." if more else ""),
                  f"Choose a time on {format_date(day, lang)} (number in brackets = places left)."
                  + (" You can also type another time, e.g. \"14:30\"." if more else ""))
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionAskBookingName(Action):
    def name(self) -> str:
        return "action_ask_booking_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        dispatcher.utter_message(text=_t(lang, "Atas nama siapa booking ini? Cukup nama lengkap (tanpa NIK).",
                                         "Under which name is this booking? Your full name is enough (no ID number)."))
        return []


class ActionAskBookingPhone(Action):
    def name(self) -> str:
        return "action_ask_booking_phone"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        dispatcher.utter_message(text=_t(lang, "Nomor HP (WhatsApp) yang dapat dihubungi? Contoh: 0812-3456-7890.",
                                         "Your mobile (WhatsApp) number? Example: 0812-3456-7890."))
        return []


class ActionAskBookingConfirm(Action):
    def name(self) -> str:
        return "action_ask_booking_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        with session_scope() as session:
            service = get_service(session, tracker.get_slot("booking_service") or "")
            label = _service_label(service, tracker.get_slot("booking_service") or "", lang)
        day = dt.date.fromisoformat(tracker.get_slot("booking_date"))
        start = dt.time.fromisoformat(tracker.get_slot("booking_time"))
        phone = tracker.get_slot("booking_phone") or ""
        text = _t(lang,
                  f"Mohon periksa kembali:\nLayanan: {label}\nJadwal: {format_date(day, lang)}, pukul {_hhmm(start)} WIB\n"
                  f"Nama: {tracker.get_slot('booking_name')}\nNomor HP: {phone}\nSudah benar?",
                  f"Please check:\nService: {label}\nTime: {format_date(day, lang)}, {_hhmm(start)} WIB\n"
                  f"Name: {tracker.get_slot('booking_name')}\nPhone: {phone}\nIs this correct?")
        buttons = [{"title": _t(lang, "Ya, benar", "Yes"), "payload": "Ya"},
                   {"title": _t(lang, "Ubah", "Change"), "payload": "Ubah"},
                   {"title": _t(lang, "Batal", "Cancel"), "payload": "Batal"}]
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class _DateTimeValidation:
    """Date and time answers, shared by the booking and the reschedule forms."""

    def validate_booking_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        lang = language_of(tracker)
        now = clock.now()
        day, reason = _parse_day(str(value or ""), now.date(), lang)
        if day is None:
            if not _answer_question(dispatcher, tracker, lang):
                if reason == REASON_INVALID:
                    msg = _t(lang, "Tanggal tersebut tidak ada di kalender. Mohon periksa kembali.",
                             "That date does not exist. Please check it.")
                elif reason == REASON_AMBIGUOUS:
                    msg = _t(lang, "Mohon sebutkan satu tanggal saja, misalnya \"selasa depan\" atau \"5/12\".",
                             "Please give one date, e.g. \"next tuesday\" or \"5/12\".")
                else:
                    msg = _t(lang, "Maaf, tanggalnya belum saya pahami. Contoh: \"besok\", \"lusa\", \"senin depan\", "
                                   "\"tgl 5 des\", \"5/12\", atau \"3 hari lagi\".",
                             "Sorry, I did not understand the date. Examples: \"tomorrow\", \"next monday\", "
                             "\"5/12\", \"in 3 days\".")
                dispatcher.utter_message(text=msg)
            return {"booking_date": None}
        with session_scope() as session:
            service = get_service(session, tracker.get_slot("booking_service") or "")
            if service is None:
                return {"booking_date": None, "booking_service": None}
            policy = get_policy(session)
            calendar = _calendar(session)  # once for the three checks below
            problem = bk.date_problem(service, day, now, calendar, policy)
            if problem:
                dispatcher.utter_message(text=_date_problem_text(problem[0], problem[1], day, lang))
                return {"booking_date": None}
            if not bk.free_slots(session, service, day, now, calendar):
                alternatives = bk.nearest_alternatives(session, service, day, dt.time(8, 0), now, calendar)
                dispatcher.utter_message(text=_t(lang, f"Mohon maaf, jadwal pada {format_date(day, lang)} sudah penuh.",
                                                 f"Sorry, {format_date(day, lang)} is fully booked.")
                                         + "\n" + _alternatives_text(alternatives, lang))
                return {"booking_date": None}
        return {"booking_date": day.isoformat()}

    def validate_booking_time(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        lang = language_of(tracker)
        start = _parse_time(str(value or ""))
        try:
            day = dt.date.fromisoformat(tracker.get_slot("booking_date") or "")
        except ValueError:
            return {"booking_time": None, "booking_date": None}
        with session_scope() as session:
            service = get_service(session, tracker.get_slot("booking_service") or "")
            calendar = _calendar(session)
            slots = bk.slots_on(session, service, day, clock.now(), calendar) if service else []
            chosen = next((s for s in slots if start is not None and s.start == start), None)
            if chosen is None:
                if not _answer_question(dispatcher, tracker, lang):
                    dispatcher.utter_message(text=_t(lang, "Jam tersebut tidak tersedia. Mohon pilih salah satu jam "
                                                           "pada tombol.",
                                                     "That time is not available. Please choose one of the buttons."))
                return {"booking_time": None}
            if chosen.free < 1:
                alternatives = bk.nearest_alternatives(session, service, day, chosen.start, clock.now(), calendar)
                dispatcher.utter_message(text=_t(lang, "Mohon maaf, jam tersebut sudah penuh.",
                                                 "Sorry, that time is full.") + "\n"
                                         + _alternatives_text(alternatives, lang))
                return {"booking_time": None}
        return {"booking_time": chosen.start.strftime("%H:%M")}


class ValidateBookingForm(ConsentFormValidation, _DateTimeValidation, FormValidationAction):
    consent_purpose = "booking"

    def name(self) -> str:
        return "validate_booking_form"

    def validate_booking_service(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        lang = language_of(tracker)
        text = str(value or "")
        with session_scope() as session:
            everything = list_services(session)
            service = _match_service(everything, text)
            if service is not None and service.booking_needed:
                return {"booking_service": service.code}
        if service is not None:  # walk-in only (priority)
            dispatcher.utter_message(text=_t(
                lang, f"{service.name} dilayani tanpa booking: datang pada jam layanan lalu ketik \"ambil nomor "
                      "antrean\" atau ambil nomor di kios antrean.",
                f"{service.label(lang)} needs no booking: come during opening hours and type \"take a queue number\" "
                "or take a number at the kiosk."))
        elif re.search(r"paspor\s*baru|buat\s*paspor|bikin\s*paspor|perpanja|ganti\s*paspor|new\s*passport", text.lower()):
            dispatcher.utter_message(text=_mpaspor_text(lang))
        elif not _answer_question(dispatcher, tracker, lang):
            dispatcher.utter_message(text=_t(lang, "Mohon pilih salah satu layanan pada tombol.",
                                             "Please choose one of the services on the buttons."))
        return {"booking_service": None}

    def validate_booking_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        lang = language_of(tracker)
        name = bk.clean_name(str(value or ""))
        if name is None or (_is_question(tracker) and "?" in str(value)):
            if not _answer_question(dispatcher, tracker, lang):
                dispatcher.utter_message(text=_t(lang, "Mohon tulis nama lengkap dengan huruf (2-80 karakter, tanpa angka).",
                                                 "Please type your full name in letters (2-80 characters, no digits)."))
            return {"booking_name": None}
        return {"booking_name": name}

    def validate_booking_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        lang = language_of(tracker)
        try:
            return {"booking_phone": normalise_phone(str(value or ""))}
        except PhoneError as exc:
            if _answer_question(dispatcher, tracker, lang):
                return {"booking_phone": None}
            reason = str(exc)
            if reason == "not_mobile" or reason == "not_indonesian":
                msg = _t(lang, "Mohon gunakan nomor HP Indonesia (diawali 08 atau +62 8), bukan nomor telepon rumah "
                               "atau nomor luar negeri.",
                         "Please use an Indonesian mobile number (starting 08 or +62 8), not a landline or a foreign "
                         "number.")
            else:
                msg = _t(lang, "Nomor HP tersebut tidak valid. Contoh yang benar: 0812-3456-7890.",
                         "That mobile number is not valid. Example: 0812-3456-7890.")
            dispatcher.utter_message(text=msg)
            return {"booking_phone": None}

    def validate_booking_confirm(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        lang = language_of(tracker)
        answer = str(value or "").strip().lower().strip(".! ")
        if answer in CHANGE or answer.startswith("ubah"):
            dispatcher.utter_message(text=_t(lang, "Baik, mari kita ubah jadwal dan data booking-nya.",
                                             "All right, let's change the booking details."))
            slots: dict[str, Any] = {"booking_confirm": None, "booking_date": None, "booking_time": None,
                                     "booking_name": None, "booking_phone": phone_from_sender(tracker.sender_id)}
            return slots
        if answer not in YES and not answer.startswith(("ya", "yes", "iya")):
            if not _answer_question(dispatcher, tracker, lang):
                dispatcher.utter_message(text=_t(lang, "Mohon pilih \"Ya\", \"Ubah\", atau \"Batal\".",
                                                 "Please choose \"Yes\", \"Change\" or \"Cancel\"."))
            return {"booking_confirm": None}
        day = dt.date.fromisoformat(tracker.get_slot("booking_date"))
        start = dt.time.fromisoformat(tracker.get_slot("booking_time"))
        with session_scope() as session:
            result = bk.book(session, tracker.get_slot("booking_service"), day, start, tracker.get_slot("booking_name"),
                             tracker.get_slot("booking_phone"), tracker.sender_id, now=clock.now(),
                             calendar=_calendar(), language=lang)
            code = result.booking.code if result.booking is not None else None
            existing = (result.booking.day, result.booking.start) if result.booking is not None else None
        if result.ok:
            return {"booking_confirm": "yes", "booking_code": code}
        if result.reason == bk.DUPLICATE and existing:
            dispatcher.utter_message(text=_t(
                lang, f"Nomor HP ini sudah memiliki booking aktif untuk layanan yang sama (kode {code}, "
                      f"{format_date(existing[0], lang)} pukul {_hhmm(existing[1])} WIB). Satu nomor HP hanya dapat "
                      f"memiliki satu booking aktif per layanan. Untuk mengganti jadwal, ketik \"ubah jadwal booking {code}\".",
                f"This phone number already has an active booking for this service (code {code}, "
                f"{format_date(existing[0], lang)} at {_hhmm(existing[1])} WIB). One active booking per phone per "
                f"service. To move it, type \"reschedule booking {code}\"."))
            return {"booking_confirm": "duplicate", "booking_code": None}
        dispatcher.utter_message(text=_result_problem_text(result, lang, day))
        if result.reason in (bk.FULL, bk.BAD_SLOT):
            return {"booking_confirm": None, "booking_time": None}
        return {"booking_confirm": None, "booking_time": None, "booking_date": None}


def _what_to_bring(service: BookingService | None, lang: str) -> str:
    """From the knowledge base article of the service (never from code)."""
    if service is None or not service.kb_topic:
        return ""
    answer = get_knowledge_base().answer_for_topic(service.kb_topic, lang, section_hint="dokumen")
    if answer is None or answer.status != "answer":
        return ""
    return answer_text(answer)


class ActionBookingSubmit(Action):
    """After "Ya": the code, the summary, what to bring and how to cancel."""

    def name(self) -> str:
        return "action_booking_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        if consent_refused(tracker):  # the refusal was explained; nothing was stored
            return [*_reset(), *consent_reset_events()]
        code = tracker.get_slot("booking_code")
        if not code:
            dispatcher.utter_message(response="utter_menu")
            return _reset()
        with session_scope() as session:
            booking = bk.find_booking(session, code)
            if booking is None:
                dispatcher.utter_message(text=_t(lang, "Booking tidak ditemukan.", "Booking not found."))
                return _reset()
            service = get_service(session, booking.service_code)
            summary = _summary(booking, service, lang)
            policy = get_policy(session)
            bring = _what_to_bring(service, lang)
        dispatcher.utter_message(text=_t(lang, f"Booking berhasil. Kode booking Bapak/Ibu: {code}",
                                         f"Your booking is confirmed. Booking code: {code}"))
        qr_url = booking_qr_url(code)
        if qr_url:  # only with PUBLIC_BASE_URL set: a channel cannot fetch an address it cannot reach
            dispatcher.utter_message(text=_t(lang, "QR check-in: pindai di kios antrean saat tiba.",
                                             "Check-in QR: scan it at the queue kiosk when you arrive."),
                                     image=qr_url)
        dispatcher.utter_message(text=summary + "\n\n" + _t(
            lang, "Saat tiba, tunjukkan kode ini di loket atau kios antrean untuk check-in dan mendapatkan nomor "
                  "antrean. Kami akan mengirim pengingat sehari sebelumnya.",
            "On arrival, show this code at the counter or the queue kiosk to check in and get a queue number. "
            "We will send a reminder the day before."))
        if bring:
            dispatcher.utter_message(text=_t(lang, "Yang perlu disiapkan:\n\n", "What to prepare:\n\n") + bring)
        dispatcher.utter_message(text=_t(
            lang, f"Untuk membatalkan, ketik \"batal booking {code}\"; untuk mengubah jadwal, ketik \"ubah jadwal "
                  f"booking {code}\". ",
            f"To cancel, type \"cancel booking {code}\"; to move it, type \"reschedule booking {code}\". ")
            + _policy_text(policy, lang))
        return _reset()


class ActionBookingFormCancel(Action):
    """'batal' inside the booking or reschedule form: stop; nothing was written."""

    def name(self) -> str:
        return "action_booking_form_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        if tracker.active_loop_name == "reschedule_form":
            text = _t(lang, "Baik, perubahan jadwal dibatalkan. Booking Bapak/Ibu tetap seperti semula.",
                      "All right, the change was cancelled. Your booking stays as it was.")
        else:
            text = _t(lang, "Baik, booking dibatalkan. Tidak ada data yang disimpan.",
                      "All right, the booking was cancelled. Nothing was saved.")
        dispatcher.utter_message(text=text, buttons=menu_buttons(lang))
        return [ActiveLoop(None), SlotSet("requested_slot", None), *_reset(), *consent_reset_events()]


# ------------------------------------------------------------------------------------------------
# check, cancel, reschedule
# ------------------------------------------------------------------------------------------------
def _own_bookings(tracker: Tracker) -> list[Booking]:
    with session_scope() as session:
        return bk.bookings_of(session, sender_id=tracker.sender_id, phone=phone_from_sender(tracker.sender_id) or "",
                              today=clock.today())


def _not_found_text(code: str, lang: str) -> str:
    return _t(lang, f"Kode booking {code} tidak ditemukan. Mohon periksa kembali: kode terdiri dari 6 huruf/angka "
                    "(tanpa huruf O, I, L dan angka 0, 1).",
              f"Booking code {code} was not found. Please check it: 6 letters/digits (no O, I, L, 0 or 1).")


def _unknown_code_text(text: str, lang: str) -> str | None:
    """'cek booking ABO123' names something code-like but invalid: say so instead of listing bookings."""
    token = next((t for t in re.findall(r"\b[A-Za-z0-9]{5,8}\b", text) if any(c.isdigit() for c in t)), None)
    return _not_found_text(token.upper(), lang) if token else None


class ActionBookingCheck(Action):
    def name(self) -> str:
        return "action_booking_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        code = _code_from(tracker)
        if code:
            with session_scope() as session:
                booking = bk.find_booking(session, code)
                if booking is None:
                    dispatcher.utter_message(text=_not_found_text(code, lang))
                    return []
                text = _summary(booking, get_service(session, booking.service_code), lang)
                status = {"active": _t(lang, "aktif", "active"), "checked_in": _t(lang, "sudah check-in", "checked in"),
                          "cancelled": _t(lang, "dibatalkan", "cancelled")}.get(booking.status, booking.status)
            dispatcher.utter_message(text=text + "\n" + _t(lang, f"Status: {status}", f"Status: {status}"))
            return []
        unknown = _unknown_code_text(_text(tracker), lang)
        if unknown:
            dispatcher.utter_message(text=unknown)
            return []
        mine = _own_bookings(tracker)
        if not mine:
            dispatcher.utter_message(text=_t(lang, "Belum ada booking aktif dari percakapan ini. Jika Bapak/Ibu memiliki "
                                                   "kode booking, ketik misalnya \"cek booking ABC234\".",
                                             "There is no active booking from this conversation. If you have a booking "
                                             "code, type e.g. \"check booking ABC234\"."),
                                     buttons=[{"title": _t(lang, "Buat booking", "Make a booking"),
                                               "payload": "/start_booking"}])
            return []
        with session_scope() as session:
            texts = [_summary(b, get_service(session, b.service_code), lang) for b in mine]
        dispatcher.utter_message(text=_t(lang, "Booking aktif Bapak/Ibu:\n\n", "Your active bookings:\n\n")
                                 + "\n\n".join(texts))
        return []


class ActionBookingCancel(Action):
    def name(self) -> str:
        return "action_booking_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        code = _code_from(tracker)
        if not code:
            unknown = _unknown_code_text(_text(tracker), lang)
            if unknown:
                dispatcher.utter_message(text=unknown)
                return []
            mine = _own_bookings(tracker)
            if not mine:
                dispatcher.utter_message(text=_t(lang, "Tidak ada booking aktif yang dapat dibatalkan dari percakapan "
                                                       "ini. Ketik \"batal booking\" diikuti kodenya, misalnya "
                                                       "\"batal booking ABC234\".",
                                                 "There is no active booking to cancel from this conversation. Type "
                                                 "\"cancel booking\" and the code, e.g. \"cancel booking ABC234\"."))
                return []
            if len(mine) > 1:
                buttons = [{"title": f"{b.code} ({format_date(b.day, lang)} {_hhmm(b.start)})",
                            "payload": "/cancel_booking" + json.dumps({"booking_code": b.code})} for b in mine]
                dispatcher.utter_message(text=_t(lang, "Booking mana yang ingin dibatalkan?",
                                                 "Which booking do you want to cancel?"), buttons=buttons)
                return []
            code = mine[0].code
        with session_scope() as session:
            result = bk.cancel(session, code, now=clock.now())
            if result.ok:
                service = get_service(session, result.booking.service_code)
                done = _t(lang, f"Booking {code} ({_service_label(service, result.booking.service_code, lang)}, "
                                f"{format_date(result.booking.day, lang)} pukul {_hhmm(result.booking.start)} WIB) "
                                "telah dibatalkan. Tempatnya kini tersedia untuk warga lain.",
                          f"Booking {code} ({_service_label(service, result.booking.service_code, lang)}, "
                          f"{format_date(result.booking.day, lang)} at {_hhmm(result.booking.start)} WIB) has been "
                          "cancelled. The place is now free for others.")
        if not result.ok:
            text = _not_found_text(code, lang) if result.reason == bk.NOT_FOUND else _result_problem_text(result, lang)
            if result.reason == bk.PAST:
                text = _t(lang, "Booking tersebut sudah lewat tanggalnya.", "That booking is already in the past.")
            dispatcher.utter_message(text=text)
            return []
        dispatcher.utter_message(text=done, buttons=[{"title": _t(lang, "Buat booking baru", "New booking"),
                                                      "payload": "/start_booking"}])
        return []


class ActionRescheduleStart(Action):
    """Finds the booking (code in the message, or the citizen's only one) and opens the reschedule form
    only when the policy allows moving it."""

    def name(self) -> str:
        return "action_reschedule_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        code = _code_from(tracker)
        if not code:
            mine = _own_bookings(tracker)
            if len(mine) == 1:
                code = mine[0].code
        events: list[EventType] = _reset()
        if not code:
            return events + [FollowupAction("reschedule_form")]
        problem = _reschedule_problem(code, lang)
        if problem:
            dispatcher.utter_message(text=problem)
            return events
        with session_scope() as session:
            booking = bk.find_booking(session, code)
            service_code = booking.service_code
            current = f"{format_date(booking.day, lang)} {_hhmm(booking.start)} WIB"
        dispatcher.utter_message(text=_t(lang, f"Booking {code} saat ini: {current}. Mari pilih jadwal baru.",
                                         f"Booking {code} is now at {current}. Let's choose a new time."))
        return events + [SlotSet("reschedule_code", code), SlotSet("booking_service", service_code),
                         FollowupAction("reschedule_form")]


def _reschedule_problem(code: str, lang: str) -> str | None:
    with session_scope() as session:
        booking = bk.find_booking(session, code)
        if booking is None:
            return _not_found_text(code, lang)
        reason = bk.can_reschedule(booking, get_policy(session), clock.today(), _calendar())
        if reason:
            return _result_problem_text(bk.BookingResult(False, reason, booking=booking,
                                                         detail=str(get_policy(session).reschedule_days_before)), lang)
    return None


class ActionAskRescheduleCode(Action):
    def name(self) -> str:
        return "action_ask_reschedule_code"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        dispatcher.utter_message(text=_t(lang, "Mohon ketik kode booking yang ingin diubah jadwalnya (6 karakter).",
                                         "Please type the booking code you want to move (6 characters)."))
        return []


class ValidateRescheduleForm(_DateTimeValidation, FormValidationAction):
    def name(self) -> str:
        return "validate_reschedule_form"

    def validate_reschedule_code(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        lang = language_of(tracker)
        code = find_code(str(value or "")) or find_code(str(value or "").upper())
        if code is None:
            if not _answer_question(dispatcher, tracker, lang):
                dispatcher.utter_message(text=_t(lang, "Kode booking terdiri dari 6 huruf/angka, misalnya ABC234.",
                                                 "A booking code has 6 letters/digits, e.g. ABC234."))
            return {"reschedule_code": None}
        problem = _reschedule_problem(code, lang)
        if problem:
            dispatcher.utter_message(text=problem)
            return {"reschedule_code": None}
        with session_scope() as session:
            service_code = bk.find_booking(session, code).service_code
        return {"reschedule_code": code, "booking_service": service_code}


class ActionRescheduleSubmit(Action):
    def name(self) -> str:
        return "action_reschedule_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        code = tracker.get_slot("reschedule_code")
        day = dt.date.fromisoformat(tracker.get_slot("booking_date"))
        start = dt.time.fromisoformat(tracker.get_slot("booking_time"))
        with session_scope() as session:
            result = bk.reschedule(session, code, day, start, now=clock.now(), calendar=_calendar())
            text = (_summary(result.booking, get_service(session, result.booking.service_code), lang)
                    if result.ok else _result_problem_text(result, lang, day))
        if result.ok:
            dispatcher.utter_message(text=_t(lang, "Jadwal booking berhasil diubah.\n\n", "Your booking was moved.\n\n")
                                     + text)
        else:
            dispatcher.utter_message(text=text + "\n" + _t(lang, f"Silakan coba lagi: \"ubah jadwal booking {code}\".",
                                                           f"Please try again: \"reschedule booking {code}\"."))
        return _reset()


# ------------------------------------------------------------------------------------------------
# same-day queue
# ------------------------------------------------------------------------------------------------
def _status_text(status: q.QueueStatus, lang: str) -> str:
    serving = status.serving or _t(lang, "belum ada", "none yet")
    if status.ticket.status == "called":
        return _t(lang, f"Nomor {status.ticket.label} sedang dipanggil ke loket {status.ticket.counter}. "
                        "Silakan menuju loket.",
                  f"Number {status.ticket.label} is being called to counter {status.ticket.counter}. "
                  "Please go to the counter.")
    return _t(lang, f"Nomor antrean Bapak/Ibu: {status.ticket.label}\nSedang dilayani: {serving}\n"
                    f"Di depan Bapak/Ibu: {status.ahead} orang\nPerkiraan waktu tunggu: ±{status.wait_minutes} menit",
              f"Your queue number: {status.ticket.label}\nNow serving: {serving}\n"
              f"People ahead of you: {status.ahead}\nEstimated wait: about {status.wait_minutes} minutes")


class ActionQueueTake(Action):
    """A walk-in number within today's quota; the citizen picks the service (priority: line P)."""

    def name(self) -> str:
        return "action_queue_take"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        now = clock.now()
        calendar = _calendar()
        if not calendar.is_working_day(now.date()) or not calendar.is_open_at(now):
            holiday = calendar.holiday_on(now.date())
            reason = f" ({holiday.name})" if holiday else ""
            nxt = calendar.next_opening(now)
            dispatcher.utter_message(text=_t(
                lang, f"Nomor antrean hanya dapat diambil pada jam layanan, saat Bapak/Ibu akan datang{reason}. "
                      f"Layanan berikutnya: {format_date(nxt.date(), lang)} pukul {_hhmm(nxt.time())} WIB. "
                      "Untuk memilih jadwal lebih dulu, silakan booking.",
                f"Queue numbers are issued during opening hours, for a visit the same day{reason}. Next opening: "
                f"{format_date(nxt.date(), lang)} at {_hhmm(nxt.time())} WIB. To choose a time in advance, please book."),
                buttons=[{"title": _t(lang, "Booking jadwal", "Book a visit"), "payload": "/start_booking"}])
            return []
        chosen = next(tracker.get_latest_entity_values("queue_service"), None)
        with session_scope() as session:
            if not chosen:
                existing = q.status_for(session, tracker.sender_id, now)
                if existing is not None:
                    dispatcher.utter_message(text=_status_text(existing, lang))
                    return []
                services = q.walkin_services(session, now)
                buttons = [{"title": s.label(lang), "payload": "/take_queue_number" + json.dumps({"queue_service": s.code})}
                           for s in services]
                dispatcher.utter_message(text=_t(
                    lang, "Untuk layanan apa nomor antreannya? Layanan prioritas untuk lansia (60 tahun ke atas), "
                          "penyandang disabilitas, ibu hamil, dan orang tua dengan balita. Jika sudah booking, "
                          "cukup tunjukkan kode booking di loket atau kios untuk check-in.",
                    "Which service is the number for? The priority service is for elderly people (60+), people with "
                    "disabilities, pregnant women and parents with toddlers. If you have a booking, just show its "
                    "code at the counter or kiosk to check in."), buttons=buttons)
                return []
            result = q.take_walkin(session, str(chosen), tracker.sender_id, now=now, calendar=calendar, language=lang)
            if result.ok or result.reason == q.ALREADY:
                status = q.status_for(session, tracker.sender_id, now)
                service = get_service(session, result.ticket.service_code)
                label = _service_label(service, result.ticket.service_code, lang)
            quota_service = get_service(session, str(chosen))
        if result.ok and status is not None:
            places = None
            with session_scope() as session:
                places = get_policy(session).near_turn_places
            dispatcher.utter_message(text=_t(lang, f"Nomor antrean Bapak/Ibu untuk {label}:", f"Your number for {label}:"))
            dispatcher.utter_message(text=_status_text(status, lang) + "\n\n" + _t(
                lang, f"Kami akan mengirim pesan saat nomor Bapak/Ibu tinggal {places} antrean lagi. Ketik \"antrean "
                      "sekarang nomor berapa?\" untuk melihat posisi terbaru.",
                f"We will message you when {places} people are left ahead of you. Type \"queue status\" to see your "
                "place."))
            return []
        if result.reason == q.ALREADY and status is not None:
            dispatcher.utter_message(text=_t(lang, "Bapak/Ibu sudah memiliki nomor antrean hari ini.",
                                             "You already have a queue number today.") + "\n" + _status_text(status, lang))
            return []
        if result.reason == q.QUOTA_FULL:
            name = _service_label(quota_service, str(chosen), lang)
            dispatcher.utter_message(text=_t(lang, f"Mohon maaf, kuota nomor antrean hari ini untuk {name} sudah habis. "
                                                   "Silakan booking untuk hari kerja berikutnya.",
                                             f"Sorry, today's queue numbers for {name} are all taken. Please book a "
                                             "visit on another working day."),
                                     buttons=[{"title": _t(lang, "Booking jadwal", "Book a visit"),
                                               "payload": "/start_booking"}])
            return []
        dispatcher.utter_message(text=_t(lang, "Layanan tersebut tidak tersedia untuk nomor antrean hari ini.",
                                         "That service has no queue numbers today."), buttons=menu_buttons(lang))
        return []


class ActionQueueStatus(Action):
    """'antrean sekarang nomor berapa?': the citizen's place, or what every line is serving."""

    def name(self) -> str:
        return "action_queue_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        now = clock.now()
        with session_scope() as session:
            status = q.status_for(session, tracker.sender_id, now)
            if status is not None:
                dispatcher.utter_message(text=_status_text(status, lang))
                return []
            board = q.board(session, now.date())
            names = {s.line: s.label(lang) for s in reversed(list_services(session))}
        lines = [f"- {names.get(item['line'], item['line'])}: {item['serving'] or _t(lang, 'belum ada', 'none yet')}"
                 f" ({item['waiting']} {_t(lang, 'menunggu', 'waiting')})" for item in board["lines"]]
        dispatcher.utter_message(text=_t(lang, "Nomor yang sedang dilayani saat ini:\n", "Now serving:\n") + "\n".join(lines)
                                 + "\n\n" + _t(lang, "Bapak/Ibu belum memiliki nomor antrean hari ini.",
                                               "You have no queue number today."),
                                 buttons=[{"title": _t(lang, "Ambil nomor antrean", "Take a queue number"),
                                           "payload": "/take_queue_number"}])
        return []
