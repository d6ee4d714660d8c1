"""Load benchmark: `make bench` (N=20 citizens, DB=sqlite|postgres|both, SECONDS=60).

Starts its own stack on free 127.0.0.1 ports (Rasa with the current model, action server, back-office,
worker) on a fresh database, with the office clock frozen on a working-day morning so bookings have
slots. N simulated citizens then hold real conversations over Rasa's REST channel, concurrently:
knowledge questions (drawn from tests/eval/kb_questions.yml), bookings taken all the way to a booking
code by pressing the buttons Rasa offers, complaints filed to an ADU code, and "cek status" for the
codes they got. Afterwards, in the same run and with the same concurrency, the same texts go to bare
NLU parsing (POST /model/parse), so the cost of everything beyond NLU (dialogue, actions, database,
knowledge search) reads as a ratio.

Reported: messages per second (over the whole run, and sustained: answered while every citizen was
talking, from the last one's start to the deadline), p50/p95/p99 latency per kind of conversation, errors,
each process's memory (resident set of Rasa, action server, back-office, worker). Written to results/bench-<date>.json
and printed as a table. `run_load` is the library entry the smoke test uses against running servers.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import re
import secrets
import signal
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import base_env, free_port, start, stop, wait_http  # noqa: E402

# Monday 6 April 2026, 08.30 WIB: a working day with free slots on the following working days.
BENCH_NOW = "2026-04-06T08:30:00"
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
KINDS = ("knowledge", "booking", "complaint", "status")
WEIGHTS = {"knowledge": 4, "booking": 2, "complaint": 1, "status": 1}
BOOKING_MARKER = "Kode booking Bapak/Ibu: "
CONSENT_AGREE = "/consent_agree"  # the consent button's payload (office/consent.py answer_buttons)
TICKET_CODE = re.compile(r"ADU-\d{4}-\d+")
COMPLAINTS = [
    "Toilet di ruang tunggu kotor sekali dan airnya mati",
    "Antrean di loket foto lama sekali, sudah dua jam belum dipanggil",
    "Ada calo di depan kantor minta uang tambahan supaya paspor cepat jadi",
    "Petugas di loket informasi tidak ramah waktu saya bertanya syarat paspor",
    "Kursi di ruang tunggu kurang, banyak orang tua terpaksa berdiri",
    "Pendingin ruangan di ruang tunggu mati sejak pagi, panas sekali",
    "Paspor saya sudah lewat jadwal selesai tapi belum bisa diambil",
    "Parkiran kantor sempit dan tidak ada petugas yang mengatur",
]
NAMES = ["Siti Aminah", "Budi Santoso", "Rina Marlina", "Agus Salim", "Dewi Lestari", "Joko Susilo"]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: a real observed latency)."""
    ordered = sorted(values)
    rank = max(1, int(round(pct / 100 * len(ordered) + 0.4999)))
    return ordered[min(rank, len(ordered)) - 1]


def kb_questions(path: Path = ROOT / "tests" / "eval" / "kb_questions.yml") -> list[str]:
    """The citizens' questions of the retrieval evaluation set (answerable and not)."""
    return [str(item["q"]) for item in yaml.safe_load(path.read_text(encoding="utf-8")) or [] if item.get("q")]


class FlowError(RuntimeError):
    """The conversation did not go where a citizen would expect (counted as an error)."""


@dataclass
class Recorder:
    """Latencies per kind, the texts sent (replayed to bare NLU), errors, and when each answer came."""
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    texts: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    conversations: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    answered_at: list[float] = field(default_factory=list)  # time.monotonic() of every answer


