"""Database engine, sessions and schema migration (SQLAlchemy 2 + Alembic).

SQLite by default, PostgreSQL when DATABASE_URL says so. One engine per URL per process.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from office.settings import ROOT, get_settings


class Base(DeclarativeBase):
    """Declarative base of every table the office owns."""


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg2 here (the driver both environments ship), whatever
    SQLAlchemy's default driver is; `postgres://` (Heroku style) is accepted too."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def get_engine(url: str | None = None) -> Engine:
    """Engine for `url` (default: DATABASE_URL), one per URL per process."""
    return _engine(normalise_url(url or get_settings().database_url))


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    """SQLite gets WAL and a busy timeout so the action server, back-office and worker can share one file."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


@lru_cache(maxsize=8)
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on any error."""
    factory = _session_factory(url or get_settings().database_url)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str | None = None):  # type: ignore[no-untyped-def]
    """Alembic configuration pointing at office/migrations and `url`."""
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "office" / "migrations"))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url or get_settings().database_url).replace("%", "%%"))
    return cfg


def migrate(url: str | None = None) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    from alembic import command

    import office.models  # noqa: F401  (register every table)

    command.upgrade(alembic_config(url), "head")
