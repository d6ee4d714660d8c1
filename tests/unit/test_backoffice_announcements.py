"""The announcement pages through the real FastAPI app: roles, CSRF, bad input changes nothing,
preview, schedule / send now / cancel, audit entries, escaping, counts."""
from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import office.staff as staff
from office import audit, clock
from office.db import session_scope
from office.outbox import OutboxMessage, mark_failed, mark_sent
from office.outreach import announcements as ann
from office.outreach import subscriptions as subs
from office.outreach.announcement_models import Announcement
from tests.backoffice_support import cheap_password_hasher, create_schema, csrf_from, login, make_user


@pytest.fixture()
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'bo.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "unit-test-secret-key-0123456789")
    monkeypatch.setattr(staff, "_hasher", cheap_password_hasher())
    create_schema(url)
    from backoffice.app import create_app

    return url, TestClient(create_app())


@pytest.fixture()
def editor(env):
    url, client = env
    password = make_user(url, "editor1", staff.EDITOR, full_name="Bu Editor")
    assert login(client, "editor1", password).status_code == 303
    return url, client


def _token(client: TestClient) -> str:
    return csrf_from(client.get("/staff/announcements").text)


def _count(url: str) -> int:
    with session_scope(url) as db:
        return db.scalar(select(func.count()).select_from(Announcement))


@pytest.mark.parametrize("role,expected", [(staff.ADMIN, 200), (staff.SUPERVISOR, 200), (staff.EDITOR, 200),
                                           (staff.OFFICER, 403), (staff.COUNTER, 403)])
def test_roles(env, role, expected):
    url, client = env
    password = make_user(url, f"u-{role}", role, unit="Pengaduan" if role == staff.OFFICER else None)
    login(client, f"u-{role}", password)
    assert client.get("/staff/announcements", follow_redirects=False).status_code == expected
    home = client.get("/staff").text
    assert ('href="/staff/announcements"' in home) == (expected == 200)
    response = client.post("/staff/announcements/new", data={"csrf_token": csrf_from(home), "title": "T",
                                                              "body": "B", "channels": ["telegram"]},
                           follow_redirects=False)
    assert response.status_code == (303 if expected == 200 else 403)


def test_signed_out_is_sent_to_login(env):
    _, client = env
    response = client.get("/staff/announcements", follow_redirects=False)
    assert response.status_code in (302, 303) and "/staff/login" in response.headers["location"]


def test_csrf_is_required(editor):
    url, client = editor
    response = client.post("/staff/announcements/new", data={"title": "T", "body": "B", "channels": ["telegram"]})
    assert response.status_code == 403 and _count(url) == 0


def test_bad_input_changes_nothing_and_keeps_what_was_typed(editor):
    url, client = editor
    token = _token(client)
    response = client.post("/staff/announcements/new", data={"csrf_token": token, "title": "  ", "body": "Isi saya",
                                                              "channels": ["telegram"]})
    assert response.status_code == 400 and "Judul wajib diisi" in response.text and "Isi saya" in response.text
    response = client.post("/staff/announcements/new", data={"csrf_token": token, "title": "Judul", "body": "Isi",
                                                              "channels": ["sms"]})
    assert response.status_code == 400 and "Kanal tidak dikenal" in response.text
    assert _count(url) == 0


def test_preview_saves_nothing_and_escapes(editor):
    url, client = editor
    response = client.post("/staff/announcements/new", data={
        "csrf_token": _token(client), "op": "preview", "title": "<script>alert(1)</script>",
        "body": "Kantor tutup *24 Desember*.", "channels": ["whatsapp", "telegram"]})
    assert response.status_code == 200 and _count(url) == 0
    assert "<script>alert(1)</script>" not in response.text and "&lt;script&gt;" in response.text
    assert "<strong>24 Desember</strong>" in response.text  # WhatsApp renders *bold*
    assert "*24 Desember*" in response.text  # Telegram shows it as typed
    assert 'data-channel="whatsapp"' in response.text and 'data-channel="telegram"' in response.text


def test_create_schedule_send_now_cancel_with_audit(editor):
    url, client = editor
    token = _token(client)
    created = client.post("/staff/announcements/new", data={"csrf_token": token, "title": "Kuota dibuka",
                                                             "body": "Kuota Desember dibuka.", "channels": ["telegram"]},
                          follow_redirects=False)
    assert created.status_code == 303
    page = created.headers["location"].split("?")[0]
    ann_id = int(page.rsplit("/", 1)[1])
    past = (clock.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"{page}/schedule", data={"csrf_token": token, "when": past})
    assert "sudah lewat" in response.text
    future = (clock.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"{page}/schedule", data={"csrf_token": token, "when": future})
    assert "Pengumuman dijadwalkan" in response.text and "Terjadwal" in response.text
    response = client.post(f"{page}/schedule", data={"csrf_token": token, "when": "besok pagi"})
    assert "Waktu kirim tidak valid" in response.text
    response = client.post(f"{page}/cancel", data={"csrf_token": token})
    assert "dibatalkan" in response.text
    response = client.post(f"{page}/send-now", data={"csrf_token": token})
    assert "tidak dapat diubah" in response.text
    with session_scope(url) as db:
        assert db.get(Announcement, ann_id).status == "cancelled"
        actions = [e.action for e in audit.recent(db, actor="editor1")]
    assert {"announcement_created", "announcement_scheduled", "announcement_cancelled"} <= set(actions)


def test_counts_and_failures_are_shown(editor):
    url, client = editor
    now = clock.now()
    with session_scope(url) as db:
        subs.subscribe(db, "telegram:111", "id", now)
        subs.subscribe(db, "whatsapp:+6281234567890", "id", now)
        a = ann.create_draft(db, "Libur", "Kantor tutup.", ["whatsapp", "telegram"], "editor1", now)
        ann.send_now(db, a.id, "editor1", now)
        ann_id = a.id
    with session_scope(url) as db:
        assert ann.fan_out(db, ann_id, now) == 2
    with session_scope(url) as db:
        for m in db.scalars(select(OutboxMessage)):
            if m.sender_id.startswith("telegram"):
                mark_sent(m, now)
            else:
                m.attempts = 7
                mark_failed(m, "no template", now)
    listing = client.get("/staff/announcements").text
    assert "Pelanggan aktif: 2" in listing
    row = listing.split(f'data-announcement="{ann_id}"')[1].split("</tr>")[0]
    assert '<td data-label="Terkirim" class="num ann-sent">1</td>' in row
    assert "ann-fail\">1<" in row
    detail = client.get(f"/staff/announcements/{ann_id}").text
    assert "Gagal terkirim" in detail and "no template" in detail and "6281234567890" not in detail
    assert "Administrator atau supervisor" in detail  # an editor cannot open the outbox page
    assert client.get("/staff/announcements/999999", follow_redirects=True).status_code == 200


def test_a_refused_edit_keeps_what_was_typed(editor):
    url, client = editor
    token = _token(client)
    page = client.post("/staff/announcements/new", data={"csrf_token": token, "title": "Judul awal", "body": "Isi",
                                                          "channels": ["whatsapp"]}, follow_redirects=False)
    target = page.headers["location"].split("?")[0]
    response = client.post(f"{target}/edit", data={"csrf_token": token, "title": "Judul baru",
                                                   "body": "kata " * 220, "channels": ["whatsapp"]})
    assert response.status_code == 400 and "Terlalu panjang untuk WhatsApp" in response.text
    assert 'value="Judul baru"' in response.text
    with session_scope(url) as db:
        assert db.scalars(select(Announcement)).one().title == "Judul awal"
