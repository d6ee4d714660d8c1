"""Answers about the office itself (hours, open on a date, address, contacts), from the profile only.

Every text here is what a citizen reads: Indonesian by default, English when lang == "en".
A field the office has not filled is said to be unknown, with the official website to check.
"""
from __future__ import annotations

import datetime as dt

from office.dates import format_date
from office.profile import OfficeProfile

_DAY_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_DAY_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

CONTACT_KINDS = ("whatsapp", "phone", "email", "instagram", "website")
_CONTACT_LABEL = {
    "id": {"whatsapp": "WhatsApp", "phone": "Telepon", "email": "Email", "instagram": "Instagram",
           "website": "Situs resmi"},
    "en": {"whatsapp": "WhatsApp", "phone": "Phone", "email": "Email", "instagram": "Instagram",
           "website": "Official website"},
}


def _hhmm(t: dt.time) -> str:
    return t.strftime("%H.%M")


def _ranges_text(ranges: list[tuple[dt.time, dt.time]], lang: str) -> str:
    joiner = " dan " if lang == "id" else " and "
    return joiner.join(f"{_hhmm(a)}–{_hhmm(b)}" for a, b in ranges)


def _verify_note(profile: OfficeProfile, lang: str) -> str:
    if profile.hours_verified:
        return ""
    if lang == "en":
        return (f"\nThese are the usual hours of an immigration office and may differ; please check "
                f"{profile.website} or the office's official Instagram before you come.")
    return (f"\nIni jam layanan yang umum di kantor imigrasi dan dapat berbeda; mohon cek "
            f"{profile.website} atau Instagram resmi kantor sebelum datang.")


def weekly_hours_text(profile: OfficeProfile, lang: str = "id") -> str:
    """The week's schedule, consecutive days with equal hours grouped (Senin–Jumat 08.00–16.00)."""
    names = _DAY_EN if lang == "en" else _DAY_ID
    closed = "closed" if lang == "en" else "tutup"
    lines: list[str] = []
    start = 0
    for i in range(1, 8):
        if i == 7 or profile.opening_hours[i] != profile.opening_hours[start]:
            label = names[start] if i - 1 == start else f"{names[start]}–{names[i - 1]}"
            ranges = profile.opening_hours[start]
            lines.append(f"- {label}: {_ranges_text(ranges, lang) if ranges else closed}")
            start = i
    return "\n".join(lines)


def hours_answer(profile: OfficeProfile, now: dt.datetime, lang: str = "id") -> str:
    """Today's hours (holiday-aware) first, then the weekly schedule."""
    cal = profile.calendar
    today = now.date()
    holiday = cal.holiday_on(today)
    ranges = profile.opening_hours[today.weekday()]
    if lang == "en":
        if holiday:
            head = f"Today ({format_date(today, 'en')}) the office is closed: {holiday.name}."
        elif not ranges:
            head = f"Today ({format_date(today, 'en')}) the office is closed."
        elif cal.is_open_at(now):
            head = f"Today ({format_date(today, 'en')}) the office is open {_ranges_text(ranges, 'en')} WIB, and it is open now."
        else:
            head = f"Today ({format_date(today, 'en')}) the office is open {_ranges_text(ranges, 'en')} WIB (closed right now)."
        body = f"{profile.short_name} service hours:\n{weekly_hours_text(profile, 'en')}\nClosed on public holidays and cuti bersama."
    else:
        if holiday:
            head = f"Hari ini ({format_date(today)}) kantor tutup: {holiday.name}."
        elif not ranges:
            head = f"Hari ini ({format_date(today)}) kantor tutup."
        elif cal.is_open_at(now):
            head = f"Hari ini ({format_date(today)}) kantor buka pukul {_ranges_text(ranges, 'id')} WIB dan saat ini sedang buka."
        else:
            head = f"Hari ini ({format_date(today)}) kantor buka pukul {_ranges_text(ranges, 'id')} WIB (saat ini di luar jam layanan)."
        body = f"Jam layanan {profile.short_name}:\n{weekly_hours_text(profile, 'id')}\nTutup pada hari libur nasional dan cuti bersama."
    if not cal.is_open_at(now):
        nxt = cal.next_opening(now)
        if nxt is not None:
            when = f"{format_date(nxt.date(), lang)} {_hhmm(nxt.time())} WIB"
            head += (f" Next opening: {when}." if lang == "en" else f" Buka kembali: {when}.")
    return f"{head}\n\n{body}{_verify_note(profile, lang)}"


