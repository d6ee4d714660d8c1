"""What the bot says about mobile service days, information sessions, registrations and visit requests.

Indonesian (formal, warm: "Bapak/Ibu") or English, chosen by the conversation's language. Dates as
"Senin, 7 Desember 2026", times in WIB. Facts about Eazy Passport (layanan jemput bola) are only those
of the reference sheet: no service fee (the official passport fee only), no M-Paspor needed, not for
lost or damaged passports, ready about 4 working days after payment. No minimum group size is stated:
it differs by office and the office profile does not give one.
"""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from office.bilingual import text_for as _t
from office.dates import format_date
from office.outreach.event_models import OutreachEvent, VisitRequest
from office.outreach import registrations as reg
from office.outreach import visit_requests as vr
from office.outreach.schedule import INFO_SESSION, ScheduleQuestion, places_left

MAX_LISTED = 5


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H.%M")


def kind_label(kind: str | None, lang: str, plural: bool = False) -> str:
    if kind == INFO_SESSION:
        return _t(lang, "sosialisasi", "information sessions" if plural else "information session")
    if kind is None:
        return _t(lang, "layanan keliling atau sosialisasi", "mobile service days or information sessions")
    return _t(lang, "layanan keliling (jemput bola)", "mobile service days" if plural else "mobile service day")


def event_title(event: OutreachEvent, lang: str) -> str:
    """Short, for buttons: "Tumijajar, 7 Des" style would lose the weekday; keep the long date."""
    return f"{event.kecamatan}, {format_date(event.day, lang)}"


def event_block(event: OutreachEvent, lang: str) -> str:
    """One event as a citizen reads it: what, when, where, which services, places left."""
    kind = _t(lang, "Sosialisasi", "Information session") if event.kind == INFO_SESSION else \
        _t(lang, "Layanan keliling", "Mobile service day")
    lines = [f"{kind}: {event.title}",
             f"{_t(lang, 'Tanggal', 'Date')}: {format_date(event.day, lang)}, "
             f"{_hhmm(event.start_time)}–{_hhmm(event.end_time)} WIB",
             f"{_t(lang, 'Tempat', 'Place')}: {event.place}, {_t(lang, 'Kec.', 'Kecamatan')} {event.kecamatan}"
             + (f", {event.kabupaten}" if event.kabupaten else "")]
    services = [s.strip() for s in (event.services or "").splitlines() if s.strip()]
    if services:
        lines.append(f"{_t(lang, 'Layanan', 'Services')}: {', '.join(services)}")
    if event.kind == INFO_SESSION and event.description.strip():
        lines.append(f"{_t(lang, 'Topik', 'Topic')}: {event.description.strip()}")
    left = places_left(event)
    lines.append(_t(lang, f"Sisa tempat: {left} dari {event.quota}", f"Places left: {left} of {event.quota}")
                 if left else _t(lang, "Kuota sudah penuh", "Fully booked"))
    return "\n".join(lines)


def events_text(events: Sequence[OutreachEvent], lang: str) -> str:
    return "\n\n".join(event_block(e, lang) for e in events[:MAX_LISTED])


def _month_name(month: tuple[int, int], lang: str) -> str:
    from office.dates import EN_MONTHS, ID_MONTHS
    return f"{(EN_MONTHS if lang == 'en' else ID_MONTHS)[month[1] - 1]} {month[0]}"


def _where(question: ScheduleQuestion) -> str:
    if question.place is not None:
        return question.place.name
    return (question.unknown_place or "").title()


