"""Browser tests of the complaint inbox and ticket page: a script payload filed as a complaint is shown
as text and never runs (no dialog, no CSP error), SLA badges show, an officer replies, and the pages
fit a 360-px phone and a 1280-px desktop (screenshots in /tmp/shots)."""
from __future__ import annotations

import datetime as dt

from office import clock
from office.complaints.service import file_ticket
from office.db import session_scope
from tests.backoffice_support import make_user

PAYLOAD = '<script>alert("xss")</script><img src=x onerror="alert(1)">'


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/staff/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill("kata sandi uji panjang")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{base}/staff")


def test_inbox_and_ticket_page_escape_and_reply(backoffice_server, browser_page, shot) -> None:
    base, url = backoffice_server.base_url, backoffice_server.database_url
    make_user(url, "budi.tu", "officer", unit="Tata Usaha")
    now = clock.now()
    with session_scope(url) as s:
        xss = file_ticket(s, description=f"Toilet kotor {PAYLOAD}", sender_id="telegram:555",
                          when_where=PAYLOAD, now=now).code
        late = file_ticket(s, description="Kursi ruang tunggu rusak semua", sender_id="web:1",
                           now=now - dt.timedelta(days=30)).code
    page = browser_page
    _sign_in(page, base, "budi.tu")
    page.get_by_role("link", name="Pengaduan").first.click()
    page.wait_for_url(f"{base}/staff/tickets")
    assert page.locator(".ticket-code", has_text=xss).count() == 1
    assert page.locator(".ticket-item", has_text=late).locator(".sla-overdue").count() == 1, page.locator(".ticket-list").inner_text()
    assert PAYLOAD in page.locator(".ticket-item", has_text=xss).inner_text()
    shot(page, "tickets-inbox-360", "phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "tickets-inbox-1280", "desktop")

    page.locator(".ticket-code", has_text=xss).click()
    page.wait_for_url(f"{base}/staff/tickets/{xss}")
    assert PAYLOAD in page.locator(".thread-citizen .thread-text").first.inner_text()
    assert page.locator("script:not([src])").count() == 0
    assert page.locator("img[src='x']").count() == 0
    page.get_by_label("Balas ke warga").fill(f"Terima kasih, sudah kami bersihkan. {PAYLOAD}")
    page.get_by_role("button", name="Kirim balasan").click()
    page.wait_for_selector(".alert-ok")
    assert page.locator(".thread-officer .thread-text").inner_text().endswith(PAYLOAD)
    shot(page, "ticket-page-360", "phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "ticket-page-1280", "desktop")
    # rejecting without a reason is refused on the page
    page.get_by_label("Status").select_option("ditolak")
    page.get_by_role("button", name="Ubah status").click()
    page.wait_for_selector(".alert-error")
    assert "wajib disertai alasan" in page.locator(".alert-error").inner_text()
    assert page.dialogs == []
    assert not [e for e in page.console_errors if "Content Security Policy" in e or "xss" in e]


def test_live_chat_page_take_and_send(backoffice_server, browser_page, shot) -> None:
    from office import handoff

    base, url = backoffice_server.base_url, backoffice_server.database_url
    make_user(url, "sari.live", "officer", unit="Tata Usaha")
    with session_scope(url) as s:
        live = handoff.request_officer(s, "telegram:777")
        handoff.citizen_message(s, "telegram:777", f"Paspor saya hilang {PAYLOAD}")
        live_id = live.id
    page = browser_page
    _sign_in(page, base, "sari.live")
    page.get_by_role("link", name="Obrolan langsung").first.click()
    page.get_by_role("link", name=f"Obrolan #{live_id}").click()
    page.get_by_role("button", name="Ambil percakapan").click()
    page.get_by_label("Pesan ke warga").fill("Baik, silakan lapor kehilangan ke kepolisian dahulu.")
    page.get_by_role("button", name="Kirim", exact=True).click()
    page.wait_for_selector(".thread-officer")
    assert PAYLOAD in page.locator(".thread-citizen .thread-text").first.inner_text()
    shot(page, "live-chat-360", "phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "live-chat-1280", "desktop")
    assert page.dialogs == []
