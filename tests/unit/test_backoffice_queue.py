"""Queue screens over HTTP: roles, counter actions with CSRF, check-in, kiosk, the public board
(numbers only) and the admin settings."""
from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

import office.staff as staff
from office.booking import bookings as bk
from office.booking import queue as q
from office.booking.catalogue import get_policy, get_service
from office.db import session_scope
from tests.backoffice_support import cheap_password_hasher, create_schema, csrf_from, login, make_user

NOW = "2026-03-16T09:30:00"
WIB = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture()
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'bo.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "unit-test-secret-key-0123456789")
    monkeypatch.setenv("OFFICE_NOW", NOW)
    monkeypatch.setattr(staff, "_hasher", cheap_password_hasher())
    create_schema(url)
    from backoffice.app import create_app

    return url, TestClient(create_app())


def _signed_in(env, role):
    url, client = env
    password = make_user(url, f"u-{role}", role, unit="Pengaduan" if role == staff.OFFICER else None)
    assert login(client, f"u-{role}", password).status_code == 303
    return url, client


@pytest.mark.parametrize("role,queue,settings", [("counter", 200, 403), ("supervisor", 200, 403),
                                                 ("admin", 200, 200), ("officer", 403, 403), ("editor", 403, 403)])
def test_roles(env, role, queue, settings):
    _, client = _signed_in(env, role)
    for path in ("/staff/queue", "/staff/queue/bookings", "/staff/kiosk"):
        assert client.get(path).status_code == queue, path
    assert client.get("/staff/queue/settings").status_code == settings


def test_login_required_but_board_is_public(env):
    _, client = env
    assert client.get("/staff/queue", follow_redirects=False).status_code in (302, 303)
    assert client.get("/board").status_code == 200
    assert client.get("/board.json").json()["calls"] == []


def test_counter_flow_with_csrf(env):
    url, client = _signed_in(env, "counter")
    with session_scope(url) as s:
        q.take_walkin(s, "AMBIL", "web:1")
        q.take_walkin(s, "PRIORITAS", "web:2")
        booking = bk.book(s, "BAP", dt.date(2026, 3, 16), dt.time(10, 0), "Budi Santoso", "081234567890", "web:3").booking
        code = booking.code
    page = client.get("/staff/queue?loket=2&lines=A&lines=P")
    token = csrf_from(page.text)
    assert client.post("/staff/queue/action", data={"action": "call", "loket": "2", "lines": ["A", "P"]}).status_code == 403
    r = client.post("/staff/queue/action", data={"csrf_token": token, "action": "call", "loket": "2", "lines": ["A", "P"]})
    assert "Memanggil P-001 ke loket 2" in r.text and 'id="current-number">P-001' in r.text
    ticket_id = int(r.text.split('name="ticket_id" value="')[1].split('"')[0])
    r = client.post("/staff/queue/action", data={"csrf_token": token, "action": "recall", "ticket_id": ticket_id,
                                                 "loket": "2", "lines": ["A", "P"]})
    assert "dipanggil 2 kali" in r.text
    r = client.post("/staff/queue/action", data={"csrf_token": token, "action": "transfer", "ticket_id": ticket_id,
                                                 "target": "ITK", "loket": "2", "lines": ["A", "P"]})
    assert "Dialihkan sebagai nomor B-001" in r.text
    r = client.post("/staff/queue/checkin", data={"csrf_token": token, "code": code.lower()})
    assert f"Check-in {code} berhasil: nomor antrean A-002" in r.text
    assert "Budi Santoso" in r.text and "+62812****7890" in r.text and "081234567890" not in r.text
    r = client.post("/staff/queue/checkin", data={"csrf_token": token, "code": "ZZZ"})
    assert "tidak ditemukan" in r.text
    r = client.post("/staff/queue/action", data={"csrf_token": token, "action": "call", "loket": "2", "lines": ["A"]})
    assert "Memanggil A-001" in r.text
    r = client.post("/staff/queue/action", data={"csrf_token": token, "action": "served",
                                                 "ticket_id": r.text.split('name="ticket_id" value="')[1].split('"')[0],
                                                 "loket": "2", "lines": ["A"]})
    assert "A-001 selesai dilayani" in r.text
    board = client.get("/board.json").json()
    assert {(c["number"], c["counter"]) for c in board["calls"]} == {("A-001", "2"), ("P-001", "2")}
    assert "Budi" not in str(board) and "+62" not in str(board) and code not in str(board)


def test_kiosk_number_and_code(env):
    url, client = _signed_in(env, "counter")
    token = csrf_from(client.get("/staff/kiosk").text)
    r = client.post("/staff/kiosk", data={"csrf_token": token, "service": "PRIORITAS", "code": ""})
    assert 'class="q-big">P-001' in r.text
    with session_scope(url) as s:
        code = bk.book(s, "AMBIL", dt.date(2026, 3, 17), dt.time(10, 0), "Ani", "081234567891").booking.code
    r = client.post("/staff/kiosk", data={"csrf_token": token, "service": "", "code": f"https://kanim.example/b/{code}"})
    assert "Booking ini untuk Selasa, 17 Maret 2026, bukan hari ini." in r.text


def test_settings_edit_service_and_policy(env):
    url, client = _signed_in(env, "admin")
    page = client.get("/staff/queue/settings")
    assert "Pengambilan paspor" in page.text
    token = csrf_from(page.text)
    r = client.post("/staff/queue/settings", data={
        "csrf_token": token, "kind": "service", "code": "AMBIL", "name": "Pengambilan paspor", "name_en": "Collection",
        "line": "A", "duration_minutes": "20", "weekdays": "mon,wed", "capacity_per_slot": "6", "daily_quota": "50",
        "kb_topic": "pengambilan-paspor", "booking_needed": "on", "active": "on"})
    assert "Perubahan tersimpan" in r.text
    r = client.post("/staff/queue/settings", data={"csrf_token": token, "kind": "policy", "same_day_cutoff": "11:00",
                                                   "booking_horizon_days": "14", "reschedule_days_before": "2",
                                                   "max_reschedules": "1", "near_turn_places": "5",
                                                   "reminder_time": "08:00"})
    assert "Perubahan tersimpan" in r.text
    r = client.post("/staff/queue/settings", data={"csrf_token": token, "kind": "policy", "same_day_cutoff": "25:99",
                                                   "booking_horizon_days": "14", "reschedule_days_before": "2",
                                                   "max_reschedules": "1", "near_turn_places": "5",
                                                   "reminder_time": "08:00"})
    assert "Tidak tersimpan" in r.text
    with session_scope(url) as s:
        service = get_service(s, "AMBIL")
        assert (service.capacity_per_slot, service.duration_minutes, service.weekday_set) == (6, 20, {0, 2})
        policy = get_policy(s)
        assert policy.same_day_cutoff == dt.time(11, 0) and policy.near_turn_places == 5
