"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import office.models  # noqa: F401
from office.db import Base, get_engine, migrate
from tests.pg import postgres_database


def _diff(url: str) -> list:
    with get_engine(url).connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def test_sqlite_migrations_match_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    migrate(url)
    migrate(url)  # idempotent
    assert _diff(url) == []


@pytest.fixture()
def pg_url() -> Iterator[str]:
    yield from postgres_database()


def test_postgres_migrations_match_models(pg_url: str) -> None:
    migrate(pg_url)
    assert _diff(pg_url) == []
