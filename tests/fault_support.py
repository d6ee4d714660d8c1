"""The whole stack as processes on 127.0.0.1 for fault tests (which kill or cut parts of it), and citizens
who hold real conversations over Rasa's REST channel by pressing the buttons the bot offers.

The session fixtures of tests/conftest.py share one stack across tests; a fault test needs its own,
since it kills the action server or cuts the database. A citizen answers a consent question
("Setuju" / "Tidak setuju") whenever the bot asks one, so the flows do not depend on where the
consent step sits in a form.
"""
from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import httpx

from office.privacy import mask_personal_data
from tests.servers import ROOT, base_env, free_port, start, stop, wait_http

BOOKING_MARKER = "Kode booking Bapak/Ibu: "
TICKET_CODE = re.compile(r"ADU-\d{4}-\d+")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HHMM = re.compile(r"^\d{2}:\d{2}$")


def stack_env(office_url: str, tracker_url: str, workdir: Path) -> dict[str, str]:
    """Settings of a stack of its own (not the session's: a fault test kills or cuts parts of it)."""
    return {"DATABASE_URL": office_url, "TRACKER_STORE_URL": tracker_url, "SECRET_KEY": secrets.token_urlsafe(32),
            "OFFICE_TZ": "Asia/Jakarta", "OFFICE_VAR_DIR": str(ROOT / "var"), "MEDIA_DIR": str(workdir / "media")}


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL: no shutdown handler runs, open requests are cut mid-way."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    """Poll `condition` until it returns something true; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


@dataclass
class Stack:
    """Action server, Rasa, worker (and optionally the back-office) on free ports, sharing `env`."""

    env: dict[str, str]
    model: Path
    workdir: Path
    token: str
    action_port: int = field(default_factory=free_port)
    rasa_port: int = field(default_factory=free_port)
    backoffice_port: int = field(default_factory=free_port)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    _starts: dict[str, int] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def backoffice_url(self) -> str:
        return f"http://127.0.0.1:{self.backoffice_port}"

    def _env(self, **extra: str) -> dict[str, str]:
        return base_env({**self.env, "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.action_port}/webhook",
                         "RASA_URL": self.rasa_url, "RASA_TOKEN": self.token, **extra})

    def _log(self, name: str) -> Path:
        self._starts[name] = self._starts.get(name, 0) + 1
        return self.workdir / f"{name}{self._starts[name]}.log"

    def log_text(self, name: str, tail: int = 4000) -> str:
        """The latest log of process `name` (its last `tail` characters; 0 for all of it)."""
        text = self._log_path(name).read_text(errors="replace")
        return text[-tail:] if tail else text

    def _log_path(self, name: str) -> Path:
        return self.workdir / f"{name}{self._starts.get(name, 1)}.log"

    def _launch_actions(self, office_now: str) -> Callable[[], None]:
        log = self._log("actions")
        proc = start([str(ROOT / ".venv/bin/python"), "-m", "rasa_sdk", "--actions", "actions",
                      "--port", str(self.action_port)],
                     self._env(SANIC_HOST="127.0.0.1", KB_WARM_UP="1", OFFICE_NOW=office_now), log)
        self.procs["actions"] = proc
        return lambda: wait_http(f"http://127.0.0.1:{self.action_port}/health", proc, log, timeout=300,
                                 ok=lambda r: r.status_code == 200)

    def _launch_rasa(self) -> Callable[[], None]:
        log = self._log("rasa")
        proc = start([str(ROOT / ".venv-rasa/bin/rasa"), "run", "--model", str(self.model), "--enable-api",
                      "--auth-token", self.token, "--endpoints", "bot/endpoints.yml",
                      "--credentials", "bot/credentials.yml", "--port", str(self.rasa_port),
                      "--interface", "127.0.0.1"], self._env(), log)
        self.procs["rasa"] = proc
        # loading the model takes about a minute; much longer when other work shares the 2 cores
        return lambda: wait_http(f"{self.rasa_url}/status?token={self.token}", proc, log, timeout=600,
                                 ok=lambda r: r.status_code == 200 and bool(r.json().get("model_file")))

    def _launch_backoffice(self) -> Callable[[], None]:
        log = self._log("backoffice")
        proc = start([str(ROOT / ".venv/bin/uvicorn"), "backoffice.app:app", "--host", "127.0.0.1",
                      "--port", str(self.backoffice_port)], self._env(), log)
        self.procs["backoffice"] = proc
        return lambda: wait_http(f"{self.backoffice_url}/healthz", proc, log, timeout=120,
                                 ok=lambda r: r.status_code == 200)

    def start(self, office_now: str, backoffice: bool = False) -> None:
        """Start everything at once (they load in parallel), then wait until each answers; the worker
        runs on the real clock (its claims and backoff are measured in real seconds)."""
        waits = [self._launch_actions(office_now), self._launch_rasa()]
        if backoffice:
            waits.append(self._launch_backoffice())
        env = self._env()
        env.pop("OFFICE_NOW", None)
        self.procs["worker"] = start([str(ROOT / ".venv/bin/python"), "-m", "worker"], env, self._log("worker"))
        for wait in waits:
            wait()

    def restart_actions(self, office_now: str) -> None:
        """The action server again, on the same port (where Rasa expects it)."""
        self._launch_actions(office_now)()

    def alive(self, name: str) -> bool:
        return self.procs[name].poll() is None

    def stop_all(self) -> None:
        for proc in self.procs.values():
            stop(proc)

    def tracker(self, sender: str) -> dict[str, Any]:
        response = httpx.get(f"{self.rasa_url}/conversations/{sender}/tracker",
                             params={"token": self.token, "include_events": "ALL"}, timeout=60)
        response.raise_for_status()
        return response.json()


