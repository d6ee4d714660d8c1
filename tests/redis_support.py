"""Redis for tests: the server at 127.0.0.1:6379 (TEST_REDIS_URL) with a key prefix unique to the test run,
or a clear skip (never under CI=true). Keys of the run are deleted afterwards."""
from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest
import redis

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_with_prefix() -> Iterator[tuple[str, str]]:
    """Yield (url, prefix); the prefix is alphanumeric so every lock store accepts it."""
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"Redis at {TEST_REDIS_URL} is required under CI=true: {exc}") from exc
        pytest.skip(f"Redis not reachable at {TEST_REDIS_URL} ({exc.__class__.__name__}); "
                    "start redis-server or set TEST_REDIS_URL")
    prefix = f"test{uuid.uuid4().hex[:10]}"
    try:
        yield TEST_REDIS_URL, prefix
    finally:
        keys = list(client.scan_iter(f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
