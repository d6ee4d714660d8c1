""""hapus data saya" end to end with the real Rasa, action server and worker (clock: Monday 16 March
2026, 09.30 WIB): a citizen books and files a complaint in chat, the complaint is closed, the citizen
asks what is held, erases after the confirmation button; the booking is cancelled and anonymised (its
slot freed), the closed complaint loses its identity, the request is recorded by hash, and after the
worker runs Rasa's tracker of that sender holds none of the earlier messages."""
from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import buttons, texts
from tests.integration.test_complaints_flow import _file

pytestmark = pytest.mark.integration


def _payloads(reply: list[dict]) -> list[str]:
    return [b["payload"] for m in reply for b in m.get("buttons", [])]


def _book(chat, who: str) -> str:
    reply = chat(who, "saya mau booking jadwal kunjungan")
    reply = chat(who, "BAP")
    reply = chat(who, "besok")
    times = [p for p in _payloads(reply) if len(p) == 5 and p[2] == ":"]
    reply = chat(who, times[-1])
    assert "Apakah Bapak/Ibu setuju?" in texts(reply)  # consent before the name (office/consent.py)
    reply = chat(who, "/consent_agree")
    assert "Atas nama siapa" in texts(reply)
    chat(who, "Dewi Lestari")
    body = texts(chat(who, "Ya"))
    assert "Booking berhasil" in body
    return body.split("Kode booking Bapak/Ibu: ")[1][:6]


def test_erase_my_data_through_rasa_and_the_worker(chat, office_env: dict[str, str], rasa_server: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from office.booking.models import Booking
    from office.complaints.models import Ticket
    from office.complaints.service import set_status
    from office.db import session_scope
    from office.privacy_requests import PrivacyRequest, sender_hash

    url = office_env["DATABASE_URL"]
    who = "whatsapp:+6281377788899"
    code = _book(chat, who)
    filed = texts(_file(chat, who, "Petugas di loket informasi tidak ada di tempat selama satu jam"))
    with session_scope(url) as s:
        ticket = s.scalar(select(Ticket).where(Ticket.sender_id == who))
        assert ticket.code in filed
        set_status(s, ticket, "supervisor", "selesai")
        ticket_code = ticket.code

    reply = chat(who, "hapus data saya")
    body = texts(reply)
    assert "booking kunjungan: 1" in body and "pengaduan atas nama Bapak/Ibu: 1" in body
    assert buttons(reply) == ["Kirim salinan data", "Hapus data saya"]
    copy = texts(chat(who, "/privacy_export"))
    assert code in copy and ticket_code in copy and "Dewi Lestari" in copy and "Selesai" in copy
    ask = chat(who, "/privacy_erase")
    assert "Yang tetap kami simpan" in texts(ask) and "anonim" in texts(ask)
    assert buttons(ask) == ["Ya, hapus data saya", "Tidak jadi"]
    done = texts(chat(who, "/privacy_erase_confirm"))
    assert "saat ini juga" in done and code in done and "3×24 jam" in done

    with session_scope(url) as s:
        booking = s.scalar(select(Booking).where(Booking.code == code))
        assert (booking.status, booking.name, booking.phone, booking.sender_id) == ("cancelled", "(dihapus)", "", "")
        ticket = s.scalar(select(Ticket).where(Ticket.code == ticket_code))
        assert ticket.sender_id is None and ticket.contact_preference is None
        [request] = s.scalars(select(PrivacyRequest).where(PrivacyRequest.kind == "erase",
                                                           PrivacyRequest.sender_hash == sender_hash(who))).all()
        assert request.tracker_status == "pending"

    from worker.privacy_jobs import run_privacy_jobs

    monkeypatch.setenv("RASA_URL", rasa_server)
    with httpx.Client() as client:
        assert run_privacy_jobs(client) >= 1
    tracker = httpx.get(f"{rasa_server}/conversations/{who}/tracker",
                        params={"token": office_env["RASA_TOKEN"], "include_events": "ALL"}, timeout=30).json()
    said = [e.get("text") or "" for e in tracker["events"] if e.get("event") == "user"]
    assert said == []
    assert not any("Dewi Lestari" in (e.get("text") or "") for e in tracker["events"])
    with session_scope(url) as s:
        request = s.get(PrivacyRequest, request.id)
        assert request.tracker_status == "done" and request.pending_sender_id is None

    # the citizen may write again: a new conversation starts
    again = chat(who, "halo")
    assert texts(again)
    # an old confirmation button erases nothing
    stale = texts(chat(who, "/privacy_erase_confirm"))
    assert "ketik \"hapus data saya\"" in stale


def test_keep_my_data_changes_nothing(chat, office_env: dict[str, str]) -> None:
    from office.db import session_scope
    from office.privacy_requests import PrivacyRequest, sender_hash

    who = "telegram:55500011"
    chat(who, "delete my data")
    chat(who, "/privacy_erase")
    kept = texts(chat(who, "/privacy_keep"))
    assert "tidak kami hapus" in kept or "stays as it is" in kept
    with session_scope(office_env["DATABASE_URL"]) as s:
        assert s.scalars(select(PrivacyRequest).where(PrivacyRequest.sender_hash == sender_hash(who))).all() == []
