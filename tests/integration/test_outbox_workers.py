"""Several workers share one outbox: each message is claimed and delivered exactly once, on SQLite and
PostgreSQL, and a claim left by a dead worker is retried by another after its lease."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from office import clock
from office.db import migrate, session_scope
from office.outbox import OutboxMessage, claim_due, enqueue, finish_claim
from tests.backoffice_support import FakeRasa
from tests.pg import postgres_database
from tests.servers import ROOT, base_env
from worker.delivery import deliver_due

WORKERS = 4
MESSAGES = 200
# One worker process: delivery passes until the outbox has nothing pending or being sent.
WORKER_LOOP = """
import httpx, time
from sqlalchemy import func, select
from office.db import session_scope
from office.outbox import OutboxMessage
from worker.delivery import deliver_due
with httpx.Client() as client:
    while True:
        deliver_due(client, limit=10)
        with session_scope() as s:
            left = s.scalar(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.status.in_(["pending", "sending"])))
        if not left:
            break
        time.sleep(0.01)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'office.db'}"
        migrate(url)
        monkeypatch.setenv("DATABASE_URL", url)
        yield url
        return
    databases = postgres_database()
    url = next(databases)
    migrate(url)
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    next(databases, None)


@pytest.fixture()
def rasa(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRasa]:
    with FakeRasa() as fake:
        monkeypatch.setenv("RASA_URL", fake.url)
        monkeypatch.setenv("RASA_TOKEN", "")
        yield fake


def _delivered(rasa: FakeRasa) -> Counter[str]:
    return Counter(r["path"].split("/")[2] for r in rasa.requests if r["path"].split("?")[0].endswith("/trigger_intent"))


def test_four_worker_processes_deliver_each_message_exactly_once(database_url: str, rasa: FakeRasa) -> None:
    with session_scope(database_url) as session:
        for n in range(MESSAGES):
            enqueue(session, f"web:m{n:03d}", "officer_reply", f"Balasan petugas nomor {n}")
    env = base_env({"DATABASE_URL": database_url, "RASA_URL": rasa.url, "RASA_TOKEN": ""})
    started = time.monotonic()
    workers = [subprocess.Popen([sys.executable, "-c", WORKER_LOOP], cwd=ROOT, env=env, stderr=subprocess.PIPE,
                                text=True) for _ in range(WORKERS)]
    for proc in workers:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
    delivered = _delivered(rasa)
    assert sorted(delivered) == [f"web:m{n:03d}" for n in range(MESSAGES)], "a message was never delivered"
    assert set(delivered.values()) == {1}, f"delivered twice: {[s for s, c in delivered.items() if c > 1]}"
    with session_scope(database_url) as session:
        statuses = Counter(session.scalars(select(OutboxMessage.status)).all())
        assert statuses == {"sent": MESSAGES}
        assert session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.claimed_by.is_not(None))) == 0
    print(f"{WORKERS} workers, {MESSAGES} messages: {time.monotonic() - started:.2f} s")


def test_a_dead_workers_claim_is_retried_after_its_lease(database_url: str, rasa: FakeRasa) -> None:
    with session_scope(database_url) as session:
        enqueue(session, "web:orphan", "officer_reply", "Balasan yang tertinggal")
    with session_scope(database_url) as session:  # a worker claims it, then dies before sending
        [dead] = claim_due(session, clock.now(), "dead-worker", lease=dt.timedelta(seconds=60))
    with httpx.Client() as client:
        assert deliver_due(client) == 0  # the lease still runs: nobody else touches it
        assert _delivered(rasa) == Counter()
        with session_scope(database_url) as session:  # the lease has run out
            session.get(OutboxMessage, dead.id).claimed_until = clock.utc_now() - dt.timedelta(seconds=1)
        assert deliver_due(client) == 1
    assert _delivered(rasa) == Counter({"web:orphan": 1})
    with session_scope(database_url) as session:
        # the dead worker coming back cannot overwrite the outcome of the claim that replaced its own
        assert finish_claim(session, dead.id, dead.claimed_by or "", "timeout", clock.now()) is False
    with session_scope(database_url) as session:
        message = session.get(OutboxMessage, dead.id)
        assert (message.status, message.attempts, message.claimed_by) == ("sent", 0, None)


def test_a_failed_delivery_returns_the_message_to_the_queue(database_url: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:9")  # nothing listens there
    with session_scope(database_url) as session:
        enqueue(session, "web:later", "reminder", "Pengingat kunjungan")
    with httpx.Client() as client:
        assert deliver_due(client) == 0
    with session_scope(database_url) as session:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.sender_id == "web:later")).one()
        assert (message.status, message.attempts, message.claimed_by) == ("pending", 1, None)
        assert clock.to_utc(message.not_before) > clock.utc_now()


def test_staff_notifications_are_sent_once_by_concurrent_workers(database_url: str, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """worker/complaint_jobs.py claims each staff alert before sending it: four workers at once, one e-mail each."""
    from office.complaints.models import StaffNotification
    from office.complaints.service import file_ticket
    from tests.fakes.smtp import FakeSMTP
    from worker.complaint_jobs import send_notifications

    monkeypatch.delenv("OFFICE_NOW", raising=False)
    routing = tmp_path / "routing.yml"  # every unit gets an e-mail address
    routing.write_text((ROOT / "office/complaints/routing.yml").read_text(encoding="utf-8")
                       .replace('email: ""', 'email: "unit@kanim.test"'), encoding="utf-8")
    monkeypatch.setenv("COMPLAINTS_ROUTING", str(routing))
    with FakeSMTP() as smtp:
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(smtp.port))
        for n in range(12):
            with session_scope(database_url) as session:
                file_ticket(session, description=f"antrean nomor {n} kacau sekali", sender_id=f"telegram:{n}")
        start = threading.Barrier(WORKERS)

        def worker() -> None:
            start.wait()
            with httpx.Client() as client:
                for _ in range(3):
                    send_notifications(client, limit=5)

        threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        with session_scope(database_url) as session:
            notes = session.scalars(select(StaffNotification)).all()
        assert len(notes) >= 12 and {n.status for n in notes} == {"sent"}
        assert len(smtp.messages) == len(notes), "a staff alert was e-mailed twice or not at all"
