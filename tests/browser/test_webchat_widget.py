"""The embeddable web-chat widget in a real browser, on a host page served from another origin
(which proves cross-origin embedding, CORS and the strict host CSP), against the fake Rasa server.
The real-bot journey is in test_webchat_live.py."""
from __future__ import annotations

from typing import Any, Iterator

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.backoffice_support import XSS_TEXT
from tests.browser.host_site import HostSite

SHOTS = "widget/"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def host_site() -> Iterator[HostSite]:
    site = HostSite().start()
    yield site
    site.stop()


@pytest.fixture(scope="module")
def backoffice_extra_env(host_site: HostSite) -> dict[str, str]:
    return {"WEBCHAT_ALLOWED_ORIGINS": host_site.origin}


@pytest.fixture(scope="module")
def site(host_site: HostSite, backoffice_server: Any) -> HostSite:
    host_site.backoffice_url = backoffice_server.base_url
    return host_site


def assert_accessible(page: Any, label: str) -> None:
    """axe-core (bundled, no network) on the whole page: no WCAG 2.1 A/AA violation, and no
    violation of serious or critical impact of any rule."""
    # measure the settled page: the panel fades in (.18 s), and a half-transparent frame fails contrast
    page.wait_for_function("""() => {
        const root = document.querySelector('office-chat')?.shadowRoot;
        const running = [...document.getAnimations(), ...(root ? root.getAnimations() : [])];
        return running.every(a => a.playState !== 'running');
    }""")
    results = Axe().run(page, options={"resultTypes": ["violations"]})
    bad = [v for v in results.response["violations"]
           if v["impact"] in ("serious", "critical") or set(v["tags"]) & set(WCAG_TAGS)]
    # our own report: axe-playwright-python's generate_report() breaks on Shadow DOM targets (nested lists)
    assert not bad, f"{label}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" >> ".join(t) if isinstance(t, list) else str(t) for n in v["nodes"] for t in n["target"])
        for v in bad)


def widget(page: Any) -> Any:
    return page.locator("office-chat")


def launcher(page: Any) -> Any:
    return page.get_by_role("button", name="Tanya Asisten")


def last_sent(rasa: Any) -> dict[str, str]:
    """The body of the last message the back-office relayed to Rasa's REST channel."""
    return [r["body"] for r in rasa.requests if r["path"] == "/webhooks/rest/webhook"][-1]


def focused_class(page: Any) -> str:
    """The class of the focused element inside the widget ('' when focus is outside it)."""
    return page.evaluate("""() => {
        const host = document.querySelector('office-chat');
        if (document.activeElement !== host) return '';
        const inner = host.shadowRoot.activeElement;
        return inner ? (inner.className || inner.tagName) : '';
    }""")


def no_horizontal_scroll(page: Any) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_embedded_widget_talks_cross_origin_and_passes_axe(site, backoffice_server, browser_page, shot):
    page = browser_page
    page.goto(site.url("/"))
    expect(launcher(page)).to_be_visible()
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert_accessible(page, "closed")
    shot(page, SHOTS + "closed-1280x800", "desktop", full_page=False)

    launcher(page).click()
    dialog = page.get_by_role("dialog", name="Asisten Virtual Kantor Imigrasi")
    expect(dialog).to_be_visible()
    expect(launcher(page)).to_have_attribute("aria-expanded", "true")
    assert focused_class(page) == "primary start"  # focus moved into the panel
    assert_accessible(page, "open, empty")

    box = page.get_by_label("Tulis pesan")
    box.fill("halo")
    box.press("Enter")
    log = page.get_by_role("log", name="Riwayat percakapan")
    expect(log.locator(".user")).to_have_text("Anda: halo")
    expect(log.locator(".bot").first).to_contain_text("Halo Bapak/Ibu, ada yang bisa kami bantu?")
    group = page.get_by_role("group", name="Pilihan jawaban")
    expect(group.get_by_role("button", name="Paspor baru")).to_be_visible()
    assert last_sent(backoffice_server.rasa)["sender"].startswith("web:")
    assert_accessible(page, "open, with a reply and buttons")
    # the host page's rules did not reach the widget: its buttons show, its box is usable
    assert box.bounding_box()["width"] > 150
    shot(page, SHOTS + "open-1280x800", "desktop", full_page=False)

    # the widget's own styles and requests passed the host page's strict CSP
    assert not [e for e in page.console_errors if "Content Security Policy" in e or "CORS" in e], page.console_errors
    assert page.dialogs == []
    token = page.evaluate("() => Object.keys(localStorage).filter(k => k.endsWith(':token'))")
    assert len(token) == 1 and token[0].startswith(f"officeChat:v1:{backoffice_server.base_url}")


