"""What the office sends, unasked, to people who registered for a mobile service day or an information
session, and to those who asked for a visit: the day-before reminder, a change or cancellation of the
event, and the decision on a visit request. Indonesian by default ("Bapak/Ibu", formal but warm),
English when the person wrote English.

Why here and not in the bot: these texts leave through the outbox, written by the worker or by a staff
action, long after the conversation; the citizen-side texts (what the bot says while registering)
live in citizen_messages.py. Facts (documents, no M-Paspor, no service fee beyond PNBP, not for lost or
damaged passports) follow reference/immigration-facts.md, "Eazy Passport".
"""
from __future__ import annotations

from office.bilingual import text_for
from office.dates import format_date
from office.outreach.event_models import EventRegistration, OutreachEvent, VisitRequest


def _when(event: OutreachEvent, lang: str) -> str:
    """"Senin, 7 Desember 2026, pukul 09.00–14.00 WIB"."""
    hours = f"{event.start_time.strftime('%H.%M')}–{event.end_time.strftime('%H.%M')} WIB"
    return text_for(lang, f"{format_date(event.day)}, pukul {hours}", f"{format_date(event.day, 'en')}, {hours}")


def _where(event: OutreachEvent) -> str:
    parts = [event.place, f"Kec. {event.kecamatan}" if event.kecamatan else "", event.kabupaten]
    return ", ".join(p for p in parts if p)


def sentence(text: str) -> str:
    """Staff-written text as one finished sentence ("Cuaca buruk" -> "Cuaca buruk."), so it reads well
    inside a longer message."""
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?" else text + "."


def event_name(event: OutreachEvent, lang: str = "id") -> str:
    """The kind and title as a citizen reads them: "layanan paspor keliling "…"" / "sosialisasi "…""."""
    if event.kind == "service_day":
        return text_for(lang, f"layanan paspor keliling (Eazy Passport) \"{event.title}\"",
                        f"mobile passport service (Eazy Passport) \"{event.title}\"")
    return text_for(lang, f"sosialisasi \"{event.title}\"", f"information session \"{event.title}\"")


def _people(count: int, lang: str) -> str:
    return text_for(lang, f"{count} orang", f"{count} person" if count == 1 else f"{count} people")


def reminder_text(event: OutreachEvent, registration: EventRegistration, people: int, lang: str = "id") -> str:
    """The day-before reminder of one registration (a person alone or a group leader)."""
    name, when, where = event_name(event, lang), _when(event, lang), _where(event)
    if event.kind == "service_day":
        bring = text_for(
            lang,
            " Mohon setiap pemohon membawa dokumen asli: e-KTP, Kartu Keluarga, dan akta kelahiran/akta nikah/ijazah; "
            "untuk penggantian paspor, bawa juga paspor lama. Kenakan pakaian rapi berkerah yang bukan berwarna putih. "
            "Layanan ini tanpa M-Paspor dan tanpa biaya jasa; yang dibayar hanya PNBP resmi. Paspor hilang atau rusak "
            "tidak dilayani di sini, silakan datang ke kantor.",
            " Each applicant please bring original documents: e-KTP, Kartu Keluarga, and a birth certificate, marriage "
            "certificate or school diploma; for a replacement, also the old passport. Please wear neat collared clothes "
            "that are not white. No M-Paspor booking and no service fee are needed; only the official PNBP fee is paid. "
            "Lost or damaged passports are not handled here; please come to the office.")
    else:
        bring = text_for(lang, " Sesi ini terbuka tanpa biaya.", " The session is free of charge.")
    return text_for(
        lang,
        f"Yth. Bapak/Ibu {registration.leader_name}, kami mengingatkan bahwa {name} akan dilaksanakan besok, "
        f"{when}, di {where}. Pendaftaran Anda: {_people(people, lang)}, kode {registration.code}; tunjukkan kode "
        f"ini kepada petugas saat tiba.{bring} Bila berhalangan hadir, mohon kabari kami lewat chat ini agar "
        f"tempatnya dapat dipakai warga lain. Sampai jumpa besok.",
        f"Dear {registration.leader_name}, a reminder that the {name} takes place tomorrow, {when}, at {where}. "
        f"Your registration: {_people(people, lang)}, code {registration.code}; please show this code to the officers "
        f"when you arrive.{bring} If you cannot come, please let us know in this chat so that someone else can have "
        f"the place. See you tomorrow.")


