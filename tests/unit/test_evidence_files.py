"""Evidence files: sniffing by content, the streamed size limit, storing by hash, retries with backoff
and giving up, against the fake provider APIs on 127.0.0.1 (Twilio basic auth + CDN redirect,
Telegram getFile, Meta CDN), and deletion with the ticket at retention time."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from sqlalchemy import select

import office.models  # noqa: F401
from office.complaints.evidence import (
    EvidenceRejected, MAX_ATTEMPTS, due, mark_attempt_failed, sniff_mime, store_stream, stored_file,
)
from office.complaints.models import Ticket, TicketEvidence
from office.complaints.service import file_ticket, merge, set_status
from office.db import Base, get_engine, session_scope
from tests.fakes.providers import FakeProviders

WIB = dt.timezone(dt.timedelta(hours=7))
MONDAY = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + secrets.token_bytes(3000)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + secrets.token_bytes(500)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" + secrets.token_bytes(800)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + secrets.token_bytes(200)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + secrets.token_bytes(1000)
HTML = b"<html><script>alert(1)</script></html>"
ALLOWED = ("image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf")


@pytest.mark.parametrize("data,mime", [(JPEG, "image/jpeg"), (PNG, "image/png"), (PDF, "application/pdf"),
                                       (WEBP, "image/webp"), (b"\x00\x00\x00\x18ftypheic\x00\x00", "image/heic"),
                                       (EXE, None), (HTML, None), (b"GIF89a", None), (b"", None)])
def test_sniffing_trusts_the_bytes(data: bytes, mime: str | None) -> None:
    assert sniff_mime(data[:16]) == mime


def _chunks(data: bytes, size: int = 1000) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_store_by_hash_dedupe_and_reject(tmp_path: Path) -> None:
    stored = store_stream(_chunks(JPEG), max_bytes=10_000, allowed_mime=ALLOWED, root=tmp_path)
    sha = hashlib.sha256(JPEG).hexdigest()
    assert (stored.sha256, stored.size, stored.mime_type) == (sha, len(JPEG), "image/jpeg")
    assert (tmp_path / stored.relative_path).read_bytes() == JPEG and stored.relative_path == f"{sha[:2]}/{sha}"
    again = store_stream(_chunks(JPEG), max_bytes=10_000, allowed_mime=ALLOWED, root=tmp_path)
    assert again == stored
    with pytest.raises(EvidenceRejected, match="bukan jenis yang diizinkan"):
        store_stream(_chunks(EXE), max_bytes=10_000, allowed_mime=ALLOWED, root=tmp_path)
    with pytest.raises(EvidenceRejected, match="bukan jenis"):  # a PDF where only images are allowed
        store_stream(_chunks(PDF), max_bytes=10_000, allowed_mime=("image/jpeg",), root=tmp_path)
    with pytest.raises(EvidenceRejected, match="kosong"):
        store_stream(iter([b""]), max_bytes=10_000, allowed_mime=ALLOWED, root=tmp_path)
    # nothing but the one stored file is left behind (temporary files are removed)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [tmp_path / stored.relative_path]


def test_size_limit_stops_the_stream_early(tmp_path: Path) -> None:
    pulled = []

    def endless() -> Iterator[bytes]:
        while True:
            pulled.append(1)
            yield b"\xff\xd8\xff" + b"\x00" * 997

    with pytest.raises(EvidenceRejected, match="melebihi batas"):
        store_stream(endless(), max_bytes=5_000, allowed_mime=ALLOWED, root=tmp_path)
    assert len(pulled) == 6  # stopped at the first chunk above the limit, not at the end of the stream
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


# ------------------------------------------------------------------------------------------------
# the worker job against the fake providers
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def providers() -> Iterator[FakeProviders]:
    fake = FakeProviders(0, twilio_sid="AC" + secrets.token_hex(16), twilio_token=secrets.token_hex(16),
                         telegram_token=f"7123456:{secrets.token_urlsafe(20)}", graph_tokens=("EAAGtest",)).start()
    yield fake
    fake.stop()


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, providers: FakeProviders) -> FakeProviders:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.delenv("OFFICE_NOW", raising=False)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", providers.twilio_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", providers.twilio_token)
    monkeypatch.setenv("TWILIO_API_BASE_URL", providers.url("twilio"))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", providers.telegram_token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", providers.url("telegram"))
    monkeypatch.setenv("META_GRAPH_API_BASE_URL", providers.url("graph"))
    Base.metadata.create_all(get_engine(url))
    providers.reset()
    return providers


def _ticket(items: list[dict], sender: str = "whatsapp:+6281200000001") -> str:
    with session_scope() as s:
        return file_ticket(s, description="Petugas loket meminta uang tambahan", sender_id=sender,
                           evidence=items, now=MONDAY).code


def _evidence(code: str) -> list[TicketEvidence]:
    with session_scope() as s:
        ticket = s.scalar(select(Ticket).where(Ticket.code == code))
        rows = list(ticket.evidence)
        s.expunge_all()
        return rows


def test_job_stores_from_each_provider_and_rejects_by_content(env: FakeProviders) -> None:
    from worker.evidence_jobs import run_evidence_jobs

    items = [
        {"type": "image", "mime_type": "image/jpeg", "url": env.add_media("twilio", JPEG, "image/jpeg"),
         "provider": "twilio"},
        {"type": "document", "mime_type": "application/pdf", "size": len(PDF),
         "file_id": env.add_media("telegram", PDF, "application/pdf"), "provider": "telegram"},
        {"type": "image", "url": env.add_media("meta", PNG, "image/png"), "provider": "meta"},
        # declared as a photo, really a Windows program
        {"type": "image", "mime_type": "image/jpeg", "url": env.add_media("twilio", EXE, "image/jpeg"),
         "provider": "twilio"},
    ]
    code = _ticket(items)
    assert [e.status for e in _evidence(code)] == ["pending"] * 4
    with httpx.Client() as client:
        assert run_evidence_jobs(client) == {"stored": 3, "rejected": 1}
    rows = _evidence(code)
    assert [e.status for e in rows] == ["stored", "stored", "stored", "rejected"]
    for row, data, mime in zip(rows, (JPEG, PDF, PNG), ("image/jpeg", "application/pdf", "image/png")):
        assert (row.mime_type, row.size, row.sha256) == (mime, len(data), hashlib.sha256(data).hexdigest())
        assert stored_file(row).read_bytes() == data
    assert rows[1].kind == "pdf" and "bukan jenis yang diizinkan" in rows[3].status_reason
    assert rows[3].sha256 is None and rows[3].stored_path is None
    with httpx.Client() as client:
        assert run_evidence_jobs(client) == {}  # nothing is fetched twice


def test_credentials_only_go_to_the_provider(env: FakeProviders, monkeypatch: pytest.MonkeyPatch) -> None:
    from worker.evidence_jobs import run_evidence_jobs

    code = _ticket([
        {"type": "image", "url": "http://169.254.169.254/latest/meta-data", "provider": "twilio"},
        {"type": "image", "url": "https://intranet.kanim.local/foto.jpg", "provider": "meta"},
        {"type": "image", "file_id": "AgAC-unknown", "provider": "telegram"},
    ])
    with httpx.Client() as client:
        run_evidence_jobs(client)
    rows = _evidence(code)
    assert [e.status for e in rows] == ["failed", "failed", "failed"]
    assert "bukan milik Twilio" in rows[0].status_reason and "bukan milik Meta" in rows[1].status_reason
    assert "HTTP 400" in rows[2].status_reason
    # wrong Twilio credentials: 401 is not permanent (an operator can fix the settings), so it retries
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "wrong")
    code = _ticket([{"type": "image", "url": env.add_media("twilio", JPEG, "image/jpeg"), "provider": "twilio"}])
    with httpx.Client() as client:
        run_evidence_jobs(client)
    [row] = _evidence(code)
    assert (row.status, row.attempts) == ("pending", 1) and "HTTP 401" in row.status_reason


def test_retries_with_backoff_then_stores_or_gives_up(env: FakeProviders) -> None:
    from worker.evidence_jobs import run_evidence_jobs

    code = _ticket([{"type": "image", "url": env.add_media("meta", JPEG, "image/jpeg"), "provider": "meta"}])
    env.fail_next("media", 503, count=2)
    now = MONDAY
    with httpx.Client() as client:
        assert run_evidence_jobs(client, now=now) == {"pending": 1}
        [row] = _evidence(code)
        assert row.attempts == 1 and "HTTP 503" in row.status_reason
        assert row.next_attempt_at.astimezone(WIB) == now + dt.timedelta(seconds=30)
        assert run_evidence_jobs(client, now=now + dt.timedelta(seconds=10)) == {}  # not due yet
        assert run_evidence_jobs(client, now=now + dt.timedelta(seconds=31)) == {"pending": 1}
        [row] = _evidence(code)
        assert row.next_attempt_at.astimezone(WIB) == now + dt.timedelta(seconds=31 + 60)
        assert run_evidence_jobs(client, now=now + dt.timedelta(minutes=5)) == {"stored": 1}
    [row] = _evidence(code)
    assert row.status == "stored" and row.status_reason is None and row.attempts == 2

    # a provider that keeps failing: given up after MAX_ATTEMPTS, with the reason on the ticket
    with session_scope() as s:
        row = s.get(TicketEvidence, row.id)
        row.status, row.attempts = "pending", 0
        for attempt in range(MAX_ATTEMPTS):
            mark_attempt_failed(row, "penyedia menjawab HTTP 500", now)
        assert row.status == "failed" and "tidak dapat diunduh" in row.status_reason
        assert due(s, now + dt.timedelta(days=1)) == []


def test_oversized_files_are_rejected_before_and_during_download(env: FakeProviders, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from worker.evidence_jobs import run_evidence_jobs

    routing = Path(__file__).resolve().parents[2] / "office" / "complaints" / "routing.yml"
    small = env.add_media("twilio", JPEG, "image/jpeg")
    big_tg = env.add_media("telegram", PDF + secrets.token_bytes(2000), "application/pdf")
    code = _ticket([{"type": "image", "url": small, "provider": "twilio"},
                    {"type": "document", "mime_type": "application/pdf", "file_id": big_tg, "provider": "telegram"}])
    limited = routing.read_text().replace("max_bytes: 10485760", "max_bytes: 1024")
    assert limited != routing.read_text()
    path = tmp_path / "routing.yml"
    path.write_text(limited)
    monkeypatch.setenv("COMPLAINTS_ROUTING", str(path))
    with httpx.Client() as client:
        assert run_evidence_jobs(client) == {"rejected": 2}
    rows = _evidence(code)
    assert all("melebihi batas 1 KB" in r.status_reason for r in rows)
    assert "(" in rows[1].status_reason  # Telegram told the size before any download
    assert not list((tmp_path / "media").rglob("??/*"))


def test_purge_deletes_closed_tickets_and_their_files(env: FakeProviders) -> None:
    from worker.evidence_jobs import run_evidence_jobs
    from worker.retention import purge_expired

    shared = env.add_media("twilio", JPEG, "image/jpeg")
    old_code = _ticket([{"type": "image", "url": shared, "provider": "twilio"}])
    keep_code = _ticket([{"type": "image", "url": env.add_media("meta", PNG, "image/png"), "provider": "meta"}],
                        sender="messenger:77")
    dup_code = _ticket([{"type": "image", "url": env.add_media("meta", PDF, "application/pdf"), "provider": "meta"}],
                       sender="messenger:78")
    with httpx.Client() as client:
        run_evidence_jobs(client)
    files = {c: stored_file(_evidence(c)[0]) for c in (old_code, keep_code, dup_code)}
    assert all(p and p.is_file() for p in files.values())
    with session_scope() as s:
        tickets = {t.code: t for t in s.scalars(select(Ticket))}
        set_status(s, tickets[old_code], "budi", "selesai", now=MONDAY)
        merge(s, tickets[dup_code], tickets[keep_code], "budi", now=MONDAY)  # copies the stored file's row
    purge_expired(now=MONDAY + dt.timedelta(days=366))
    with session_scope() as s:
        left = {t.code for t in s.scalars(select(Ticket))}
    assert left == {keep_code}  # the closed and the merged ticket are gone; the open one stays
    assert not files[old_code].exists()
    assert files[keep_code].is_file() and files[dup_code].is_file()  # the merged copy still uses it
    assert [e.status for e in _evidence(keep_code)] == ["stored", "stored"]


def test_a_messenger_document_counts_by_the_name_in_its_url() -> None:
    """Meta sends a document as {"type": "file", "payload": {"url": ...}}: no MIME type, no file name."""
    from office.complaints.service import check_evidence

    result = check_evidence([
        {"type": "document", "url": "https://cdn.fbsbx.com/v/t59.2708-21/4512/kuitansi.pdf?_nc_cat=1", "provider": "meta"},
        {"type": "document", "url": "https://cdn.fbsbx.com/v/t59.2708-21/4513/setup.exe?_nc_cat=1", "provider": "meta"},
    ])
    assert [(a["kind"], a["url"].split("/")[-1]) for a in result.accepted] == [("pdf", "kuitansi.pdf?_nc_cat=1")]
    assert [why for _a, why in result.rejected] == ["type"]


def test_two_workers_never_download_the_same_file(env: FakeProviders) -> None:
    """A row is claimed by one worker at a time; a worker whose lease ran out cannot overwrite the result of
    the worker that took the row over, and a dead worker's claim frees the row after the lease."""
    from office.complaints.evidence import CLAIM_LEASE, claim, holds
    from worker.evidence_jobs import run_evidence_jobs, store_one

    code = _ticket([{"type": "image", "mime_type": "image/jpeg", "provider": "twilio",
                     "url": env.add_media("twilio", JPEG, "image/jpeg")}])
    evidence_id = _evidence(code)[0].id
    now = dt.datetime.now(dt.timezone.utc)
    with session_scope() as s:
        first = claim(s, evidence_id, now)
    with session_scope() as s:
        assert first is not None and claim(s, evidence_id, now) is None  # the second worker gets nothing
    with httpx.Client() as client:
        assert run_evidence_jobs(client, now=now) == {}  # not due while claimed
        # the first worker died; after its lease another worker takes the row and stores the file
        later = now + CLAIM_LEASE + dt.timedelta(seconds=1)
        assert store_one(client, evidence_id, later) == "stored"
    with session_scope() as s:
        row = s.get(TicketEvidence, evidence_id)
        assert row.status == "stored" and not holds(row, first)  # the dead worker's late result would be ignored
