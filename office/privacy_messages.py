"""What the bot says about a citizen's own data (office/privacy_requests.py), in Indonesian or English.

Kept apart from the rules so the texts can be read aloud and corrected in one place. Every text is
about the citizen's own conversation only; nothing here reads another person's rows.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from office import clock
from office.booking.catalogue import get_service
from office.complaints.models import STATUS_LABELS, STATUS_LABELS_EN
from office.dates import format_date
from office.consent import export_lines as consent_export_lines
from office.privacy_requests import EXPORT_LIMIT, ErasureResult, Holdings
from office.bilingual import text_for as _t

HANDOFF_MESSAGES = 5  # last messages of each chat in the copy; the whole chat is read in the chat itself
BOOKING_STATUS = {"active": ("Aktif", "Active"), "checked_in": ("Sudah hadir", "Checked in"),
                  "cancelled": ("Dibatalkan", "Cancelled")}


def info_text(found: Holdings, conversation_days: int, lang: str = "id") -> str:
    """What is held about this conversation, the citizen's rights, and the two choices."""
    open_count = len(found.open_complaints)
    if lang == "en":
        complaints = f"{len(found.complaints)}" + (f" ({open_count} still being handled)" if open_count else "")
        return ("This is what we hold about this conversation:\n"
                f"- visit bookings: {len(found.bookings)} (name, phone number, schedule)\n"
                f"- complaints in your name: {complaints}\n"
                f"- survey invitations: {found.survey_invitations}\n"
                + _subscription_line(found, lang) +
                f"- chats with an officer: {len(found.handoff_sessions)} (your messages and the officer's)\n"
                f"- consents you gave before forms: {len(found.consents)}\n"
                f"- the chat history itself (kept for {conversation_days} days)\n"
                "Under Law 27/2022 on Personal Data Protection you may have a copy of your data or ask us to "
                "delete it. What would you like?")
    complaints = f"{len(found.complaints)}" + (f" ({open_count} masih ditangani)" if open_count else "")
    return ("Berikut data yang kami simpan tentang percakapan ini:\n"
            f"- booking kunjungan: {len(found.bookings)} (nama, nomor HP, jadwal)\n"
            f"- pengaduan atas nama Bapak/Ibu: {complaints}\n"
            f"- undangan survei: {found.survey_invitations}\n"
            + _subscription_line(found, lang) +
            f"- chat dengan petugas: {len(found.handoff_sessions)} (pesan Bapak/Ibu dan petugas)\n"
            f"- persetujuan yang Bapak/Ibu berikan sebelum mengisi data: {len(found.consents)}\n"
            f"- riwayat percakapan ini sendiri (disimpan {conversation_days} hari)\n"
            "Sesuai UU 27/2022 tentang Pelindungan Data Pribadi, Bapak/Ibu berhak mendapat salinan data ini "
            "atau meminta penghapusannya. Silakan pilih:")


def _subscription_line(found: Holdings, lang: str) -> str:
    """The announcement subscription (consent, channel, since when) as one line, or "" when there is none."""
    sub = found.announcement_subscription
    if sub is None:
        return ""
    if sub.unsubscribed_at is not None:
        since = format_date(clock.to_utc(sub.unsubscribed_at).astimezone(clock.office_tz()).date(), lang)
        return _t(lang, f"- langganan pengumuman: sudah berhenti sejak {since}\n",
                  f"- announcement subscription: stopped since {since}\n")
    since = format_date(clock.to_utc(sub.subscribed_at).astimezone(clock.office_tz()).date(), lang)
    return _t(lang, f"- langganan pengumuman: aktif sejak {since} (ketik \"berhenti langganan\" untuk berhenti)\n",
              f"- announcement subscription: active since {since} (type \"unsubscribe\" to stop)\n")


def _handoff_lines(found: Holdings, lang: str) -> list[str]:
    """The citizen's chats with an officer: when, how they ended, and what was written (newest first)."""
    if not found.handoff_sessions:
        return []
    lines = [_t(lang, "Chat dengan petugas:", "Chats with an officer:")]
    for live in found.handoff_sessions[:EXPORT_LIMIT]:
        day = format_date(clock.to_utc(live.created_at).astimezone(clock.office_tz()).date(), lang)
        officer = live.officer or _t(lang, "belum ada petugas", "no officer yet")
        lines.append(f"- {day} · {officer} · {len(live.messages)} " + _t(lang, "pesan", "messages"))
        for message in live.messages[-HANDOFF_MESSAGES:]:
            who = {"citizen": _t(lang, "Bapak/Ibu", "You"), "officer": _t(lang, "Petugas", "Officer")}.get(
                message.author_kind, _t(lang, "Sistem", "System"))
            text = message.text if len(message.text) <= 200 else message.text[:200] + "…"
            lines.append(f"  {who}: {text}")
    return lines


