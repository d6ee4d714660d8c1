"""Assigning a complaint to a named officer in a real browser: the officer takes it from the ticket
page, finds it under "Hanya yang ditugaskan ke saya", and the page reads well at 360 px."""
from __future__ import annotations

from playwright.sync_api import expect

from office import clock
from office.complaints.service import file_ticket
from office.db import session_scope
from office.staff import OFFICER
from tests.backoffice_support import make_user


def test_officer_assigns_and_filters_mine(backoffice_server, browser_page, shot):
    base, url = backoffice_server.base_url, backoffice_server.database_url
    with session_scope(url) as s:
        mine = file_ticket(s, description="Toilet ruang tunggu kotor dan airnya mati", sender_id="telegram:41",
                           now=clock.now()).code
        other = file_ticket(s, description="Kursi ruang tunggu banyak yang rusak", sender_id="telegram:42",
                            now=clock.now()).code
    password = make_user(url, "sari", OFFICER, unit="Tata Usaha", full_name="Sari Handayani")
    make_user(url, "joko", OFFICER, unit="Tata Usaha", full_name="Joko Prasetyo")
    page = browser_page
    page.goto(f"{base}/staff/tickets/{mine}")
    page.get_by_label("Nama pengguna").fill("sari")
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    expect(page.locator("#assigned-officer")).to_have_text("Belum ditugaskan")
    page.get_by_label("Tugaskan ke petugas").select_option("sari")
    page.get_by_role("button", name="Tugaskan").click()
    expect(page.get_by_role("status")).to_have_text("Petugas yang menangani diperbarui.")
    expect(page.locator("#assigned-officer")).to_have_text("Sari Handayani (sari)")
    shot(page, "holidays-helper/ticket-assign-360x740", "phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{base}/staff/tickets")
    page.get_by_label("Hanya yang ditugaskan ke saya").check()
    page.get_by_role("button", name="Saring").click()
    expect(page.locator(".ticket-item")).to_have_count(1)
    expect(page.locator(".ticket-item")).to_contain_text(mine)
    expect(page.locator(".ticket-item")).to_contain_text("Petugas: sari")
    expect(page.get_by_text(other)).to_have_count(0)
    expect(page.get_by_label("Hanya yang ditugaskan ke saya")).to_be_checked()

    page.goto(f"{base}/staff/tickets/{mine}")
    page.get_by_label("Tugaskan ke petugas").select_option("joko")
    page.get_by_role("button", name="Tugaskan").click()
    expect(page.locator("#assigned-officer")).to_have_text("Joko Prasetyo (joko)")
    page.goto(f"{base}/staff/tickets?mine=1")
    expect(page.locator(".ticket-item")).to_have_count(0)
    shot(page, "holidays-helper/ticket-inbox-mine-1280x800", "desktop")
    assert not [e for e in page.console_errors if "Content Security Policy" in e or "Uncaught" in e]
