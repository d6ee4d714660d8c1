"""Complaint evidence end to end: a photo on WhatsApp (with a disguised .exe and an oversized file
beside it) and a PDF on Telegram arrive during the complaint conversation, the worker job fetches
them from the fake providers with the channels' credentials and keeps them, the unit's officer sees
them on the ticket page and downloads the very same bytes, safely; another unit's officer cannot."""
from __future__ import annotations

import hashlib
import secrets

import httpx
import pytest
from sqlalchemy import select

from office.complaints.models import Ticket
from office.db import session_scope
from tests.backoffice_support import login, make_user
from tests.channels.citizens import TelegramCitizen, WhatsAppCitizen, file_complaint
from tests.channels.conftest import Channels
from tests.fakes import FakeProviders

pytestmark = pytest.mark.integration
PASSWORD = "kata sandi uji panjang"
JPEG = b"\xff\xd8\xff\xe1\x00\x18Exif\x00\x00" + secrets.token_bytes(40_000)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + secrets.token_bytes(20_000) + b"\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + secrets.token_bytes(5_000)
HUGE = b"\xff\xd8\xff\xe0" + bytes(10 * 1024 * 1024 + 10)  # just over the 10 MB limit


def _evidence(code: str) -> list[dict]:
    with session_scope() as s:
        ticket = s.scalar(select(Ticket).where(Ticket.code == code))
        return [{"id": e.id, "status": e.status, "reason": e.status_reason or "", "mime": e.mime_type,
                 "size": e.size, "sha256": e.sha256} for e in ticket.evidence]


def test_evidence_is_stored_checked_and_downloaded_by_the_right_officer(
        channels: Channels, fake: FakeProviders, live_backoffice: str, office_env: dict[str, str]) -> None:
    from worker.evidence_jobs import run_evidence_jobs

    wa = WhatsAppCitizen(channels, fake)
    media = [(fake.add_media("twilio", JPEG, "image/jpeg"), "image/jpeg"),
             (fake.add_media("twilio", EXE, "image/jpeg"), "image/jpeg"),  # a program renamed foto.jpg
             (fake.add_media("twilio", HUGE, "image/jpeg"), "image/jpeg")]

    def three_files() -> None:
        params = channels.twilio_params(wa.number, "", NumMedia="3", MessageType="image")
        for i, (url, mime) in enumerate(media):
            params[f"MediaUrl{i}"], params[f"MediaContentType{i}"] = url, mime
        wa._turn(lambda: channels.whatsapp(params))
        assert "3 berkas bukti diterima" in wa.text()

    wa_code = file_complaint(wa, "Kursi di ruang tunggu banyak yang rusak dan AC mati", three_files)
    tg = TelegramCitizen(channels, fake)
    pdf_id = fake.add_media("telegram", PDF, "application/pdf")
    tg_code = file_complaint(tg, "Toilet lantai dua bau dan wastafelnya tersumbat",
                             lambda: tg.send_document(pdf_id, len(PDF), "kuitansi parkir.pdf", "application/pdf"))
    assert [e["status"] for e in _evidence(wa_code)] == ["pending"] * 3

    with httpx.Client() as client:
        counts = run_evidence_jobs(client)
    assert counts.get("stored", 0) >= 2 and counts.get("rejected", 0) >= 2
    photo, program, huge = _evidence(wa_code)
    assert (photo["status"], photo["mime"], photo["size"]) == ("stored", "image/jpeg", len(JPEG))
    assert photo["sha256"] == hashlib.sha256(JPEG).hexdigest()
    assert program["status"] == "rejected" and "bukan jenis yang diizinkan" in program["reason"]
    assert huge["status"] == "rejected" and "melebihi batas 10,0 MB" in huge["reason"]
    [document] = _evidence(tg_code)
    assert (document["status"], document["mime"]) == ("stored", "application/pdf")
    # Twilio media was fetched with the account's credentials; Telegram through getFile
    assert any(c.method == "getFile" for c in fake.calls if c.provider == "telegram")
    assert {c.path.split("/")[1] for c in fake.downloads()} >= {"twilio-cdn", "telegram"}

    url = office_env["DATABASE_URL"]
    make_user(url, "tu.bukti", "officer", unit="Tata Usaha")
    make_user(url, "lantas.bukti", "officer", unit="Seksi Lalu Lintas Keimigrasian")
    with httpx.Client(base_url=live_backoffice) as anonymous:
        assert anonymous.get(f"/staff/tickets/{wa_code}/evidence/{photo['id']}").status_code in (303, 401)
    with httpx.Client(base_url=live_backoffice) as officer:
        assert login(officer, "tu.bukti", PASSWORD).status_code == 303
        page = officer.get(f"/staff/tickets/{wa_code}").text
        assert page.count('evidence-status">Tersimpan<') == 1 and page.count('evidence-status">Ditolak<') == 2
        assert "bukan jenis yang diizinkan" in page and "melebihi batas" in page
        assert f"/staff/tickets/{wa_code}/evidence/{photo['id']}" in page
        assert f"/evidence/{program['id']}" not in page  # nothing to download for a rejected file
        got = officer.get(f"/staff/tickets/{wa_code}/evidence/{photo['id']}")
        assert got.status_code == 200 and got.content == JPEG
        assert got.headers["content-type"] == "image/jpeg"
        assert got.headers["content-disposition"].startswith("attachment;")
        assert f'filename="{wa_code}-bukti-{photo["id"]}.jpg"' in got.headers["content-disposition"]
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in got.headers["content-security-policy"]
        assert "default-src 'none'" in got.headers["content-security-policy"]
        pdf = officer.get(f"/staff/tickets/{tg_code}/evidence/{document['id']}")
        assert pdf.status_code == 200 and pdf.content == PDF and pdf.headers["content-type"] == "application/pdf"
        # another ticket's evidence id under this code, a rejected file, an unknown id: not found
        assert officer.get(f"/staff/tickets/{wa_code}/evidence/{document['id']}").status_code == 404
        assert officer.get(f"/staff/tickets/{wa_code}/evidence/{program['id']}").status_code == 404
        assert officer.get(f"/staff/tickets/{wa_code}/evidence/99999999").status_code == 404
    with httpx.Client(base_url=live_backoffice) as other_unit:
        assert login(other_unit, "lantas.bukti", PASSWORD).status_code == 303
        assert other_unit.get(f"/staff/tickets/{wa_code}/evidence/{photo['id']}").status_code == 404
        assert other_unit.get(f"/staff/tickets/{wa_code}").status_code == 404
