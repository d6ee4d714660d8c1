"""The officers' complaint pages through the real app (TestClient): unit scoping, the SLA badges,
reply into the outbox, notes, status with reason, reassign, merge, confidential identity, escaping
and CSRF."""
from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import office.staff as staff
from office.complaints.models import Ticket
from office.complaints.service import file_ticket
from office.db import session_scope
from office.outbox import OutboxMessage
from tests.backoffice_support import cheap_password_hasher, create_schema, csrf_from, login, make_user

WIB = dt.timezone(dt.timedelta(hours=7))
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture()
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'bo.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "unit-test-secret-key-0123456789")
    monkeypatch.setenv("OFFICE_NOW", "2026-03-25T13:00:00")  # Wednesday after the Idulfitri closure
    monkeypatch.setattr(staff, "_hasher", cheap_password_hasher())
    create_schema(url)
    created = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)
    with session_scope(url) as s:
        codes = {
            "toilet": file_ticket(s, description=f"Toilet kotor sekali {XSS}", sender_id="telegram:7", now=created).code,
            "calo": file_ticket(s, description="Ada calo minta uang tambahan", sender_id="whatsapp:+6281", now=created).code,
            "paspor": file_ticket(s, description="Antrean paspor lama sekali", sender_id="web:abc",
                                  now=created - dt.timedelta(days=14)).code,
            "toilet2": file_ticket(s, description="Toilet kotor dan bau", sender_id="telegram:7", now=created).code,
        }
    for name, role, unit in (("petugas-tu", staff.OFFICER, "Tata Usaha"), ("uki", staff.OFFICER, "Unit Kepatuhan Internal"),
                             ("kakan", staff.SUPERVISOR, None), ("loket", staff.COUNTER, None)):
        make_user(url, name, role, unit=unit)
    from backoffice.app import create_app

    return url, TestClient(create_app()), codes


def _as(client: TestClient, username: str) -> TestClient:
    client.cookies.clear()
    assert login(client, username, "kata sandi uji panjang").status_code == 303
    return client


def test_inbox_is_scoped_per_unit_with_sla_badges(env) -> None:
    url, client, codes = env
    page = _as(client, "petugas-tu").get("/staff/tickets").text
    assert codes["toilet"] in page and codes["toilet2"] in page
    assert codes["calo"] not in page and codes["paspor"] not in page
    assert "Segera jatuh tempo" in page  # first response due Thursday 26 March 09:30
    assert client.get(f"/staff/tickets/{codes['paspor']}").status_code == 404
    assert XSS not in page and "&lt;script&gt;" in page


def test_supervisor_sees_all_and_overdue(env) -> None:
    url, client, codes = env
    page = _as(client, "kakan").get("/staff/tickets").text
    assert all(code in page for code in codes.values())
    assert "Terlambat" in page
    assert _as(client, "loket").get("/staff/tickets").status_code == 403


def test_confidential_identity_only_for_the_compliance_unit(env) -> None:
    url, client, codes = env
    page = _as(client, "kakan").get(f"/staff/tickets/{codes['calo']}").text
    assert "whatsapp:+6281" not in page and "Dirahasiakan" in page
    page = _as(client, "uki").get(f"/staff/tickets/{codes['calo']}").text
    assert "whatsapp:+6281" in page


def test_reply_note_status_reassign_merge(env) -> None:
    url, client, codes = env
    _as(client, "petugas-tu")
    path = f"/staff/tickets/{codes['toilet']}"
    token = csrf_from(client.get(path).text)
    assert client.post(f"{path}/reply", data={"text": "Sudah kami bersihkan."}).status_code == 403  # no CSRF
    r = client.post(f"{path}/reply", data={"csrf_token": token, "text": "Sudah kami bersihkan, terima kasih."})
    assert r.status_code == 200 and "akan dikirim ke warga" in r.text
    client.post(f"{path}/note", data={"csrf_token": token, "text": "Cek CCTV lantai 1"})
    bad = client.post(f"{path}/status", data={"csrf_token": token, "status": "ditolak", "reason": ""})
    assert bad.status_code == 400 and "wajib disertai alasan" in bad.text
    merged = client.post(f"/staff/tickets/{codes['toilet2']}/merge", data={"csrf_token": token, "target": codes["toilet"]})
    assert merged.status_code == 200 and codes["toilet2"] not in merged.text.split("Kotak masuk pengaduan")[1]
    page = client.get(path).text
    assert "Cek CCTV lantai 1" in page and f"Digabung dari {codes['toilet2']}" in page
    moved = client.post(f"{path}/reassign", data={"csrf_token": token, "unit": "Seksi Izin Tinggal"})
    assert moved.status_code == 200 and "dialihkan" in moved.text
    assert client.get(path).status_code == 404  # no longer this officer's unit
    with session_scope(url) as s:
        relayed = s.scalars(select(OutboxMessage)).all()
        assert [(m.sender_id, m.kind) for m in relayed] == [("telegram:7", "officer_reply")]
        ticket = s.scalar(select(Ticket).where(Ticket.code == codes["toilet"]))
        assert ticket.status == "diproses" and ticket.unit == "Seksi Izin Tinggal"
