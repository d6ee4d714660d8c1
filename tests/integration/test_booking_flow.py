"""Booking and the queue over Rasa's REST channel with the real Rasa and action servers
(clock fixed at Monday 16 March 2026, 09.30 WIB; 18-24 March is a holiday closure)."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from office.booking import queue as q
from office.booking.models import Booking, QueueTicket
from office.db import session_scope
from tests.conftest import buttons, texts

pytestmark = pytest.mark.integration
WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)


def _id(prefix: str) -> str:
    return f"{prefix}:{uuid.uuid4().hex[:10]}"


def _payloads(reply: list[dict]) -> list[str]:
    return [b["payload"] for m in reply for b in m.get("buttons", [])]


def test_book_check_reschedule_cancel(chat) -> None:
    sender = "whatsapp:+6281298765432"
    reply = chat(sender, "saya mau booking jadwal kunjungan")
    assert "aplikasi M-Paspor." in texts(reply)  # no link until the office fills in a verified one
    assert "BAP" in _payloads(reply)
    reply = chat(sender, "BAP")
    assert "2026-03-17" in _payloads(reply)
    reply = chat(sender, "lusa")
    assert "Kantor tutup pada Rabu, 18 Maret 2026" in texts(reply) and "2026-03-17" in _payloads(reply)
    reply = chat(sender, "kemarin")
    assert "sudah lewat" in texts(reply)
    reply = chat(sender, "besok")
    assert "Selasa, 17 Maret 2026" in texts(reply) and "09:00" in _payloads(reply)
    reply = chat(sender, "09:00")  # before the first personal-data question: consent (office/consent.py)
    assert "nama dan nomor HP" in texts(reply) and buttons(reply) == ["Setuju", "Tidak setuju"]
    reply = chat(sender, "Setuju")
    assert "Atas nama siapa" in texts(reply)  # the WhatsApp number is already known
    reply = chat(sender, "Siti Aminah")
    body = texts(reply)
    assert "Selasa, 17 Maret 2026, pukul 09.00 WIB" in body and "+6281298765432" in body
    assert buttons(reply) == ["Ya, benar", "Ubah", "Batal"]
    reply = chat(sender, "Ya")
    body = texts(reply)
    assert "Booking berhasil" in body and "batal booking" in body
    code = body.split("Kode booking Bapak/Ibu: ")[1][:6]
    reply = chat(sender, f"tolong cek booking saya {code}")
    assert "Selasa, 17 Maret 2026, pukul 09.00 WIB" in texts(reply) and "Status: aktif" in texts(reply)
    reply = chat(sender, "tolong cek booking saya ZZ9Z9Z")
    assert "tidak ditemukan" in texts(reply)
    reply = chat(sender, f"saya mau ubah jadwal booking {code}")
    assert "Mari pilih jadwal baru" in texts(reply)
    reply = chat(sender, "2026-03-25")
    assert "10:00" in _payloads(reply)
    reply = chat(sender, "10:00")
    assert "berhasil diubah" in texts(reply) and "Rabu, 25 Maret 2026, pukul 10.00 WIB" in texts(reply)
    reply = chat(sender, f"mohon batalkan booking saya {code}")
    assert f"Booking {code}" in texts(reply) and "telah dibatalkan" in texts(reply)
    with session_scope() as s:
        assert s.scalar(select(Booking.status).where(Booking.code == code)) == "cancelled"


def test_batal_mid_form_saves_nothing_and_questions_are_answered(chat) -> None:
    sender = _id("web")
    chat(sender, "mau booking")
    chat(sender, "ITK")
    reply = chat(sender, "berapa biaya ITAS?")
    body = texts(reply)  # answered from the knowledge base, then the form asks again
    assert "ITAS" in body and "Kita lanjutkan booking-nya" in body and "Tanggal berapa" in body
    chat(sender, "besok")
    chat(sender, "10:00")
    chat(sender, "Setuju")
    reply = chat(sender, "Budi Santoso")
    assert "Nomor HP" in texts(reply)
    reply = chat(sender, "021 555 1234")
    assert "nomor HP Indonesia" in texts(reply)
    reply = chat(sender, "batal")
    assert "Tidak ada data yang disimpan" in texts(reply)
    with session_scope() as s:
        assert s.scalar(select(func.count(Booking.id)).where(Booking.sender_id == sender)) == 0
    reply = chat(sender, "antrean sekarang nomor berapa?")
    assert "belum memiliki nomor antrean" in texts(reply)


def test_walkin_number_status_and_near_turn_message(chat, rasa_server: str, office_env: dict,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Other tests of this session may already have taken C numbers today: close them, number from there.
    with session_scope() as s:
        earlier = s.scalars(select(QueueTicket).where(QueueTicket.day == NOW.date(), QueueTicket.line == "C")).all()
        for ticket in earlier:
            if ticket.status in ("waiting", "called"):
                ticket.status = "no_show"
        base = max((t.number for t in earlier), default=0)
    label = [f"C-{n:03d}" for n in range(base + 1, base + 7)]
    senders = [_id("web") for _ in range(6)]
    reply = chat(senders[0], "ambil nomor antrean")
    assert any("KONSUL" in p for p in _payloads(reply))
    numbers = []
    for sender in senders:
        reply = chat(sender, "/take_queue_number" + json.dumps({"queue_service": "KONSUL"}))
        numbers.append(texts(reply).split("Nomor antrean Bapak/Ibu: ")[1][:5])
    assert numbers == label
    reply = chat(senders[5], "antrean sekarang nomor berapa?")
    assert label[5] in texts(reply) and "Di depan Bapak/Ibu: 5 orang" in texts(reply)
    with session_scope() as s:
        called = q.call_next(s, "4", ["C"], now=NOW)
        assert called.label == label[0]
    # the last one now has 4 ahead: not yet; after one more call it has 3 ahead and gets the message
    with session_scope() as s:
        q.call_next(s, "4", ["C"], now=NOW)
    reply = chat(senders[5], "antrean sekarang nomor berapa?")
    assert f"Sedang dilayani: {label[1]}" in texts(reply) and "Di depan Bapak/Ibu: 3 orang" in texts(reply)
    monkeypatch.setenv("RASA_URL", rasa_server)
    from worker.delivery import deliver_due

    with httpx.Client() as client:
        assert deliver_due(client) >= 1
    tracker = httpx.get(f"{rasa_server}/conversations/{senders[5]}/tracker",
                        params={"token": office_env["RASA_TOKEN"]}, timeout=30).json()
    bot_texts = [e.get("text") or "" for e in tracker["events"] if e.get("event") == "bot"]
    assert any(f"Nomor Anda hampir dipanggil: {label[5]}" in t for t in bot_texts)


def test_an_office_message_mid_form_is_shown_and_never_taken_as_the_answer(
        chat, rasa_server: str, office_env: dict[str, str]) -> None:
    """A reminder or officer reply that arrives while the citizen is filling the booking form is relayed,
    the form asks its question again, and the message text is not stored as the citizen's answer."""
    sender = _id("web")
    chat(sender, "mau booking")
    chat(sender, "ITK")
    chat(sender, "besok")
    chat(sender, "10:00")
    chat(sender, "Setuju")  # the form now asks for the name
    text = "Balasan petugas: pengaduan Bapak/Ibu sedang kami proses."
    response = httpx.post(f"{rasa_server}/conversations/{sender}/trigger_intent",
                          params={"token": office_env["RASA_TOKEN"], "output_channel": "latest"},
                          json={"name": "EXTERNAL_office_message",
                                "entities": {"office_message": text, "message_kind": "officer_reply"}},
                          timeout=60)
    response.raise_for_status()
    tracker = response.json()["tracker"]
    bot_texts = [e.get("text") or "" for e in tracker["events"] if e.get("event") == "bot"]
    assert text in bot_texts
    assert tracker["slots"].get("booking_name") in (None, "")
    assert tracker["active_loop"].get("name") == "booking_form"
    reply = chat(sender, "Budi Santoso")
    assert "Nomor HP" in texts(reply)
