"""The live hand-off pages update by themselves, against the real Rasa + action server: a citizen
who asks for an officer appears in the open queue page, and a message the citizen sends through
Rasa appears on the officer's open conversation page without a reload, announced to screen
readers; polling pauses while the tab is hidden. Clock: Monday 16 March 2026, 09.30 WIB (open)."""
from __future__ import annotations

import uuid

import httpx

import pytest
from playwright.sync_api import expect

from tests.backoffice_support import XSS_TEXT, make_user
from tests.conftest import texts

pytestmark = pytest.mark.integration


def test_queue_and_conversation_update_without_reload(chat, office_env, live_backoffice, rasa_server, browser_page,
                                                      shot, monkeypatch):
    url = office_env["DATABASE_URL"]
    password = make_user(url, "petugas.live", "officer", unit="Tata Usaha", full_name="Petugas Obrolan")
    page = browser_page
    page.goto(f"{live_backoffice}/staff/live")
    page.get_by_label("Nama pengguna").fill("petugas.live")
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Obrolan langsung")).to_be_visible()
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    who = f"rest:{uuid.uuid4().hex[:12]}"
    chat(who, "mau bicara dengan petugas")  # consent first: nothing reaches the officer before it
    assert "antrean petugas" in texts(chat(who, "/consent_agree"))
    assert chat(who, "Paspor saya rusak terkena air, bisa dibantu?") == []  # the bot stays silent
    item = page.locator(".ticket-item", has_text="Paspor saya rusak terkena air")
    expect(item).to_be_visible(timeout=10_000)
    expect(page.locator("#live-announce")).to_contain_text("warga menunggu petugas")
    assert page.evaluate("window.__sameDocument") is True
    shot(page, "holidays-helper/live-queue-1280x800", "desktop")

    item.get_by_role("link").click()
    page.get_by_role("button", name="Ambil percakapan").click()
    expect(page.get_by_label("Pesan ke warga")).to_be_visible()
    page.evaluate("window.__sameDocument = true")
    thread = page.locator("#live-thread")
    expect(thread.locator("li").first).to_contain_text("Paspor saya rusak terkena air")
    before = thread.locator("li").count()

    assert chat(who, "Halo pak, saya masih menunggu jawabannya") == []
    expect(thread.locator("li").last).to_contain_text("Halo pak, saya masih menunggu jawabannya", timeout=10_000)
    expect(thread.locator("li")).to_have_count(before + 1)
    expect(page.locator("#live-announce")).to_have_text("Pesan baru dari warga: Halo pak, saya masih menunggu jawabannya")
    assert page.evaluate("window.__sameDocument") is True

    page.get_by_label("Pesan ke warga").fill("Sedang saya periksa")  # a half-typed reply is kept
    assert chat(who, XSS_TEXT) == []
    expect(thread.locator("li").last.locator(".thread-text")).to_have_text(XSS_TEXT, timeout=10_000)
    assert thread.locator("img, script").count() == 0 and page.dialogs == []
    assert page.get_by_label("Pesan ke warga").input_value() == "Sedang saya periksa"

    # a hidden tab does not poll; coming back polls at once
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/messages.json" in r.url else None)
    page.evaluate("Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'})")
    page.wait_for_timeout(300)  # a poll already on its way may still land
    polls.clear()
    page.wait_for_timeout(3500)  # longer than the 3-second interval
    assert polls == []
    page.evaluate("Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'visible'});"
                  "document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_timeout(500)
    assert polls, "no poll right after the tab became visible"

    shot(page, "holidays-helper/live-session-1280x800", "desktop")
    shot(page, "holidays-helper/live-session-360x740", "phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert not [e for e in page.console_errors if "Content Security Policy" in e or "Uncaught" in e]

    # the worker's turn: "an officer has joined" reaches the citizen (and leaves the outbox empty
    # for the next test of this session)
    from worker.delivery import deliver_due

    monkeypatch.setenv("RASA_URL", rasa_server)
    with httpx.Client() as client:
        assert deliver_due(client) == 1