def payloads(reply: list[dict[str, Any]]) -> list[str]:
    return [str(b.get("payload", "")) for m in reply for b in m.get("buttons") or []]


def said(reply: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in reply)


def button(reply: list[dict[str, Any]], title: str) -> Optional[str]:
    """The payload of the button titled `title` (case-insensitive, exact), if the bot offered one."""
    for m in reply:
        for b in m.get("buttons") or []:
            if str(b.get("title", "")).strip().lower() == title.lower():
                return str(b.get("payload", ""))
    return None


class Citizen:
    """One conversation over Rasa's REST channel; `sent` keeps every message in the order sent."""

    def __init__(self, rasa_url: str, sender: str) -> None:
        self.rasa_url, self.sender = rasa_url, sender
        self.sent: list[str] = []
        self.last: list[dict[str, Any]] = []

    def post(self, text: str) -> list[dict[str, Any]]:
        """One message, exactly as given (no consent handling)."""
        self.sent.append(text)
        response = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook",
                              json={"sender": self.sender, "message": text}, timeout=120)
        response.raise_for_status()
        self.last = response.json()
        return self.last

    def say(self, text: str) -> list[dict[str, Any]]:
        """A message; when the bot then asks for consent to process personal data, the citizen agrees."""
        reply = self.post(text)
        for _ in range(2):
            agree = button(reply, "Setuju")
            if agree is None:
                break
            reply = self.post(agree)
        return reply

    def user_texts_in(self, tracker: dict[str, Any]) -> list[str]:
        """The citizen's own messages as the tracker store holds them (office messages left out)."""
        return [mask_personal_data(e.get("text") or "") for e in tracker["events"]
                if e.get("event") == "user" and not (e.get("text") or "").startswith("EXTERNAL")]

    def sent_masked(self) -> list[str]:
        """What the citizen sent, as the tracker may keep it (personal data masked, or not)."""
        return [mask_personal_data(t) for t in self.sent]


# ---------------------------------------------------------------------------------------------
# the next answer in a form, chosen from what the bot just offered

def booking_next(reply: list[dict[str, Any]], name: str, phone: str) -> Optional[str]:
    """What a citizen booking a BAP visit answers next; None when the booking code has been given."""
    text, offered = said(reply), payloads(reply)
    if BOOKING_MARKER in text:
        return None
    confirm = button(reply, "Ya, benar")
    if confirm is not None:
        return confirm
    agree = button(reply, "Setuju")  # consent before the name (office/consent.py)
    if agree is not None:
        return agree
    if "Atas nama" in text:
        return name
    if "Nomor HP" in text and not offered:
        return phone
    if "BAP" in offered:
        return "BAP"
    dates = [p for p in offered if _ISO_DATE.match(p)]
    if dates:
        return dates[0]
    times = [p for p in offered if _HHMM.match(p)]
    if times:
        return times[0]
    raise AssertionError(f"booking: no way forward from {text[:300]!r} {offered}")


COMPLAINT_BUTTONS = ("Setuju", "Ya, sesuai", "Lewati", "Balas lewat chat ini", "Biasa", "Kirim pengaduan")


def complaint_next(reply: list[dict[str, Any]], description: str) -> Optional[str]:
    """What a citizen filing an ordinary complaint answers next; None when the ticket code has been given."""
    text = said(reply)
    if TICKET_CODE.search(text) and not payloads(reply):
        return None
    for title in COMPLAINT_BUTTONS:
        payload = button(reply, title)
        if payload is not None:
            return payload
    if "ceritakan" in text.lower():
        return description
    categories = [p for p in payloads(reply) if p.startswith("kategori:")]
    if categories:
        return categories[0]
    raise AssertionError(f"complaint: no way forward from {text[:300]!r} {payloads(reply)}")


def drive(citizen: Citizen, step: Callable[[list[dict[str, Any]]], Optional[str]], until: str,
          limit: int = 12) -> list[dict[str, Any]]:
    """Answer a form with `step` until the bot's reply contains `until`."""
    reply = citizen.last
    for _ in range(limit):
        if until in said(reply):
            return reply
        answer = step(reply)
        assert answer is not None, f"{citizen.sender}: the form ended before {until!r}"
        reply = citizen.say(answer)
    raise AssertionError(f"{citizen.sender}: never reached {until!r}; last reply {said(reply)[:300]!r}")


def finish(citizen: Citizen, step: Callable[[list[dict[str, Any]]], Optional[str]],
           limit: int = 12) -> list[dict[str, Any]]:
    """Answer a form with `step` until `step` says it is done; the last reply."""
    reply = citizen.last
    for _ in range(limit):
        answer = step(reply)
        if answer is None:
            return reply
        reply = citizen.say(answer)
    raise AssertionError(f"{citizen.sender}: the form never finished; last reply {said(reply)[:300]!r}")


def ticket_code(reply: list[dict[str, Any]]) -> str:
    found = TICKET_CODE.search(said(reply))
    assert found, said(reply)[:300]
    return found.group(0)


def booking_code(reply: list[dict[str, Any]]) -> str:
    text = said(reply)
    assert BOOKING_MARKER in text, text[:300]
    return text.split(BOOKING_MARKER, 1)[1][:6]
