"""The dashboards over HTTP: roles on every route, the period filter, CSV files equal to the charts'
data, the printable report, and citizens' comments escaped."""
from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient

import office.staff as staff
from tests.backoffice_support import cheap_password_hasher, create_schema, login, make_user
from tests.dashboard_data import XSS_COMMENT, seed_month

NOW = "2026-03-16T09:30:00"
PATHS = ("/staff/dashboard", "/staff/dashboard?bulan=2026-03", "/staff/dashboard/csv/ikm_elements.csv",
         "/staff/dashboard/report/2026-03")


@pytest.fixture()
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'bo.db'}"
    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TRACKER_STORE_URL", tracker)
    monkeypatch.setenv("SECRET_KEY", "unit-test-secret-key-0123456789")
    monkeypatch.setenv("OFFICE_NOW", NOW)
    monkeypatch.setattr(staff, "_hasher", cheap_password_hasher())
    create_schema(url)
    seed_month(url, tracker)
    from backoffice.app import create_app

    return url, TestClient(create_app())


def _signed_in(env, role):
    url, client = env
    password = make_user(url, f"u-{role}", role, unit="Tata Usaha" if role == staff.OFFICER else None)
    assert login(client, f"u-{role}", password).status_code == 303
    return client


@pytest.mark.parametrize("role,status", [("supervisor", 200), ("admin", 200), ("officer", 403), ("counter", 403),
                                         ("editor", 403)])
def test_roles_on_every_route(env, role, status):
    client = _signed_in(env, role)
    for path in PATHS:
        assert client.get(path).status_code == status, path
    menu = client.get("/staff").text
    assert ('href="/staff/dashboard"' in menu) == (status == 200)


def test_sign_in_required(env):
    _, client = env
    for path in PATHS:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


def _svg_values(html: str, key: str) -> list[tuple[str, str, str]]:
    """(series, label, value) of every bar/point in the chart block `key`."""
    block = html.split(f'data-chart="{key}"', 1)[1].split("</figure>", 1)[0]
    return re.findall(r'<(?:rect|circle) class="(?:bar|point)"[^>]*data-series="([^"]*)" data-label="([^"]*)" '
                      r'data-value="([^"]*)"', block)


def _csv(client, key: str, query: str = "bulan=2026-03") -> list[list[str]]:
    response = client.get(f"/staff/dashboard/csv/{key}.csv?{query}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_equals_chart_data(env):
    client = _signed_in(env, "supervisor")
    html = client.get("/staff/dashboard?bulan=2026-03").text
    # horizontal bars: label in the first column, the value in `value_col`
    for key, value_col in (("ikm_elements", 4), ("kb_topics", 2), ("kb_outcomes", 1), ("complaints_unit", 1)):
        rows = _csv(client, key)[1:]
        bars = _svg_values(html, key)
        assert bars, key
        assert [v for _, _, v in bars] == [r[value_col] for r in rows if r[value_col] != ""], key
    # stacked columns: one bar per day and channel
    rows = _csv(client, "conversations_daily")
    header, body = rows[0], rows[1:]
    bars = _svg_values(html, "conversations_daily")
    channels = header[1:-1]
    assert len(body) == 31 and len(bars) == 31 * len(channels)
    by_key = {(s, int(lbl)): v for s, lbl, v in bars}
    for row in body:
        day = int(row[0][-2:])
        for i, channel in enumerate(channels, 1):
            assert by_key[(channel, day)] == row[i]
        assert int(row[-1]) == sum(int(x) for x in row[1:-1])
    # 15 March: 15 % 4 + 1 = 4 WhatsApp senders, 1 web (asked for an officer), 1 Telegram
    assert body[14] == ["2026-03-15", "4", "1", "1", "6"]
    # IKM: the hand-computed 83.80 (see test_ikm) in the chart, the table and the CSV
    trend = _csv(client, "ikm_trend")
    assert trend[-1] == ["Mar 2026", "4", "83.80", "B"]
    assert ("IKM", "Mar 2026", "83.80") in _svg_values(html, "ikm_trend")
    assert "83,80" in html and "Mutu B" in html


def test_handoff_and_sla_figures(env):
    client = _signed_in(env, "admin")
    handoff = _csv(client, "handoff_rate")
    # web asked on days 5, 10 and 15: 3 of 15 web conversations = 20.0%
    assert ["Web chat", "15", "3", "20.0"] in handoff
    sla = _csv(client, "complaints_sla")
    assert sla[1] == ["Tanggapan pertama", "1", "2", "0", "33.3"]
    assert sla[2] == ["Penyelesaian", "1", "1", "1", "50.0"]


def test_period_filter_and_bad_input(env):
    client = _signed_in(env, "supervisor")
    page = client.get("/staff/dashboard?dari=2026-03-01&sampai=2026-03-15")
    assert page.status_code == 200 and "1 Mar 2026 – 15 Mar 2026" in page.text
    assert len(_csv(client, "conversations_daily", "dari=2026-03-01&sampai=2026-03-15")) == 16
    bad = client.get("/staff/dashboard?bulan=2026-13")
    assert bad.status_code == 400 and "tidak dikenali" in bad.text and "Ditampilkan bulan berjalan" in bad.text
    assert client.get("/staff/dashboard/csv/ikm_trend.csv?dari=2026-03-10&sampai=2026-03-01").status_code == 400
    assert client.get("/staff/dashboard/csv/nothing.csv").status_code == 404
    assert client.get("/staff/dashboard/report/2026-3x").status_code == 404


def test_comments_escaped_and_report_page(env):
    client = _signed_in(env, "supervisor")
    html = client.get("/staff/dashboard?bulan=2026-03").text
    assert XSS_COMMENT not in html and "&lt;script&gt;" in html
    report = client.get("/staff/dashboard/report/2026-03").text
    assert "Maret 2026" in report and "Kantor Imigrasi" in report
    assert "83,80" in report and "Baik" in report and "Persyaratan" in report
    assert "di bawah target sampel" in report  # 4 responses, target 278 per month
    assert "<svg" in report
