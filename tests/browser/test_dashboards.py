"""The dashboards in Chromium: every chart renders with bars, the CSV links match the charts, the page
fits a 360 px phone, and the monthly report prints on A4. Screenshots: /tmp/shots/dashboards/."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from office.staff import SUPERVISOR
from tests.backoffice_support import create_schema, make_user
from tests.browser.conftest import SHOTS_DIR
from tests.dashboard_data import seed_month
from tests.servers import ROOT, base_env, free_port, start, stop, wait_http

SHOTS = SHOTS_DIR / "dashboards"


@pytest.fixture(scope="module")
def dash_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The back-office with a seeded March 2026 and a Rasa-shaped tracker table, frozen at 16 March."""
    tmp = tmp_path_factory.mktemp("dash")
    url, tracker = f"sqlite:///{tmp / 'office.db'}", f"sqlite:///{tmp / 'tracker.db'}"
    create_schema(url)
    seed_month(url, tracker)
    make_user(url, "kepala", SUPERVISOR, full_name="Kepala Kantor", password="kata sandi uji panjang")
    port = free_port()
    env = base_env({"DATABASE_URL": url, "TRACKER_STORE_URL": tracker, "OFFICE_NOW": "2026-03-16T09:30:00",
                    "SECRET_KEY": "browser-test-secret-key-0123456789", "COOKIE_SECURE": "0",
                    "OFFICE_VAR_DIR": str(tmp / "var"), "OFFICE_TZ": "Asia/Jakarta"})
    log = tmp / "uvicorn.log"
    proc = start([str(ROOT / ".venv/bin/uvicorn"), "backoffice.app:app", "--host", "127.0.0.1", "--port", str(port)],
                 env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", proc, log, timeout=60, ok=lambda r: r.status_code == 200)
        yield base
    finally:
        stop(proc)


def _login(page, base: str, path: str) -> None:
    page.goto(f"{base}{path}")
    page.get_by_label("Nama pengguna").fill("kepala")
    page.get_by_label("Kata sandi").fill("kata sandi uji panjang")
    page.get_by_role("button", name="Masuk").click()


def _shot(page, name: str, full_page: bool = True) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def test_every_chart_renders_and_matches_its_csv(dash_server, browser_page):
    page = browser_page
    _login(page, dash_server, "/staff/dashboard?bulan=2026-03")
    expect(page.get_by_role("heading", name="Dasbor evaluasi layanan")).to_be_visible()
    charts = page.locator("figure.dash-chart")
    keys = charts.evaluate_all("els => els.map(e => e.dataset.chart)")
    assert len(keys) == 15, keys
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    for key in keys:
        figure = page.locator(f'figure[data-chart="{key}"]')
        svg = figure.locator("svg")
        expect(svg).to_be_visible()
        box = svg.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 40, key
        assert svg.get_attribute("role") == "img" and svg.locator("title").count() >= 1
        marks = figure.locator(".bar, .point")
        values = [v for v in marks.evaluate_all("els => els.map(e => e.dataset.value)")]
        assert values and any(v not in ("", "0") for v in values), f"{key} has no drawn value"
        widths = marks.evaluate_all("els => els.map(e => e.getBBox().width + e.getBBox().height)")
        assert any(w > 3 for w in widths), f"{key}: bars are empty"
        href = figure.get_by_role("link", name="Unduh CSV").get_attribute("href")
        rows = list(csv.reader(io.StringIO(httpx.get(f"{dash_server}{href}", cookies=cookies)
                                           .content.decode("utf-8-sig"))))
        numbers = {cell for row in rows[1:] for cell in row}
        assert {v for v in values if v} <= numbers, f"{key}: chart values missing from the CSV"
        figure.locator("summary").click()
        expect(figure.locator("table")).to_be_visible()
    _shot(page, "dashboard-1280")
    page.set_viewport_size({"width": 360, "height": 740})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the dashboard scrolls sideways at 360 px ({width})"
    _shot(page, "dashboard-360")
    page.locator("#ikm").scroll_into_view_if_needed()
    _shot(page, "dashboard-360-ikm", full_page=False)
    assert not [e for e in page.console_errors if "Content Security Policy" in e or "Uncaught" in e]


def test_period_filter_in_the_browser(dash_server, browser_page):
    page = browser_page
    _login(page, dash_server, "/staff/dashboard")
    page.get_by_label("Dari tanggal").fill("2026-03-01")
    page.get_by_label("Sampai tanggal").fill("2026-03-10")
    page.get_by_role("button", name="Tampilkan rentang").click()
    expect(page.get_by_text("1 Mar 2026 – 10 Mar 2026")).to_be_visible()
    bars = page.locator('figure[data-chart="conversations_daily"] .bar')
    assert bars.count() == 10 * 3  # ten days, three channels


def test_print_report(dash_server, browser_page):
    page = browser_page
    _login(page, dash_server, "/staff/dashboard/report/2026-03")
    expect(page.get_by_role("heading", name="Laporan Evaluasi Layanan — Maret 2026")).to_be_visible()
    expect(page.locator(".ikm-value")).to_have_text("83,80")
    _shot(page, "report-1280")
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SHOTS / "report-a4.pdf"), format="A4", print_background=True)
    _shot(page, "report-print")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(page, "report-360")
