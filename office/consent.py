"""Consent before personal data is collected (UU 27/2022 art. 20-22: consent is one lawful basis, it must be
recorded so the office can prove it, and the citizen may withdraw it).

Every chat form that asks for personal data (a booking's name and phone, a complaint, a live chat with an
officer, a service-day registration, a visit request) first says what it collects, why and for how long, and
asks "Setuju" / "Tidak setuju". An agreement is one `ConsentRecord` per conversation (sender id) and
*purpose*; it stays valid until withdrawn ("tarik persetujuan", or "hapus data saya") or until the notice
itself changes (other retention days in the office profile, another text): the record keeps the hash of
the exact notice the citizen agreed to, so a changed notice is asked again instead of assumed.

A refusal is not recorded: nothing about the citizen is stored, and the form stops.
Rules only; the conversation lives in actions/consent.py, the staff view in backoffice/routes_privacy.py.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import DateTime, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from office import clock
from office.bilingual import text_for as _t
from office.db import Base
from office.profile import OfficeProfile

AGREE, REFUSE = "agree", "refuse"
# The buttons carry intents of their own (bot/domain/consent.yml): a typed "tidak setuju" must not be read as the
# general "no" (whose rule ends the conversation politely), and a pressed button never depends on the NLU.
AGREE_INTENT, REFUSE_INTENT = "consent_agree", "consent_decline"
WITHDRAWN_BY_CITIZEN, WITHDRAWN_BY_ERASURE = "citizen", "erasure"
AGREE_WORDS = {"setuju", "saya setuju", "ya setuju", "ya, setuju", "ya", "iya", "y", "ok", "oke", "boleh", "bersedia",
               "agree", "i agree", "yes", "yes, i agree", "accept"}
REFUSE_WORDS = {"tidak setuju", "tdk setuju", "gak setuju", "ga setuju", "nggak setuju", "enggak setuju",
                "saya tidak setuju", "tidak", "tidak mau", "tolak", "menolak", "jangan", "no", "disagree",
                "i disagree", "i do not agree", "i don't agree", "decline", "refuse"}


@dataclass(frozen=True)
class Purpose:
    """Why personal data is asked for in one kind of form, and what exactly."""

    key: str
    label: str  # staff and Indonesian citizens
    label_en: str
    collects: str  # citizen, Indonesian: "nama dan nomor HP"
    collects_en: str
    why: str
    why_en: str
    retention_kind: str  # office/retention.py kind whose days apply; unknown kinds use retention_days


PURPOSES: dict[str, Purpose] = {p.key: p for p in (
    Purpose("booking", "Booking kunjungan", "visit booking", "nama dan nomor HP Bapak/Ibu", "your name and mobile number",
            "untuk membuat booking, mengirim pengingat, dan mencocokkan kedatangan Bapak/Ibu di loket",
            "to make the booking, send you a reminder and match you at the counter", "bookings"),
    Purpose("complaint", "Pengaduan", "complaints", "isi pengaduan, bukti yang Bapak/Ibu kirim, dan identitas chat ini (kecuali "
            "Bapak/Ibu memilih anonim)", "your complaint, any evidence you send and this chat's identity (unless "
            "you choose anonymous)",
            "agar petugas dapat menindaklanjuti dan membalas pengaduan Bapak/Ibu",
            "so an officer can follow up and answer your complaint", "complaints"),
    Purpose("handoff", "Chat dengan petugas", "chat with an officer", "pesan yang Bapak/Ibu tulis kepada petugas dan identitas chat ini",
            "the messages you write to the officer and this chat's identity",
            "agar petugas dapat membaca dan membalas pesan Bapak/Ibu",
            "so an officer can read and answer your messages", "conversations"),
    Purpose("outreach_registration", "Pendaftaran layanan keliling", "service-day registration",
            "nama dan tanggal lahir peserta yang "
            "Bapak/Ibu daftarkan", "the names and dates of birth of the people you register",
            "untuk mendaftarkan peserta, mengatur kuota, dan mencocokkan kehadiran pada hari layanan",
            "to register the participants, keep to the quota and check people in on the day", "outreach"),
    Purpose("visit_request", "Permintaan kunjungan layanan", "visit request",
            "nama lembaga, nama penghubung, tempat, tanggal yang diinginkan, dan jumlah peserta",
            "the organisation, the contact person's name, the place, the preferred dates and the number of people", "agar petugas dapat menilai dan menjawab permintaan kunjungan Bapak/Ibu",
            "so officers can assess and answer your visit request", "outreach"),
)}


class ConsentError(ValueError):
    """An unknown purpose: a programming error in a form, never the citizen's."""


class ConsentRecord(Base):
    """One agreement of one conversation to one purpose, under one notice text (its hash)."""

    __tablename__ = "consent_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255), index=True)  # sha256 after an erasure (see forget)
    purpose: Mapped[str] = mapped_column(String(32), index=True)
    notice_hash: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2), default="id")
    given_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(16), nullable=True)  # citizen | erasure


