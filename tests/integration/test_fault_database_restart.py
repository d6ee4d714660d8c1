"""A database restart in the middle of real conversations, end to end on PostgreSQL.

Every process reaches PostgreSQL through a TCP proxy on 127.0.0.1 that the test controls
(tests/tcp_proxy.py): Rasa's tracker store, the action server, the worker and the back-office.
Cutting the proxy is what a restart looks like to them (open connections reset, new ones refused).
Meanwhile every citizen gets the polite "system problem, send it again" answer; nothing is half
written; when the proxy is back every process recovers by itself (no restart) and a booking made then
succeeds; the worker delivers what was enqueued during the outage. A second, shorter cut of the
office database alone shows the action server's own apology (actions/database_outage.py) while the
conversation itself is still stored.

Runs against the PostgreSQL at 127.0.0.1:5432 (TEST_POSTGRES_URL); skipped when it is unreachable,
except under CI=true where that is an error.
"""
from __future__ import annotations

import secrets
import uuid
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from office.booking.models import Booking
from office.db import migrate, session_scope
from office.outage import unavailable_text
from office.outbox import OutboxMessage, enqueue
from tests.conftest import TEST_NOW
from tests.fault_support import (Citizen, Stack, booking_code, booking_next, drive, finish, said, stack_env,
                                 wait_for)
from tests.pg import postgres_database
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

NAME, PHONE = "Budi Santoso", "081298765432"
QUESTION = "berapa biaya paspor elektronik?"


def _through(proxy: TcpProxy, url: str) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


@pytest.fixture()
def databases() -> Iterator[tuple[str, str]]:
    """Two throw-away PostgreSQL databases: the office's and Rasa's tracker store."""
    office, tracker = postgres_database(), postgres_database()
    office_url = next(office)
    try:
        yield office_url, next(tracker)
    finally:
        next(tracker, None)
        next(office, None)


@pytest.fixture()
def proxied(databases: tuple[str, str], tmp_path: Path, rasa_model: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stack, TcpProxy, TcpProxy]]:
    from office.kb.store import load_directory
    from office.settings import get_settings

    monkeypatch.delenv("OFFICE_NOW", raising=False)
    office_url, tracker_url = databases
    migrate(office_url)
    load_directory(get_settings().knowledge_dir, office_url)
    target = make_url(office_url)
    with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as office_proxy, \
            TcpProxy(target.host or "127.0.0.1", target.port or 5432) as tracker_proxy:
        env = stack_env(_through(office_proxy, office_url), _through(tracker_proxy, tracker_url), tmp_path)
        stack = Stack(env=env, model=rasa_model, workdir=tmp_path, token=secrets.token_hex(16))
        try:
            stack.start(TEST_NOW, backoffice=True)
            yield stack, office_proxy, tracker_proxy
        finally:
            stack.stop_all()


def _healthz(stack: Stack) -> int:
    return httpx.get(f"{stack.backoffice_url}/healthz", timeout=30).status_code


def _status(office_url: str, text: str) -> str:
    with session_scope(office_url) as session:
        return session.scalar(select(OutboxMessage.status).where(OutboxMessage.text == text)) or ""


def test_database_restart_is_answered_politely_and_recovered_without_restarts(
        proxied: tuple[Stack, TcpProxy, TcpProxy], databases: tuple[str, str]) -> None:
    stack, office_proxy, tracker_proxy = proxied
    office_url, tracker_url = databases  # direct, not through the proxy: what the test itself checks
    apology = unavailable_text("id")
    booker = Citizen(stack.rasa_url, f"web:db-book-{uuid.uuid4().hex[:8]}")
    asker = Citizen(stack.rasa_url, f"web:db-tanya-{uuid.uuid4().hex[:8]}")
    book = lambda reply: booking_next(reply, NAME, PHONE)  # noqa: E731
    pids = {name: proc.pid for name, proc in stack.procs.items()}

    assert said(asker.say(QUESTION)) != apology
    booker.say("saya mau booking jadwal kunjungan")
    drive(booker, book, "Atas nama")
    stored_before = booker.user_texts_in(stack.tracker(booker.sender))
    assert stored_before == booker.sent_masked()
    assert office_proxy.accepted and tracker_proxy.accepted, "the stack must reach PostgreSQL through the proxies"

    # the database "restarts": every connection is reset and new ones are refused
    office_proxy.cut()
    tracker_proxy.cut()
    assert said(booker.post(NAME)) == apology
    assert said(asker.post(QUESTION)) == apology
    relayed = "Pesan kantor: jadwal layanan Sabtu dibuka kembali."
    with session_scope(office_url) as session:  # the back-office queued it just before the restart
        enqueue(session, booker.sender, "officer_reply", relayed)
    wait_for(lambda: "worker pass failed" in stack.log_text("worker", tail=0), 30, "the worker to meet the outage")
    assert _healthz(stack) == 503
    assert _status(office_url, relayed) == "pending"

    # the database is back: no process is restarted, the next message simply works
    office_proxy.restore()
    tracker_proxy.restore()
    reply = booker.say(NAME)
    assert said(reply) != apology and "Nomor HP" in said(reply)
    code = booking_code(finish(booker, book))
    assert said(asker.say(QUESTION)) != apology
    assert _healthz(stack) == 200
    wait_for(lambda: _status(office_url, relayed) == "sent", 60, "the worker to deliver after the restart")

    tracker = stack.tracker(booker.sender)
    kept = booker.user_texts_in(tracker)
    assert kept[:len(stored_before)] == stored_before, "what was stored before the restart changed"
    # the message sent while the database was down could not be stored: the citizen was asked to resend it
    outage_turn = len(stored_before)
    assert kept == stored_before + booker.sent_masked()[outage_turn + 1:]
    assert sum(e.get("event") == "session_started" for e in tracker["events"]) == 1, "the conversation restarted"
    shown = [e.get("text") or "" for e in tracker["events"] if e.get("event") == "bot"]
    assert sum(relayed in s for s in shown) == 1
    with session_scope(office_url) as session:
        assert session.scalars(select(Booking.code).where(Booking.sender_id == booker.sender)).all() == [code]
        assert session.scalar(select(func.count()).select_from(Booking)) == 1

    # the office database alone goes away: the action server apologises, Rasa still stores the conversation
    office_proxy.cut()
    check = f"tolong cek booking saya {code}"
    assert said(booker.post(check)) == apology
    assert booker.user_texts_in(stack.tracker(booker.sender))[-1] == booker.sent_masked()[-1]
    office_proxy.restore()
    assert "Status: aktif" in said(booker.post(check))

    assert {name: proc.pid for name, proc in stack.procs.items()} == pids
    assert all(stack.alive(name) for name in pids), {name: stack.log_text(name) for name in pids}

