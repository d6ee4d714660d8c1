"""Browser check of the evidence list on the ticket page: type, size, status and the reason of a
rejected file are shown, a stored file downloads with its bytes intact, and the list reads well on a
360-px phone (screenshots in /tmp/shots/evidence/)."""
from __future__ import annotations

import secrets
from pathlib import Path

from office import clock
from office.complaints.evidence import mark_attempt_failed, mark_rejected, mark_stored, store_stream
from office.complaints.service import file_ticket
from office.db import session_scope
from tests.backoffice_support import make_user
from tests.browser.conftest import SHOTS_DIR

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + secrets.token_bytes(150_000)
SCRIPTY = '<img src=x onerror="alert(1)">'


def test_ticket_page_lists_evidence_and_downloads_it(backoffice_server, browser_page, shot) -> None:
    base, url = backoffice_server.base_url, backoffice_server.database_url
    env = backoffice_server.env
    media = Path(env.get("MEDIA_DIR") or Path(env["OFFICE_VAR_DIR"]) / "media")
    make_user(url, "rina.tu", "officer", unit="Tata Usaha")
    items = [{"type": "image", "mime_type": "image/jpeg", "url": "https://api.twilio.com/x/Media/ME1",
              "provider": "twilio"},
             {"type": "image", "mime_type": "image/jpeg", "url": "https://api.twilio.com/x/Media/ME2",
              "provider": "twilio"},
             {"type": "document", "mime_type": "application/pdf", "file_id": "BQAC1", "size": 2048,
              "provider": "telegram"}]
    with session_scope(url) as s:
        ticket = file_ticket(s, description="Ruang tunggu panas, kipas angin mati semua", sender_id="whatsapp:+628129",
                             evidence=items, now=clock.now())
        code = ticket.code
        photo, program, document = ticket.evidence
        mark_stored(photo, store_stream(iter([JPEG]), max_bytes=10 * 1024 * 1024, allowed_mime=("image/jpeg",),
                                        root=media))
        mark_rejected(program, f"Isi berkas bukan jenis yang diizinkan {SCRIPTY}; tidak disimpan.")
        mark_attempt_failed(document, "penyedia menjawab HTTP 503")
        photo_id = photo.id
    page = browser_page
    page.goto(f"{base}/staff/login")
    page.get_by_label("Nama pengguna").fill("rina.tu")
    page.get_by_label("Kata sandi").fill("kata sandi uji panjang")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{base}/staff")
    page.goto(f"{base}/staff/tickets/{code}")
    items = page.locator(".evidence-item")
    assert items.count() == 3
    first, second, third = (items.nth(i).inner_text() for i in range(3))
    assert "Foto" in first and "image/jpeg" in first and "146 KB" in first and "Tersimpan" in first
    assert "Ditolak" in second and SCRIPTY in second  # shown as text, never as markup
    assert "Dokumen PDF" in third and "Menunggu unduhan" in third and "Percobaan 1 gagal" in third
    assert page.locator("img[src='x']").count() == 0
    link = page.get_by_role("link", name=f"Unduh bukti #{photo_id}")
    assert link.count() == 1 and page.locator(".evidence-item a").count() == 1
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"{code}-bukti-{photo_id}.jpg"
    assert Path(download.value.path()).read_bytes() == JPEG
    (SHOTS_DIR / "evidence").mkdir(parents=True, exist_ok=True)
    shot(page, "evidence/ticket-evidence-360", "phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "evidence/ticket-evidence-1280", "desktop")
    assert page.dialogs == []