def schedule_found(question: ScheduleQuestion, events: Sequence[OutreachEvent], lang: str) -> str:
    what = kind_label(question.kind, lang, plural=True)
    scope = ""
    if question.place is not None:
        scope += _t(lang, f" di {question.place.name}", f" in {question.place.name}")
    if question.month is not None:
        scope += _t(lang, f" pada {_month_name(question.month, lang)}", f" in {_month_name(question.month, lang)}")
    more = len(events) - MAX_LISTED
    tail = _t(lang, f"\n\n(Masih ada {more} jadwal lain; sebutkan kecamatan atau bulan untuk mempersempit.)",
              f"\n\n({more} more; name a kecamatan or a month to narrow it down.)") if more > 0 else ""
    return _t(lang, f"Jadwal {what}{scope}:", f"Upcoming {what}{scope}:") + "\n\n" + events_text(events, lang) + tail \
        + "\n\n" + _t(lang, "Untuk mendaftar (sendiri atau rombongan), pilih tombol di bawah.",
                      "To register (yourself or a group), choose a button below.")


def nothing_here(question: ScheduleQuestion, suggestions: Sequence[OutreachEvent], lang: str) -> str:
    """The place / month asked has nothing scheduled (or the place is unknown): say so, then suggest."""
    what = kind_label(question.kind, lang)
    where = _where(question)
    if question.place is None and question.unknown_place:
        first = _t(lang, f"Mohon maaf, kami belum mengenali tempat \"{where}\" dan belum ada jadwal {what} di sana.",
                   f"Sorry, we do not know the place \"{where}\" and nothing is scheduled there.")
    elif question.place is not None and question.month is not None:
        first = _t(lang, f"Belum ada jadwal {what} di {where} pada {_month_name(question.month, lang)}.",
                   f"No {what} is scheduled in {where} in {_month_name(question.month, lang)}.")
    elif question.place is not None:
        first = _t(lang, f"Belum ada jadwal {what} di {where}.", f"No {what} is scheduled in {where} yet.")
    else:
        first = _t(lang, f"Belum ada jadwal {what} pada {_month_name(question.month, lang)}.",
                   f"No {what} is scheduled in {_month_name(question.month, lang)}.")
    if not suggestions:
        return first
    label = _t(lang, "Jadwal terdekat yang sudah ada:", "The nearest scheduled ones:") if question.place else \
        _t(lang, "Jadwal terdekat yang sudah ada:", "The soonest scheduled ones:")
    return first + "\n\n" + label + "\n\n" + events_text(suggestions, lang) + "\n\n" + _t(
        lang, "Untuk mendaftar, pilih tombol di bawah.", "To register, choose a button below.")


def nothing_at_all(question: ScheduleQuestion, lang: str) -> str:
    what = kind_label(question.kind, lang)
    return _t(lang,
              f"Mohon maaf, saat ini belum ada jadwal {what} yang dibuka. Jadwal baru diumumkan di sini dan di "
              "kanal resmi kantor.\n\nSekolah, desa, perusahaan, atau komunitas dapat mengajukan permohonan agar "
              "petugas datang ke lokasi Bapak/Ibu.",
              f"Sorry, there are no {what} open at the moment. New dates are announced here and on the office's "
              "official channels.\n\nA school, village, company or community can ask the office to come to them.")


def visit_request_button(lang: str) -> dict[str, str]:
    return {"title": _t(lang, "Ajukan kunjungan", "Request a visit"), "payload": "/request_outreach_visit"}


# --------------------------------------------------------------------------------------------------
# registration
# --------------------------------------------------------------------------------------------------
def ask_event(lang: str, any_open: bool) -> str:
    if not any_open:
        return _t(lang, "Mohon maaf, saat ini tidak ada layanan keliling atau sosialisasi yang masih menerima "
                        "pendaftaran.",
                  "Sorry, no mobile service day or information session is taking registrations at the moment.")
    return _t(lang, "Kegiatan mana yang ingin Bapak/Ibu ikuti? Silakan pilih pada tombol.",
              "Which event would you like to join? Please choose a button.")


def ask_party(event: OutreachEvent, lang: str) -> str:
    return _t(lang, f"{event.title} — {format_date(event.day, lang)} (sisa {places_left(event)} tempat).\n"
                    "Bapak/Ibu mendaftar sendiri atau rombongan?",
              f"{event.title} — {format_date(event.day, lang)} ({places_left(event)} places left).\n"
              "Are you registering yourself or a group?")


