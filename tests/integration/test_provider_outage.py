"""A provider outage: the worker retries with growing backoff, gives up after MAX_ATTEMPTS, staff see
the message on "Pengiriman gagal", and "Kirim ulang" delivers it exactly once when the provider is back."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import office.staff as staff
from office import audit
from office.db import migrate, session_scope
from office.outbox import MAX_ATTEMPTS, OutboxMessage, enqueue
from tests.backoffice_support import cheap_password_hasher, csrf_from, login, make_user
from tests.fakes.outbox_rasa import OutboxRasa
from worker.delivery import deliver_due

T0 = dt.datetime(2026, 3, 16, 9, 30)
SENDER = "whatsapp:+6281234567890"


@pytest.fixture()
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url = f"sqlite:///{tmp_path / 'office.db'}"
    migrate(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "unit-test-secret-key-0123456789")
    monkeypatch.setenv("RASA_TOKEN", "")
    monkeypatch.setattr(staff, "_hasher", cheap_password_hasher())
    with OutboxRasa() as rasa:
        monkeypatch.setenv("RASA_URL", rasa.url)
        yield url, rasa


def _at(monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> None:
    monkeypatch.setenv("OFFICE_NOW", moment.isoformat())


def _message(url: str) -> OutboxMessage:
    with session_scope(url) as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.sender_id == SENDER)).one()


def _client(url: str, username: str, role: str) -> TestClient:
    from backoffice.app import create_app

    client = TestClient(create_app())
    password = make_user(url, username, role, unit="Pengaduan" if role == staff.OFFICER else None)
    assert login(client, username, password).status_code == 303
    return client


def test_outage_retries_with_backoff_then_staff_requeue_delivers_once(office, monkeypatch) -> None:
    url, rasa = office
    _at(monkeypatch, T0)
    with session_scope(url) as session:
        enqueue(session, SENDER, "officer_reply", "Balasan petugas: berkas Bapak/Ibu sudah lengkap.")
    rasa.failing = True
    moment, waits = T0, []
    with httpx.Client() as client:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert deliver_due(client) == 0
            message = _message(url)
            assert message.attempts == attempt and rasa.refused == attempt
            assert "503" in (message.last_error or "") and "6281234567890" not in (message.last_error or "")
            if attempt == MAX_ATTEMPTS:
                break
            wait = message.not_before.replace(tzinfo=dt.timezone.utc) - dt.datetime.fromisoformat(
                moment.isoformat()).replace(tzinfo=staff_tz()).astimezone(dt.timezone.utc)
            waits.append(wait.total_seconds())
            _at(monkeypatch, moment + wait - dt.timedelta(seconds=1))  # just before the backoff ends: no try
            assert deliver_due(client) == 0 and rasa.refused == attempt
            moment += wait
            _at(monkeypatch, moment)
        assert waits == [30 * 2 ** n for n in range(MAX_ATTEMPTS - 1)], "backoff must double from 30 s"
        assert _message(url).status == "failed"
        _at(monkeypatch, moment + dt.timedelta(days=1))  # a failed message is not retried by itself
        assert deliver_due(client) == 0 and rasa.refused == MAX_ATTEMPTS

    # staff see it: masked recipient, kind, attempts, the error; an officer may not open the page
    officer = _client(url, "petugas", staff.OFFICER)
    assert officer.get("/staff/outbox", follow_redirects=False).status_code == 403
    assert 'href="/staff/outbox"' not in officer.get("/staff").text
    supervisor = _client(url, "kepala", staff.SUPERVISOR)
    assert 'href="/staff/outbox"' in supervisor.get("/staff").text
    page = supervisor.get("/staff/outbox")
    assert page.status_code == 200
    assert "Balasan petugas" in page.text and "whatsapp:[NOMOR TELEPON]" in page.text
    assert "6281234567890" not in page.text and "503" in page.text and "Gagal" in page.text
    message_id = _message(url).id

    # "Kirim ulang" needs the CSRF token; without it nothing changes
    refused = supervisor.post(f"/staff/outbox/{message_id}/requeue", data={"csrf_token": "palsu"},
                              follow_redirects=False)
    assert refused.status_code == 403 and _message(url).status == "failed"
    done = supervisor.post(f"/staff/outbox/{message_id}/requeue", data={"csrf_token": csrf_from(page.text)})
    assert done.status_code == 200 and "dijadwalkan untuk dikirim ulang" in done.text
    message = _message(url)
    assert (message.status, message.attempts) == ("pending", 0)
    with session_scope(url) as session:
        [entry] = audit.recent(session, action="outbox_requeued")
        assert entry.actor == "kepala" and entry.target == f"outbox:{message_id}"
        assert "6281234567890" not in str(entry.detail)

    rasa.failing = False  # the provider is back
    with httpx.Client() as client:
        assert deliver_due(client) == 1
        assert deliver_due(client) == 0
    assert rasa.delivered == {SENDER: 1}
    assert _message(url).status == "sent"
    assert "Tidak ada pengiriman yang gagal" in supervisor.get("/staff/outbox").text
    # a sent message cannot be requeued (no second delivery), and the page says so politely
    again = supervisor.post(f"/staff/outbox/{message_id}/requeue", data={"csrf_token": csrf_from(page.text)})
    assert "tidak dapat dikirim ulang" in again.text and _message(url).status == "sent"


def test_long_pending_messages_are_listed_but_scheduled_ones_are_not(office, monkeypatch) -> None:
    url, _rasa = office
    _at(monkeypatch, T0)
    with session_scope(url) as session:
        enqueue(session, "telegram:111", "reminder", "Pengingat yang tertahan")  # due now, no worker runs
        enqueue(session, "telegram:222", "reminder", "Pengingat besok",
                not_before=T0.replace(tzinfo=staff_tz()) + dt.timedelta(days=1))
    _at(monkeypatch, T0 + dt.timedelta(minutes=45))
    page = _client(url, "admin", staff.ADMIN).get("/staff/outbox").text
    assert "telegram:111" in page and "Tertunda" in page
    assert "telegram:222" not in page


def staff_tz() -> dt.tzinfo:
    from office.clock import office_tz

    return office_tz()
