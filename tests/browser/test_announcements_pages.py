"""The announcement pages in a real browser: an editor writes an announcement, previews it per channel
(WhatsApp bold, Telegram as typed, warnings), saves it, is refused a time in the past, schedules it;
once the worker has fanned it out the list and the detail page show sent / pending / failed per
channel and the failures; a cancel asks first. Desktop and 390 px phone screenshots in /tmp/shots."""
from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect
from sqlalchemy import select

from office import clock
from office.db import session_scope
from office.outbox import OutboxMessage, mark_failed, mark_sent
from office.outreach import announcements as ann
from office.outreach import subscriptions as subs
from office.outreach.announcement_models import Announcement
from office.staff import EDITOR
from tests.backoffice_support import make_user

PHONE_390 = {"width": 390, "height": 844}


def _sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/staff/announcements")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def _phone_shot(page, shot, name: str) -> None:
    page.set_viewport_size(PHONE_390)
    shot(page, name)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"] + 1  # no sideways scroll
    page.set_viewport_size({"width": 1280, "height": 800})


def test_write_preview_schedule_and_follow_delivery(backoffice_server, browser_page, shot):
    base, url = backoffice_server.base_url, backoffice_server.database_url
    now = clock.now()
    with session_scope(url) as s:
        for sender in ("whatsapp:+6281200000001", "whatsapp:+6281200000002", "telegram:5551", "messenger:777"):
            subs.subscribe(s, sender, "id", now)
    password = make_user(url, "editor-info", EDITOR, full_name="Editor Info")
    page = browser_page
    _sign_in(page, base, "editor-info", password)
    expect(page.get_by_role("heading", name="Pengumuman", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Pelanggan aktif: 4")).to_be_visible()
    expect(page.locator('[data-channel="whatsapp"]')).to_have_text("2")

    page.get_by_role("link", name="Pengumuman baru").click()
    page.get_by_label("Judul").fill("Kantor tutup saat cuti bersama")
    page.get_by_label("Isi").fill("Kantor Imigrasi tutup pada *18-24 Maret 2026*.\nLayanan kembali normal Rabu, "
                                  "25 Maret 2026. Booking yang terdampak dapat diubah jadwalnya lewat chat.")
    for label in ("Messenger", "Instagram", "Web chat"):
        page.get_by_label(label, exact=False).uncheck()
    page.get_by_role("button", name="Pratinjau").click()
    wa = page.locator('.ann-preview[data-channel="whatsapp"]')
    expect(wa.locator("strong").first).to_have_text("Kantor tutup saat cuti bersama")
    expect(wa.locator("strong").nth(1)).to_have_text("18-24 Maret 2026")
    tg = page.locator('.ann-preview[data-channel="telegram"]')
    expect(tg.locator(".ann-bubble")).to_contain_text("*18-24 Maret 2026*")
    expect(tg).to_contain_text("tampil apa adanya")
    expect(page.locator('.ann-preview[data-channel="messenger"]')).to_have_count(0)
    with session_scope(url) as s:
        assert s.scalars(select(Announcement)).first() is None  # a preview saves nothing
    shot(page, "announcements-helper/announcement-preview-1280x800", "desktop")
    _phone_shot(page, shot, "announcements-helper/announcement-preview-390x844")

    page.get_by_role("button", name="Simpan draf").click()
    expect(page.get_by_role("status")).to_have_text("Draf pengumuman disimpan.")
    expect(page.locator(".ann-meta .badge")).to_have_text("Draf")
    page.get_by_label("Waktu kirim (WIB)").evaluate(
        "(el, v) => { el.removeAttribute('min'); el.value = v; }",
        (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Jadwalkan").click()
    expect(page.get_by_role("alert")).to_contain_text("Waktu kirim sudah lewat")
    when = (now + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    page.get_by_label("Waktu kirim (WIB)").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Jadwalkan").click()
    expect(page.get_by_role("status")).to_have_text("Pengumuman dijadwalkan.")
    expect(page.locator(".ann-meta .badge")).to_have_text("Terjadwal")
    shot(page, "announcements-helper/announcement-scheduled-1280x800", "desktop")

    # the worker, two hours later: fan out, one WhatsApp message fails, Telegram delivered, one still waiting
    with session_scope(url) as s:
        announcement_id = s.scalars(select(Announcement)).one().id
        assert ann.fan_out(s, announcement_id, when + dt.timedelta(minutes=1)) == 3
    with session_scope(url) as s:
        messages = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        for m in messages:
            if m.sender_id == "whatsapp:+6281200000001":
                m.attempts = 7
                mark_failed(m, "Twilio refused the message: template not approved", now)
            elif m.sender_id == "telegram:5551":
                mark_sent(m, now)
    page.goto(f"{base}/staff/announcements")
    row = page.locator(f'tr[data-announcement="{announcement_id}"]')
    expect(row.locator(".ann-status-sending")).to_have_text("Sedang dikirim")
    expect(row.locator(".ann-sent")).to_have_text("1")
    expect(row.locator(".ann-pending")).to_have_text("1")
    expect(row.locator(".ann-failed")).to_have_text("1")
    shot(page, "announcements-helper/announcements-list-1280x800", "desktop")
    _phone_shot(page, shot, "announcements-helper/announcements-list-390x844")

    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Pengiriman ke 3 pelanggan")).to_be_visible()
    expect(page.locator(".ann-totals .ann-failed")).to_have_text("1")
    channel_rows = page.locator(".ann-channel-table tbody tr")
    expect(channel_rows.filter(has_text="WhatsApp")).to_contain_text("0")
    failures = page.locator(".ann-failures li")
    expect(failures).to_have_count(1)
    expect(failures).to_contain_text("template not approved")
    expect(failures).not_to_contain_text("6281200000001")  # masked
    expect(page.get_by_text("Administrator atau supervisor dapat mengirim ulang")).to_be_visible()
    expect(page.get_by_role("button", name="Batalkan pengumuman")).to_have_count(0)  # too late to cancel
    shot(page, "announcements-helper/announcement-delivery-1280x800", "desktop")
    _phone_shot(page, shot, "announcements-helper/announcement-delivery-390x844")


def test_cancel_asks_first(backoffice_server, browser_page, shot):
    base, url = backoffice_server.base_url, backoffice_server.database_url
    with session_scope(url) as s:
        draft = ann.create_draft(s, "Kuota tambahan Sabtu", "Kuota tambahan dibuka Sabtu.", ["telegram"], "x",
                                 clock.now()).id
    password = make_user(url, "editor-batal", EDITOR)
    page = browser_page
    _sign_in(page, base, "editor-batal", password)
    page.goto(f"{base}/staff/announcements/{draft}")
    page.get_by_role("button", name="Batalkan pengumuman").click()  # the confirm is dismissed by the fixture
    assert page.dialogs and "Batalkan pengumuman ini?" in page.dialogs[-1]
    with session_scope(url) as s:
        assert s.get(Announcement, draft).status == "draft"
    page.get_by_label("Judul").fill("Kuota tambahan Sabtu (ralat)")
    page.get_by_role("button", name="Simpan perubahan").click()
    expect(page.get_by_role("status")).to_have_text("Perubahan disimpan.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kuota tambahan Sabtu (ralat)")
    assert not page.console_errors, page.console_errors
