"""Small shared state of the channels, kept outside the Rasa process so it survives restarts and replicas.

Three things live here, each a key with an expiry:
- `seen:<channel>:<id>`: a provider message/update id already processed (replay and retry protection);
  claiming is atomic (a primary-key insert, or Redis SET NX), so two replicas never both process it;
- `buttons:<sender>`: the last numbered button set sent to a WhatsApp user, to map a digit reply back;
- `inbound:<sender>`: when a WhatsApp user last wrote (the 24-hour customer-service window).

Backend choice: `CHANNEL_STATE_URL` if set (an SQLAlchemy URL or redis://...), else Redis when `REDIS_URL`
is set, else the tracker store database (`TRACKER_STORE_URL`), else a SQLite file under var/. The SQL
backend uses SQLAlchemy Core only (works on 1.4 in the Rasa env and 2.x elsewhere) and one table,
`channel_state`, created on first use; expired rows are purged as it goes.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Optional

log = logging.getLogger(__name__)

SEEN_TTL = dt.timedelta(days=3)  # providers retry for at most a day (Meta) or hours (Telegram)
BUTTONS_TTL = dt.timedelta(days=7)
WINDOW_TTL = dt.timedelta(hours=24)  # WhatsApp customer-service window
_PURGE_EVERY = 600.0


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class StateStore:
    """Key/value with expiry; the interface both backends implement."""

    def claim(self, key: str, ttl: dt.timedelta) -> bool:
        """True for the first caller with this key (within ttl); False for a replay."""
        raise NotImplementedError

    def put(self, key: str, value: str, ttl: dt.timedelta) -> None:
        raise NotImplementedError

    def get(self, key: str) -> Optional[str]:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    # typed helpers --------------------------------------------------------------------------
    def put_json(self, key: str, value: Any, ttl: dt.timedelta) -> None:
        self.put(key, json.dumps(value, ensure_ascii=False), ttl)

    def get_json(self, key: str) -> Any:
        raw = self.get(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None


class SQLStateStore(StateStore):
    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self._sa = sa
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        if url.startswith("sqlite:///"):
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(url, pool_pre_ping=True)
        metadata = sa.MetaData()
        self.table = sa.Table(
            "channel_state", metadata,
            sa.Column("key", sa.String(255), primary_key=True),
            sa.Column("value", sa.Text, nullable=False, default=""),
            sa.Column("expires_at", sa.DateTime, nullable=False, index=True),
        )
        metadata.create_all(self.engine, checkfirst=True)
        self._last_purge = 0.0
        self._lock = threading.Lock()

    def _purge(self, conn: Any) -> None:
        now = time.monotonic()
        if now - self._last_purge < _PURGE_EVERY:
            return
        self._last_purge = now
        conn.execute(self.table.delete().where(self.table.c.expires_at < _utcnow()))

    def claim(self, key: str, ttl: dt.timedelta) -> bool:
        sa, table = self._sa, self.table
        now = _utcnow()
        with self.engine.begin() as conn:
            self._purge(conn)
            # an expired claim may be taken again
            conn.execute(table.delete().where(table.c.key == key, table.c.expires_at < now))
        try:
            with self.engine.begin() as conn:
                conn.execute(table.insert().values(key=key, value="1", expires_at=now + ttl))
            return True
        except sa.exc.IntegrityError:
            return False

    def put(self, key: str, value: str, ttl: dt.timedelta) -> None:
        sa, table = self._sa, self.table
        expires = _utcnow() + ttl
        for _ in range(3):
            with self.engine.begin() as conn:
                updated = conn.execute(table.update().where(table.c.key == key)
                                       .values(value=value, expires_at=expires)).rowcount
            if updated:
                return
            try:
                with self.engine.begin() as conn:
                    conn.execute(table.insert().values(key=key, value=value, expires_at=expires))
                return
            except sa.exc.IntegrityError:
                continue  # another writer inserted it meanwhile: update again

    def get(self, key: str) -> Optional[str]:
        table = self.table
        with self.engine.connect() as conn:
            row = conn.execute(self._sa.select(table.c.value, table.c.expires_at)
                               .where(table.c.key == key)).first()
        if row is None or row[1] < _utcnow():
            return None
        return row[0]

    def delete(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.table.delete().where(self.table.c.key == key))


class RedisStateStore(StateStore):
    def __init__(self, url: str, prefix: str = "channels:") -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix

    def claim(self, key: str, ttl: dt.timedelta) -> bool:
        return bool(self.client.set(self.prefix + key, "1", nx=True, ex=int(ttl.total_seconds())))

    def put(self, key: str, value: str, ttl: dt.timedelta) -> None:
        self.client.set(self.prefix + key, value, ex=int(ttl.total_seconds()))

    def get(self, key: str) -> Optional[str]:
        raw = self.client.get(self.prefix + key)
        return raw.decode() if isinstance(raw, bytes) else raw

    def delete(self, key: str) -> None:
        self.client.delete(self.prefix + key)


_stores: dict[str, StateStore] = {}
_stores_lock = threading.Lock()


def state_url() -> str:
    """Which backend this process uses (see the module docstring for the order)."""
    explicit = os.environ.get("CHANNEL_STATE_URL")
    if explicit:
        return explicit
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    if os.environ.get("TRACKER_STORE_URL"):
        return os.environ["TRACKER_STORE_URL"]
    root = Path(__file__).resolve().parent.parent
    return f"sqlite:///{Path(os.environ.get('OFFICE_VAR_DIR') or root / 'var') / 'channel_state.db'}"


def get_store(url: Optional[str] = None) -> StateStore:
    url = url or state_url()
    with _stores_lock:
        if url not in _stores:
            if url.startswith(("redis://", "rediss://", "unix://")):
                _stores[url] = RedisStateStore(url)
            else:
                _stores[url] = SQLStateStore(url)
            log.info("channel state store: %s", url.split("://", 1)[0])
        return _stores[url]
