"""A message the office sends first goes from the outbox, through the worker and Rasa, into the conversation."""
from __future__ import annotations

import uuid

import httpx
import pytest

from office import clock
from office.db import session_scope
from office.outbox import OutboxMessage, enqueue
from worker.delivery import deliver, deliver_due


def _bot_texts(rasa_server: str, token: str, sender: str) -> list[str]:
    tracker = httpx.get(f"{rasa_server}/conversations/{sender}/tracker", params={"token": token}, timeout=30).json()
    return [e.get("text") for e in tracker["events"] if e.get("event") == "bot"]


def test_worker_delivers_an_office_message(chat, rasa_server: str, office_env: dict[str, str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_URL", rasa_server)
    sender = f"web:{uuid.uuid4().hex[:12]}"
    chat(sender, "halo")
    text = "Balasan petugas: berkas Bapak/Ibu sudah kami terima."
    with session_scope() as session:
        enqueue(session, sender, "officer_reply", text)
    with httpx.Client() as client:
        deliver_due(client, limit=100)
    assert text in _bot_texts(rasa_server, office_env["RASA_TOKEN"], sender)
    with session_scope() as session:
        message = session.query(OutboxMessage).filter_by(sender_id=sender).one()
        assert message.status == "sent" and message.attempts == 0


def test_rasa_down_keeps_the_message_for_a_retry(office_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:9")  # nothing listens there
    sender = f"web:{uuid.uuid4().hex[:12]}"
    with session_scope() as session:
        enqueue(session, sender, "reminder", "Pengingat kunjungan besok.")
    with httpx.Client() as client:
        deliver_due(client, limit=100)
    with session_scope() as session:
        message = session.query(OutboxMessage).filter_by(sender_id=sender).one()
        assert message.status == "pending" and message.attempts == 1 and message.last_error
        assert clock.to_utc(message.not_before) > clock.utc_now()


def test_a_message_delivered_twice_is_shown_once(chat, rasa_server: str, office_env: dict[str, str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that dies after Rasa accepted a message but before recording it leaves the claim to run out;
    the next worker sends it again. The relay action recognises the outbox id and shows it only once."""
    monkeypatch.setenv("RASA_URL", rasa_server)
    sender = f"web:{uuid.uuid4().hex[:12]}"
    chat(sender, "halo")
    text = "Pengingat: kunjungan Bapak/Ibu besok pukul 09.00 WIB."
    with session_scope() as session:
        message = enqueue(session, sender, "reminder", text)
        session.flush()
        message_id = message.id
    with httpx.Client() as client, session_scope() as session:
        message = session.get(OutboxMessage, message_id)
        deliver(message, client)
        deliver(message, client)  # the same row again, as after a crashed worker's lease ran out
    assert _bot_texts(rasa_server, office_env["RASA_TOKEN"], sender).count(text) == 1
