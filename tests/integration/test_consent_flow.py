"""Consent before personal data and masking in Rasa's tracker store, with the real Rasa and action servers
(clock fixed at Monday 16 March 2026, 09.30 WIB; office open).

- the booking asks for consent after the service, date and time, before the name; a refusal stops the form,
  stores nothing and says what the citizen can do instead; an agreement is recorded and not asked again;
  "tarik persetujuan" withdraws it and the next form asks again; English citizens get it in English;
- bot/tracker_store.py: after a booking that typed a phone number and a message with a NIK and a passport
  number, no tracker row holds those numbers, while the office database has the phone and the conversation
  goes on (booking check); the back-office transcript and the conversation report still read the tracker.
"""
from __future__ import annotations

import datetime as dt
import random
import time
import uuid

import httpx
import pytest
from sqlalchemy import create_engine, select, text

from office import consent
from office.booking.models import Booking
from office.db import session_scope
from tests.conftest import buttons, texts

pytestmark = pytest.mark.integration


def _id(prefix: str = "web") -> str:
    return f"{prefix}:{uuid.uuid4().hex[:10]}"


def _consents(sender: str) -> list[consent.ConsentRecord]:
    with session_scope() as s:
        records = consent.consents_of(s, sender)
        s.expunge_all()
        return records


def _to_consent(chat, sender: str) -> list[dict]:
    """Booking up to the consent question: service, date and a time still free (no personal data yet)."""
    chat(sender, "mau booking")
    chat(sender, "ITK")
    times = [b["payload"] for m in chat(sender, "besok") for b in m.get("buttons", [])]
    return chat(sender, random.choice(times))


def _tracker(rasa_server: str, office_env: dict[str, str], sender: str) -> dict:
    return httpx.get(f"{rasa_server}/conversations/{sender}/tracker",
                     params={"token": office_env["RASA_TOKEN"], "include_events": "ALL"}, timeout=30).json()


def test_refusal_stops_the_form_and_stores_nothing(chat, rasa_server: str, office_env: dict[str, str]) -> None:
    sender = _id()
    notice = _to_consent(chat, sender)
    body = texts(notice)
    assert "nama dan nomor HP" in body and "hari, lalu dihapus" in body and "UU 27/2022" in body
    assert buttons(notice) == ["Setuju", "Tidak setuju"]
    reask = chat(sender, "hmm gimana ya")  # neither: a short question again, still nothing stored
    assert "Mohon pilih \"Setuju\" atau \"Tidak setuju\"" in texts(reask) and buttons(reask) == ["Setuju", "Tidak setuju"]
    refused = texts(chat(sender, "Tidak setuju"))
    assert "tidak ada data dari isian ini yang disimpan" in refused and "datang langsung ke kantor" in refused
    assert "Atas nama siapa" not in refused
    tracker = _tracker(rasa_server, office_env, sender)
    assert not (tracker.get("active_loop") or {}).get("name")
    assert tracker["slots"].get("data_consent") is None and tracker["slots"].get("booking_service") is None
    assert _consents(sender) == []
    with session_scope() as s:
        assert s.scalars(select(Booking).where(Booking.sender_id == sender)).all() == []
    assert "ITAS" in texts(chat(sender, "berapa biaya ITAS?"))  # knowledge answers still work
    again = _to_consent(chat, sender)  # a refusal is not remembered: asked again next time
    assert buttons(again) == ["Setuju", "Tidak setuju"]
    assert "Atas nama siapa" in texts(chat(sender, "Setuju"))
    [record] = _consents(sender)
    assert (record.purpose, record.withdrawn_at, record.language) == ("booking", None, "id")


