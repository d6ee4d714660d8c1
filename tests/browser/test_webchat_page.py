"""The public web chat in a real browser, against the fake Rasa REST server."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.backoffice_support import XSS_TEXT


def test_chat_conversation_buttons_and_no_html_injection(backoffice_server, browser_page, shot):
    page = browser_page
    rasa = backoffice_server.rasa
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{backoffice_server.base_url}/")
    expect(page).to_have_title("Asisten Virtual Kantor Imigrasi · Kantor Imigrasi")
    log = page.get_by_role("log")
    expect(log).to_be_empty()  # nothing until the citizen writes or presses Mulai
    shot(page, "chat-empty-360x740", "phone")

    page.get_by_label("Tulis pesan").fill("halo")
    page.get_by_role("button", name="Kirim").click()
    expect(log.locator(".msg-user")).to_have_text("Anda: halo")
    expect(log.locator(".msg-bot").first).to_contain_text("Halo Bapak/Ibu, ada yang bisa kami bantu?")
    expect(page.get_by_role("button", name="Paspor baru")).to_be_visible()
    expect(page.get_by_role("button", name="Jam layanan")).to_be_visible()
    sender = rasa.requests[-1]["body"]["sender"]
    assert sender.startswith("web:")

    page.get_by_role("button", name="Paspor baru").click()
    expect(log).to_contain_text("melalui aplikasi M-Paspor")
    assert rasa.requests[-1]["body"] == {"sender": sender, "message": "/tanya_paspor_baru"}
    expect(log.locator(".msg-user").nth(1)).to_have_text("Anda: Paspor baru")  # the title, not the payload
    expect(page.get_by_role("button", name="Paspor baru")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Paspor baru")).to_be_disabled()
    expect(log.locator("img.msg-image")).to_have_attribute("src", "https://example.org/alur-paspor.png")

    page.get_by_label("Tulis pesan").fill("xss")
    page.get_by_label("Tulis pesan").press("Enter")
    bot = log.locator(".msg-bot").last
    expect(bot).to_contain_text("<img src=x onerror=alert(1)>")
    expect(bot.locator(".msg-text")).to_have_text(XSS_TEXT)
    assert log.locator("img[src='x']").count() == 0 and log.locator("script").count() == 0
    page.wait_for_timeout(300)
    assert page.dialogs == []
    shot(page, "chat-360x740", "phone", full_page=False)
    shot(page, "chat-1280x800", "desktop", full_page=False)

    # a reload keeps the visible conversation and the same sender
    page.reload()
    expect(log).to_contain_text("melalui aplikasi M-Paspor")
    page.get_by_label("Tulis pesan").fill("masih saya")
    page.get_by_label("Tulis pesan").press("Enter")
    expect(log).to_contain_text("Anda menulis: masih saya")
    assert rasa.requests[-1]["body"]["sender"] == sender
    assert not [e for e in page.console_errors if "Content Security Policy" in e]


def test_start_button_sends_halo_and_errors_are_shown(backoffice_server, browser_page, shot):
    page = browser_page
    rasa = backoffice_server.rasa
    page.goto(f"{backoffice_server.base_url}/")
    page.get_by_role("button", name="Mulai").click()
    expect(page.get_by_role("log")).to_contain_text("ada yang bisa kami bantu?")
    assert rasa.requests[-1]["body"]["message"] == "halo"
    expect(page.get_by_role("button", name="Mulai")).to_be_hidden()

    rasa.status = 500  # Rasa in trouble: a polite notice, not a broken page
    try:
        page.get_by_label("Tulis pesan").fill("jam buka?")
        page.get_by_role("button", name="Kirim").click()
        expect(page.locator(".msg-notice")).to_contain_text("layanan sedang sibuk")
    finally:
        rasa.status = 200
    page.get_by_label("Tulis pesan").fill("   ")
    page.get_by_role("button", name="Kirim").click()
    expect(page.get_by_role("status")).to_contain_text("tuliskan pesan")
