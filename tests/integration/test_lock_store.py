"""The conversation lock store for several Rasa replicas (bot/lock_store.py), on a real Redis.

The store runs inside Rasa's Python 3.10 environment, so each case runs tests/integration/lock_store_probe.py
there as separate processes (separate processes = separate replicas) and judges what it reports.
"""
from __future__ import annotations

import json
import subprocess
from collections import Counter
from typing import Iterator

import pytest
import redis

from tests.redis_support import redis_with_prefix
from tests.servers import ROOT, base_env

PROBE = ["tests/integration/lock_store_probe.py"]
RASA_PYTHON = str(ROOT / ".venv-rasa/bin/python")


@pytest.fixture()
def red() -> Iterator[tuple[str, str]]:
    yield from redis_with_prefix()


def probe(mode: str, url: str, prefix: str, *args: str) -> dict:
    done = subprocess.run([RASA_PYTHON, *PROBE, mode, url, prefix, *args], cwd=ROOT, env=base_env({}),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def spawn(mode: str, url: str, prefix: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([RASA_PYTHON, *PROBE, mode, url, prefix, *args], cwd=ROOT, env=base_env({}),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_rasa_redis_lock_store_gives_two_replicas_the_same_ticket(red: tuple[str, str]) -> None:
    """Why this store exists: Rasa's RedisLockStore reads, changes and writes back the queue, so two
    replicas that read before either writes both hold ticket 0 at once."""
    outcome = probe("rasa-race", *red)
    assert outcome == {"tickets": [0, 0], "both_hold": True}


def test_two_processes_never_hold_the_same_conversation_at_once(red: tuple[str, str]) -> None:
    url, prefix = red
    processes = [spawn("hammer", url, prefix, "4", "3", "15") for _ in range(2)]
    for proc in processes:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
    client = redis.Redis.from_url(url)
    inside = Counter(int(v) for v in client.lrange(f"{prefix}:inside-log", 0, -1))
    assert inside == Counter({1: 2 * 4 * 15}), "someone entered a conversation another process held"
    # every read-modify-write survived: 2 processes x 4 tasks x 15 rounds over 3 conversations
    assert [int(client.get(f"{prefix}:count:conv{c}")) for c in range(3)] == [40, 40, 40]
    assert [k for k in client.scan_iter(f"{prefix}:lock:*") if not k.endswith(b":counter")] == []


def test_waiting_messages_are_served_in_the_order_they_came(red: tuple[str, str]) -> None:
    assert probe("fifo", *red) == {"served": list(range(12)), "left": False}


def test_only_the_owner_releases_the_lock(red: tuple[str, str]) -> None:
    assert probe("not-owner", *red) == {"still_held": True, "left": False}


def test_a_crashed_replica_blocks_its_conversation_only_until_the_lease_ends(red: tuple[str, str]) -> None:
    url, prefix = red
    crashed = spawn("crash-holder", url, prefix, "1.5")
    out, err = crashed.communicate(timeout=60)
    assert json.loads(out.splitlines()[0]) == {"holding": True}, err[-2000:]
    outcome = probe("after-crash", url, prefix)
    assert outcome["waited"] < 1.5 + 1.0 and outcome["left"] is False


def test_the_store_loads_by_module_path_from_the_replica_endpoints(red: tuple[str, str]) -> None:
    """What `rasa run --endpoints bot/endpoints-replicas.yml` does with the lock_store section."""
    url, prefix = red
    code = ("from rasa.core.utils import read_endpoints_from_path; from rasa.core.lock_store import LockStore; "
            "s = LockStore.create(read_endpoints_from_path('bot/endpoints-replicas.yml').lock_store); "
            "print(type(s).__module__ + '.' + type(s).__name__, s.key_prefix)")
    done = subprocess.run([RASA_PYTHON, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=base_env({"REDIS_URL": url, "REDIS_KEY_PREFIX": prefix,
                                        "ACTION_ENDPOINT_URL": "http://127.0.0.1:5055/webhook",
                                        "TRACKER_STORE_URL": "sqlite:///:memory:"}))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["bot.lock_store.AtomicRedisLockStore", f"{prefix}:lock:"]
