"""Opting in and out of announcements, talking to the real Rasa and action servers (REST channel):
twice changes nothing, a non-subscriber is answered politely, "batal" outside a form still only
cancels, a bare "berhenti" from a subscriber opts out, "berhenti langganan" inside a form opts out
and the form goes on, "berhenti" inside a form only ends the form, and an announcement arriving
during a form is shown without breaking the form."""
from __future__ import annotations

import uuid

import httpx
import pytest

from office.db import session_scope
from office.outbox import OutboxMessage, enqueue
from office.outreach import subscriptions as subs
from tests.conftest import texts
from worker.delivery import deliver_due

pytestmark = pytest.mark.integration


def _sender(prefix: str = "web") -> str:
    return f"{prefix}:{uuid.uuid4().hex[:12]}"


def _subscribed(sender: str) -> bool:
    with session_scope() as db:
        return subs.is_subscribed(db, sender)


def test_opt_in_twice_then_out_twice(chat) -> None:
    sender = _sender()
    body = texts(chat(sender, "langganan info"))
    assert "sekarang berlangganan pengumuman" in body and 'ketik "berhenti langganan"' in body.lower(), body
    assert _subscribed(sender)
    with session_scope() as db:
        row = subs.find(db, sender)
        assert (row.channel, row.language) == ("web", "id")
    body = texts(chat(sender, "saya mau langganan info"))
    assert "sudah berlangganan" in body and "tidak ada yang perlu diubah" in body, body
    body = texts(chat(sender, "berhenti langganan"))
    assert "sudah berhenti berlangganan" in body and "langganan info" in body, body
    assert not _subscribed(sender)
    body = texts(chat(sender, "stop info"))
    assert "tidak sedang berlangganan" in body, body


def test_english(chat) -> None:
    sender = _sender()
    body = texts(chat(sender, "I want to subscribe to updates"))
    assert "you are now subscribed" in body.lower() and "unsubscribe" in body, body
    with session_scope() as db:
        assert subs.find(db, sender).language == "en"
    body = texts(chat(sender, "unsubscribe"))
    assert "you have unsubscribed" in body.lower(), body


def test_non_subscriber_saying_stop_changes_nothing(chat) -> None:
    sender = _sender()
    body = texts(chat(sender, "berhenti langganan"))
    assert "tidak sedang berlangganan" in body, body
    body = texts(chat(sender, "berhenti"))  # a bare stop word from a non-subscriber: the usual cancel
    assert "sudah dibatalkan" in body, body
    with session_scope() as db:
        assert subs.find(db, sender) is None


def test_batal_outside_a_form_keeps_the_subscription_berhenti_ends_it(chat) -> None:
    sender = _sender()
    chat(sender, "langganan info")
    body = texts(chat(sender, "batal"))
    assert "sudah dibatalkan" in body and _subscribed(sender), body
    body = texts(chat(sender, "berhenti"))
    assert "sudah berhenti berlangganan" in body and not _subscribed(sender), body


def test_opt_out_inside_a_form_and_the_form_goes_on(chat) -> None:
    sender = _sender()
    chat(sender, "langganan info")
    body = texts(chat(sender, "saya mau booking jadwal kunjungan"))
    assert "Layanan apa" in body, body
    body = texts(chat(sender, "berhenti langganan"))
    assert "sudah berhenti berlangganan" in body and "Layanan apa" in body, body
    assert not _subscribed(sender)
    body = texts(chat(sender, "BAP"))
    assert "Tanggal berapa" in body or "tanggal" in body.lower(), body  # the form took the next answer
    chat(sender, "langganan info")  # inside the form: taken as an answer, not an opt-in (the form asks again)
    body = texts(chat(sender, "berhenti"))  # ends the form only
    assert "dibatalkan" in body.lower(), body
    assert not _subscribed(sender)


def test_berhenti_in_a_form_cancels_the_form_and_keeps_the_subscription(chat) -> None:
    sender = _sender()
    chat(sender, "langganan info")
    chat(sender, "saya mau booking jadwal kunjungan")
    body = texts(chat(sender, "berhenti"))
    assert "dibatalkan" in body.lower(), body
    assert _subscribed(sender)


def _bot_texts(rasa_server: str, token: str, sender: str) -> list[str]:
    tracker = httpx.get(f"{rasa_server}/conversations/{sender}/tracker", params={"token": token}, timeout=30).json()
    return [e.get("text") or "" for e in tracker["events"] if e.get("event") == "bot"]


def test_an_announcement_during_a_form_does_not_break_it(chat, rasa_server: str, office_env: dict[str, str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_URL", rasa_server)
    sender = _sender()
    chat(sender, "langganan info")
    assert "Layanan apa" in texts(chat(sender, "saya mau booking jadwal kunjungan"))
    text = "📢 Kuota paspor dibuka\n\nKuota tambahan dibuka hari Sabtu.\n\nKetik \"berhenti langganan\" kapan saja."
    with session_scope() as db:
        enqueue(db, sender, "announcement", text)
    with httpx.Client() as client:
        deliver_due(client, limit=100)
    with session_scope() as db:
        assert db.query(OutboxMessage).filter_by(sender_id=sender).one().status == "sent"
    shown = _bot_texts(rasa_server, office_env["RASA_TOKEN"], sender)
    index = shown.index(text)
    assert any("Layanan apa" in t for t in shown[index + 1:]), shown[index:]  # the form asks again
    body = texts(chat(sender, "BAP"))
    assert "tanggal" in body.lower(), body  # and takes the next answer as before