class Citizen:
    """One simulated citizen: a random but seeded mix of conversations, one message at a time."""

    def __init__(self, index: int, client: httpx.AsyncClient, url: str, recorder: Recorder, seed: int,
                 questions: list[str], interval: float | None = None) -> None:
        self.index, self.client, self.url, self.recorder = index, client, url, recorder
        # Paced (`--rate`): at most one message per `interval` seconds, like a person reading the answer
        # before typing; a late reply is not made up for by sending faster afterwards.
        self.interval, self.next_at = interval, None
        self.random = random.Random(seed * 1000 + index)
        self.questions = questions
        self.codes: list[tuple[str, str, str]] = []  # (kind, sender, code)

    async def send(self, kind: str, sender: str, message: str) -> list[dict[str, Any]]:
        if self.interval:
            now = time.monotonic()
            if self.next_at is None:  # citizens start spread over one interval, not all at once
                self.next_at = now + self.random.uniform(0, self.interval)
            if self.next_at > now:
                await asyncio.sleep(self.next_at - now)
            self.next_at = max(self.next_at, now) + self.interval
        started = time.perf_counter()
        try:
            response = await self.client.post(f"{self.url}/webhooks/rest/webhook",
                                              json={"sender": sender, "message": message}, timeout=120)
        except httpx.HTTPError as exc:
            raise FlowError(f"{kind}: {exc.__class__.__name__} on {message[:40]!r}") from exc
        self.recorder.latencies[kind].append(time.perf_counter() - started)
        self.recorder.answered_at.append(time.monotonic())
        self.recorder.texts.append(message)
        if response.status_code != 200:
            raise FlowError(f"{kind}: HTTP {response.status_code} on {message[:40]!r}")
        reply = response.json()
        if not reply:
            raise FlowError(f"{kind}: no reply to {message[:40]!r}")
        return reply

    def sender(self) -> str:
        return f"bench:{self.index}-{uuid.uuid4().hex[:10]}"

    async def agree(self, kind: str, sender: str, reply: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Press "Setuju" on the consent question a new conversation is asked before its personal data."""
        if CONSENT_AGREE not in payloads(reply):
            raise FlowError(f"{kind}: no consent question before personal data: {said(reply)[:200]}")
        return await self.send(kind, sender, CONSENT_AGREE)

    async def knowledge(self) -> None:
        sender = self.sender()
        for question in self.random.sample(self.questions, 3):
            await self.send("knowledge", sender, question)

    async def booking(self) -> None:
        sender = self.sender()
        reply = await self.send("booking", sender, "saya mau booking jadwal kunjungan")
        services = [p for p in payloads(reply) if p in ("BAP", "KONSUL")]
        if not services:
            raise FlowError(f"booking: no bookable service offered: {said(reply)[:200]}")
        reply = await self.send("booking", sender, self.random.choice(services))
        reply = await self.send("booking", sender, first(reply, "date"))
        reply = await self.send("booking", sender, self.random.choice(payloads(reply)[:4] or [first(reply, "time")]))
        for _ in range(3):  # another citizen took the slot meanwhile: press one of the times offered now
            if not payloads(reply) or CONSENT_AGREE in payloads(reply):
                break
            reply = await self.send("booking", sender, self.random.choice(payloads(reply)[:4]))
        await self.agree("booking", sender, reply)
        reply = await self.send("booking", sender, self.random.choice(NAMES))
        reply = await self.send("booking", sender, f"08{self.random.randrange(10**9, 10**10)}")
        reply = await self.send("booking", sender, "Ya")
        for _ in range(3):  # the slot filled while confirming: pick one of the times offered, confirm again
            if BOOKING_MARKER in said(reply) or not payloads(reply):
                break
            reply = await self.send("booking", sender, self.random.choice(payloads(reply)[:4]))
            if "Ya, benar" in [b.get("title") for m in reply for b in m.get("buttons") or []]:
                reply = await self.send("booking", sender, "Ya")
        text = said(reply)
        if BOOKING_MARKER not in text:
            raise FlowError(f"booking: no booking code: {text[:200]}")
        self.codes.append(("booking", sender, text.split(BOOKING_MARKER, 1)[1][:6]))

    async def complaint(self) -> None:
        sender = self.sender()
        await self.agree("complaint", sender, await self.send("complaint", sender, "saya mau mengadu"))
        reply = await self.send("complaint", sender, self.random.choice(COMPLAINTS))
        if "Sudah sesuai?" not in said(reply):  # the category was not clear: press the first one offered
            reply = await self.send("complaint", sender, first(reply, "category"))
        for message in ("ya", "lewati", "lewati", "kontak:chat", "mode:biasa", "kirim"):
            reply = await self.send("complaint", sender, message)
        found = TICKET_CODE.search(said(reply))
        if not found:
            raise FlowError(f"complaint: no ticket code: {said(reply)[:200]}")
        self.codes.append(("complaint", sender, found.group(0)))

    async def status(self) -> None:
        if not self.codes:
            await self.knowledge()
            return
        kind, sender, code = self.random.choice(self.codes)
        if kind == "booking":
            reply = await self.send("status", sender, f"tolong cek booking saya {code}")
            expected = "Status: aktif"
        else:
            reply = await self.send("status", sender, f"tolong cek status pengaduan saya {code}")
            expected = code
        if expected not in said(reply):
            raise FlowError(f"status: {code} not reported: {said(reply)[:200]}")

    async def run(self, deadline: float, conversations: int | None) -> None:
        done = 0
        while time.monotonic() < deadline and (conversations is None or done < conversations):
            kind = self.random.choices(KINDS, weights=[WEIGHTS[k] for k in KINDS])[0]
            if conversations is not None and done < len(KINDS) and conversations >= len(KINDS):
                kind = KINDS[(self.index + done) % len(KINDS)]  # short runs still see every kind
            try:
                await getattr(self, kind)()
                self.recorder.conversations[kind] += 1
            except FlowError as exc:
                self.recorder.errors.append(str(exc))
            done += 1


def payloads(reply: list[dict[str, Any]]) -> list[str]:
    return [str(b["payload"]) for m in reply for b in m.get("buttons") or []]


def first(reply: list[dict[str, Any]], step: str) -> str:
    offered = payloads(reply)
    if not offered:
        raise FlowError(f"no buttons at step '{step}': {said(reply)[:200]}")
    return offered[0]


def said(reply: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in reply)


def summarise(values: list[float], elapsed: float) -> dict[str, Any]:
    ms = [v * 1000 for v in values]
    if not ms:
        return {"messages": 0}
    return {"messages": len(ms), "per_second": round(len(ms) / elapsed, 2),
            "p50_ms": round(percentile(ms, 50)), "p95_ms": round(percentile(ms, 95)),
            "p99_ms": round(percentile(ms, 99)), "max_ms": round(max(ms))}


def pacing_interval(citizens: int, rate: float | None) -> float | None:
    """Seconds between one paced citizen's messages (None: not paced); the last citizen starts within one."""
    return citizens / rate if rate else None


def sustained_rate(answered_at: list[float], start: float, end: float) -> float:
    """Messages per second answered while every citizen was talking: from when the last one started (paced
    citizens start spread over one interval) to the deadline.

    After the deadline each citizen only finishes the conversation it is in (a booking takes nine
    messages), so fewer and fewer are talking: counting that tail, or the staggered start, would measure
    the citizens arriving and leaving, not what the stack sustains."""
    if end <= start:
        return 0.0
    return round(sum(1 for at in answered_at if start <= at <= end) / (end - start), 2)


async def _converse(url: str, citizens: int, seconds: float, conversations: int | None, seed: int,
                    recorder: Recorder, rate: float | None = None) -> tuple[float, float]:
    """Returns when the citizens started (time.monotonic()) and how long until the last one finished."""
    questions = kb_questions()
    limits = httpx.Limits(max_connections=citizens + 2, max_keepalive_connections=citizens + 2)
    interval = pacing_interval(citizens, rate)
    async with httpx.AsyncClient(limits=limits) as client:
        people = [Citizen(i, client, url, recorder, seed, questions, interval) for i in range(citizens)]
        started = time.monotonic()
        await asyncio.gather(*(p.run(started + seconds, conversations) for p in people))
        return started, time.monotonic() - started


async def _parse(url: str, token: str, citizens: int, texts: list[str]) -> tuple[list[float], list[str], float]:
    """Bare NLU: the same texts, the same concurrency, POST /model/parse."""
    latencies: list[float] = []
    errors: list[str] = []
    queue = list(texts)
    limits = httpx.Limits(max_connections=citizens + 2, max_keepalive_connections=citizens + 2)

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            text = queue.pop()
            began = time.perf_counter()
            try:
                response = await client.post(f"{url}/model/parse", params={"token": token}, json={"text": text},
                                             timeout=120)
                if response.status_code != 200:
                    errors.append(f"nlu_parse: HTTP {response.status_code}")
                    continue
            except httpx.HTTPError as exc:
                errors.append(f"nlu_parse: {exc.__class__.__name__}")
                continue
            latencies.append(time.perf_counter() - began)

    async with httpx.AsyncClient(limits=limits) as client:
        started = time.monotonic()
        await asyncio.gather(*(worker(client) for _ in range(citizens)))
        return latencies, errors, time.monotonic() - started


def run_load(rasa_url: str, token: str, *, citizens: int = 20, seconds: float = 60.0,
             conversations: int | None = None, seed: int = 8, parse_compare: bool = True,
             warm_up: bool = True, rate: float | None = None,
             phase: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Drive running servers: the citizens' conversations, then bare NLU parsing of the same texts.
    Without `rate` every citizen sends its next message as soon as the answer arrives (a stress test: with
    N citizens always waiting, mean latency = N / throughput). With `rate` (messages/s for all citizens
    together) they pace themselves like people reading the answers, and the latencies show the service
    at that load. Returns the report (without memory: the caller knows the processes)."""
    url = rasa_url.rstrip("/")
    if warm_up:  # the first message of each path loads lazily (TF graphs, the KB index): not measured
        warm = Recorder()
        asyncio.run(_converse(url, 1, 600.0, len(KINDS), seed + 1, warm))
    recorder = Recorder()
    if phase:  # the caller reads the processes' CPU time around the conversations only
        phase("conversations")
    client_cpu = time.process_time()
    started, elapsed = asyncio.run(_converse(url, citizens, seconds, conversations, seed, recorder, rate))
    client_cpu = time.process_time() - client_cpu  # the simulated citizens share the 2 cores with the stack
    if phase:
        phase("nlu_parse")
    every = [v for values in recorder.latencies.values() for v in values]
    report: dict[str, Any] = {
        "citizens": citizens, "seconds": round(elapsed, 1), "rate": rate,
        "conversations": dict(recorder.conversations),
        "all": summarise(every, elapsed),
        # with `conversations` set the run ends when they are done, before the deadline: no steady window
        "sustained_per_second": sustained_rate(recorder.answered_at,
                                               started + (pacing_interval(citizens, rate) or 0.0),
                                               started + min(seconds, elapsed)),
        "kinds": {k: summarise(v, elapsed) for k, v in recorder.latencies.items()},
        "errors": len(recorder.errors), "error_samples": recorder.errors[:20],
        "client_cpu_ms_per_message": round(1000 * client_cpu / max(len(every), 1), 1),
    }
    if parse_compare and recorder.texts:
        latencies, errors, parse_elapsed = asyncio.run(_parse(url, token, citizens, recorder.texts))
        report["nlu_parse"] = {**summarise(latencies, parse_elapsed), "errors": len(errors)}
        report["errors"] += len(errors)
        report["error_samples"] += errors[:5]
        nlu, ours = report["nlu_parse"], report["all"]
        if nlu.get("messages") and ours.get("messages"):
            report["overhead"] = {"p50_ratio": round(ours["p50_ms"] / max(nlu["p50_ms"], 1), 2),
                                  "p95_ratio": round(ours["p95_ms"] / max(nlu["p95_ms"], 1), 2),
                                  "throughput_ratio": round(nlu["per_second"] / max(ours["per_second"], 0.01), 2)}
    return report


# ---------------------------------------------------------------------------------------------
# memory of the stack's processes

def _family(pid: int) -> list[int]:
    """A process and its descendants (Rasa's Sanic workers are children of the process we started)."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants in MB, from /proc (psutil is not a dependency)."""
    total = 0
    for current in _family(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return round(total / 1024, 1)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its living descendants, from /proc/<pid>/stat."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for current in _family(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / ticks


class MemorySampler(threading.Thread):
    """Samples each process's resident memory once a second; keeps the peak. Also reads each process's CPU
    time at the start and when asked (`cpu`), so the report can give CPU milliseconds per message: what
    decides how many messages/s 2 cores can carry, whatever the latencies."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak = {name: 0.0 for name in pids}
        self.start_mb = {name: rss_mb(pid) for name, pid in pids.items()}
        self.start_cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
        self.stopping = threading.Event()

    def mark_cpu(self) -> None:
        """Count CPU time from now on (after the warm-up)."""
        self.start_cpu = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def cpu(self) -> dict[str, float]:
        """CPU seconds each process used since the sampler started or `mark_cpu`."""
        return {name: round(cpu_seconds(pid) - self.start_cpu[name], 2) for name, pid in self.pids.items()}

    def run(self) -> None:
        while not self.stopping.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], rss_mb(pid))
            self.stopping.wait(1.0)

    def report(self) -> dict[str, dict[str, float]]:
        self.stopping.set()
        self.join(timeout=5)
        return {name: {"start_mb": self.start_mb[name], "peak_mb": self.peak[name],
                       "end_mb": rss_mb(pid)} for name, pid in self.pids.items()}


# ---------------------------------------------------------------------------------------------
# the stack

def redis_url() -> str:
    """REDIS_URL, or the Redis on 127.0.0.1; several Rasa workers cannot share conversation locks without one."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise SystemExit(f"--rasa-workers > 1 needs Redis for the conversation locks: {url} is not reachable "
                         f"({exc}); set REDIS_URL") from exc
    return url


@contextlib.contextmanager
def databases(kind: str, workdir: Path) -> Iterator[tuple[str, str]]:
    """(office URL, tracker URL): two SQLite files in `workdir`, or two fresh PostgreSQL databases
    created on 127.0.0.1 (trust auth) and dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'office.db'}", f"sqlite:///{workdir / 'tracker.db'}"
        return
    import psycopg2

    names = [f"bench_{uuid.uuid4().hex[:8]}_{part}" for part in ("office", "tracker")]
    admin = psycopg2.connect(POSTGRES_ADMIN_URL)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            for name in names:
                cur.execute(f'CREATE DATABASE "{name}"')
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        with admin.cursor() as cur:
            for name in names:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextlib.contextmanager
def stack(db: str, model: Path, workdir: Path, profile_actions: Path | None = None,
          rasa_workers: int = 1) -> Iterator[dict[str, Any]]:
    """Rasa, action server, back-office and worker on free ports, on a fresh migrated database with the
    knowledge base loaded; yields their URLs, the Rasa token and the process ids. With `profile_actions`
    the action server runs under cProfile and writes its profile there when stopped (SIGINT). With
    `rasa_workers` > 1 Rasa runs that many Sanic worker processes (SANIC_WORKERS) sharing the conversation
    locks through Redis (bot/endpoints-replicas.yml, REDIS_URL), as the Procfile does in production."""
    with databases(db, workdir) as (office_url, tracker_url):
        env_values = {"DATABASE_URL": office_url, "TRACKER_STORE_URL": tracker_url,
                      "SECRET_KEY": secrets.token_urlsafe(32), "RASA_TOKEN": secrets.token_hex(16),
                      "OFFICE_TZ": "Asia/Jakarta", "OFFICE_NOW": BENCH_NOW, "MEDIA_DIR": str(workdir / "media"),
                      "OFFICE_VAR_DIR": str(ROOT / "var")}  # the embedding model lives there
        os.environ.update(env_values)
        from office.db import migrate
        from office.kb.store import load_directory
        from office.settings import get_settings

        print(f"==> {db}: migrating a fresh database and loading the knowledge base", flush=True)
        migrate(office_url)
        load_directory(get_settings().knowledge_dir, office_url)
        procs: dict[str, Any] = {}
        try:
            ports = {name: free_port() for name in ("actions", "rasa", "backoffice")}
            action_url = f"http://127.0.0.1:{ports['actions']}"
            rasa_url = f"http://127.0.0.1:{ports['rasa']}"
            backoffice_url = f"http://127.0.0.1:{ports['backoffice']}"
            env = base_env({**env_values, "SANIC_HOST": "127.0.0.1", "KB_WARM_UP": "1",
                            "ACTION_ENDPOINT_URL": f"{action_url}/webhook", "RASA_URL": rasa_url})
            endpoints = "bot/endpoints.yml"
            if rasa_workers > 1:
                env.update({"SANIC_WORKERS": str(rasa_workers), "REDIS_URL": redis_url(),
                            "REDIS_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}"})
                endpoints = "bot/endpoints-replicas.yml"
            py = str(ROOT / ".venv/bin/python")
            print("==> starting the action server, Rasa, the back-office and the worker", flush=True)
            profile = ["-m", "cProfile", "-o", str(profile_actions)] if profile_actions else []
            procs["actions"] = start([py, *profile, "-m", "rasa_sdk", "--actions", "actions", "--port", str(ports["actions"])],
                                     env, workdir / "actions.log")
            procs["rasa"] = start([str(ROOT / ".venv-rasa/bin/rasa"), "run", "--model", str(model), "--enable-api",
                                   "--auth-token", env_values["RASA_TOKEN"], "--endpoints", endpoints,
                                   "--credentials", "bot/credentials.yml", "--port", str(ports["rasa"]),
                                   "--interface", "127.0.0.1"], env, workdir / "rasa.log")
            procs["backoffice"] = start([str(ROOT / ".venv/bin/uvicorn"), "backoffice.app:app", "--host", "127.0.0.1",
                                         "--port", str(ports["backoffice"])], env, workdir / "backoffice.log")
            procs["worker"] = start([py, "-m", "worker"], env, workdir / "worker.log")
            wait_http(f"{action_url}/health", procs["actions"], workdir / "actions.log", timeout=240,
                      ok=lambda r: r.status_code == 200)
            wait_http(f"{rasa_url}/status?token={env_values['RASA_TOKEN']}", procs["rasa"], workdir / "rasa.log",
                      timeout=400, ok=lambda r: r.status_code == 200 and bool(r.json().get("model_file")))
            wait_http(f"{backoffice_url}/healthz", procs["backoffice"], workdir / "backoffice.log", timeout=90,
                      ok=lambda r: r.status_code == 200)
            if procs["worker"].poll() is not None:
                raise RuntimeError(f"worker exited:\n{(workdir / 'worker.log').read_text()[-3000:]}")
            yield {"rasa_url": rasa_url, "token": env_values["RASA_TOKEN"], "backoffice_url": backoffice_url,
                   "pids": {name: proc.pid for name, proc in procs.items()}, "database": db}
        finally:
            if profile_actions and "actions" in procs and procs["actions"].poll() is None:
                procs["actions"].send_signal(signal.SIGINT)  # a clean exit, so cProfile writes its file
                with contextlib.suppress(Exception):
                    procs["actions"].wait(timeout=30)
            for proc in procs.values():
                stop(proc)


def bench_one(db: str, model: Path, citizens: int, seconds: float, seed: int,
              profile_actions: Path | None = None, rate: float | None = None,
              rasa_workers: int = 1) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{db}-") as tmp:
        workdir = Path(tmp)
        with stack(db, model, workdir, profile_actions, rasa_workers) as running:
            sampler = MemorySampler(running["pids"])
            sampler.start()
            cpu: dict[str, float] = {}
            print(f"==> {citizens} citizens talking for {seconds:.0f} s, then bare NLU parsing of the same texts",
                  flush=True)
            report = run_load(running["rasa_url"], running["token"], citizens=citizens, seconds=seconds, seed=seed,
                              rate=rate, phase=lambda name: sampler.mark_cpu() if name == "conversations"
                              else cpu.update(sampler.cpu()))
            report["cpu_ms_per_message"] = {name: round(1000 * used / max(report["all"].get("messages", 0), 1), 1)
                                            for name, used in cpu.items()}
            report["memory"] = sampler.report()
            report["database"] = db
            report["rasa_workers"] = rasa_workers
            return report


def table(report: dict[str, Any]) -> str:
    """A readable summary of one run."""
    paced = f" paced at {report['rate']:g} msg/s" if report.get("rate") else " (no pause between messages)"
    workers = f", {report['rasa_workers']} Rasa workers" if report.get("rasa_workers", 1) > 1 else ""
    lines = [f"database {report['database']}{workers}: {report['citizens']} citizens{paced}, {report['seconds']} s, "
             f"conversations {report['conversations']}, errors {report['errors']}",
             f"  {'kind':<11}{'messages':>9}{'msg/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}"]
    rows = [("all", report["all"])] + list(report["kinds"].items())
    if "nlu_parse" in report:
        rows.append(("nlu_parse", report["nlu_parse"]))
    for name, row in rows:
        if row.get("messages"):
            lines.append(f"  {name:<11}{row['messages']:>9}{row['per_second']:>8}{row['p50_ms']:>8}"
                         f"{row['p95_ms']:>8}{row['p99_ms']:>8}{row['max_ms']:>8}")
    if "sustained_per_second" in report:
        lines.append(f"  sustained while all {report['citizens']} citizens talked: "
                     f"{report['sustained_per_second']} msg/s (\"all\" also counts their staggered start and the "
                     f"tail in which they finish their last conversation)")
    if "overhead" in report:
        o = report["overhead"]
        lines.append(f"  overhead over bare NLU: p50 x{o['p50_ratio']}, p95 x{o['p95_ratio']}, "
                     f"throughput /{o['throughput_ratio']}")
    if report.get("cpu_ms_per_message"):
        cpu = report["cpu_ms_per_message"]
        lines.append("  CPU ms per message: " + ", ".join(f"{name} {ms}" for name, ms in cpu.items())
                     + f"; all {round(sum(cpu.values()), 1)} (the simulated citizens: "
                       f"{report.get('client_cpu_ms_per_message', '?')})")
    for name, mem in report.get("memory", {}).items():
        lines.append(f"  memory {name:<11} start {mem['start_mb']:>7} MB  peak {mem['peak_mb']:>7} MB")
    throughput = report.get("sustained_per_second", report["all"].get("per_second", 0))
    target = throughput >= 30 and report["all"].get("p95_ms", 10**9) <= 300 and report["errors"] == 0
    lines.append(f"  targets (>= 30 msg/s, p95 <= 300 ms, no errors at 20 citizens): {'met' if target else 'NOT met'}")
    for sample in report.get("error_samples", [])[:5]:
        lines.append(f"  error: {sample}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--citizens", type=int, default=20, help="concurrent simulated citizens")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the citizens talk")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--model", help="a trained model (default: train if the inputs changed, then use it)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--profile-actions", type=Path, help="run the action server under cProfile, write here")
    parser.add_argument("--rate", type=float, help="messages/s of all citizens together (default: no pauses)")
    parser.add_argument("--rasa-workers", type=int, default=1,
                        help="Rasa worker processes (SANIC_WORKERS); more than 1 needs Redis (REDIS_URL)")
    args = parser.parse_args(argv)
    if args.model:
        model = Path(args.model)
    else:
        from tools.train_if_needed import train

        model = train()
    runs = [bench_one(db, model, args.citizens, args.seconds, args.seed, args.profile_actions, args.rate,
                      args.rasa_workers)
            for db in (["sqlite", "postgres"] if args.db == "both" else [args.db])]
    stamp = dt.datetime.now().strftime("%Y-%m-%dT%H%M%S")
    out = ROOT / "results" / f"bench-{stamp}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"date": stamp, "model": model.name, "cpus": os.cpu_count(),
                               "office_now": BENCH_NOW, "runs": runs}, indent=2), encoding="utf-8")
    print()
    for report in runs:
        print(table(report))
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 0 if all(r["errors"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
