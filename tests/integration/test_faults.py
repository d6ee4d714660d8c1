"""Processes killed with SIGKILL in the middle of their work lose nothing: the worker (every outbox
message reaches the citizen exactly once after a restart) and the back-office (every web-chat message
answered 200 reached the assistant). Each test starts its own processes on 127.0.0.1, since it kills them."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from office.db import migrate, session_scope
from office.outbox import OutboxMessage, enqueue
from tests.backoffice_support import FakeRasa
from tests.fakes.outbox_rasa import OutboxRasa
from tests.servers import ROOT, base_env, free_port, start, wait_http

MESSAGES = 40


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture()
def office_db(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    migrate(url)
    yield url


def _left(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.status != "sent")) or 0


def test_killed_worker_delivers_every_message_exactly_once_after_restart(office_db: str, tmp_path: Path) -> None:
    with session_scope(office_db) as session:
        for n in range(MESSAGES):
            enqueue(session, f"telegram:{1000 + n}", "officer_reply", f"Balasan petugas nomor {n}")
    with OutboxRasa(delay=0.05) as rasa:
        env = base_env({"DATABASE_URL": office_db, "RASA_URL": rasa.url, "RASA_TOKEN": "",
                        "OUTBOX_CLAIM_LEASE_SECONDS": "2"})
        env.pop("OFFICE_NOW", None)  # leases run on the real clock
        cmd = [str(ROOT / ".venv/bin/python"), "-m", "worker"]
        worker = start(cmd, env, tmp_path / "worker1.log")
        deadline = time.monotonic() + 30
        while rasa.accepted < 5 and time.monotonic() < deadline:  # mid-batch: some sent, most still claimed
            time.sleep(0.02)
        _kill(worker)
        at_kill = rasa.accepted
        assert 0 < at_kill < MESSAGES, "the worker must be killed in the middle of its batch"
        with session_scope(office_db) as session:
            stranded = session.scalar(select(func.count()).select_from(OutboxMessage)
                                      .where(OutboxMessage.status == "sending"))
        assert stranded > 0, "the killed worker left claimed messages behind"
        worker = start(cmd, env, tmp_path / "worker2.log")
        try:
            deadline = time.monotonic() + 60
            while _left(office_db) and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            _kill(worker)
        assert _left(office_db) == 0, (tmp_path / "worker2.log").read_text()[-3000:]
        assert sorted(rasa.delivered) == sorted(f"telegram:{1000 + n}" for n in range(MESSAGES))
        assert set(rasa.delivered.values()) == {1}, "a citizen saw an office message twice"
        assert rasa.accepted <= MESSAGES + 1  # at most the one in flight at the kill was resent (and not shown)


def _start_backoffice(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    proc = start([str(ROOT / ".venv/bin/uvicorn"), "backoffice.app:app", "--host", "127.0.0.1",
                  "--port", str(port)], env, log)
    wait_http(f"http://127.0.0.1:{port}/healthz", proc, log, timeout=60, ok=lambda r: r.status_code == 200)
    return proc


def test_killed_backoffice_loses_no_accepted_web_chat_message(office_db: str, tmp_path: Path) -> None:
    with FakeRasa() as rasa:
        port = free_port()
        env = base_env({"DATABASE_URL": office_db, "RASA_URL": rasa.url, "RASA_TOKEN": "",
                        "SECRET_KEY": secrets.token_urlsafe(32)})
        base = f"http://127.0.0.1:{port}"
        proc = _start_backoffice(env, port, tmp_path / "bo1.log")
        accepted: list[tuple[str, str]] = []
        refused: list[str] = []
        restarted = threading.Event()

        def citizen(n: int) -> None:
            with httpx.Client(base_url=base, timeout=10) as client:
                token = client.post("/chat/session").json()["token"]
                for k in range(12):
                    text = f"pesan {k} dari warga {n}"
                    try:
                        response = client.post("/chat/send", json={"message": text, "after": 0},
                                               headers={"X-Chat-Token": token})
                    except httpx.HTTPError:
                        refused.append(text)  # the citizen's widget shows an error and keeps the text
                        restarted.wait(30)
                        continue
                    if response.status_code == 200:
                        accepted.append((token, text))
                    else:
                        refused.append(text)
                    time.sleep(0.05)

        threads = [threading.Thread(target=citizen, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        while len(accepted) < 10:
            time.sleep(0.01)
        _kill(proc)
        proc = _start_backoffice(env, port, tmp_path / "bo2.log")
        restarted.set()
        try:
            for thread in threads:
                thread.join(timeout=60)
        finally:
            _kill(proc)
        received = {(m["body"].get("sender"), m["body"].get("message")) for m in rasa.requests
                    if m["path"] == "/webhooks/rest/webhook"}
        received_texts = {text for _sender, text in received}
        assert len(accepted) > 10 and len(accepted) + len(refused) == 4 * 12
        lost = [text for _token, text in accepted if text not in received_texts]
        assert not lost, f"accepted with 200 but never reached the assistant: {lost}"
