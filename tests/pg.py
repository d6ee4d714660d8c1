"""PostgreSQL for tests: a fresh database per use on 127.0.0.1, or a clear skip (never under CI=true)."""
from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from office.db import normalise_url

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def postgres_database() -> Iterator[str]:
    """Create a throw-away database and yield its URL; drop it afterwards."""
    try:
        admin = create_engine(normalise_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not reachable"
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"PostgreSQL at {ADMIN_URL} is required under CI=true: {exc}") from exc
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL} ({exc.__class__.__name__}); set TEST_POSTGRES_URL")
    name = f"office_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        from office.db import get_engine

        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