def party_buttons(lang: str) -> list[dict[str, str]]:
    return [{"title": _t(lang, "Sendiri", "Myself"), "payload": "sendiri"},
            {"title": _t(lang, "Rombongan", "A group"), "payload": "rombongan"},
            {"title": _t(lang, "Batal", "Cancel"), "payload": "batal"}]


def ask_leader(group: bool, lang: str) -> str:
    if group:
        return _t(lang, "Siapa nama ketua/penanggung jawab rombongan? Cukup nama lengkap (tanpa NIK).",
                  "What is the group leader's name? The full name is enough (no ID number).")
    return _t(lang, "Siapa nama lengkap Bapak/Ibu? Cukup nama (tanpa NIK).",
              "What is your full name? The name is enough (no ID number).")


def ask_members(group: bool, left: int, lang: str) -> str:
    if not group:
        return _t(lang, "Tanggal lahir Bapak/Ibu? Contoh: 12-05-1990 atau 3 Maret 2001.",
                  "Your date of birth? For example 12-05-1990 or 3 March 2001.")
    limit = min(left, reg.MAX_GROUP)
    return _t(lang,
              "Mohon kirim daftar anggota rombongan yang akan dilayani, satu orang per baris, dengan format "
              "\"Nama, tanggal lahir\". Bila ketua juga dilayani, tulis juga namanya. Contoh:\n"
              "Siti Aminah, 12-05-1990\nBudi, 3 Maret 2001\n\n"
              f"Paling banyak {limit} orang. Cukup nama dan tanggal lahir: jangan kirim NIK atau foto KTP/KK.",
              "Please send the list of group members to be served, one person per line, as "
              "\"Name, date of birth\". Include the leader if they are served too. Example:\n"
              "Siti Aminah, 12-05-1990\nBudi, 3 March 2001\n\n"
              f"At most {limit} people. Name and date of birth only: do not send ID numbers or ID card photos.")


def line_problem_text(problem: reg.LineProblem, lang: str) -> str:
    reason = problem.reason
    if reason == reg.LIST_TOO_LONG:
        return _t(lang, f"Daftar terlalu panjang ({problem.detail} baris). Satu pendaftaran paling banyak "
                        f"{reg.MAX_GROUP} orang; untuk rombongan yang lebih besar, silakan ajukan kunjungan "
                        "khusus (ketik \"ajukan kunjungan jemput bola\").",
                  f"The list is too long ({problem.detail} lines). One registration takes at most {reg.MAX_GROUP} "
                  "people; for a larger group, please request a visit of your own (type \"request a visit\").")
    why = {
        reg.LINE_FORMAT: _t(lang, "tidak ada tanggal lahir; gunakan format \"Nama, tanggal lahir\"",
                            "no date of birth; use \"Name, date of birth\""),
        reg.LINE_NAME: _t(lang, "nama harus berupa huruf (2-80 karakter, tanpa angka)",
                          "the name must be letters (2-80 characters, no digits)"),
        reg.LINE_YEAR: _t(lang, "tahun lahir harus ditulis 4 angka, misalnya 12-05-1990",
                          "write the year with 4 digits, e.g. 12-05-1990"),
        reg.LINE_DATE: _t(lang, "tanggal lahir tidak terbaca; contoh: 12-05-1990 atau 3 Maret 2001",
                          "the date of birth could not be read; e.g. 12-05-1990 or 3 March 2001"),
        reg.LINE_DATE_INVALID: _t(lang, "tanggal tersebut tidak ada di kalender", "that date does not exist"),
        reg.LINE_FUTURE: _t(lang, "tanggal lahir belum lewat (di masa depan)", "the date of birth is in the future"),
        reg.LINE_TOO_OLD: _t(lang, f"tanggal lahir lebih dari {reg.MAX_AGE_YEARS} tahun yang lalu",
                             f"the date of birth is more than {reg.MAX_AGE_YEARS} years ago"),
        reg.LINE_ID_NUMBER: _t(lang, "berisi nomor panjang (NIK?); mohon hapus, cukup nama dan tanggal lahir",
                               "it contains a long number (an ID number?); please remove it, name and date of "
                               "birth are enough"),
        reg.LINE_DUPLICATE: _t(lang, f"orang yang sama dengan baris {problem.detail}",
                               f"the same person as line {problem.detail}"),
    }.get(reason, _t(lang, "tidak dapat dibaca", "could not be read"))
    return _t(lang, f"Baris {problem.line_no} (\"{problem.line}\"): {why}.",
              f"Line {problem.line_no} (\"{problem.line}\"): {why}.")