def purpose(key: str) -> Purpose:
    try:
        return PURPOSES[key]
    except KeyError:
        raise ConsentError(f"unknown consent purpose: {key}") from None


def label_of(key: str, lang: str = "id") -> str:
    """The purpose's name for the citizen (an unknown key, from an older version, is shown as it is)."""
    p = PURPOSES.get(key)
    return (p.label_en if lang == "en" else p.label) if p else key.replace("_", " ")


def retention_days(profile: OfficeProfile, key: str) -> int:
    """The days the notice promises: the purpose's own kind when the profile sets one, else retention_days."""
    return profile.retention_by_kind.get(purpose(key).retention_kind, profile.retention_days)


def notice_text(key: str, profile: OfficeProfile, lang: str = "id") -> str:
    """What is collected, why, for how long, and the question. Short: it is read on a phone."""
    p = purpose(key)
    days = retention_days(profile, key)
    return _t(lang,
              f"Sebelum melanjutkan: kami akan mencatat {p.collects}, {p.why}. Data disimpan oleh {profile.name} "
              f"selama {days} hari, lalu dihapus, sesuai UU 27/2022 tentang Pelindungan Data Pribadi. Bapak/Ibu "
              "dapat menarik persetujuan kapan saja (ketik \"tarik persetujuan\") atau meminta data dihapus (ketik "
              "\"hapus data saya\"). Apakah Bapak/Ibu setuju?",
              f"Before we continue: we will record {p.collects_en}, {p.why_en}. {profile.name} keeps it for "
              f"{days} days and then deletes it, under Law 27/2022 on Personal Data Protection. You can withdraw "
              "your consent at any time (type \"withdraw consent\") or ask us to delete your data (type \"delete "
              "my data\"). Do you agree?")


def notice_hash(key: str, profile: OfficeProfile) -> str:
    """Hash of the Indonesian notice: the same text in English is the same notice; other days are not."""
    return hashlib.sha256(notice_text(key, profile, "id").encode("utf-8")).hexdigest()


def answer_buttons(lang: str = "id") -> list[dict[str, str]]:
    return [{"title": _t(lang, "Setuju", "Agree"), "payload": f"/{AGREE_INTENT}"},
            {"title": _t(lang, "Tidak setuju", "Disagree"), "payload": f"/{REFUSE_INTENT}"}]


def parse_answer(text: str, intent: str | None = None) -> str | None:
    """AGREE, REFUSE or None (anything else: the question is asked again), from the intent of a pressed button
    or a typed answer the NLU recognised, else from the words."""
    if intent == AGREE_INTENT:
        return AGREE
    if intent == REFUSE_INTENT:
        return REFUSE
    value = re.sub(r"\s+", " ", str(text or "").strip().lower()).strip(".!? ")
    if value in REFUSE_WORDS:
        return REFUSE
    if value in AGREE_WORDS:
        return AGREE
    return None


def valid_consent(session: Session, sender_id: str, key: str, profile: OfficeProfile) -> ConsentRecord | None:
    """The agreement of `sender_id` to this purpose under today's notice, if any (newest first)."""
    if not sender_id:
        return None
    return session.scalar(select(ConsentRecord).where(
        ConsentRecord.sender_id == sender_id, ConsentRecord.purpose == purpose(key).key,
        ConsentRecord.withdrawn_at.is_(None), ConsentRecord.notice_hash == notice_hash(key, profile))
        .order_by(ConsentRecord.id.desc()).limit(1))


def record_consent(session: Session, sender_id: str, key: str, profile: OfficeProfile, lang: str = "id",
                   now: dt.datetime | None = None) -> ConsentRecord:
    """Store the agreement (once: a valid one is returned as it is)."""
    existing = valid_consent(session, sender_id, key, profile)
    if existing is not None:
        return existing
    record = ConsentRecord(sender_id=sender_id, purpose=purpose(key).key, notice_hash=notice_hash(key, profile),
                           language="en" if lang == "en" else "id", given_at=clock.to_utc(now or clock.now()))
    session.add(record)
    session.flush()
    return record


def withdraw(session: Session, sender_id: str, key: str | None = None, by: str = WITHDRAWN_BY_CITIZEN,
             now: dt.datetime | None = None) -> list[str]:
    """Withdraw this conversation's consents (one purpose, or all). Returns the purposes withdrawn."""
    query = select(ConsentRecord).where(ConsentRecord.sender_id == sender_id, ConsentRecord.withdrawn_at.is_(None))
    if key is not None:
        query = query.where(ConsentRecord.purpose == purpose(key).key)
    moment = clock.to_utc(now or clock.now())
    withdrawn = []
    for record in session.scalars(query):
        record.withdrawn_at, record.withdrawn_by = moment, by
        withdrawn.append(record.purpose)
    session.flush()
    return sorted(set(withdrawn))


