"""Two Rasa replicas behind one Redis lock store: no message of a conversation is lost, doubled or reordered.

The production topology as processes on 127.0.0.1: two `rasa run` servers with the same model, the same
SQL tracker store (PostgreSQL when reachable, else SQLite) and bot/endpoints-replicas.yml, i.e. the
atomic lock store of bot/lock_store.py on the Redis at 127.0.0.1:6379 (a key prefix unique to this
run), and the session's real action server. Messages go to the REST webhook as a load balancer would
spread them: alternating replicas, many conversations at once.
"""
from __future__ import annotations

import asyncio
import itertools
import subprocess
import uuid
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import redis

from tests.pg import postgres_database
from tests.redis_support import redis_with_prefix
from tests.servers import ROOT, base_env, free_port, start, stop, wait_http

PHRASES = ["halo", "jam berapa kantor buka?", "terima kasih", "sampai jumpa"]


@pytest.fixture(scope="module")
def tracker_store_url(session_dir: Path) -> Iterator[str]:
    """The replicas' shared tracker store: a fresh PostgreSQL database, or a SQLite file without one
    (PostgreSQL is required under CI=true, see tests/pg.py)."""
    databases = postgres_database()
    try:
        url = next(databases)
    except pytest.skip.Exception:
        yield f"sqlite:///{session_dir / f'replicas-{uuid.uuid4().hex[:6]}.db'}"
        return
    yield url
    next(databases, None)


@pytest.fixture(scope="module")
def lock_redis() -> Iterator[tuple[str, str]]:
    yield from redis_with_prefix()


@pytest.fixture(scope="module")
def replicas(office_env: dict[str, str], action_server: str, rasa_model: Path, session_dir: Path,
             tracker_store_url: str, lock_redis: tuple[str, str]) -> Iterator[list[str]]:
    """Start both replicas at once (Rasa loads for ~30-60 s) and yield their URLs."""
    redis_url, prefix = lock_redis
    procs: list[tuple[subprocess.Popen, Path, str]] = []
    try:
        for n in range(2):
            port = free_port()
            env = base_env({**office_env, "ACTION_ENDPOINT_URL": action_server, "TRACKER_STORE_URL": tracker_store_url,
                            "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix})
            log = session_dir / f"rasa-replica-{n}.log"
            proc = start([str(ROOT / ".venv-rasa/bin/rasa"), "run", "--model", str(rasa_model), "--enable-api",
                          "--auth-token", office_env["RASA_TOKEN"], "--endpoints", "bot/endpoints-replicas.yml",
                          "--credentials", "bot/credentials.yml", "--port", str(port), "--interface", "127.0.0.1"],
                         env, log)
            procs.append((proc, log, f"http://127.0.0.1:{port}"))
        for proc, log, url in procs:
            wait_http(f"{url}/status?token={office_env['RASA_TOKEN']}", proc, log, timeout=300,
                      ok=lambda r: r.status_code == 200 and bool(r.json().get("model_file")))
        yield [url for _proc, _log, url in procs]
    finally:
        for proc, _log, _url in procs:
            stop(proc)


async def _send(client: httpx.AsyncClient, url: str, sender: str, text: str, seq: int) -> str:
    """The bot's answer to one message, as text (the REST channel splits a text at blank lines)."""
    response = await client.post(f"{url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text, "metadata": {"seq": seq}})
    response.raise_for_status()
    return "\n\n".join(m["text"] for m in response.json() if m.get("text"))


def _turns(events: list[dict]) -> list[tuple[int, str, str]]:
    """(seq, user text, bot texts until the next user message) for each user message of a tracker."""
    turns: list[tuple[int, str, list[str]]] = []
    for event in events:
        if event.get("event") == "user":
            turns.append(((event.get("metadata") or {}).get("seq", -1), event.get("text"), []))
        elif event.get("event") == "bot" and turns and event.get("text"):
            turns[-1][2].append(event["text"].strip())
    return [(seq, text, "\n\n".join(bots)) for seq, text, bots in turns]


def _tracker(url: str, token: str, sender: str) -> list[dict]:
    response = httpx.get(f"{url}/conversations/{sender}/tracker", params={"token": token}, timeout=30)
    response.raise_for_status()
    return response.json()["events"]


def test_interleaved_conversations_keep_every_message_once_and_in_order(replicas: list[str], office_env: dict[str, str],
                                                                         lock_redis: tuple[str, str]) -> None:
    """10 conversations x 8 messages: each conversation's messages in sequence, alternating replicas,
    all conversations at the same time."""
    run = uuid.uuid4().hex[:8]
    senders = [f"replica-{run}-{c}" for c in range(10)]
    replies: dict[str, list[str]] = {s: [] for s in senders}

    async def conversation(client: httpx.AsyncClient, c: int, sender: str) -> None:
        for seq in range(8):
            url = replicas[(c + seq) % 2]
            replies[sender].append(await _send(client, url, sender, PHRASES[seq % len(PHRASES)], seq))

    async def main() -> None:
        async with httpx.AsyncClient(timeout=120) as client:
            await asyncio.gather(*(conversation(client, c, s) for c, s in enumerate(senders)))

    asyncio.run(main())
    for c, sender in enumerate(senders):
        turns = _turns(_tracker(replicas[c % 2], office_env["RASA_TOKEN"], sender))
        assert [(seq, text) for seq, text, _bots in turns] == [(n, PHRASES[n % len(PHRASES)]) for n in range(8)]
        assert [bots for _seq, _text, bots in turns] == replies[sender], f"{sender}: replies do not match the tracker"
        assert all(replies[sender]), f"{sender}: a message got no answer"
    # the replicas really locked through Redis: one ticket per message, and no lock left behind
    client = redis.Redis.from_url(lock_redis[0])
    prefix = f"{lock_redis[1]}:lock:"
    assert [int(client.get(f"{prefix}{s}:counter") or 0) for s in senders] == [8] * len(senders)
    assert not any(client.exists(f"{prefix}{s}:queue") for s in senders)


def test_concurrent_messages_of_one_conversation_on_both_replicas(replicas: list[str],
                                                                  office_env: dict[str, str]) -> None:
    """The stress case the lock exists for: the same conversation receives 6 messages at once, 3 on each
    replica. Their order is whoever gets the lock first, but each is processed exactly once, as a whole
    turn: its bot replies follow it before the next message starts."""
    run = uuid.uuid4().hex[:8]
    senders = [f"burst-{run}-{c}" for c in range(4)]
    replies: dict[tuple[str, int], str] = {}

    async def one(client: httpx.AsyncClient, sender: str, seq: int) -> None:
        replies[(sender, seq)] = await _send(client, replicas[seq % 2], sender, PHRASES[seq % len(PHRASES)], seq)

    async def main() -> None:
        async with httpx.AsyncClient(timeout=120) as client:
            await asyncio.gather(*(one(client, s, seq) for s, seq in itertools.product(senders, range(6))))

    asyncio.run(main())
    for sender in senders:
        turns = _turns(_tracker(replicas[0], office_env["RASA_TOKEN"], sender))
        assert sorted(seq for seq, _text, _bots in turns) == list(range(6)), f"{sender}: lost or doubled: {turns}"
        for seq, text, bots in turns:
            assert text == PHRASES[seq % len(PHRASES)]
            assert bots and bots == replies[(sender, seq)], f"{sender} #{seq}: turn mixed with another: {turns}"
