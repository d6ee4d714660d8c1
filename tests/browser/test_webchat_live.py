"""The web chat page end to end: a real browser, the back-office, the real Rasa and action server."""
from __future__ import annotations

from playwright.sync_api import expect


def test_halo_and_office_hours_through_the_real_bot(live_backoffice: str, browser_page, shot) -> None:
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_backoffice}/")
    log = page.get_by_role("log")
    box = page.get_by_label("Tulis pesan")

    box.fill("halo")
    box.press("Enter")
    expect(log).to_contain_text("asisten virtual", timeout=60_000)
    expect(log).to_contain_text("UU 27/2022")
    for title in ("Tanya prosedur", "Booking/antrean", "Pengaduan", "Cek status", "Bicara dengan petugas"):
        expect(page.get_by_role("button", name=title).last).to_be_visible()

    box.fill("jam buka kantor?")
    box.press("Enter")
    expect(log).to_contain_text("Senin, 16 Maret 2026", timeout=60_000)
    expect(log).to_contain_text("08.00–16.00")

    page.get_by_role("button", name="Tanya prosedur").last.click()
    expect(log).to_contain_text("Silakan ketik pertanyaan", timeout=60_000)
    box.fill("brp biaya bkin paspor skrg")
    box.press("Enter")
    expect(log).to_contain_text("Rp950.000", timeout=60_000)
    expect(log).to_contain_text("Sumber:")
    assert page.dialogs == []
    shot(page, "live-chat-360x740", "phone", full_page=False)
    shot(page, "live-chat-1280x800", "desktop", full_page=False)