def forget(session: Session, sender_id: str, now: dt.datetime | None = None) -> int:
    """Erasure ("hapus data saya"): withdraw everything and replace the sender id by its sha256, so the record
    still proves that consent was given and withdrawn (the citizen can show it is theirs) without naming them."""
    withdraw(session, sender_id, by=WITHDRAWN_BY_ERASURE, now=now)
    hashed = hashlib.sha256(sender_id.encode("utf-8")).hexdigest()
    records = list(session.scalars(select(ConsentRecord).where(ConsentRecord.sender_id == sender_id)))
    for record in records:
        record.sender_id = hashed
    session.flush()
    return len(records)


def consents_of(session: Session, sender_id: str) -> list[ConsentRecord]:
    """Every consent of this conversation, newest first (the citizen's export)."""
    if not sender_id:
        return []
    return list(session.scalars(select(ConsentRecord).where(ConsentRecord.sender_id == sender_id)
                                .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc())))


@dataclass(frozen=True)
class PurposeCount:
    key: str
    label: str
    active: int
    withdrawn: int


def counts_per_purpose(session: Session) -> list[PurposeCount]:
    """Per purpose: consents in force and consents withdrawn (the data-protection page)."""
    rows = session.execute(select(ConsentRecord.purpose, ConsentRecord.withdrawn_at.is_(None), func.count())
                           .group_by(ConsentRecord.purpose, ConsentRecord.withdrawn_at.is_(None))).all()
    active: dict[str, int] = {}
    withdrawn: dict[str, int] = {}
    for key, in_force, count in rows:
        (active if in_force else withdrawn)[key] = int(count)
    keys = list(PURPOSES) + sorted(k for k in set(active) | set(withdrawn) if k not in PURPOSES)
    return [PurposeCount(k, PURPOSES[k].label if k in PURPOSES else k, active.get(k, 0), withdrawn.get(k, 0))
            for k in keys]


# ------------------------------------------------------------------------------------------------
# what the bot says around the notice
# ------------------------------------------------------------------------------------------------
def refusal_text(key: str, lang: str = "id") -> str:
    """The form stops: nothing was stored; what the citizen can still do."""
    p = purpose(key)
    if lang == "en":
        return (f"All right, we will not record {p.collects_en}, and nothing from this form has been saved. You can "
                "still ask me about any procedure, or come to the office in person during opening hours. If you "
                "change your mind, just start again.")
    return (f"Baik, kami tidak akan mencatat {p.collects}, dan tidak ada data dari isian ini yang disimpan. Bapak/Ibu "
            "tetap dapat bertanya tentang prosedur layanan kepada asisten ini, atau datang langsung ke kantor pada "
            "jam layanan. Jika berubah pikiran, silakan mulai lagi kapan saja.")


def reask_text(lang: str = "id") -> str:
    return _t(lang, "Mohon pilih \"Setuju\" atau \"Tidak setuju\" (ketik \"batal\" untuk berhenti).",
              "Please choose \"Agree\" or \"Disagree\" (type \"cancel\" to stop).")


def withdrawn_text(withdrawn: list[str], lang: str = "id") -> str:
    """After "tarik persetujuan": what stops, what stays, and how to have it deleted."""
    if not withdrawn:
        return _t(lang, "Tidak ada persetujuan yang sedang berlaku dari percakapan ini, jadi tidak ada yang perlu "
                        "ditarik. Untuk meminta data dihapus, ketik \"hapus data saya\".",
                  "There is no consent in force from this conversation, so there is nothing to withdraw. To have "
                  "your data deleted, type \"delete my data\".")
    names = ", ".join(label_of(k, lang).lower() for k in withdrawn)
    return _t(lang,
              f"Persetujuan Bapak/Ibu untuk {names} sudah kami tarik: kami tidak akan mencatat data baru untuk "
              "keperluan itu tanpa bertanya lagi. Untuk menghentikan juga pemrosesan data yang sudah tercatat "
              "(misalnya booking yang masih aktif), pilih \"Hapus data saya\"; sesuai UU 27/2022 pemrosesan "
              "dihentikan paling lambat 3×24 jam setelah persetujuan ditarik.",
              f"Your consent for {names} has been withdrawn: we will not record new data for it without asking you "
              "again. To also stop the processing of data already recorded (for example an active booking), choose "
              "\"Delete my data\"; under Law 27/2022 processing stops within 3×24 hours of a withdrawal.")


def export_lines(records: list[ConsentRecord], lang: str = "id") -> list[str]:
    """The consents in the citizen's copy of their data."""
    from office.dates import format_date

    def day(moment: dt.datetime) -> str:
        return format_date(clock.to_utc(moment).astimezone(clock.office_tz()).date(), lang)

    if not records:
        return []
    lines = [_t(lang, "Persetujuan pemrosesan data:", "Consents to process your data:")]
    for r in records:
        name = label_of(r.purpose, lang)
        state = (_t(lang, f"ditarik {day(r.withdrawn_at)}", f"withdrawn {day(r.withdrawn_at)}") if r.withdrawn_at
                 else _t(lang, "berlaku", "in force"))
        lines.append(_t(lang, f"- {name} · diberikan {day(r.given_at)} · {state}",
                        f"- {name} · given {day(r.given_at)} · {state}"))
    return lines
