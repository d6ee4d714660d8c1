"""The action server killed (SIGKILL) in the middle of real conversations, with the real Rasa server.

Citizens are half-way through a booking and a complaint when the action server dies. What they send
meanwhile gets the polite "system problem, send it again" answer instead of Rasa's silence, stays in
the tracker store, and leaves the form where it was (channels/outage.py). After a restart the same
conversations finish with exactly one booking and one ticket, and the office messages enqueued around
the kill (which the worker delivers through Rasa, which needs the action server) reach each
conversation exactly once.
"""
from __future__ import annotations

import secrets
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import func, select

from office.booking.models import Booking
from office.complaints.models import Ticket
from office.db import migrate, session_scope
from office.outage import unavailable_text
from office.outbox import OutboxMessage, enqueue
from tests.conftest import TEST_NOW
from tests.fault_support import (Citizen, Stack, booking_code, booking_next, complaint_next, drive, finish, kill,
                                 said, stack_env, ticket_code, wait_for)

pytestmark = pytest.mark.integration

NAME, PHONE = "Siti Aminah", "081234567890"
COMPLAINT = "Antrean di loket foto lama sekali, sudah dua jam belum dipanggil"


@pytest.fixture()
def stack(tmp_path: Path, rasa_model: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    from office.kb.store import load_directory
    from office.settings import get_settings

    monkeypatch.delenv("OFFICE_NOW", raising=False)  # outbox times in this process are real, as the worker's
    office_url = f"sqlite:///{tmp_path / 'office.db'}"
    migrate(office_url)
    load_directory(get_settings().knowledge_dir, office_url)
    env = stack_env(office_url, f"sqlite:///{tmp_path / 'tracker.db'}", tmp_path)
    stack = Stack(env=env, model=rasa_model, workdir=tmp_path, token=secrets.token_hex(16))
    try:
        stack.start(TEST_NOW)
        yield stack
    finally:
        stack.stop_all()


def _outbox(url: str, sender: str, text: str) -> None:
    with session_scope(url) as session:
        enqueue(session, sender, "officer_reply", text)


def _not_sent(url: str) -> list[tuple[str, int, str]]:
    with session_scope(url) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.status != "sent")).all()
        return [(m.status, m.attempts, m.last_error or "") for m in rows]


def test_killed_action_server_loses_nothing_and_conversations_finish_once(stack: Stack) -> None:
    office_url = stack.env["DATABASE_URL"]
    apology = unavailable_text("id")
    booker = Citizen(stack.rasa_url, f"web:fault-book-{uuid.uuid4().hex[:8]}")
    complainer = Citizen(stack.rasa_url, f"web:fault-adu-{uuid.uuid4().hex[:8]}")
    visitor = Citizen(stack.rasa_url, f"web:fault-tanya-{uuid.uuid4().hex[:8]}")
    book = lambda reply: booking_next(reply, NAME, PHONE)  # noqa: E731
    complain = lambda reply: complaint_next(reply, COMPLAINT)  # noqa: E731

    # both citizens are in the middle of a form
    booker.say("saya mau booking jadwal kunjungan")
    drive(booker, book, "Atas nama")
    complainer.say("saya mau mengadu")
    complainer.say(complaint_next(complainer.last, COMPLAINT))  # "Setuju": consent before the description
    reply = complainer.say(COMPLAINT)
    assert complaint_next(reply, COMPLAINT) is not None  # still in the form (category question)

    # office messages just before the kill, the action server dies, more office messages right after
    office_texts = {booker.sender: [f"Pesan kantor {n} untuk pemohon booking" for n in range(3)],
                    complainer.sender: [f"Pesan kantor {n} untuk pelapor" for n in range(3)]}
    for sender, texts_ in office_texts.items():
        _outbox(office_url, sender, texts_[0])
    kill(stack.procs["actions"])
    for sender, texts_ in office_texts.items():
        for text in texts_[1:]:
            _outbox(office_url, sender, text)

    # meanwhile: every message gets the apology, is stored, and moves no form forward
    name_step = book(booker.last)
    category_step = complain(complainer.last)
    assert said(booker.say(name_step)) == apology
    assert said(complainer.say(category_step)) == apology
    assert said(visitor.say("berapa biaya paspor elektronik?")) == apology
    waiting = booker.say(name_step)  # sent again too early: still the same polite answer
    assert said(waiting) == apology and not waiting[0].get("buttons")
    tracker = stack.tracker(booker.sender)
    assert booker.user_texts_in(tracker) == booker.sent_masked(), "a message sent during the outage was lost"
    assert tracker["active_loop"].get("name") == "booking_form" and tracker["slots"].get("booking_name") is None
    assert complainer.user_texts_in(stack.tracker(complainer.sender)) == complainer.sent_masked()
    # the worker's deliveries failed (Rasa's trigger_intent answers 500 now, not a silent 200) and wait for a retry
    wait_for(lambda: sum(1 for status, attempts, _e in _not_sent(office_url) if attempts >= 1) >= 4,
             60, "the worker to fail the deliveries made while the action server was down")
    assert all("500" in error for _s, attempts, error in _not_sent(office_url) if attempts)

    # the action server comes back on the same port; the conversations continue where they were
    stack.restart_actions(TEST_NOW)
    reply = booker.say(name_step)
    assert said(reply) != apology and "Nomor HP" in said(reply)
    code = booking_code(finish(booker, book))
    reply = complainer.say(category_step)
    assert said(reply) != apology
    ticket = ticket_code(finish(complainer, complain))
    assert said(visitor.say("berapa biaya paspor elektronik?")) != apology

    with session_scope(office_url) as session:
        assert session.scalars(select(Booking.code).where(Booking.sender_id == booker.sender)).all() == [code]
        assert session.scalars(select(Ticket.code).where(Ticket.sender_id == complainer.sender)).all() == [ticket]
        assert session.scalar(select(func.count()).select_from(Booking)) == 1
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1

    # every office message reaches its conversation exactly once (the worker's backoff is 30 s)
    wait_for(lambda: not _not_sent(office_url), 120, "the worker to deliver the office messages after the restart",
             every=1.0)
    for citizen in (booker, complainer, visitor):
        tracker = stack.tracker(citizen.sender)
        assert citizen.user_texts_in(tracker) == citizen.sent_masked(), f"{citizen.sender}: a message was lost"
        shown = [e.get("text") or "" for e in tracker["events"] if e.get("event") == "bot"]
        for text in office_texts.get(citizen.sender, []):
            assert sum(text in s for s in shown) == 1, f"{text!r} shown {sum(text in s for s in shown)} times"
        assert sum(code in s and "Booking berhasil" in s for s in shown) == (citizen is booker)
    assert stack.alive("rasa") and stack.alive("worker"), stack.log_text("rasa")