def open_on_answer(profile: OfficeProfile, day: dt.date, today: dt.date, lang: str = "id") -> str:
    """Whether the office serves on `day`: weekends, national holidays and cuti bersama close it."""
    cal = profile.calendar
    label = format_date(day, lang)
    en = lang == "en"
    if day < today:
        return (f"{label} has already passed. Ask me about today or a coming date."
                if en else f"{label} sudah lewat. Silakan tanyakan hari ini atau tanggal yang akan datang.")
    if day.year not in profile.holiday_years():
        weekday_ranges = profile.opening_hours[day.weekday()]
        if not weekday_ranges:
            return (f"{label}: the office is closed (weekend)." if en
                    else f"{label}: kantor tutup (akhir pekan).")
        return (f"{label} is a {_DAY_EN[day.weekday()]}; normally the office is open "
                f"{_ranges_text(weekday_ranges, 'en')} WIB, but the {day.year} holiday list is not loaded yet, "
                f"so please check {profile.website} closer to the date." if en else
                f"{label} adalah hari {_DAY_ID[day.weekday()]}; biasanya kantor buka pukul "
                f"{_ranges_text(weekday_ranges, 'id')} WIB, tetapi daftar libur tahun {day.year} belum dimuat, "
                f"jadi mohon cek {profile.website} mendekati tanggalnya.")
    holiday = cal.holiday_on(day)
    if holiday:
        kind_id = "cuti bersama" if holiday.kind == "cuti_bersama" else "libur nasional"
        kind_en = "a collective leave day (cuti bersama)" if holiday.kind == "cuti_bersama" else "a public holiday"
        nxt = cal.next_working_days(day, 1)
        nxt_txt = format_date(nxt[0], lang) if nxt else ""
        return (f"No, {label} the office is closed: {holiday.name}, {kind_en}. The next service day is {nxt_txt}."
                if en else
                f"Tidak, {label} kantor tutup karena {kind_id}: {holiday.name}. Layanan buka kembali {nxt_txt}.")
    ranges = profile.opening_hours[day.weekday()]
    if not ranges:
        nxt = cal.next_working_days(day, 1)
        nxt_txt = format_date(nxt[0], lang) if nxt else ""
        return (f"No, {label} the office is closed (weekend). The next service day is {nxt_txt}."
                if en else f"Tidak, {label} kantor tutup (akhir pekan). Layanan buka kembali {nxt_txt}.")
    answer = (f"Yes, {label} the office is open {_ranges_text(ranges, 'en')} WIB." if en
              else f"Ya, {label} kantor buka pukul {_ranges_text(ranges, 'id')} WIB.")
    return answer + _verify_note(profile, lang)


def address_answer(profile: OfficeProfile, lang: str = "id") -> str:
    """The address and map link, or an honest 'not available' pointing to the website."""
    en = lang == "en"
    serves = ", ".join(profile.serves)
    lines = [profile.name]
    if profile.address:
        lines.append((f"Address: {profile.address}" if en else f"Alamat: {profile.address}"))
    else:
        lines.append(f"I don't have the verified street address of the office yet. Please see {profile.website} "
                     f"or the office's official Instagram." if en else
                     f"Mohon maaf, alamat jalan kantor yang terverifikasi belum saya miliki. Silakan lihat "
                     f"{profile.website} atau Instagram resmi kantor.")
    if profile.map_url:
        lines.append((f"Map: {profile.map_url}" if en else f"Peta: {profile.map_url}"))
    if serves:
        lines.append((f"The office serves: {serves}." if en else f"Wilayah kerja kantor: {serves}."))
    lines.append("Passport applications can be booked at any immigration office through the M-Paspor app."
                 if en else "Permohonan paspor dapat diajukan di kantor imigrasi mana pun lewat aplikasi M-Paspor.")
    return "\n".join(lines)


def contact_kind_in(text: str) -> str | None:
    """Which contact the citizen asks for, from plain words ("nomor WA", "email", "ig")."""
    lowered = f" {text.lower()} "
    probes = {
        "whatsapp": (" wa ", "whatsapp", "whats app", " wa?", "no wa", "nomor wa", "wa nya", "wanya"),
        "email": ("email", "e-mail", "surel", "imel"),
        "instagram": ("instagram", " ig ", " ig?", "ig nya", "ignya", "insta"),
        "website": ("website", "situs", "web ", "web?", "laman"),
        "phone": ("telp", "telepon", "telfon", "phone", "call", "hubungi", "nomor", "no hp", "kontak", "contact"),
    }
    for kind, words in probes.items():
        if any(w in lowered for w in words):
            return kind
    return None


def contact_answer(profile: OfficeProfile, kind: str | None, lang: str = "id") -> str:
    """One contact when asked for one, else all known ones; unknown ones are said to be unknown."""
    en = lang == "en"
    labels = _CONTACT_LABEL["en" if en else "id"]
    values = {k: getattr(profile, k) for k in CONTACT_KINDS}
    if kind in values:
        if values[kind]:
            return (f"{labels[kind]} {profile.short_name}: {values[kind]}" if en
                    else f"{labels[kind]} {profile.short_name}: {values[kind]}")
        return (f"I don't have a verified {labels[kind]} for {profile.short_name} yet. Please check "
                f"{profile.website} or the office's official Instagram for the current contacts." if en else
                f"Mohon maaf, {labels[kind]} {profile.short_name} yang terverifikasi belum saya miliki. "
                f"Silakan cek {profile.website} atau Instagram resmi kantor untuk kontak terbaru.")
    known = [f"- {labels[k]}: {v}" for k, v in values.items() if v]
    missing = [labels[k] for k, v in values.items() if not v]
    head = f"{profile.short_name} contacts:" if en else f"Kontak {profile.short_name}:"
    text = "\n".join([head, *known])
    if missing:
        text += (f"\nNot verified yet: {', '.join(missing)}; please check {profile.website}." if en
                 else f"\nBelum terverifikasi: {', '.join(missing)}; silakan cek {profile.website}.")
    return text


def fallback_contacts_line(profile: OfficeProfile, lang: str = "id") -> str:
    """A one-line pointer used by the fallback so it never dead-ends."""
    parts = [p for p in (profile.whatsapp and f"WA {profile.whatsapp}", profile.phone and f"telp {profile.phone}",
                         profile.website) if p]
    joined = ", ".join(parts)
    return (f"You can also reach {profile.short_name}: {joined}." if lang == "en"
            else f"Bapak/Ibu juga dapat menghubungi {profile.short_name}: {joined}.")