def cancellation_text(event: OutreachEvent, registration: EventRegistration, reason: str, lang: str = "id") -> str:
    """The office cancelled the event: say so, why, and that nothing is owed."""
    name, when = event_name(event, lang), _when(event, lang)
    return text_for(
        lang,
        f"Yth. Bapak/Ibu {registration.leader_name}, dengan berat hati kami sampaikan bahwa {name} pada {when} di "
        f"{_where(event)} dibatalkan. Alasan: {sentence(reason)} Pendaftaran Anda (kode {registration.code}) ikut batal dan "
        f"tidak ada biaya apa pun. Mohon maaf atas ketidaknyamanannya. Jadwal layanan keliling berikutnya dapat "
        f"Bapak/Ibu tanyakan lewat chat ini, misalnya \"jadwal layanan keliling\".",
        f"Dear {registration.leader_name}, we are sorry to tell you that the {name} on {when} at {_where(event)} has "
        f"been cancelled. Reason: {sentence(reason)} Your registration (code {registration.code}) is cancelled with it, and "
        f"nothing is owed. We apologise for the inconvenience. You can ask this chat for the next dates, for "
        f"example \"mobile service schedule\".")


def change_text(event: OutreachEvent, registration: EventRegistration, lang: str = "id") -> str:
    """The day, hours or place of an event the person registered for changed."""
    name = event_name(event, lang)
    return text_for(
        lang,
        f"Yth. Bapak/Ibu {registration.leader_name}, ada perubahan jadwal {name}. Jadwal terbaru: {_when(event, lang)}, "
        f"di {_where(event)}. Pendaftaran Anda (kode {registration.code}) tetap berlaku. Bila Bapak/Ibu tidak dapat "
        f"hadir pada jadwal baru ini, mohon kabari kami lewat chat ini. Terima kasih atas pengertiannya.",
        f"Dear {registration.leader_name}, the {name} has been rescheduled. New schedule: {_when(event, lang)}, at "
        f"{_where(event)}. Your registration (code {registration.code}) still stands. If you cannot come at the new "
        f"time, please let us know in this chat. Thank you for your understanding.")


def visit_accepted_text(request: VisitRequest, note: str, event: OutreachEvent | None, lang: str = "id") -> str:
    """The office agreed to come; with the scheduled day when staff linked one."""
    if event is not None:
        plan = text_for(lang,
                        f" Jadwalnya: {_when(event, lang)}, di {_where(event)}.",
                        f" Schedule: {_when(event, lang)}, at {_where(event)}.")
    else:
        plan = text_for(lang, " Petugas kami akan menghubungi Bapak/Ibu untuk menyepakati tanggal dan tempatnya.",
                        " Our officers will contact you to agree on the date and place.")
    extra = text_for(lang, f" Catatan petugas: {sentence(note)}", f" Officer's note: {sentence(note)}") if note else ""
    return text_for(
        lang,
        f"Yth. Bapak/Ibu {request.contact_name}, terima kasih atas permohonan kunjungan layanan paspor untuk "
        f"{request.organisation} (kode {request.code}). Dengan senang hati kami sampaikan bahwa permohonan tersebut "
        f"kami terima.{plan}{extra} Mohon siapkan surat dari pimpinan yang memuat daftar pemohon (nama, tanggal lahir, "
        f"NIK, jenis permohonan) serta nama penanggung jawab; daftar tersebut diserahkan langsung kepada petugas, "
        f"bukan lewat chat ini.",
        f"Dear {request.contact_name}, thank you for your request for a passport service visit to "
        f"{request.organisation} (code {request.code}). We are glad to tell you that we have accepted it.{plan}{extra} "
        f"Please prepare a letter from your organisation's head listing each applicant (name, date of birth, NIK, type "
        f"of application) and a contact person; hand that list to the officers directly, not through this chat.")


def visit_declined_text(request: VisitRequest, reason: str, lang: str = "id") -> str:
    """The office cannot come: the reason, and the other ways to be served."""
    return text_for(
        lang,
        f"Yth. Bapak/Ibu {request.contact_name}, terima kasih atas permohonan kunjungan layanan paspor untuk "
        f"{request.organisation} (kode {request.code}). Mohon maaf, kali ini permohonan tersebut belum dapat kami "
        f"penuhi. Alasan: {sentence(reason)} Bapak/Ibu tetap dapat datang ke kantor dengan jadwal dari aplikasi M-Paspor, "
        f"mengikuti layanan keliling yang sudah terjadwal (ketik \"jadwal layanan keliling\"), atau mengajukan "
        f"permohonan kunjungan baru untuk tanggal lain.",
        f"Dear {request.contact_name}, thank you for your request for a passport service visit to "
        f"{request.organisation} (code {request.code}). We are sorry that we cannot accept it this time. Reason: "
        f"{sentence(reason)} You can still come to the office with an appointment from the M-Paspor app, join a scheduled "
        f"mobile service day (type \"mobile service schedule\"), or send a new visit request for other dates.")
