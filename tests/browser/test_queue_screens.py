"""The counter screen and the waiting-room board in a real browser: calling numbers updates the
board by polling, the board announces in Indonesian, and both read well at 360 px and 1280 px."""
from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from office import clock
from office.booking import queue as q
from office.booking.catalogue import get_service
from office.db import session_scope
from office.staff import COUNTER
from tests.backoffice_support import make_user

# speechSynthesis is replaced by a recorder: headless Chromium has no voices, and the test must
# see exactly what would be said.
SPEECH_RECORDER = """
window.__spoken = [];
class FakeUtterance { constructor(text) { this.text = text; this.lang = ""; } }
window.SpeechSynthesisUtterance = FakeUtterance;
Object.defineProperty(window, "speechSynthesis", { value: {
  speak: (u) => { if (u.text) window.__spoken.push({text: u.text, lang: u.lang}); },
  getVoices: () => [],
}});
"""


def _wait_spoken(page, count: int, timeout: float = 10.0) -> list[dict]:
    """Poll the recorder (wait_for_function would need eval, which the page's CSP forbids)."""
    deadline = time.monotonic() + timeout
    while True:
        spoken = page.evaluate("window.__spoken")
        if len(spoken) >= count or time.monotonic() > deadline:
            return spoken
        time.sleep(0.2)


def _issue(url: str, service_code: str, sender: str) -> str:
    with session_scope(url) as s:
        ticket = q._issue(s, get_service(s, service_code), "walkin", clock.now(), sender_id=sender)
        return ticket.label


def test_counter_calls_and_board_announces(backoffice_server, chromium_browser, browser_page, shot):
    base, url = backoffice_server.base_url, backoffice_server.database_url
    password = make_user(url, "loket2", COUNTER, full_name="Petugas Loket Dua")
    labels = [_issue(url, "AMBIL", "web:a"), _issue(url, "BAP", "web:b"), _issue(url, "PRIORITAS", "web:c")]
    assert labels == ["A-001", "A-002", "P-001"]

    board_context = chromium_browser.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID")
    board = board_context.new_page()
    board.add_init_script(SPEECH_RECORDER)
    board_errors: list[str] = []
    board.on("console", lambda m: board_errors.append(m.text) if m.type == "error" else None)
    failed: list[str] = []
    board.on("response", lambda r: failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    board.goto(f"{base}/board")
    expect(board.locator("#board-number")).to_have_text("-")
    board.get_by_role("button", name="Aktifkan suara").click()
    expect(board.get_by_role("button", name="Suara aktif")).to_have_attribute("aria-pressed", "true")

    page = browser_page
    page.goto(f"{base}/staff/queue?loket=2")
    page.get_by_label("Nama pengguna").fill("loket2")
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Layar loket 2")).to_be_visible()
    expect(page.locator(".q-waiting li")).to_have_count(3)
    page.get_by_role("button", name="Panggil berikutnya").click()
    expect(page.locator("#queue-message")).to_have_text("Memanggil P-001 ke loket 2.")
    expect(page.locator("#current-number")).to_have_text("P-001")  # the priority line first

    expect(board.locator("#board-number")).to_have_text("P-001", timeout=10_000)
    expect(board.locator("#board-counter")).to_have_text("Loket 2")
    expect(board.locator("#board-announce")).to_have_text("Nomor P-001, silakan ke loket 2")
    assert _wait_spoken(board, 1) == [{"text": "Nomor P, 1, silakan ke loket 2", "lang": "id-ID"}]

    page.get_by_role("button", name="Selesai dilayani").click()
    expect(page.locator("#queue-message")).to_have_text("P-001 selesai dilayani.")
    page.get_by_role("button", name="Panggil berikutnya").click()
    expect(page.locator("#current-number")).to_have_text("A-001")
    assert len(_wait_spoken(board, 2)) == 2  # the board polls every 3 s: let it announce before the recall
    page.get_by_role("button", name="Panggil ulang").click()
    expect(page.locator("#queue-message")).to_have_text("Memanggil ulang A-001.")
    spoken = [s["text"] for s in _wait_spoken(board, 3)]
    assert spoken[1:] == ["Nomor A, 1, silakan ke loket 2", "Nomor A, 1, silakan ke loket 2"]
    expect(board.locator("#board-recent li")).to_have_count(1)
    expect(board.locator("#board-recent li").first).to_contain_text("P-001")
    page.get_by_label("Alihkan ke layanan").select_option("ITK")
    page.get_by_role("button", name="Alihkan").click()
    expect(page.locator("#queue-message")).to_have_text("Dialihkan sebagai nomor B-001.")

    page.get_by_role("button", name="Panggil berikutnya").click()
    expect(page.locator("#current-number")).to_have_text("B-001")  # a transfer keeps its place in the line
    shot(page, "queue-counter-1280x800", "desktop")
    shot(page, "queue-counter-360x740", "phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"counter screen scrolls sideways at 360 px ({width})"
    board.wait_for_timeout(2100)  # after the 2-second flash of a new call
    shot(board, "queue-board-1280x800", "desktop", full_page=False)
    number_size = board.evaluate("parseFloat(getComputedStyle(document.getElementById('board-number')).fontSize)")
    assert number_size >= 150, number_size  # readable from 5 m on a TV
    shot(board, "queue-board-360x740", "phone")
    assert board.evaluate("document.documentElement.scrollWidth") <= 360
    body = board.locator("body").inner_text()
    assert "web:" not in body and not re.search(r"\+62|08\d{6}", body)
    assert failed == []
    assert not [e for e in board_errors + page.console_errors if "Content Security Policy" in e or "Uncaught" in e]
    board_context.close()


def test_kiosk_and_settings_pages(backoffice_server, browser_page, shot):
    base, url = backoffice_server.base_url, backoffice_server.database_url
    password = make_user(url, "admin-antrean", "admin", full_name="Admin Antrean")
    page = browser_page
    page.goto(f"{base}/staff/queue/settings")
    page.get_by_label("Nama pengguna").fill("admin-antrean")
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Layanan, kapasitas & kuota")).to_be_visible()
    page.get_by_text("Konsultasi keimigrasian").click()
    page.get_by_label("Kapasitas per slot").nth(3).fill("3")
    page.locator("details[open]").get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("status")).to_have_text("Perubahan tersimpan.")
    expect(page.get_by_text("kapasitas 3/slot")).to_be_visible()
    page.get_by_label("Maksimal ubah jadwal (kali)").fill("abc")
    page.get_by_role("button", name="Simpan aturan").click()
    expect(page.get_by_role("alert")).to_contain_text("Tidak tersimpan")
    shot(page, "queue-settings-360x740", "phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{base}/staff/kiosk")
    expect(page.get_by_label("Sudah booking? Ketik atau pindai (QR) kode booking")).to_be_focused()
    page.get_by_label("Sudah booking? Ketik atau pindai (QR) kode booking").fill("ABO123")
    page.get_by_role("button", name="Check-in").click()
    expect(page.locator("#kiosk-message")).to_contain_text("Kode booking tidak ditemukan")
    shot(page, "queue-kiosk-1280x800", "desktop")
    shot(page, "queue-kiosk-360x740", "phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
