"""bot/tracker_store.py: what Rasa's SQL tracker store keeps. The citizen's and the bot's texts are masked when
saved, the bot's texts lose the numbers the citizen gave; a phone number in a slot is kept while the form still
needs it (read back unchanged on the next turn) and masked once the slot is reset; a NIK is never kept; the
office's published numbers stay. The store reads and writes with its own SQL (not Rasa's ORM queries), so the
conversation session it reads back and the number of rows each save adds are checked too, on SQLite and on
PostgreSQL. Runs in Rasa's environment (tracker_store_probe.py)."""
from __future__ import annotations

import json
import subprocess
from typing import Iterator

import pytest

from tests.pg import postgres_database
from tests.servers import ROOT, base_env

RAW = ("1801012345670001", "A1234567", "0812-3456-7890", "081234567890", "6281234567890", "081298765432")


def _probe(url: str, *args: str, env: dict[str, str] | None = None) -> dict:
    done = subprocess.run([str(ROOT / ".venv-rasa/bin/python"), "tests/integration/tracker_store_probe.py", url,
                           *args], cwd=ROOT, env=base_env(env or {}), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The probe's report on a fresh SQLite file, and on a fresh PostgreSQL database (skipped without one,
    required under CI=true: tests/pg.py)."""
    if request.param == "sqlite":
        yield _probe(f"sqlite:///{tmp_path_factory.mktemp('tracker') / 'tracker.db'}")
        return
    databases = postgres_database()
    url = next(databases)
    try:
        yield _probe(url)
    finally:
        next(databases, None)


def test_texts_masked_at_once_slots_kept_while_needed_then_masked(report: dict) -> None:
    first = [json.loads(r) for r in report["after_phone"]]
    user = next(e for e in first if e["event"] == "user")
    assert user["text"] == "NIK saya [NIK], paspor [NOMOR PASPOR], HP [NOMOR TELEPON]"
    assert user["parse_data"]["text"] == user["text"]
    assert user["parse_data"]["entities"][0]["value"] == "[NOMOR TELEPON]"
    said = [e["text"] for e in first if e["event"] == "bot"]
    # this turn's answers as the citizen sees them (the web chat reads this store): the number still in a slot,
    # the office's published contact and the copy of their data
    assert said == ["Nomor HP: +6281234567890. Sudah benar?", "Ombudsman RI: WhatsApp 0821-3737-3737.",
                    "Salinan data Bapak/Ibu: Siti Aminah, +6289900001111"]
    slots = {e["name"]: e["value"] for e in first if e["event"] == "slot"}
    assert slots["booking_phone"] == "+6281234567890"  # the form still needs it
    assert slots["ticket_code"] == "[NOMOR TELEPON]"  # not a slot of the form: masked at once
    assert slots["complaint_description"] == "NIK [NIK], telepon 081298765432"  # a NIK never stays
    # the next turn reads the phone back unchanged, so the confirmation stores the real number
    assert report["slots_read_back"]["booking_phone"] == "+6281234567890"
    assert report["phone_at_confirm"] == "+6281234567890"
    second = [json.loads(r) for r in report["after_confirm"]]
    said = [e["text"] for e in second if e["event"] == "bot"]
    assert said == ["Nomor HP: +6281234567890. Sudah benar?", "Ombudsman RI: WhatsApp 0821-3737-3737.",
                    "Salinan data Bapak/Ibu: Siti Aminah, [NOMOR TELEPON]"]  # the copy: only for its turn
    # once the form is done (slots reset) no stored row holds a number any more
    final = "\n".join(report["after_reset"])
    for raw in RAW + ("6289900001111",):
        assert raw not in final, raw
    assert "Nomor HP: [NOMOR TELEPON]. Sudah benar?" in final and "0821-3737-3737" in final
    assert "[NOMOR TELEPON]" in final and "[NIK]" in final
    assert len(report["after_reset"]) == len(first) + 2 + 3  # rows are rewritten, never added or dropped


def test_latest_session_read_back_and_each_save_adds_only_its_events(report: dict) -> None:
    """Two conversation sessions, a masked rewrite of earlier rows in each (the new session releases session 1's
    phone; cancelling the form releases session 2's): `retrieve` reads from the latest `session_started` on,
    `retrieve_full_tracker` everything, and each save adds exactly the events of its turn, in order."""
    r = report["two_sessions"]
    saved = r["saved"]  # [type, timestamp] of every event the turns added, in order
    turns = r["turns"]
    stored = [json.loads(row) for row in turns[-1]["rows"]]
    assert [[e["event"], e["timestamp"]] for e in stored] == saved  # nothing doubled, dropped or reordered
    assert [len(t["rows"]) for t in turns] == [9, 15, 21, 26, 29]

    def stamps(events: list) -> list:
        return [e[2] for e in events]

    assert turns[0]["read"] == []
    assert stamps(turns[1]["read"]) == [101, 102, 103, 104, 105, 106, 107, 108]  # from session 1's start
    assert stamps(turns[2]["read"]) == [201, 202, 203, 204, 205]  # only the new session
    assert stamps(turns[3]["read"]) == [201, 202, 203, 204, 205, 210, 211, 212, 213, 214, 215]
    assert stamps(r["latest_session"]) == [t for _, t in saved if t >= 201]
    assert [[e[0], e[2]] for e in r["full"]] == saved
    assert r["latest_session"][0][0] == "session_started" and r["full"][0][1] == "action_session_start"
    # the masked rewrites: session 2's phone stays while its form needs it, then neither session keeps one
    assert "+6281311112222" in "\n".join(turns[2]["rows"])
    assert "+6281234567890" not in "\n".join(turns[1]["rows"])
    final = "\n".join(turns[-1]["rows"])
    for raw in ("6281234567890", "081234567890", "6281311112222", "081311112222"):
        assert raw not in final, raw
    assert final.count("Nomor HP: [NOMOR TELEPON]. Sudah benar?") == 2
    assert r["latest_session"][9][1] == "Nomor HP: [NOMOR TELEPON]. Sudah benar?"  # read back as rewritten


def test_missing_postgresql_schema_still_stops_the_store() -> None:
    """Rasa checks on every session that the schema POSTGRESQL_SCHEMA names exists and exits if not; the store's
    own reads (bot/tracker_store.py `_transaction`) keep that check when the variable is set."""
    databases = postgres_database()
    url = next(databases)
    try:
        assert _probe(url, "--schema-check", env={"POSTGRESQL_SCHEMA": "no_such_schema"}) == {"exited": 1}
    finally:
        next(databases, None)