def list_problems_text(problems: Sequence[reg.LineProblem], lang: str) -> str:
    if len(problems) == 1 and problems[0].reason == reg.LIST_TOO_LONG:
        return line_problem_text(problems[0], lang)
    shown = problems[:10]
    more = len(problems) - len(shown)
    body = "\n".join("- " + line_problem_text(p, lang) for p in shown)
    if more > 0:
        body += _t(lang, f"\n- dan {more} baris lain.", f"\n- and {more} more lines.")
    return _t(lang, "Mohon maaf, ada baris yang perlu diperbaiki:\n", "Sorry, some lines need fixing:\n") + body \
        + "\n\n" + _t(lang, "Mohon kirim ulang seluruh daftar yang sudah diperbaiki (atau ketik \"batal\").",
                      "Please send the whole corrected list again (or type \"cancel\").")


def birth_date_problem_text(lang: str) -> str:
    return _t(lang, "Tanggal lahir belum terbaca. Mohon tulis dengan tahun 4 angka, misalnya 12-05-1990 atau "
                    "3 Maret 2001.",
              "The date of birth could not be read. Please write it with a 4-digit year, e.g. 12-05-1990 or "
              "3 March 2001.")


def members_list(members: Sequence[tuple[str, dt.date]], lang: str) -> str:
    return "\n".join(f"{i}. {name} — {format_date(birth, lang).split(', ', 1)[1]}"
                     for i, (name, birth) in enumerate(members, start=1))


def confirm_text(event: OutreachEvent, leader: str, members: Sequence[tuple[str, dt.date]], lang: str) -> str:
    return _t(lang,
              f"Mohon periksa kembali:\nKegiatan: {event.title}\nTanggal: {format_date(event.day, lang)}, "
              f"{_hhmm(event.start_time)}–{_hhmm(event.end_time)} WIB\nTempat: {event.place}, Kec. {event.kecamatan}\n"
              f"Pendaftar: {leader}\nPeserta ({len(members)} orang):\n{members_list(members, lang)}\n\nSudah benar?",
              f"Please check:\nEvent: {event.title}\nDate: {format_date(event.day, lang)}, "
              f"{_hhmm(event.start_time)}–{_hhmm(event.end_time)} WIB\nPlace: {event.place}, Kecamatan "
              f"{event.kecamatan}\nRegistered by: {leader}\nPeople ({len(members)}):\n{members_list(members, lang)}"
              "\n\nIs this correct?")


def confirm_buttons(lang: str) -> list[dict[str, str]]:
    return [{"title": _t(lang, "Ya, benar", "Yes"), "payload": "Ya"},
            {"title": _t(lang, "Ubah daftar", "Change the list"), "payload": "Ubah"},
            {"title": _t(lang, "Batal", "Cancel"), "payload": "Batal"}]


