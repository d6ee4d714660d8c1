"""The web-chat widget end to end: a real browser on a host page of another origin, the back-office,
the real Rasa and action server, and an officer reply delivered by the real worker code."""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.host_site import HostSite
from tests.conftest import TEST_NOW
from tests.servers import base_env, free_port, start, stop, wait_http


@pytest.fixture(scope="module")
def embedding_site(office_env: dict[str, str], rasa_server: str, session_dir: Path) -> Iterator[HostSite]:
    """A host page, and a back-office on the real Rasa that lets that page embed the widget."""
    site = HostSite().start()
    port = free_port()
    env = base_env({**office_env, "RASA_URL": rasa_server, "OFFICE_NOW": TEST_NOW,
                    "WEBCHAT_ALLOWED_ORIGINS": site.origin})
    log = session_dir / "backoffice-widget.log"
    proc = start([str(Path(__file__).resolve().parents[2] / ".venv/bin/uvicorn"), "backoffice.app:app",
                  "--host", "127.0.0.1", "--port", str(port)], env, log)
    site.backoffice_url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{site.backoffice_url}/healthz", proc, log, timeout=60, ok=lambda r: r.status_code == 200)
        yield site
    finally:
        stop(proc)
        site.stop()


def _sender(page: Any, site: HostSite) -> str:
    """The conversation id behind the widget's token, read as the server reads it."""
    from backoffice.webchat_access import read_token

    token = page.evaluate(f"() => localStorage.getItem('officeChat:v1:{site.backoffice_url}:token')")
    conversation = read_token(os.environ["SECRET_KEY"], token)
    assert conversation is not None
    uuid.UUID(conversation)
    return "web:" + conversation


def test_real_bot_buttons_reload_and_an_officer_reply(embedding_site: HostSite, rasa_server: str,
                                                      browser_page, shot, monkeypatch) -> None:
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(embedding_site.url("/"))
    page.get_by_role("button", name="Tanya Asisten").click()
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
    expect(log.locator(".user").last).to_have_text("Anda: Tanya prosedur")
    box.fill("brp biaya bkin paspor skrg")
    box.press("Enter")
    expect(log).to_contain_text("Rp950.000", timeout=60_000)
    expect(log).to_contain_text("Sumber:")
    shot(page, "widget/live-360x740", full_page=False)
    count = log.locator(".msg").count()

    # reload, and once more without the browser's copy: the same conversation from Rasa's tracker
    page.reload()
    page.get_by_role("button", name="Tanya Asisten").click()
    expect(page.get_by_role("log").locator(".msg")).to_have_count(count)
    page.evaluate("() => Object.keys(localStorage).filter(k => k.endsWith(':transcript'))"
                  ".forEach(k => localStorage.removeItem(k))")
    page.reload()
    page.get_by_role("button", name="Tanya Asisten").click()
    log = page.get_by_role("log")
    expect(log.locator(".msg")).to_have_count(count, timeout=15_000)
    expect(log.locator(".user").nth(2)).to_have_text("Anda: Tanya prosedur")  # the button's title, from the tracker
    expect(log).to_contain_text("Rp950.000")

    # an officer answers: outbox -> worker -> Rasa trigger_intent -> tracker -> the open widget
    from office.db import session_scope
    from office.outbox import enqueue
    from worker.delivery import deliver_due

    monkeypatch.setenv("RASA_URL", rasa_server)
    sender = _sender(page, embedding_site)
    reply = "Balasan petugas: berkas Bapak/Ibu sudah kami terima, silakan datang besok."
    with session_scope() as session:
        enqueue(session, sender, "officer_reply", reply)
    with httpx.Client() as client:
        deliver_due(client, limit=100)
    expect(log).to_contain_text(reply, timeout=20_000)
    expect(log.locator(".bot", has_text=reply)).to_have_count(1)
    assert page.dialogs == []
    shot(page, "widget/live-pushed-360x740", full_page=False)
    shot(page, "widget/live-pushed-1280x800", "desktop", full_page=False)
