"""Mobile service days and information sessions in a real browser: an administrator publishes a service
day, sees the registrants (group leader, members with date of birth, code), a counter officer checks
people in on a 390 px phone (twice changes nothing, undo works), the list is closed; an event is cancelled
with a reason that reaches each registrant; visit requests are accepted (linked to a service day, or by
creating one) and declined with a reason. Screenshots go to /tmp/shots/outreach-staff/."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect
from sqlalchemy import select

from office import clock
from office.db import session_scope
from office.outbox import OutboxMessage
from office.outreach.event_models import OutreachEvent, RegistrationMember, VisitRequest
from office.staff import ADMIN, COUNTER
from tests.backoffice_support import make_user
from tests.outreach_support import make_event, make_visit_request, register_directly

PHONE_390 = {"width": 390, "height": 844}
SHOTS = "outreach-staff"


def _sign_in(page, base: str, path: str, username: str, password: str) -> None:
    page.goto(f"{base}{path}")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def _accept_confirms(page) -> None:
    """The fixture dismisses dialogs; these steps must confirm, so record the question and say yes."""
    page.evaluate("window.confirm = function (m) { sessionStorage.setItem('asked', m); return true; }")


def _clean(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert not [e for e in page.console_errors if "Content Security Policy" in e or "Uncaught" in e]


def test_publish_see_registrants_check_in_on_a_phone_and_close(backoffice_server, browser_page, shot):
    base, url = backoffice_server.base_url, backoffice_server.database_url
    today = clock.today()
    password = make_user(url, "admin-keliling", ADMIN, full_name="Admin Keliling")
    page = browser_page
    _sign_in(page, base, "/staff/outreach", "admin-keliling", password)
    expect(page.get_by_role("heading", name="Layanan keliling & sosialisasi")).to_be_visible()
    expect(page.get_by_text("Belum ada kegiatan terjadwal.")).to_be_visible()

    page.get_by_role("link", name="+ Layanan keliling").click()
    expect(page.get_by_role("heading", name="Layanan keliling baru")).to_be_visible()
    expect(page.get_by_label("Layanan yang dibuka (satu per baris)")).to_have_value(
        "Paspor baru (permohonan pertama)\nPenggantian paspor habis masa berlaku atau halaman penuh")
    page.get_by_label("Judul").fill("Layanan Paspor Keliling Tumijajar")
    page.get_by_label("Tempat").fill("Balai Desa Daya Murni")
    page.get_by_label("Kecamatan").fill("Tumijajar")
    page.get_by_label("Tanggal").fill(today.isoformat())
    page.get_by_label("Jam mulai").fill("14:00")
    page.get_by_label("Jam selesai").fill("09:00")
    page.get_by_label("Kuota (orang)").fill("30")
    page.get_by_role("button", name="Terbitkan").click()
    expect(page.get_by_role("alert")).to_contain_text("Jam selesai harus sesudah jam mulai")
    expect(page.get_by_label("Tempat")).to_have_value("Balai Desa Daya Murni")
    shot(page, f"{SHOTS}/event-form-error-1280x800", "desktop")
    page.get_by_label("Jam mulai").fill("09:00")
    page.get_by_label("Jam selesai").fill("14:00")
    page.get_by_role("button", name="Terbitkan").click()
    expect(page.get_by_role("status")).to_have_text("Kegiatan diterbitkan; warga sudah dapat mendaftar lewat chat.")
    expect(page.get_by_text("Belum ada yang mendaftar.")).to_be_visible()
    event_id = int(re.search(r"/staff/outreach/(\d+)", page.url).group(1))

    with session_scope(url) as s:  # as the conversation leaves them (office/outreach/registrations.py)
        event = s.get(OutreachEvent, event_id)
        group = register_directly(s, event, "telegram:501", "Siti Aminah",
                                  [("Siti Aminah", dt.date(1988, 4, 12)), ("Rizky Pratama", dt.date(2010, 9, 3)),
                                   ("Nur Aini", dt.date(2013, 1, 30))])
        alone = register_directly(s, event, "whatsapp:+6281234500001", "John Smith",
                                  [("John Smith", dt.date(1979, 6, 1))], language="en")
        codes = (group.code, alone.code)
    page.reload()
    expect(page.locator(".or-stats")).to_contain_text("Terdaftar4 orang")
    first = page.locator(".or-group", has_text=codes[0])
    expect(first).to_contain_text("Ketua rombongan")
    expect(first).to_contain_text("Siti Aminah")
    expect(first).to_contain_text("lahir 3 September 2010")
    expect(first).to_contain_text("3 orang")
    shot(page, f"{SHOTS}/event-1280x800", "desktop")

    page.get_by_role("link", name="Layanan keliling & sosialisasi").first.click()
    row = page.locator(".or-item", has_text="Layanan Paspor Keliling Tumijajar")
    expect(row).to_contain_text("4 / 30")
    expect(row).to_contain_text("Hari ini")
    shot(page, f"{SHOTS}/events-1280x800", "desktop")
    page.set_viewport_size(PHONE_390)
    shot(page, f"{SHOTS}/events-390x844")
    _clean(page)

    # the day itself: a counter officer on a phone
    page.context.clear_cookies()
    counter_password = make_user(url, "loket-keliling", COUNTER)
    _sign_in(page, base, f"/staff/outreach/{event_id}", "loket-keliling", counter_password)
    expect(page.get_by_role("heading", name="Layanan Paspor Keliling Tumijajar")).to_be_visible()
    expect(page.get_by_role("link", name="Ubah")).to_have_count(0)  # counter officers do not plan events
    button = page.get_by_role("button", name="Tandai hadir: Rizky Pratama")
    box = button.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 300  # big enough for a thumb
    button.click()
    expect(page.get_by_role("status")).to_have_text("Rizky Pratama hadir (check-in).")
    expect(page.locator("#or-checked")).to_have_text("1")
    expect(page.locator(".or-member", has_text="Rizky Pratama")).to_contain_text("✓ Hadir")
    shot(page, f"{SHOTS}/event-checkin-390x844", full_page=False)

    page.get_by_label("Cari nama atau kode pendaftaran").fill("john")
    page.get_by_role("button", name="Cari").click()
    expect(page.locator(".or-group")).to_have_count(1)
    page.get_by_role("button", name="Tandai hadir: John Smith").click()
    expect(page.get_by_label("Cari nama atau kode pendaftaran")).to_have_value("john")  # the search is kept
    expect(page.locator("#or-checked")).to_have_text("2")

    with session_scope(url) as s:  # a second tap (another phone, a stale page) changes nothing
        member = s.scalar(select(RegistrationMember).where(RegistrationMember.name == "John Smith"))
        stamp, member_id = member.checked_in_at, member.id
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    again = page.request.post(f"{base}/staff/outreach/{event_id}/members/{member_id}/check-in",
                              form={"csrf_token": token})
    assert "John Smith sudah check-in sebelumnya." in again.text()
    with session_scope(url) as s:
        assert s.get(RegistrationMember, member_id).checked_in_at == stamp

    page.get_by_role("button", name="Batalkan check-in John Smith").click()
    expect(page.get_by_role("status")).to_have_text("Check-in John Smith dibatalkan.")
    expect(page.locator("#or-checked")).to_have_text("1")
    page.get_by_role("link", name="Semua").click()
    shot(page, f"{SHOTS}/event-390x844")
    _clean(page)

    page.get_by_role("link", name="Cetak daftar").click()
    expect(page.get_by_role("heading", name="Daftar peserta: Layanan Paspor Keliling Tumijajar")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(4)
    expect(page.locator("tbody")).to_contain_text("12 April 1988")
    shot(page, f"{SHOTS}/print-390x844")
    _clean(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    shot(page, f"{SHOTS}/print-1280x800")

    # closing is for planners: the administrator closes the list at the end of the day
    page.context.clear_cookies()
    _sign_in(page, base, f"/staff/outreach/{event_id}", "admin-keliling", password)
    _accept_confirms(page)
    page.get_by_role("button", name="Tutup daftar").click()
    expect(page.get_by_role("status")).to_have_text("Daftar ditutup.")
    assert "Tutup daftar kegiatan ini?" in page.evaluate("sessionStorage.getItem('asked')")
    expect(page.locator(".or-event-head")).to_contain_text("Daftar ditutup")
    expect(page.get_by_role("button", name=re.compile("Tandai hadir"))).to_have_count(0)
    with session_scope(url) as s:
        assert s.get(OutreachEvent, event_id).status == "closed"
    _clean(page)


def test_cancel_tells_each_registrant_with_the_reason(backoffice_server, browser_page, shot):
    base, url = backoffice_server.base_url, backoffice_server.database_url
    with session_scope(url) as s:
        event = make_event(s, clock.today() + dt.timedelta(days=9), kind="info_session",
                           title="Sosialisasi Paspor Tanpa Calo", place="Aula Kecamatan Panaragan Jaya",
                           kecamatan="Tulang Bawang Tengah")
        register_directly(s, event, "telegram:601", "Dewi Lestari", [("Dewi Lestari", dt.date(1995, 2, 2))])
        register_directly(s, event, "telegram:602", "Mark Lee", [("Mark Lee", dt.date(1985, 3, 3))], language="en")
        event_id = event.id
    password = make_user(url, "admin-batal", ADMIN)
    page = browser_page
    _sign_in(page, base, f"/staff/outreach/{event_id}", "admin-batal", password)
    expect(page.get_by_text("Check-in dibuka pada hari pelaksanaan.")).to_be_visible()
    page.get_by_text("Batalkan kegiatan").click()
    expect(page.get_by_text("Alasan ini dikirim kepada 2 pendaftar lewat chat")).to_be_visible()
    _accept_confirms(page)
    page.get_by_label("Alasan pembatalan").fill("Aula dipakai untuk penanganan banjir")
    page.set_viewport_size(PHONE_390)
    shot(page, f"{SHOTS}/event-cancel-390x844")
    page.get_by_role("button", name="Batalkan", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Kegiatan dibatalkan. Pemberitahuan dikirim ke 2 pendaftar lewat chat.")
    assert "Setiap pendaftar akan diberi tahu" in page.evaluate("sessionStorage.getItem('asked')")
    expect(page.locator(".or-event-head")).to_contain_text("Dibatalkan")
    expect(page.get_by_text("Batalkan kegiatan")).to_have_count(0)
    with session_scope(url) as s:
        notices = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "outreach_cancelled")
                            .order_by(OutboxMessage.id)).all()
        assert [m.sender_id for m in notices] == ["telegram:601", "telegram:602"]
        assert "Alasan: Aula dipakai untuk penanganan banjir." in notices[0].text
        assert "Reason: Aula dipakai untuk penanganan banjir." in notices[1].text
    _clean(page)


def test_visit_requests_accept_link_create_and_decline(backoffice_server, browser_page, shot):
    base, url = backoffice_server.base_url, backoffice_server.database_url
    with session_scope(url) as s:
        make_event(s, clock.today() + dt.timedelta(days=12), title="Layanan Paspor Keliling Gunung Terang",
                   place="Balai Kampung Gunung Terang", kecamatan="Gunung Terang")
        school = make_visit_request(s, sender_id="telegram:701", organisation="SMA Negeri 1 Tumijajar",
                                    contact_name="Bapak Suryadi", headcount=45)
        village = make_visit_request(s, sender_id="telegram:702", organisation="Tiyuh Margo Mulyo",
                                     contact_name="Ibu Sri", headcount=60)
        company = make_visit_request(s, sender_id="whatsapp:+6281200000703", language="en",
                                     organisation="PT Sawit Makmur <Tubaba>", contact_name="Mr Tan", headcount=25)
        ids = (school.id, village.id, company.id)
    password = make_user(url, "admin-kunjungan", ADMIN)
    page = browser_page
    _sign_in(page, base, "/staff/outreach/requests", "admin-kunjungan", password)
    expect(page.get_by_role("heading", name="Permohonan kunjungan")).to_be_visible()
    expect(page.locator(".or-request")).to_have_count(3)
    expect(page.get_by_role("heading", name="PT Sawit Makmur <Tubaba>")).to_be_visible()  # shown as text, escaped
    shot(page, f"{SHOTS}/requests-1280x800", "desktop")

    school_card = page.locator(f"#req-{ids[0]}")
    school_card.get_by_text("Terima").first.click()
    choice = school_card.locator("option", has_text="Gunung Terang").get_attribute("value")
    school_card.get_by_label("Jadwal").select_option(choice)
    school_card.get_by_label("Catatan untuk pemohon (opsional)").fill("Mohon sediakan aula dan listrik")
    school_card.get_by_role("button", name="Terima dan beri tahu pemohon").click()
    expect(page.get_by_role("status")).to_have_text("Permohonan SMA Negeri 1 Tumijajar diterima; pemohon diberi tahu lewat chat.")

    company_card = page.locator(f"#req-{ids[2]}")
    company_card.get_by_text("Tolak").first.click()
    company_card.get_by_label("Alasan penolakan").fill("Tim keliling sudah penuh sampai akhir bulan")
    page.set_viewport_size(PHONE_390)
    shot(page, f"{SHOTS}/requests-decline-390x844")
    company_card.get_by_role("button", name="Tolak dan beri tahu pemohon").click()
    expect(page.get_by_role("status")).to_have_text(
        "Permohonan PT Sawit Makmur <Tubaba> ditolak; pemohon diberi tahu lewat chat.")
    _clean(page)

    village_card = page.locator(f"#req-{ids[1]}")
    village_card.get_by_text("Terima").first.click()
    village_card.get_by_role("link", name="Buat layanan keliling baru untuk permohonan ini").click()
    expect(page.get_by_role("heading", name=re.compile("Untuk permohonan kunjungan"))).to_be_visible()
    expect(page.get_by_label("Judul")).to_have_value("Layanan Paspor Keliling Tiyuh Margo Mulyo")
    expect(page.get_by_label("Kuota (orang)")).to_have_value("60")
    page.get_by_label("Tanggal").fill((clock.today() + dt.timedelta(days=20)).isoformat())
    shot(page, f"{SHOTS}/event-form-from-request-390x844")
    _clean(page)
    page.get_by_role("button", name="Terbitkan").click()
    expect(page.get_by_role("status")).to_contain_text("Permohonan kunjungan diterima dan pemohon diberi tahu jadwalnya.")
    expect(page.locator(".or-linked")).to_contain_text("Tiyuh Margo Mulyo")

    page.goto(f"{base}/staff/outreach/requests?status=accepted")
    expect(page.locator(".or-request")).to_have_count(2)
    shot(page, f"{SHOTS}/requests-accepted-390x844")
    page.set_viewport_size({"width": 1280, "height": 800})
    shot(page, f"{SHOTS}/requests-accepted-1280x800")
    with session_scope(url) as s:
        states = {r.id: (r.status, r.event_id is not None) for r in s.scalars(select(VisitRequest))}
        assert states == {ids[0]: ("accepted", True), ids[1]: ("accepted", True), ids[2]: ("declined", False)}
        told = {m.sender_id: m.text for m in s.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "visit_request_decision"))}
        assert "Catatan petugas: Mohon sediakan aula dan listrik." in told["telegram:701"]
        assert "Gunung Terang" in told["telegram:701"]
        assert told["whatsapp:+6281200000703"].startswith("Dear Mr Tan")
        assert "Tiyuh Margo Mulyo" in told["telegram:702"] and "Jadwalnya:" in told["telegram:702"]