def refusal_text(result: reg.RegistrationResult, lang: str) -> str:
    """Why a registration was not saved; nothing was written."""
    names = ", ".join(result.names)
    if result.reason == reg.FULL:
        if result.places_left <= 0:
            return _t(lang, "Mohon maaf, kuota kegiatan ini sudah penuh. Tidak ada pendaftaran yang disimpan.",
                      "Sorry, this event is fully booked. Nothing was registered.")
        return _t(lang, f"Mohon maaf, tempat yang tersisa hanya untuk {result.places_left} orang, sedangkan daftar "
                        "berisi lebih banyak. Tidak ada yang didaftarkan. Mohon kirim daftar dengan paling banyak "
                        f"{result.places_left} orang, atau ketik \"batal\".",
                  f"Sorry, only {result.places_left} places are left and the list has more people. Nothing was "
                  f"registered. Please send a list of at most {result.places_left} people, or type \"cancel\".")
    if result.reason == reg.PAST:
        return _t(lang, "Kegiatan tersebut sudah lewat. Silakan pilih jadwal lain.",
                  "That event is already over. Please choose another date.")
    if result.reason in (reg.CLOSED, reg.NOT_FOUND):
        return _t(lang, "Pendaftaran untuk kegiatan tersebut sudah ditutup. Silakan pilih jadwal lain.",
                  "Registration for that event is closed. Please choose another date.")
    if result.reason == reg.DUPLICATE:
        return _t(lang, f"Nama berikut tertulis dua kali dengan tanggal lahir yang sama: {names}. Mohon kirim ulang "
                        "daftarnya.",
                  f"These people appear twice with the same date of birth: {names}. Please send the list again.")
    if result.reason == reg.ALREADY:
        return _t(lang, f"Sudah terdaftar pada kegiatan ini: {names}. Mohon hapus dari daftar lalu kirim ulang.",
                  f"Already registered for this event: {names}. Please remove them and send the list again.")
    if result.reason == reg.BAD_BIRTH_DATE:
        return _t(lang, f"Tanggal lahir tidak wajar untuk: {names}.", f"Implausible date of birth for: {names}.")
    if result.reason == reg.TOO_MANY:
        return _t(lang, f"Satu pendaftaran paling banyak {reg.MAX_GROUP} orang.",
                  f"One registration takes at most {reg.MAX_GROUP} people.")
    return _t(lang, "Pendaftaran tidak dapat diproses.", "The registration could not be processed.")


def registered_text(code: str, event: OutreachEvent, count: int, lang: str) -> str:
    return _t(lang,
              f"Pendaftaran berhasil. Kode pendaftaran Bapak/Ibu: {code}\n{count} orang terdaftar untuk "
              f"{event.title}, {format_date(event.day, lang)}, {_hhmm(event.start_time)}–{_hhmm(event.end_time)} WIB, "
              f"di {event.place}, Kec. {event.kecamatan}.",
              f"You are registered. Registration code: {code}\n{count} people registered for {event.title}, "
              f"{format_date(event.day, lang)}, {_hhmm(event.start_time)}–{_hhmm(event.end_time)} WIB, at "
              f"{event.place}, Kecamatan {event.kecamatan}.")


def what_next_text(code: str, event: OutreachEvent, lang: str) -> str:
    """What to bring and what happens next: only what the reference sheet supports."""
    common = _t(lang,
                f"Saat tiba, sebutkan kode {code} kepada petugas; petugas mencatat kehadiran setiap peserta. "
                "Kami akan mengirim pengingat sehari sebelumnya melalui percakapan ini.",
                f"On arrival, give the code {code} to the officer, who checks each person in. We will send a "
                "reminder the day before in this conversation.")
    parts = [common]
    if event.kind != INFO_SESSION:
        parts.append(_t(lang,
                        "Tentang layanan jemput bola (Eazy Passport):\n"
                        "- tidak perlu mendaftar di M-Paspor, dan tidak ada biaya layanan: pemohon hanya membayar "
                        "tarif paspor resmi melalui kode billing;\n"
                        "- paspor hilang atau rusak tidak dilayani di sini (perlu BAP di kantor);\n"
                        "- paspor jadi sekitar 4 hari kerja setelah pembayaran.\n"
                        "Dokumen persyaratan diperiksa petugas di lokasi; jangan kirim foto KTP/KK atau NIK lewat "
                        "chat ini. Untuk daftar persyaratan, ketik misalnya \"syarat paspor baru\".",
                        "About the mobile service (Eazy Passport):\n"
                        "- no M-Paspor registration and no service fee: applicants pay only the official passport "
                        "fee through a billing code;\n"
                        "- lost or damaged passports are not handled here (they need a report at the office);\n"
                        "- passports are ready about 4 working days after payment.\n"
                        "Documents are checked by the officers on site; do not send ID card photos or ID numbers in "
                        "this chat. For the requirements, type e.g. \"new passport requirements\"."))
    if event.kind != INFO_SESSION and event.description.strip():
        parts.append(_t(lang, f"Catatan dari kantor: {event.description.strip()}",
                        f"Note from the office: {event.description.strip()}"))
    parts.append(_t(lang, f"Untuk membatalkan, ketik \"batal pendaftaran {code}\".",
                    f"To cancel, type \"cancel registration {code}\"."))
    return "\n\n".join(parts)


