"""A conversation lock store for several Rasa replicas that is atomic on Redis.

Why not Rasa's own `RedisLockStore`: it reads the whole ticket queue as JSON, changes it in Python
and writes it back (GET, then SET). Two replicas taking a ticket for the same conversation at the
same moment both read "no tickets", both write "ticket 0", and both believe they hold the lock: the
two messages are processed at once on the same tracker, and one turn's events overwrite the other's.

Here every step is one Redis command or one Lua script, so Redis serialises them:
- `issue_ticket`: INCR a per-conversation counter and add "<ticket>:<random token>" to a sorted set
  ordered by ticket number (the queue), in one script. The token makes each member unique to the
  process that took it, even if the counter is ever reset.
- acquiring: a script drops expired members, then grants the lock only when this member is the head of
  the queue. Waiting members renew a short lease on every poll; the holder's lease is `lock_lifetime`
  from the moment it got the lock. A replica that crashes stops polling or releasing, its lease runs
  out, and the next message of that conversation goes ahead: nothing waits forever.
- releasing: ZREM of this process's own member only (compare-and-delete by construction: no other
  process knows the token), in one script that also tidies the keys.
Times come from Redis (TIME), never from the replicas' clocks, so clock skew cannot expire a lease early.
Waiting polls with exponential backoff and jitter (20 ms doubling up to 250 ms, or Rasa's
`wait_time_in_seconds` if that is shorter).

Configuration (bot/endpoints-replicas.yml, chosen by the Procfile when REDIS_URL is set):
    lock_store:
      type: bot.lock_store.AtomicRedisLockStore
      url: ${REDIS_URL}            # redis://[:password@]host:6379/0, rediss:// for TLS
REDIS_KEY_PREFIX (default "rasa") separates deployments (or test runs) sharing one Redis.
TICKET_LOCK_LIFETIME (Rasa's own variable, default 60 s) bounds how long a crashed holder blocks.
"""
from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
from collections import deque
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

WAITING_LEASE_SECONDS = 10.0  # a waiter that stops polling for this long has crashed
FIRST_POLL_SECONDS = 0.02
MAX_POLL_SECONDS = 0.25  # a waiting message starts at most this long after the holder is done
COUNTER_TTL_MS = 24 * 3600 * 1000  # the ticket counter outlives any queue, so numbers keep rising

# KEYS: counter, queue, leases. ARGV: token, waiting lease ms. Returns [ticket, member].
_ISSUE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local ticket = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local member = ticket .. ':' .. ARGV[1]
redis.call('ZADD', KEYS[2], ticket, member)
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), member)
local ttl = tonumber(ARGV[2]) + 60000
if redis.call('PTTL', KEYS[2]) < ttl then
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
return {ticket, member}
"""

# KEYS: queue, leases. ARGV: member, holding lease ms, waiting lease ms.
# Returns 0 when the lock is now held, n > 0 = members ahead, -1 = this member expired meanwhile.
_ACQUIRE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, m in ipairs(expired) do
  redis.call('ZREM', KEYS[1], m)
  redis.call('ZREM', KEYS[2], m)
end
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if not rank then
  return -1
end
local lease = tonumber(ARGV[3])
if rank == 0 then
  lease = tonumber(ARGV[2])
end
redis.call('ZADD', KEYS[2], now + lease, ARGV[1])
local ttl = lease + 60000
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return rank
"""

