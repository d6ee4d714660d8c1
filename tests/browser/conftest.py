"""Browser-test fixtures: a headless Chromium (Playwright sync API), a fake Rasa REST server and
the back-office running under uvicorn in a subprocess on a free port with its own SQLite database.

Reusable by later browser tests: ask for `browser_page` and `backoffice_server`
(`.base_url`, `.database_url`, `.rasa`), and `shot` to save screenshots in /tmp/shots.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.backoffice_support import FakeRasa, create_schema
from tests.servers import free_port, stop

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
SHOTS_DIR = Path(os.environ.get("SHOTS_DIR", "/tmp/shots"))
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@dataclass
class LiveServer:
    """A running back-office."""

    base_url: str
    database_url: str
    rasa: FakeRasa
    env: dict[str, str] = field(default_factory=dict)
    process: Any = None

    def create_admin(self, *args: str) -> str:
        """Run the real create_admin command; returns its one-time password."""
        result = subprocess.run(
            [sys.executable, "-m", "backoffice.create_admin", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 0, result.stderr
        for line in result.stdout.splitlines():
            if line.startswith("Kata sandi sementara:"):
                return line.split(":", 1)[1].strip()
        raise AssertionError(f"no one-time password in: {result.stdout}")


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    """One headless Chromium per test module (Playwright's sync API holds an event loop while it runs,
    which would break asyncio.run in later, non-browser tests)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (make chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def browser_page(chromium_browser: Any) -> Iterator[Any]:
    """A fresh browser context (own cookies and storage) at desktop size.
    `page.dialogs` lists every alert/confirm message that fired (they are dismissed);
    `page.console_errors` collects console errors (CSP violations show up there)."""
    context = chromium_browser.new_context(viewport=DESKTOP, locale="id-ID")
    page = context.new_page()
    page.dialogs = []
    page.console_errors = []

    def on_dialog(dialog: Any) -> None:
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    page.set_default_timeout(15_000)
    yield page
    context.close()


VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


def _shot(page: Any, name: str, viewport: str | None = None, full_page: bool = True) -> Path:
    """Save a screenshot as /tmp/shots/<name>.png, first resizing to "phone" (360x740) or
    "desktop" (1280x800) when asked."""
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    if viewport:
        page.set_viewport_size(VIEWPORTS[viewport])
    path = SHOTS_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture()
def shot() -> Any:
    """`shot(page, "login-360x740", "phone")`: the screenshot helper (see `_shot`)."""
    return _shot


@pytest.fixture(scope="module")
def backoffice_extra_env() -> dict[str, str]:
    """More environment for the module's back-office (override in a test module, e.g. with
    WEBCHAT_ALLOWED_ORIGINS for a host page served by another fixture)."""
    return {}


@pytest.fixture(scope="module")
def backoffice_server(tmp_path_factory: pytest.TempPathFactory, backoffice_extra_env: dict[str, str]) -> Iterator[LiveServer]:
    """uvicorn backoffice.app:app in a subprocess, pointed at a fake Rasa and a fresh database."""
    tmp = tmp_path_factory.mktemp("backoffice")
    database_url = f"sqlite:///{tmp / 'office.db'}"
    create_schema(database_url)
    rasa = FakeRasa().start()
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "browser-test-secret-key-0123456789",
        "RASA_URL": rasa.url,
        "COOKIE_SECURE": "0",
        "BACKOFFICE_URL": f"http://127.0.0.1:{port}",
        "OFFICE_VAR_DIR": str(tmp / "var"),
        **backoffice_extra_env,
    }
    log = open(tmp / "uvicorn.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "backoffice.app:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            rasa.stop()
            raise RuntimeError(f"back-office did not start: {(tmp / 'uvicorn.log').read_text()}")
        time.sleep(0.2)
    server = LiveServer(base_url=base_url, database_url=database_url, rasa=rasa, env=env, process=process)
    try:
        yield server
    finally:
        stop(process)
        log.close()
        rasa.stop()
