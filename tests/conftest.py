"""Shared fixtures: an isolated database and settings per test session, and the real servers.

The servers are started once per session (Rasa takes a while to load) with the model that
`make test` trained (cached by the hash of its inputs).
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.servers import ROOT, base_env, free_port, start, stop, wait_http

# A Monday in the Idulfitri season: "besok" (Tue 17 Mar) is open, 18-24 Mar 2026 is one closure.
TEST_NOW = "2026-03-16T09:30:00"


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("office")


@pytest.fixture(scope="session")
def office_env(session_dir: Path) -> Iterator[dict[str, str]]:
    """Settings of this test session: a fresh migrated SQLite database with the knowledge base loaded."""
    values = {
        "DATABASE_URL": f"sqlite:///{session_dir / 'office.db'}",
        "TRACKER_STORE_URL": f"sqlite:///{session_dir / 'tracker.db'}",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "RASA_TOKEN": secrets.token_hex(16),
        "OFFICE_TZ": "Asia/Jakarta",
        "OFFICE_VAR_DIR": str(ROOT / "var"),
        "MEDIA_DIR": str(session_dir / "media"),  # complaint evidence files (worker writes, back-office serves)
    }
    previous = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    from office.db import migrate
    from office.kb.store import load_directory
    from office.settings import get_settings

    migrate(values["DATABASE_URL"])
    load_directory(get_settings().knowledge_dir, values["DATABASE_URL"])
    yield values
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def rasa_model() -> Path:
    """The trained model for the current inputs (trains only when they changed).
    RASA_TEST_MODEL=<path> uses an already trained model instead (for development only)."""
    override = os.environ.get("RASA_TEST_MODEL")
    if override:
        return Path(override)
    sys.path.insert(0, str(ROOT))
    from tools.train_if_needed import train

    return train()


@pytest.fixture(scope="session")
def action_server(office_env: dict[str, str], session_dir: Path) -> Iterator[str]:
    port = free_port()
    env = base_env({**office_env, "SANIC_HOST": "127.0.0.1", "OFFICE_NOW": TEST_NOW, "KB_WARM_UP": "1"})
    log = session_dir / "actions.log"
    proc = start([str(ROOT / ".venv/bin/python"), "-m", "rasa_sdk", "--actions", "actions",
                  "--endpoints", "bot/endpoints.yml", "--port", str(port)],
                 env, log)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", proc, log, timeout=180, ok=lambda r: r.status_code == 200)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def rasa_server(office_env: dict[str, str], action_server: str, rasa_model: Path,
                session_dir: Path) -> Iterator[str]:
    port = free_port()
    env = base_env({**office_env, "ACTION_ENDPOINT_URL": action_server})
    log = session_dir / "rasa.log"
    proc = start([str(ROOT / ".venv-rasa/bin/rasa"), "run", "--model", str(rasa_model), "--enable-api",
                  "--auth-token", office_env["RASA_TOKEN"], "--endpoints", "bot/endpoints.yml",
                  "--credentials", "bot/credentials.yml", "--port", str(port), "--interface", "127.0.0.1"],
                 env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/status?token={office_env['RASA_TOKEN']}", proc, log, timeout=300,
                  ok=lambda r: r.status_code == 200 and bool(r.json().get("model_file")))
        yield url
    finally:
        stop(proc)


@pytest.fixture()
def chat(rasa_server: str):
    """Send a message over Rasa's REST channel as `sender`; returns the bot's messages."""
    def send(sender: str, message: str) -> list[dict]:
        response = httpx.post(f"{rasa_server}/webhooks/rest/webhook", json={"sender": sender, "message": message},
                              timeout=60)
        response.raise_for_status()
        return response.json()

    return send


@pytest.fixture(scope="session")
def live_backoffice(office_env: dict[str, str], rasa_server: str, session_dir: Path) -> Iterator[str]:
    port = free_port()
    env = base_env({**office_env, "RASA_URL": rasa_server, "OFFICE_NOW": TEST_NOW})
    log = session_dir / "backoffice.log"
    proc = start([str(ROOT / ".venv/bin/uvicorn"), "backoffice.app:app", "--host", "127.0.0.1",
                  "--port", str(port)], env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/healthz", proc, log, timeout=60, ok=lambda r: r.status_code == 200)
        yield url
    finally:
        stop(proc)


def texts(messages: list[dict]) -> str:
    """All bot texts of a reply joined, for assertions."""
    return "\n".join(m.get("text", "") for m in messages)


def buttons(messages: list[dict]) -> list[str]:
    return [b["title"] for m in messages for b in m.get("buttons", [])]