def form_cancelled_text(visit: bool, lang: str) -> str:
    if visit:
        return _t(lang, "Baik, permohonan kunjungan dibatalkan. Tidak ada data yang disimpan.",
                  "All right, the visit request was cancelled. Nothing was saved.")
    return _t(lang, "Baik, pendaftaran dibatalkan. Tidak ada data yang disimpan.",
              "All right, the registration was cancelled. Nothing was saved.")


def cancel_result_text(result: reg.RegistrationResult, code: str, lang: str) -> str:
    if result.ok:
        return _t(lang, f"Pendaftaran {code} untuk {result.event.title} ({format_date(result.event.day, lang)}) "
                        "telah dibatalkan, dan data peserta dihapus. Tempatnya kini tersedia untuk warga lain.",
                  f"Registration {code} for {result.event.title} ({format_date(result.event.day, lang)}) was "
                  "cancelled and the members' data deleted. The places are free for others now.")
    if result.reason in (reg.NOT_FOUND, reg.NOT_YOURS):
        return _t(lang, f"Kode pendaftaran {code} tidak ditemukan pada percakapan ini. Mohon periksa kembali.",
                  f"Registration code {code} was not found in this conversation. Please check it.")
    if result.reason == reg.NOT_ACTIVE:
        return _t(lang, f"Pendaftaran {code} sudah dibatalkan sebelumnya.", f"Registration {code} was already cancelled.")
    return _t(lang, "Kegiatan tersebut sudah lewat; pendaftaran tidak dapat dibatalkan lagi.",
              "That event is over; the registration can no longer be cancelled.")


def no_code_text(lang: str) -> str:
    return _t(lang, "Mohon sertakan kode pendaftaran, misalnya \"batal pendaftaran JB-4K7Q2\".",
              "Please include the registration code, e.g. \"cancel registration JB-4K7Q2\".")


# --------------------------------------------------------------------------------------------------
# visit requests
# --------------------------------------------------------------------------------------------------
def visit_intro(lang: str) -> str:
    return _t(lang,
              "Baik, kami bantu ajukan permohonan kunjungan layanan keliling (jemput bola) atau sosialisasi ke "
              "lokasi Bapak/Ibu. Kami perlu: nama instansi/kelompok, lokasi, perkiraan jumlah peserta, tanggal yang "
              "diinginkan, dan nama narahubung. Ketik \"batal\" kapan saja untuk berhenti.",
              "All right, let's request a mobile service day or an information session at your place. We need: "
              "the organisation or group, the place, how many people, the preferred dates and a contact name. "
              "Type \"cancel\" at any time to stop.")


VISIT_QUESTIONS = {
    "visit_organisation": ("Nama sekolah, desa, perusahaan, atau kelompok yang mengajukan?",
                           "Which school, village, company or group is asking?"),
    "visit_place": ("Di mana lokasinya? Sebutkan nama tempat/desa dan kecamatannya, misalnya \"Balai Tiyuh "
                    "Daya Murni, Tumijajar\".",
                    "Where is it? Give the place or village and its kecamatan, e.g. \"Balai Tiyuh Daya Murni, "
                    "Tumijajar\"."),
    "visit_headcount": ("Perkiraan berapa orang yang akan dilayani?", "About how many people would be served?"),
    "visit_dates": ("Tanggal berapa yang diinginkan? Boleh lebih dari satu, misalnya \"5 atau 12 Desember 2026\".",
                    "Which dates would suit you? More than one is fine, e.g. \"5 or 12 December 2026\"."),
    "visit_contact": ("Nama narahubung (contact person)? Cukup nama; kami membalas melalui percakapan ini.",
                      "The contact person's name? The name is enough; we reply in this conversation."),
}