# KEYS: queue, leases. ARGV: member. Returns how many members remain waiting.
_RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local left = redis.call('ZCARD', KEYS[1])
if left == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
end
return left
"""


def _member_ticket(member: bytes | str) -> int:
    text = member.decode() if isinstance(member, bytes) else member
    return int(text.split(":", 1)[0])


class AtomicRedisLockStore(LockStore):
    """Fair (first come, first served) per-conversation locks shared by every Rasa replica."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, url: Optional[str] = None,
                 key_prefix: Optional[str] = None, client: Optional[redis.Redis] = None) -> None:
        """Rasa passes `endpoint_config` (from endpoints.yml); tests and tools may pass `url` directly."""
        kwargs: dict[str, Any] = dict(endpoint_config.kwargs) if endpoint_config else {}
        url = url or (endpoint_config.url if endpoint_config else None) or os.environ.get("REDIS_URL", "")
        if client is None and not url:
            raise LockError("AtomicRedisLockStore needs a Redis URL: set REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
        prefix = key_prefix or kwargs.get("key_prefix") or os.environ.get("REDIS_KEY_PREFIX") or "rasa"
        self.key_prefix = f"{prefix}:lock:"
        self.red = client or redis.Redis.from_url(url, socket_timeout=float(kwargs.get("socket_timeout", 10)),
                                                  socket_connect_timeout=5, health_check_interval=30)
        self._issue = self.red.register_script(_ISSUE)
        self._acquire = self.red.register_script(_ACQUIRE)
        self._release = self.red.register_script(_RELEASE)
        self._members: dict[tuple[str, int], str] = {}  # (conversation, ticket) -> our queue member
        super().__init__()

    def _keys(self, conversation_id: str) -> tuple[str, str, str]:
        base = self.key_prefix + conversation_id
        return f"{base}:counter", f"{base}:queue", f"{base}:leases"

    # --- Rasa's LockStore interface -------------------------------------------------------------

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Take the next place in the conversation's queue (atomic INCR + ZADD)."""
        counter, queue, leases = self._keys(conversation_id)
        try:
            ticket, member = self._issue(keys=[counter, queue, leases],
                                         args=[secrets.token_hex(8), int(WAITING_LEASE_SECONDS * 1000),
                                               COUNTER_TTL_MS])
        except redis.RedisError as exc:
            raise LockError(f"Error while issuing a ticket for conversation lock: {exc}") from exc
        ticket = int(ticket)
        self._members[(conversation_id, ticket)] = member.decode() if isinstance(member, bytes) else member
        return ticket

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        """Hold the conversation's lock for the body; waits its turn behind earlier messages."""
        held = [self.issue_ticket(conversation_id, lock_lifetime)]  # the ticket may be replaced while waiting
        try:
            await self._wait_for_turn(conversation_id, held, lock_lifetime, wait_time_in_seconds)
            yield TicketLock(conversation_id, deque([Ticket(held[0], float(lock_lifetime))]))
        finally:
            self.cleanup(conversation_id, held[0])

    async def _wait_for_turn(self, conversation_id: str, held: list[int], lock_lifetime: float,
                             max_poll_seconds: float) -> None:
        """Poll until the ticket in `held` heads the queue (it is replaced if its waiting lease ran out)."""
        _counter, queue, leases = self._keys(conversation_id)
        poll = FIRST_POLL_SECONDS
        while True:
            ticket = held[0]
            member = self._members[(conversation_id, ticket)]
            try:
                ahead = int(self._acquire(keys=[queue, leases],
                                          args=[member, int(lock_lifetime * 1000), int(WAITING_LEASE_SECONDS * 1000)]))
            except redis.RedisError as exc:
                raise LockError(f"Could not acquire lock for conversation '{conversation_id}': {exc}") from exc
            if ahead == 0:
                logger.debug("Acquired lock for conversation '%s' (ticket %s).", conversation_id, ticket)
                return
            if ahead < 0:
                # Our waiting lease ran out (this process stalled for WAITING_LEASE_SECONDS): rejoin at the end
                # rather than drop the message. Re-adding the old number could jump ahead of the holder.
                logger.warning("Ticket %s of conversation '%s' expired while waiting; queueing again.",
                               ticket, conversation_id)
                self._members.pop((conversation_id, ticket), None)
                held[0] = self.issue_ticket(conversation_id, lock_lifetime)
                poll = FIRST_POLL_SECONDS
                continue
            await asyncio.sleep(poll * (0.5 + random.random()))  # jitter: replicas do not poll in step
            poll = min(poll * 2, max(min(max_poll_seconds, MAX_POLL_SECONDS), FIRST_POLL_SECONDS))

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Give up this process's own place (held or waiting); nobody else's member is ever touched."""
        member = self._members.pop((conversation_id, ticket_number), None)
        if member is None:
            return
        _counter, queue, leases = self._keys(conversation_id)
        try:
            self._release(keys=[queue, leases], args=[member])
        except redis.RedisError as exc:  # the lease expires by itself; the next message waits at most that long
            logger.warning("Could not release lock of conversation '%s': %s", conversation_id, exc)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Release; the release script deletes the queue when it is empty, atomically."""
        self.finish_serving(conversation_id, ticket_number)

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        """A read-only snapshot of the queue (for inspection; locking never reads it back)."""
        _counter, queue, leases = self._keys(conversation_id)
        members = self.red.zrange(queue, 0, -1)
        if not members:
            return None
        expiries = dict(zip(members, self.red.zmscore(leases, members)))
        return TicketLock(conversation_id, deque(
            Ticket(_member_ticket(m), (expiries.get(m) or 0) / 1000) for m in members))

    def is_someone_waiting(self, conversation_id: str) -> bool:
        _counter, queue, _leases = self._keys(conversation_id)
        return bool(self.red.zcard(queue))

    def delete_lock(self, conversation_id: str) -> None:
        """Drop the whole queue (an operator's reset); holders' releases then do nothing."""
        _counter, queue, leases = self._keys(conversation_id)
        self._log_deletion(conversation_id, bool(self.red.delete(queue, leases)))

    def save_lock(self, lock: TicketLock) -> None:
        """Not supported: writing a whole lock back is exactly the read-then-write race this store avoids."""
        raise NotImplementedError("AtomicRedisLockStore changes locks only through its atomic scripts")

    def update_lock(self, conversation_id: str) -> None:
        """Expired members are dropped by the acquire script itself."""
