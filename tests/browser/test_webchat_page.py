"""The public chat page `/`: the widget embedded full page, same origin, under the back-office's
own strict CSP, against the fake Rasa REST server."""
from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect


def test_full_page_chat_start_reload_and_csp(backoffice_server, browser_page, shot):
    page = browser_page
    rasa = backoffice_server.rasa
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{backoffice_server.base_url}/")
    expect(page).to_have_title("Asisten Virtual Kantor Imigrasi · Kantor Imigrasi")
    log = page.get_by_role("log", name="Riwayat percakapan")
    expect(log).to_be_visible()  # open at once: no launcher, no dialog
    assert page.get_by_role("button", name="Tanya Asisten").count() == 0
    assert page.get_by_role("dialog").count() == 0
    expect(log).to_be_empty()  # nothing until the citizen writes or presses Mulai
    shot(page, "widget/page-empty-360x740", "phone", full_page=False)

    page.get_by_role("button", name="Mulai").click()
    expect(log.locator(".user")).to_have_text("Anda: Halo")
    expect(log.locator(".bot").first).to_contain_text("ada yang bisa kami bantu?")
    expect(page.get_by_role("button", name="Mulai")).to_be_hidden()
    assert [r["body"] for r in rasa.requests if r["path"] == "/webhooks/rest/webhook"][-1]["message"] == "halo"
    page.get_by_role("button", name="Paspor baru").click()
    expect(log).to_contain_text("melalui aplikasi M-Paspor")

    results = Axe().run(page, options={"resultTypes": ["violations"]})
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, results.generate_report()
    shot(page, "widget/page-360x740", "phone", full_page=False)
    shot(page, "widget/page-1280x800", "desktop", full_page=False)

    page.reload()
    expect(page.get_by_role("log").locator(".msg")).to_have_count(5)
    sender = [r["body"] for r in rasa.requests if r["path"] == "/webhooks/rest/webhook"][-1]["sender"]
    page.get_by_label("Tulis pesan").fill("masih saya")
    page.get_by_label("Tulis pesan").press("Enter")
    expect(page.get_by_role("log")).to_contain_text("Anda menulis: masih saya")
    assert [r["body"] for r in rasa.requests if r["path"] == "/webhooks/rest/webhook"][-1]["sender"] == sender
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors
    assert page.dialogs == []