def test_buttons_reload_history_and_a_pushed_message(site, backoffice_server, browser_page, shot, monkeypatch):
    page = browser_page
    rasa = backoffice_server.rasa
    page.goto(site.url("/"))
    launcher(page).click()
    page.get_by_role("button", name="Mulai").click()
    log = page.get_by_role("log")
    expect(log.locator(".user").first).to_have_text("Anda: Halo")
    expect(page.get_by_role("button", name="Mulai")).to_be_hidden()
    page.get_by_role("button", name="Paspor baru").click()
    expect(log).to_contain_text("melalui aplikasi M-Paspor")
    sent = last_sent(rasa)
    sender = sent["sender"]
    assert sent == {"sender": sender, "message": "/tanya_paspor_baru"} and sender.startswith("web:")
    expect(log.locator(".user").nth(1)).to_have_text("Anda: Paspor baru")  # the title, not the payload
    chosen = page.get_by_role("button", name="Paspor baru")
    expect(chosen).to_have_attribute("aria-pressed", "true")
    expect(chosen).to_be_disabled()
    expect(log.locator("img.image")).to_have_attribute("src", "https://example.org/alur-paspor.png")
    expect(log.locator("img.image")).to_have_attribute("alt", "Gambar dari asisten")
    expect(log.locator(".msg")).to_have_count(5)  # Halo, greeting, Paspor baru, answer, image: once each

    # reload: the transcript is back (from localStorage), nothing doubled
    page.reload()
    launcher(page).click()
    expect(page.get_by_role("log").locator(".msg")).to_have_count(5)
    expect(page.get_by_role("button", name="Paspor baru")).to_have_attribute("aria-pressed", "true")
    # the browser's copy is lost but the token is kept: the server restores the conversation
    page.evaluate("() => Object.keys(localStorage).filter(k => k.endsWith(':transcript')).forEach(k => localStorage.removeItem(k))")
    page.reload()
    launcher(page).click()
    log = page.get_by_role("log")
    expect(log.locator(".msg")).to_have_count(5)
    expect(log.locator(".user").nth(1)).to_have_text("Anda: Paspor baru")
    expect(log).to_contain_text("melalui aplikasi M-Paspor")

    # an officer's reply, sent by the worker through the outbox, appears with no action of the citizen
    from office.db import session_scope
    from office.outbox import enqueue
    from worker.delivery import deliver_due

    monkeypatch.setenv("DATABASE_URL", backoffice_server.database_url)
    monkeypatch.setenv("RASA_URL", rasa.url)
    reply = "Balasan petugas: berkas Bapak/Ibu sudah kami terima."
    with session_scope() as session:
        enqueue(session, sender, "officer_reply", reply)
    with httpx.Client() as client:
        assert deliver_due(client, limit=100) == 1
    expect(log.locator(".bot").last).to_have_text("Asisten: " + reply, timeout=10_000)

    # with the panel closed, the next pushed message shows on the launcher
    page.get_by_role("button", name="Tutup percakapan").click()
    with session_scope() as session:
        enqueue(session, sender, "reminder", "Pengingat: kunjungan Bapak/Ibu besok pukul 09.00.")
    with httpx.Client() as client:
        assert deliver_due(client, limit=100) == 1
    # the closed widget checks every 15 s, and at once when the tab becomes visible again
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.get_by_role("button", name="Tanya Asisten, 1 pesan baru")).to_be_visible()
    shot(page, SHOTS + "unread-1280x800", "desktop", full_page=False)
    page.get_by_role("button", name="Tanya Asisten, 1 pesan baru").click()
    expect(page.get_by_role("log")).to_contain_text("kunjungan Bapak/Ibu besok")
    expect(page.get_by_role("log").locator(".msg")).to_have_count(7)


def test_keyboard_only(site, browser_page, shot):
    page = browser_page
    page.goto(site.url("/"))
    page.keyboard.press("Tab")  # the host page's link comes first
    page.keyboard.press("Tab")
    assert focused_class(page) == "launcher"
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    assert focused_class(page) == "primary start"
    page.keyboard.press("Shift+Tab")
    assert focused_class(page) == "close"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused_class(page) == "log"  # the scrollable history is reachable
    page.keyboard.press("Tab")
    assert focused_class(page) == "input"
    page.keyboard.type("halo")
    page.keyboard.press("Enter")
    expect(page.get_by_role("log")).to_contain_text("ada yang bisa kami bantu?")
    assert focused_class(page) == "input"
    page.keyboard.press("Shift+Tab")  # back to the reply buttons, the last one first
    assert focused_class(page) == "choice"
    page.keyboard.press("Space")
    expect(page.get_by_role("log")).to_contain_text("Anda menulis: /tanya_jam_layanan")
    assert focused_class(page) == "input"  # the pressed button is disabled: focus waits in the box
    shot(page, SHOTS + "keyboard-focus-1280x800", "desktop", full_page=False)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert focused_class(page) == "launcher"  # focus returns to the launcher