def info_buttons(lang: str = "id") -> list[dict[str, str]]:
    return [{"title": _t(lang, "Kirim salinan data", "Send me a copy"), "payload": "/privacy_export"},
            {"title": _t(lang, "Hapus data saya", "Delete my data"), "payload": "/privacy_erase"}]


def export_text(session: Session, found: Holdings, lang: str = "id") -> str:
    """The citizen's copy: their bookings and their own (non-anonymous) complaints, newest first."""
    lines = [_t(lang, "Salinan data Bapak/Ibu:", "Your data:")]
    if found.bookings:
        lines.append(_t(lang, "Booking kunjungan:", "Visit bookings:"))
        for b in found.bookings[:EXPORT_LIMIT]:
            service = get_service(session, b.service_code)
            name = service.label(lang) if service else b.service_code
            status = BOOKING_STATUS.get(b.status, (b.status, b.status))[1 if lang == "en" else 0]
            at = _t(lang, "pukul", "at")
            who = f"{b.name}, {b.phone}" if b.phone else b.name
            lines.append(f"- {b.code} · {name} · {format_date(b.day, lang)} {at} {b.start.strftime('%H.%M')} · "
                         f"{status} · {who}")
    if found.complaints:
        lines.append(_t(lang, "Pengaduan:", "Complaints:"))
        labels = STATUS_LABELS_EN if lang == "en" else STATUS_LABELS
        for t in found.complaints[:EXPORT_LIMIT]:
            filed = _t(lang, "diajukan", "filed")
            lines.append(f"- {t.code} · {t.category.replace('_', ' ')} · {filed} {format_date(clock.to_utc(t.created_at).astimezone(clock.office_tz()).date(), lang)}"
                         f" · {labels.get(t.status, t.status)}")
    more = max(0, len(found.bookings) - EXPORT_LIMIT) + max(0, len(found.complaints) - EXPORT_LIMIT)
    if more:
        lines.append(_t(lang, f"(dan {more} data lama lainnya; hubungi kantor untuk salinan lengkap)",
                        f"(and {more} older records; contact the office for a full copy)"))
    if not found.bookings and not found.complaints:
        lines.append(_t(lang, "Tidak ada booking atau pengaduan atas nama percakapan ini.",
                        "There are no bookings or complaints linked to this conversation."))
    if found.survey_invitations:
        lines.append(_t(lang, f"Undangan survei: {found.survey_invitations}.",
                        f"Survey invitations: {found.survey_invitations}."))
    if found.announcement_subscription is not None:
        line = _subscription_line(found, lang).strip().removeprefix("- ")
        lines.append(line[:1].upper() + line[1:] + ".")
    lines += _handoff_lines(found, lang)
    lines += consent_export_lines(found.consents, lang)
    lines.append(_t(lang, "Riwayat percakapan ini dapat Bapak/Ibu lihat langsung di chat ini.",
                    "You can read the history of this conversation right here in the chat."))
    return "\n".join(lines)


def erase_ask_text(found: Holdings, lang: str = "id") -> str:
    """What erasure will do and what the office must keep, before the citizen confirms."""
    kept = ", ".join(t.code for t in found.open_complaints)
    if lang == "en":
        text = ("If you confirm, we will:\n"
                "- cancel your upcoming bookings (the slots are freed) and remove your name and phone number "
                "from all your bookings\n"
                "- remove your identity from your closed complaints\n"
                "- delete your survey invitations, your chats with an officer and the history of this chat\n"
                + ("- end your announcement subscription and delete its record\n"
                   if found.announcement_subscription is not None else "")
                + "What we must keep, and why:\n")
        if kept:
            text += f"- your complaints still being handled ({kept}), until they are closed, so we can finish them\n"
        return text + ("- a record that this request was carried out, and of the consents you gave and now "
                       "withdraw, without your identity, as proof for supervision\n- completed survey answers, which are anonymous and not linked to anyone\n"
                       "This cannot be undone. Delete your data now?")
    text = ("Jika Bapak/Ibu setuju, kami akan:\n"
            "- membatalkan booking yang akan datang (slotnya dilepas) serta menghapus nama dan nomor HP dari "
            "semua booking Bapak/Ibu\n"
            "- menghapus identitas Bapak/Ibu dari pengaduan yang sudah selesai\n"
            "- menghapus undangan survei, chat dengan petugas, dan riwayat percakapan ini\n"
            + ("- menghentikan langganan pengumuman dan menghapus catatannya\n"
               if found.announcement_subscription is not None else "")
            + "Yang tetap kami simpan, dan alasannya:\n")
    if kept:
        text += (f"- pengaduan yang masih ditangani ({kept}) sampai selesai, agar dapat kami tuntaskan dan "
                 "jawab\n")
    return text + ("- catatan bahwa permintaan ini sudah dijalankan, serta persetujuan yang pernah diberikan "
                   "dan kini ditarik, tanpa identitas Bapak/Ibu, sebagai bukti untuk pengawasan\n- jawaban survei yang sudah selesai, karena anonim dan tidak terkait dengan "
                   "siapa pun\nPenghapusan tidak dapat dibatalkan. Hapus data sekarang?")


