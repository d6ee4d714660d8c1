"""Row counts and a checksum of every table, so a fuzz test can prove that nothing changed.

What is left out, and why (the only records a rejected request may legitimately touch):
- audit_entry: the audit log records refused actions (failed sign-ins, CSRF and role refusals);
  recording a rejection is its job.
- staff_session.last_seen_at / expires_at: a signed-in officer's session slides forward on every request,
  rejected or not (the idle timeout counts from the last request).
Everything else, including staff accounts, tickets, bookings, the knowledge base and the outbox, must be
byte-for-byte the same.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import MetaData, create_engine, select

from office.db import normalise_url

SKIP_TABLES = frozenset({"audit_entry", "alembic_version"})
SKIP_COLUMNS = {"staff_session": frozenset({"last_seen_at", "expires_at"})}


def snapshot(url: str, skip_tables: frozenset[str] = SKIP_TABLES,
             skip_columns: dict[str, frozenset[str]] | None = None) -> dict[str, tuple[int, str]]:
    """{table: (rows, sha256 of the rows in primary-key order)} for every table of the database."""
    skip_columns = SKIP_COLUMNS if skip_columns is None else skip_columns
    engine = create_engine(normalise_url(url))
    try:
        meta = MetaData()
        meta.reflect(engine)
        result: dict[str, tuple[int, str]] = {}
        with engine.connect() as conn:
            for name, table in sorted(meta.tables.items()):
                if name in skip_tables:
                    continue
                columns = [c for c in table.columns if c.name not in skip_columns.get(name, frozenset())]
                order = list(table.primary_key.columns) or columns
                digest = hashlib.sha256()
                rows = 0
                for row in conn.execute(select(*columns).order_by(*order)):
                    digest.update(repr(tuple(row)).encode())
                    rows += 1
                result[name] = (rows, digest.hexdigest())
        return result
    finally:
        engine.dispose()


def changed(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    """The tables whose rows differ, for a readable assertion message."""
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