def test_phone_360_full_screen_and_200_percent_zoom(site, browser_page, shot):
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(site.url("/"))
    shot(page, SHOTS + "closed-360x740", full_page=False)
    launcher(page).click()
    page.get_by_label("Tulis pesan").fill("halo")
    page.get_by_label("Tulis pesan").press("Enter")
    expect(page.get_by_role("log")).to_contain_text("ada yang bisa kami bantu?")
    page.get_by_label("Tulis pesan").fill("https://www.imigrasi.go.id/" + "x" * 120)  # a long unbroken link
    page.get_by_label("Tulis pesan").press("Enter")
    expect(page.get_by_role("log").locator("a").last).to_have_attribute("rel", "noopener noreferrer")
    box = page.get_by_role("dialog").bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 360, 740)  # full screen
    assert no_horizontal_scroll(page)
    assert page.evaluate("() => { const l = document.querySelector('office-chat').shadowRoot.querySelector('.log');"
                         " return l.scrollWidth <= l.clientWidth; }")
    assert_accessible(page, "360 px")
    shot(page, SHOTS + "open-360x740", full_page=False)
    # Tab stays inside the full-screen panel
    page.get_by_label("Tulis pesan").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused_class(page) == "close"
    # 200 % zoom of a 1280x800 window is a 640x400 CSS-pixel viewport
    page.set_viewport_size({"width": 640, "height": 400})
    box = page.get_by_role("dialog").bounding_box()
    assert (box["width"], box["height"]) == (640, 400)
    assert no_horizontal_scroll(page)
    expect(page.get_by_label("Tulis pesan")).to_be_in_viewport()
    shot(page, SHOTS + "open-zoom200-640x400", full_page=False)


def test_bot_text_is_never_html_and_errors_are_polite(site, backoffice_server, browser_page):
    page = browser_page
    rasa = backoffice_server.rasa
    page.goto(site.url("/"))
    launcher(page).click()
    box = page.get_by_label("Tulis pesan")
    box.fill("xss")
    box.press("Enter")
    bot = page.get_by_role("log").locator(".bot").last
    expect(bot.locator(".text")).to_have_text(XSS_TEXT)
    assert page.get_by_role("log").locator("img[src='x'], script").count() == 0
    box.fill("halo")
    box.press("Enter")
    choice = page.get_by_role("button", name="Paspor baru")
    expect(choice).to_be_enabled()
    rasa.status = 500  # Rasa in trouble: a polite notice, and the text or the buttons come back to send again
    try:
        box.fill("jam buka?")
        page.get_by_role("button", name="Kirim").click()
        expect(page.locator("office-chat .notice")).to_contain_text("layanan sedang sibuk")
        expect(box).to_have_value("jam buka?")
        choice.click()
        expect(page.locator("office-chat .notice")).to_have_count(2)
        expect(choice).to_be_enabled()
        expect(choice).to_have_attribute("aria-pressed", "false")
        assert page.locator("office-chat .user", has_text="Paspor baru").count() == 0
    finally:
        rasa.status = 200
    choice.click()
    expect(page.get_by_role("log")).to_contain_text("melalui aplikasi M-Paspor")
    expect(choice).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Kirim").click()
    expect(page.get_by_role("log")).to_contain_text("Anda menulis: jam buka?")
    box.fill("   ")
    page.get_by_role("button", name="Kirim").click()
    expect(page.get_by_role("status")).to_contain_text("tuliskan pesan")
    page.wait_for_timeout(200)
    assert page.dialogs == []


def test_english_host_page(site, browser_page, shot):
    page = browser_page
    page.goto(site.url("/en"))
    page.get_by_role("button", name="Ask the assistant").click()
    dialog = page.get_by_role("dialog", name="Immigration Office Virtual Assistant")
    expect(dialog).to_be_visible()
    assert widget(page).get_attribute("lang") == "en"
    expect(page.get_by_label("Write a message")).to_be_visible()
    expect(page.get_by_role("button", name="Start")).to_be_visible()
    assert_accessible(page, "English")
    shot(page, SHOTS + "english-1280x800", "desktop", full_page=False)


def test_a_site_not_in_the_allow_list_gets_nothing(site, backoffice_server, browser_page):
    page = browser_page
    rasa = backoffice_server.rasa
    before = len(rasa.requests)
    page.goto(site.url("/").replace("127.0.0.1", "localhost"))  # same page, an origin not configured
    launcher(page).click()
    page.get_by_label("Tulis pesan").fill("halo")
    page.get_by_label("Tulis pesan").press("Enter")
    expect(page.locator("office-chat .notice")).to_be_visible()
    assert len(rasa.requests) == before
