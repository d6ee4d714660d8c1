"""Holiday settings and the kiosk's QR check-in in a real browser: closing a booked day warns and
lists the booking before anything is saved, edits and duplicates read clearly, the page works at
360 px; a QR scanner "typing" the booking's QR content (the code, or a URL ending in it) + Enter at
the kiosk gives the queue number."""
from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect
from sqlalchemy import select

from office import clock
from office.booking import bookings as bk
from office.booking.catalogue import get_service
from office.booking.models import Booking
from office.booking.qr import booking_qr
from office.db import session_scope
from office.holidays import office_calendar
from office.outbox import OutboxMessage
from office.staff import ADMIN, COUNTER
from tests.backoffice_support import make_user


def _sign_in(page, base: str, path: str, username: str, password: str) -> None:
    page.goto(f"{base}{path}")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def test_closing_a_booked_day_warns_then_saves(backoffice_server, browser_page, shot):
    base, url = backoffice_server.base_url, backoffice_server.database_url
    with session_scope(url) as s:
        cal = office_calendar(s)
        service = get_service(s, "AMBIL")
        day = bk.open_days(s, service, clock.now(), cal)[0]
        slot = bk.free_slots(s, service, day, clock.now(), cal)[0]
        code = bk.book(s, "AMBIL", day, slot.start, "Rina Wulandari", "081234567890", "telegram:777",
                       now=clock.now(), calendar=cal).booking.code
    password = make_user(url, "admin-libur", ADMIN, full_name="Admin Libur")
    page = browser_page
    _sign_in(page, base, f"/staff/holidays?year={day.year}", "admin-libur", password)
    expect(page.get_by_role("heading", name="Hari libur & cuti bersama")).to_be_visible()
    expect(page.get_by_role("link", name=str(day.year), exact=True)).to_have_attribute("aria-current", "page")
    if day.year == 2026:
        expect(page.get_by_text("Hari Kemerdekaan Republik Indonesia", exact=True)).to_be_visible()

    page.get_by_label("Tanggal").first.fill(day.isoformat())
    page.get_by_label("Nama").first.fill("Hari Jadi Kabupaten Tulang Bawang Barat")
    page.get_by_label("Jenis").first.select_option("cuti_bersama")
    page.get_by_role("button", name="Tambah").click()
    warning = page.locator(".hol-warning")
    expect(warning.get_by_role("heading")).to_have_text("Perhatian: 1 booking pada hari yang akan ditutup")
    expect(warning).to_contain_text(code)
    expect(warning).to_contain_text("Rina Wulandari")
    expect(warning.get_by_label("Kirim permohonan maaf dan petunjuk ubah jadwal ke warga (lewat chat)")).to_be_checked()
    shot(page, "holidays-helper/holidays-warning-1280x800", "desktop")
    assert office_calendar_is_open(url, day)  # nothing saved before the confirmation

    warning.get_by_role("button", name="Tetap simpan").click()
    expect(page.get_by_role("status").first).to_have_text(
        "Hari libur ditambahkan. Pemberitahuan dikirim ke warga yang terdampak.")
    entry = page.locator(".hol-item", has_text="Hari Jadi Kabupaten Tulang Bawang Barat")
    expect(entry).to_contain_text("Cuti bersama")
    assert not office_calendar_is_open(url, day)
    with session_scope(url) as s:
        notices = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "booking_closure")).all()
        assert [m.sender_id for m in notices] == ["telegram:777"] and code in notices[0].text
        assert s.scalar(select(Booking).where(Booking.code == code)).status == "active"

    entry.locator("summary").click()
    entry.get_by_label("Nama").fill("Hari Jadi Kabupaten Tubaba")
    entry.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("status").first).to_have_text("Hari libur diubah.")
    expect(page.locator(".hol-item", has_text="Hari Jadi Kabupaten Tubaba")).to_be_visible()

    page.get_by_label("Tanggal").first.fill(day.isoformat())
    page.get_by_label("Nama").first.fill("Dobel")
    page.get_by_role("button", name="Tambah").click()
    expect(page.get_by_role("alert")).to_contain_text("sudah terdaftar sebagai cuti bersama: Hari Jadi Kabupaten Tubaba")
    expect(page.get_by_role("button", name=f"Kembalikan tahun {day.year} ke bawaan profil")).to_be_visible()

    shot(page, "holidays-helper/holidays-1280x800", "desktop")
    shot(page, "holidays-helper/holidays-360x740", "phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert not [e for e in page.console_errors if "Content Security Policy" in e or "Uncaught" in e]


def office_calendar_is_open(url: str, day: dt.date) -> bool:
    with session_scope(url) as s:
        return office_calendar(s).is_working_day(day)


def _booking_for_today(url: str, name: str, phone: str) -> str:
    """A booking for today written as the booking flow leaves it (check-in needs today's date, whatever
    weekday the real clock says; the booking rules themselves are tested elsewhere)."""
    stamp = clock.utc_now()
    with session_scope(url) as s:
        booking = Booking(code="", service_code="AMBIL", day=clock.today(), start=dt.time(10, 0), name=name,
                          phone=phone, sender_id="", status="active", active_key=f"{phone}|AMBIL", reschedules=0,
                          created_at=stamp, updated_at=stamp)
        from office.booking.rules import new_code

        booking.code = new_code()
        s.add(booking)
        s.flush()
        return booking.code


def test_kiosk_checks_in_a_scanned_qr(backoffice_server, browser_page, shot):
    base, url = backoffice_server.base_url, backoffice_server.database_url
    first = _booking_for_today(url, "Andi Saputra", "+6281200000001")
    second = _booking_for_today(url, "Dewi Lestari", "+6281200000002")
    password = make_user(url, "kios-qr", COUNTER)
    page = browser_page
    _sign_in(page, base, "/staff/kiosk", "kios-qr", password)
    field = page.get_by_label("Sudah booking? Ketik atau pindai (QR) kode booking")
    expect(field).to_be_focused()

    # what a scanner types is what the QR holds: the booking code itself
    assert booking_qr(first).designator.startswith("1")
    page.keyboard.type(first)
    page.keyboard.press("Enter")
    expect(page.locator("#kiosk-ticket .q-big")).to_have_text("A-001")

    page.get_by_role("link", name="Selesai").click()
    expect(field).to_be_focused()
    page.keyboard.type(f"https://layanan.example.go.id/booking/{second}")  # a QR holding a URL ending in the code
    page.keyboard.press("Enter")
    expect(page.locator("#kiosk-ticket .q-big")).to_have_text("A-002")
    shot(page, "holidays-helper/kiosk-qr-360x740", "phone")

    page.goto(f"{base}/qr/booking/{second}.png")  # checked in: the QR is no longer served
    assert "Tidak ditemukan" in page.locator("body").inner_text()