def test_agreement_is_kept_withdrawal_asks_again(chat, rasa_server: str, office_env: dict[str, str]) -> None:
    sender = _id()
    _to_consent(chat, sender)
    chat(sender, "Setuju")
    chat(sender, "Budi Santoso")
    chat(sender, "0812-3456-1111")
    done = texts(chat(sender, "Ya"))
    assert "Booking berhasil" in done
    # another booking in the same conversation: consent is on record, so straight to the name
    chat(sender, "mau booking")
    chat(sender, "KONSUL")
    times = [b["payload"] for m in chat(sender, "besok") for b in m.get("buttons", [])]
    assert "Atas nama siapa" in texts(chat(sender, times[-1]))
    assert "Tidak ada data yang disimpan" in texts(chat(sender, "batal"))
    withdrawn = chat(sender, "tarik persetujuan")
    assert "sudah kami tarik" in texts(withdrawn) and "Hapus data saya" in buttons(withdrawn)
    [record] = _consents(sender)
    assert record.withdrawn_at is not None and record.withdrawn_by == "citizen"
    assert buttons(_to_consent(chat, sender)) == ["Setuju", "Tidak setuju"]  # asked again
    assert "Atas nama siapa" in texts(chat(sender, "Setuju"))
    assert len(_consents(sender)) == 2


def test_complaint_and_handoff_ask_first_in_english(chat) -> None:
    sender = _id()
    notice = chat(sender, "I want to file a complaint")
    assert "your complaint" in texts(notice) and "Do you agree?" in texts(notice)
    assert buttons(notice) == ["Agree", "Disagree"]
    refused = texts(chat(sender, "Disagree"))
    assert "nothing from this form has been saved" in refused
    assert _consents(sender) == []
    notice = chat(sender, "I want to talk to an officer")
    assert "the messages you write to the officer" in texts(notice)
    queued = texts(chat(sender, "Agree"))
    assert "queue for an officer" in queued
    assert [r.purpose for r in _consents(sender)] == ["handoff"]
    chat(sender, "cancel")


def test_tracker_keeps_no_nik_passport_or_phone(chat, rasa_server: str, office_env: dict[str, str]) -> None:
    sender = _id()
    chat(sender, "paspor saya A1234567 hilang, NIK saya 1801012345670001, bagaimana mengurusnya?")
    _to_consent(chat, sender)
    chat(sender, "Setuju")
    chat(sender, "Rina Wulandari")
    summary = texts(chat(sender, "0812-7777-1234"))
    assert "+6281277771234" in summary  # the citizen sees their number to check it
    done = texts(chat(sender, "Ya"))
    code = done.split("Kode booking Bapak/Ibu: ")[1][:6]
    with session_scope() as s:  # the form had what it needed: the booking has the real phone
        assert s.scalar(select(Booking.phone).where(Booking.code == code)) == "+6281277771234"
    checked = texts(chat(sender, f"tolong cek booking saya {code}"))
    assert "Status: aktif" in checked and "Rina Wulandari" in checked

    engine = create_engine(office_env["TRACKER_STORE_URL"])
    with engine.connect() as conn:
        rows = [r[0] for r in conn.execute(text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"),
                                           {"s": sender})]
    engine.dispose()
    assert len(rows) > 20  # the SQL store is in use (not Rasa's in-memory fallback)
    stored = "\n".join(rows)
    for raw in ("A1234567", "1801012345670001", "0812-7777-1234", "081277771234", "6281277771234"):
        assert raw not in stored, raw
    assert "[NIK]" in stored and "[NOMOR PASPOR]" in stored and "[NOMOR TELEPON]" in stored
    assert "Rina Wulandari" in stored and code in stored  # only the numbers go

    # what staff read from the tracker still works: the web-chat transcript and the conversation report
    from backoffice.webchat_transcript import transcript_items
    from office.reports.conversations import conversation_report
    from office.reports.period import Period

    items = transcript_items(_tracker(rasa_server, office_env, sender)["events"])
    assert any(i["kind"] == "user" and "[NOMOR PASPOR]" in i["text"] for i in items)
    assert any(i["kind"] == "bot" and "Booking berhasil" in (i.get("text") or "") for i in items)
    today = dt.datetime.fromtimestamp(time.time(), dt.timezone(dt.timedelta(hours=7))).date()
    engine = create_engine(office_env["TRACKER_STORE_URL"])
    with session_scope() as s:
        report = conversation_report(s, Period.month(today.year, today.month), engine)
    engine.dispose()
    assert report.available and report.channel_total("web") >= 1