def visit_question(slot: str, lang: str) -> str:
    id_text, en_text = VISIT_QUESTIONS[slot]
    return _t(lang, id_text, en_text)


def visit_problem_text(reason: str, lang: str) -> str:
    return {
        vr.BAD_ORGANISATION: _t(lang, "Mohon tulis nama instansi atau kelompoknya (2-200 karakter).",
                                "Please type the organisation's or group's name (2-200 characters)."),
        vr.BAD_PLACE: _t(lang, "Mohon tulis nama tempat atau desanya (2-200 karakter).",
                         "Please type the place or village (2-200 characters)."),
        vr.BAD_HEADCOUNT: _t(lang, "Mohon tulis jumlah orang dengan angka, misalnya 40.",
                             "Please type the number of people in digits, e.g. 40."),
        vr.HEADCOUNT_TOO_LARGE: _t(lang, f"Jumlah tersebut terlalu besar (paling banyak {vr.MAX_HEADCOUNT}). Mohon "
                                         "periksa kembali.",
                                   f"That number is too large (at most {vr.MAX_HEADCOUNT}). Please check it."),
        vr.NO_DATES: _t(lang, "Mohon tulis tanggal yang diinginkan, misalnya \"5 atau 12 Desember 2026\".",
                        "Please type the preferred dates, e.g. \"5 or 12 December 2026\"."),
        vr.INVALID_DATE: _t(lang, "Tanggal tersebut tidak ada di kalender. Mohon periksa kembali.",
                            "That date does not exist. Please check it."),
        vr.PAST_DATE: _t(lang, "Tanggal tersebut sudah lewat. Mohon pilih tanggal mulai hari ini.",
                         "That date is in the past. Please choose today or a later date."),
        vr.BAD_CONTACT: _t(lang, "Mohon tulis nama narahubung dengan huruf (2-80 karakter, tanpa angka).",
                           "Please type the contact's name in letters (2-80 characters, no digits)."),
    }.get(reason, _t(lang, "Mohon periksa kembali jawabannya.", "Please check the answer."))


def visit_confirm_text(values: dict[str, str], lang: str) -> str:
    return _t(lang,
              f"Mohon periksa kembali:\nPemohon: {values['organisation']}\nLokasi: {values['place']}\n"
              f"Perkiraan peserta: {values['headcount']} orang\nTanggal yang diinginkan: {values['dates']}\n"
              f"Narahubung: {values['contact']}\nSudah benar?",
              f"Please check:\nRequested by: {values['organisation']}\nPlace: {values['place']}\n"
              f"About {values['headcount']} people\nPreferred dates: {values['dates']}\n"
              f"Contact: {values['contact']}\nIs this correct?")


def visit_done_text(request: VisitRequest, lang: str) -> str:
    return _t(lang,
              f"Permohonan kunjungan sudah kami terima. Kode permohonan: {request.code}\n\n"
              "Petugas akan meninjau permohonan ini dan mengabari Bapak/Ibu melalui percakapan ini, apakah "
              "kunjungan dapat dijadwalkan. Untuk layanan paspor jemput bola (Eazy Passport), kantor biasanya "
              "meminta surat permohonan dari pimpinan rombongan berisi daftar pemohon; surat dan dokumen dikirim "
              "langsung ke kantor, bukan melalui chat ini.",
              f"We have received your visit request. Request code: {request.code}\n\n"
              "An officer will review it and tell you in this conversation whether a visit can be scheduled. For "
              "the mobile passport service (Eazy Passport), the office usually asks for a letter from the group's "
              "leader listing the applicants; letters and documents go to the office directly, not through this "
              "chat.")
