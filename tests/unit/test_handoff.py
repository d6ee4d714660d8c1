"""Live hand-off rules: queue, take, officer messages through the outbox, hand-back, time-out,
the closed-hours answer, and the back-office pages (escaping, CSRF, one officer per chat)."""
from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import office.staff as staff
from office import handoff
from office.db import session_scope
from office.outbox import OutboxMessage
from tests.backoffice_support import cheap_password_hasher, create_schema, csrf_from, login, make_user

WIB = dt.timezone(dt.timedelta(hours=7))
T0 = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)


@pytest.fixture()
def url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "unit-test-secret-key-0123456789")
    monkeypatch.setattr(staff, "_hasher", cheap_password_hasher())
    create_schema(url)
    return url


def _outbox(url: str) -> list[tuple[str, str, str]]:
    with session_scope(url) as s:
        return [(m.sender_id, m.kind, m.text) for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_round_trip_and_timeout(url: str) -> None:
    with session_scope(url) as s:
        a = handoff.request_officer(s, "telegram:1", now=T0)
        b = handoff.request_officer(s, "web:2", now=T0)
        assert handoff.request_officer(s, "telegram:1", now=T0).id == a.id  # no second queue entry
        assert (handoff.queue_position(s, a), handoff.queue_position(s, b)) == (1, 2)
        handoff.citizen_message(s, "telegram:1", "Paspor saya hilang, bagaimana?", now=T0)
        handoff.take(s, a, "budi", now=T0)
        with pytest.raises(handoff.HandoffError):
            handoff.take(s, a, "sari", now=T0)
        handoff.officer_message(s, a, "budi", "Silakan buat laporan kehilangan ke polisi dulu.", now=T0)
        with pytest.raises(handoff.HandoffError):
            handoff.officer_message(s, b, "budi", "halo", now=T0)  # not taken yet
        handoff.hand_back(s, a, "budi", now=T0)
        assert handoff.citizen_message(s, "telegram:1", "terima kasih", now=T0) is None
        # b: nobody writes for longer than the time-out
        assert handoff.expire_idle(s, T0 + dt.timedelta(minutes=10)) == []
        assert [x.id for x in handoff.expire_idle(s, T0 + dt.timedelta(minutes=16))] == [b.id]
        assert b.close_reason == "timeout"
    kinds = [(sid, kind) for sid, kind, _ in _outbox(url)]
    assert kinds == [("telegram:1", "handoff_message"), ("telegram:1", "handoff_message"),
                     ("telegram:1", "handoff_end"), ("web:2", "handoff_end")]
    assert "tidak ada pesan" in _outbox(url)[-1][2]


def test_closed_hours_answer_names_the_next_opening(url: str) -> None:
    from actions.handoff import closed_hours_text  # the calendar in force is read from the database

    text = closed_hours_text(dt.datetime(2026, 3, 18, 10, 0, tzinfo=WIB), "id")  # Nyepi closure
    assert "Rabu, 25 Maret 2026" in text and "pengaduan" in text
    assert "Wednesday, 25 March 2026" in closed_hours_text(dt.datetime(2026, 3, 21, 10, 0, tzinfo=WIB), "en")


def test_backoffice_pages(url: str) -> None:
    with session_scope(url) as s:
        live = handoff.request_officer(s, "whatsapp:+62811", now=T0)
        handoff.citizen_message(s, "whatsapp:+62811", "<script>alert(1)</script> tolong", now=T0)
        live_id = live.id
    make_user(url, "budi.live", staff.OFFICER, unit="Tata Usaha")
    make_user(url, "sari.live", staff.OFFICER, unit="Tata Usaha")
    from backoffice.app import create_app

    client = TestClient(create_app())
    login(client, "budi.live", "kata sandi uji panjang")
    queue = client.get("/staff/live").text
    assert "&lt;script&gt;" in queue and "<script>alert(1)" not in queue
    page = client.get(f"/staff/live/{live_id}").text
    token = csrf_from(page)
    assert client.post(f"/staff/live/{live_id}/take", data={}).status_code == 403  # CSRF
    assert client.post(f"/staff/live/{live_id}/take", data={"csrf_token": token}).status_code == 200
    sent = client.post(f"/staff/live/{live_id}/send", data={"csrf_token": token, "text": "Baik, saya bantu."})
    assert sent.status_code == 200 and "Baik, saya bantu." in sent.text
    client.cookies.clear()
    login(client, "sari.live", "kata sandi uji panjang")
    token2 = csrf_from(client.get(f"/staff/live/{live_id}").text)
    refused = client.post(f"/staff/live/{live_id}/send", data={"csrf_token": token2, "text": "halo"})
    assert refused.status_code == 400 and "Ambil percakapan" in refused.text
    assert client.post(f"/staff/live/{live_id}/return", data={"csrf_token": token2}).status_code == 400
    client.cookies.clear()
    login(client, "budi.live", "kata sandi uji panjang")
    token = csrf_from(client.get(f"/staff/live/{live_id}").text)
    assert client.post(f"/staff/live/{live_id}/return", data={"csrf_token": token}).status_code == 200
    assert [k for _, k, _ in _outbox(url)] == ["handoff_message", "handoff_message", "handoff_end"]