def erase_ask_buttons(lang: str = "id") -> list[dict[str, str]]:
    return [{"title": _t(lang, "Ya, hapus data saya", "Yes, delete my data"), "payload": "/privacy_erase_confirm"},
            {"title": _t(lang, "Tidak jadi", "No, keep it"), "payload": "/privacy_keep"}]


def erase_done_text(result: ErasureResult, lang: str = "id") -> str:
    """What was done, at once; what stays and until when."""
    cancelled = ", ".join(result.cancelled)
    kept = ", ".join(result.kept_open_complaints)
    if lang == "en":
        lines = ["Your request has been carried out now:"]
        if cancelled:
            lines.append(f"- bookings cancelled and slots freed: {cancelled}")
        lines += [f"- name and phone number removed from {result.bookings_anonymised} booking(s)",
                  f"- identity removed from {result.complaints_anonymised} closed complaint(s)",
                  f"- {result.survey_invitations_deleted} survey invitation(s) deleted",
                  f"- {result.handoff_sessions_erased} chat(s) with an officer deleted",
                  *(["- announcement subscription deleted; no more announcements will be sent"]
                    if result.announcement_subscription_deleted else []),
                  "- the history of this chat is deleted from our chat system within a few minutes"]
        if kept:
            lines.append(f"Complaints still being handled ({kept}) stay until they are closed; after that you may "
                         "type \"delete my data\" again.")
        lines.append("Law 27/2022 requires processing to stop within 3×24 hours of withdrawing consent; we did it "
                     "at once. If you write again, a new conversation starts.")
        return "\n".join(lines)
    lines = ["Permintaan Bapak/Ibu sudah kami proses saat ini juga:"]
    if cancelled:
        lines.append(f"- booking dibatalkan dan slotnya dilepas: {cancelled}")
    lines += [f"- nama dan nomor HP dihapus dari {result.bookings_anonymised} booking",
              f"- identitas dihapus dari {result.complaints_anonymised} pengaduan yang sudah selesai",
              f"- {result.survey_invitations_deleted} undangan survei dihapus",
              f"- {result.handoff_sessions_erased} chat dengan petugas dihapus",
              *(["- langganan pengumuman dihapus; tidak ada pengumuman lagi yang dikirim"]
                if result.announcement_subscription_deleted else []),
              "- riwayat percakapan ini dihapus dari sistem chat kami dalam beberapa menit"]
    if kept:
        lines.append(f"Pengaduan yang masih ditangani ({kept}) tetap kami simpan sampai selesai; setelah itu "
                     "Bapak/Ibu dapat mengetik \"hapus data saya\" lagi.")
    lines.append("UU 27/2022 mewajibkan pemrosesan dihentikan paling lambat 3×24 jam setelah persetujuan ditarik; "
                 "permintaan Bapak/Ibu kami jalankan saat ini juga. Jika Bapak/Ibu menulis lagi, percakapan baru "
                 "dimulai.")
    return "\n".join(lines)


def keep_text(lang: str = "id") -> str:
    return _t(lang, "Baik, data Bapak/Ibu tidak kami hapus. Ada lagi yang bisa kami bantu?",
              "All right, your data stays as it is. Is there anything else I can help with?")


def not_pending_text(lang: str = "id") -> str:
    """The confirmation button pressed without a fresh question (an old button): nothing is erased."""
    return _t(lang, "Untuk menghapus data, ketik \"hapus data saya\" lalu tekan tombol konfirmasi yang muncul.",
              "To delete your data, type \"delete my data\" and then press the confirmation button shown.")
