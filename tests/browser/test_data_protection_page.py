"""The data-protection page in a real browser: the officer in charge sees citizens' requests (kind,
times, counts; never a name, phone or sender id), the retention period per kind with row counts and the
last purge; it reads at 360 px; other roles are refused and the menu shows it only to admin/supervisor."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from office import clock, consent, retention
from office import privacy_requests as pr
from office.booking import bookings as bk
from office.booking.catalogue import get_service
from office.db import session_scope
from office.holidays import office_calendar
from office.profile import load_profile
from office.staff import COUNTER, SUPERVISOR
from tests.backoffice_support import login, make_user

CITIZEN = "telegram:7788"


@pytest.fixture(scope="module")
def tracker_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('tracker') / 'tracker.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, timestamp FLOAT)"))
        conn.execute(text("INSERT INTO events (sender_id, timestamp) VALUES ('web:a', 1), ('web:a', 2), ('web:b', 3)"))
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def backoffice_extra_env(tracker_db: str) -> dict[str, str]:
    return {"TRACKER_STORE_URL": tracker_db}


def _sign_in(page, base: str, path: str, username: str, password: str) -> None:
    page.goto(f"{base}{path}")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def test_officer_in_charge_sees_requests_retention_and_last_purge(backoffice_server, browser_page, shot) -> None:
    base, url = backoffice_server.base_url, backoffice_server.database_url
    now = clock.now()
    with session_scope(url) as s:
        cal = office_calendar(s)
        service = get_service(s, "AMBIL")
        day = bk.open_days(s, service, now, cal)[0]
        slot = bk.free_slots(s, service, day, now, cal)[0]
        bk.book(s, "AMBIL", day, slot.start, "Rina Wulandari", "081234567890", CITIZEN, now=now, calendar=cal)
    with session_scope(url) as s:  # consents: this citizen's (withdrawn by the erasure) and another one in force
        consent.record_consent(s, CITIZEN, "booking", load_profile(), now=now)
        consent.record_consent(s, "web:dp-other", "booking", load_profile(), now=now)
        consent.record_consent(s, "web:dp-other", "handoff", load_profile(), now=now)
    with session_scope(url) as s:
        pr.record_export(s, CITIZEN, now)
        pr.erase(s, CITIZEN, now + dt.timedelta(minutes=1))
        retention.record_run(s, {"events": 12, "outbox_messages": 3}, now - dt.timedelta(hours=1))
    password = make_user(url, "dpo.kanim", SUPERVISOR, full_name="Petugas PDP")
    page = browser_page
    _sign_in(page, base, "/staff/data-protection", "dpo.kanim", password)
    expect(page.get_by_role("heading", name="Perlindungan data pribadi")).to_be_visible()
    expect(page.get_by_role("link", name="Perlindungan data")).to_be_visible()

    requests = page.get_by_role("region", name="Tabel permintaan warga")
    rows = requests.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Penghapusan")
    expect(rows.nth(0)).to_contain_text("booking dibatalkan: 1")
    expect(rows.nth(0)).to_contain_text("menunggu")  # the worker has not erased the chat yet
    expect(rows.nth(0)).to_contain_text("persetujuan ditarik: 1")
    expect(rows.nth(1)).to_contain_text("Salinan data")
    consents = page.get_by_role("region", name="Tabel persetujuan")
    expect(consents.locator("tbody tr")).to_have_count(len(consent.PURPOSES))
    booking_row = consents.locator("tbody tr", has_text="Booking kunjungan").locator("td")
    expect(booking_row.nth(1)).to_have_text("1")  # in force: the other citizen's
    expect(booking_row.nth(2)).to_have_text("1")  # withdrawn: by this citizen's erasure
    expect(consents.locator("tbody tr", has_text="Chat dengan petugas").locator("td").nth(1)).to_have_text("1")
    body = page.locator("main").inner_text() if page.locator("main").count() else page.inner_text("body")
    for personal in ("Rina", "081234567890", "+6281234567890", CITIZEN, pr.sender_hash(CITIZEN), "web:dp-other"):
        assert personal not in body

    kinds = page.get_by_role("region", name="Tabel masa simpan")
    expect(kinds.locator("tbody tr")).to_have_count(len(retention.RETENTION_KINDS))
    conversations = kinds.locator("tbody tr", has_text="Percakapan")
    expect(conversations).to_contain_text("365 hari")
    expect(conversations).to_contain_text("2")  # two distinct conversations in the tracker store
    expect(kinds.locator("tbody tr", has_text="Booking kunjungan")).to_contain_text("1")
    expect(page.get_by_text("Pembersihan terakhir:")).to_contain_text("peristiwa percakapan: 12")
    path = shot(page, "privacy/data-protection-1280x800", "desktop")
    assert path.stat().st_size > 10_000
    path = shot(page, "privacy/data-protection-360x740", "phone")
    assert path.stat().st_size > 10_000
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page scrolls sideways at 360 px ({width})"


def test_other_roles_are_refused_and_see_no_menu_entry(backoffice_server) -> None:
    base, url = backoffice_server.base_url, backoffice_server.database_url
    password = make_user(url, "loket.dp", COUNTER)
    with httpx.Client(base_url=base) as client:
        login(client, "loket.dp", password)
        home = client.get("/staff", follow_redirects=True)
        assert home.status_code == 200 and "/staff/data-protection" not in home.text
        assert client.get("/staff/data-protection").status_code == 403
    with httpx.Client(base_url=base) as anonymous:
        response = anonymous.get("/staff/data-protection")
        assert response.status_code in (302, 303) and "/staff/login" in response.headers["location"]
