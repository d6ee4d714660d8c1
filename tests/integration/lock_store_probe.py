"""Exercise conversation lock stores inside the Rasa environment (Python 3.10); run by test_lock_store.py.

    .venv-rasa/bin/python tests/integration/lock_store_probe.py <mode> <redis_url> <prefix> [args]

Each mode prints one JSON line with what it observed; the test (Python 3.11) judges it.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import redis

from bot.lock_store import AtomicRedisLockStore


def rasa_race(url: str, prefix: str) -> dict:
    """Rasa's RedisLockStore, two replicas taking a ticket at the same moment: both read the stored lock
    before either writes (the interleaving that concurrent requests produce), so both get the same
    ticket and both find the lock free."""
    from rasa.core.lock_store import RedisLockStore

    host = redis.Redis.from_url(url).connection_pool.connection_kwargs
    replicas = [RedisLockStore(host=host["host"], port=host["port"], db=host.get("db", 0), key_prefix=prefix)
                for _ in range(2)]
    locks = [store.get_or_create_lock("c1") for store in replicas]  # step 1 of issue_ticket on each replica
    tickets = [lock.issue_ticket(60) for lock in locks]              # step 2
    for store, lock in zip(replicas, locks):                         # step 3: each writes its own view
        store.save_lock(lock)
    free = [not store.get_lock("c1").is_locked(ticket) for store, ticket in zip(replicas, tickets)]
    return {"tickets": tickets, "both_hold": all(free)}


async def _hammer(store: AtomicRedisLockStore, red: redis.Redis, prefix: str, worker: str, conversations: int,
                  rounds: int) -> None:
    """Read-modify-write a counter per conversation under the lock, and count who is inside."""
    for i in range(rounds):
        conversation = f"conv{i % conversations}"
        async with store.lock(conversation, lock_lifetime=30, wait_time_in_seconds=0.2):
            inside = red.incr(f"{prefix}:inside:{conversation}")
            red.rpush(f"{prefix}:inside-log", inside)
            value = int(red.get(f"{prefix}:count:{conversation}") or 0)
            await asyncio.sleep(0.002)  # let other tasks and the other process run in between
            red.set(f"{prefix}:count:{conversation}", value + 1)
            red.rpush(f"{prefix}:order:{conversation}", worker)
            red.decr(f"{prefix}:inside:{conversation}")


def hammer(url: str, prefix: str, tasks: str, conversations: str, rounds: str) -> dict:
    """Several coroutines in this process (one Rasa replica's concurrent requests) against the others."""
    store = AtomicRedisLockStore(url=url, key_prefix=prefix)
    red = redis.Redis.from_url(url)

    async def main() -> None:
        await asyncio.gather(*(_hammer(store, red, prefix, f"{os.getpid()}-{t}", int(conversations), int(rounds))
                               for t in range(int(tasks))))

    started = time.monotonic()
    asyncio.run(main())
    return {"seconds": round(time.monotonic() - started, 3), "pid": os.getpid()}


def fifo(url: str, prefix: str) -> dict:
    """Messages queued behind a holder are served in the order they asked."""
    store = AtomicRedisLockStore(url=url, key_prefix=prefix)
    served: list[int] = []

    async def message(n: int, delay: float) -> None:
        await asyncio.sleep(delay)
        async with store.lock("fifo", lock_lifetime=30, wait_time_in_seconds=0.05):
            served.append(n)
            await asyncio.sleep(0.01)

    async def main() -> None:
        await asyncio.gather(*(message(n, n * 0.005) for n in range(12)))

    asyncio.run(main())
    return {"served": served, "left": store.is_someone_waiting("fifo")}


def crash_holder(url: str, prefix: str, lifetime: str) -> None:
    """Take the lock and die without releasing it (a replica killed mid-turn)."""
    store = AtomicRedisLockStore(url=url, key_prefix=prefix)

    async def main() -> None:
        async with store.lock("crashed", lock_lifetime=float(lifetime)):
            print(json.dumps({"holding": True}), flush=True)
            os._exit(0)

    asyncio.run(main())


def after_crash(url: str, prefix: str) -> dict:
    """How long the next message of the crashed replica's conversation waits."""
    store = AtomicRedisLockStore(url=url, key_prefix=prefix)
    started = time.monotonic()

    async def main() -> None:
        async with store.lock("crashed", lock_lifetime=30, wait_time_in_seconds=0.1):
            pass

    asyncio.run(main())
    return {"waited": round(time.monotonic() - started, 3), "left": store.is_someone_waiting("crashed")}


def not_owner(url: str, prefix: str) -> dict:
    """A release by a process that does not hold the lock (wrong ticket) leaves the holder's lock alone."""
    store = AtomicRedisLockStore(url=url, key_prefix=prefix)
    other = AtomicRedisLockStore(url=url, key_prefix=prefix)

    async def main() -> dict:
        async with store.lock("owned", lock_lifetime=30) as lock:
            ticket = lock.tickets[0].number
            other.cleanup("owned", ticket)      # same ticket number, different process: not its member
            other.finish_serving("owned", ticket)
            return {"still_held": store.get_lock("owned").tickets[0].number == ticket}

    result = asyncio.run(main())
    result["left"] = store.is_someone_waiting("owned")
    return result


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    outcome = globals()[mode.replace("-", "_")](*rest)
    if outcome is not None:
        print(json.dumps(outcome), flush=True)
