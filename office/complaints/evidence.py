"""Evidence files: which files may be kept (type by content, size), where they live, and each row's status.

Why sniff the content: the MIME type a provider or a phone declares is only a claim; a renamed .exe
arrives as "image/jpeg". The first bytes decide. Why SHA-256 file names: the provider's file name is
chosen by the sender (paths, double extensions, scripts); a content hash is safe to put on disk, and
the same photo sent twice is kept once. No HTTP here: the worker (worker/evidence_jobs.py) downloads
and hands the bytes over as chunks; the back-office serves what `stored_file` finds.

MEDIA_DIR is where files go (default var/media, next to the database); the limits are the complaint
routing configuration's (`evidence.max_bytes`, `evidence.allowed_mime`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from office import clock
from office.complaints.models import TicketEvidence
from office.settings import VAR_DIR

MAX_ATTEMPTS = 6  # then the row is marked failed: 30 s, 1, 2, 4, 8 min between tries
FIRST_BACKOFF = dt.timedelta(seconds=30)
MAX_BACKOFF = dt.timedelta(hours=1)
SNIFF_BYTES = 16
# How long a worker may hold a row while downloading it; a worker that dies frees it after this.
CLAIM_LEASE = dt.timedelta(minutes=5)

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic",
              "application/pdf": "pdf"}
TYPE_LABELS = {"image/jpeg": "foto JPG", "image/png": "gambar PNG", "image/webp": "gambar WebP",
               "image/heic": "foto HEIC", "application/pdf": "dokumen PDF"}
_HEIC_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


class EvidenceRejected(ValueError):
    """The file is not kept; the message says why, in Indonesian, for the officer's ticket page."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    mime_type: str
    relative_path: str  # under media_dir()


def media_dir() -> Path:
    """MEDIA_DIR, read on every call so a test (or an operator) can point a process elsewhere."""
    return Path(os.environ.get("MEDIA_DIR") or VAR_DIR / "media")


def sniff_mime(head: bytes) -> str | None:
    """The type the first bytes prove (JPEG, PNG, WebP, HEIC, PDF), else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def kind_of(mime: str) -> str:
    """'pdf' or 'image': the evidence kinds the routing configuration allows by name."""
    return "pdf" if mime == "application/pdf" else "image"


def size_text(size: int | None) -> str:
    """'2,4 MB', '830 KB', '512 B' for the officer's page; '-' when unknown."""
    if size is None:
        return "-"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def too_large_reason(max_bytes: int, size: int | None = None) -> str:
    seen = f" ({size_text(size)})" if size else ""
    return f"Berkas melebihi batas {size_text(max_bytes)}{seen}; tidak disimpan."


def store_stream(chunks: Iterable[bytes], *, max_bytes: int, allowed_mime: Sequence[str],
                 allowed_kinds: Sequence[str] = ("image", "pdf"), root: Path | None = None) -> StoredFile:
    """Write the chunks to MEDIA_DIR while hashing them; stop as soon as they pass `max_bytes`.

    The file is first written to a temporary name in the same directory, then renamed to its hash,
    so a crash never leaves a half file under a real name. Raises EvidenceRejected (nothing kept)."""
    root = root or media_dir()
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    handle = tempfile.NamedTemporaryFile(dir=root / "tmp", delete=False)
    temp = Path(handle.name)
    try:
        with handle:
            for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if size > max_bytes:
                    raise EvidenceRejected(too_large_reason(max_bytes))
                if len(head) < SNIFF_BYTES:
                    head += chunk[:SNIFF_BYTES - len(head)]
                digest.update(chunk)
                handle.write(chunk)
        if size == 0:
            raise EvidenceRejected("Berkas kosong; tidak disimpan.")
        mime = sniff_mime(head)
        allowed = sorted({TYPE_LABELS.get(m, m) for m in allowed_mime})
        if mime is None or mime not in allowed_mime or kind_of(mime) not in allowed_kinds:
            raise EvidenceRejected("Isi berkas bukan jenis yang diizinkan (" + ", ".join(allowed)
                                   + "); tidak disimpan.")
        sha = digest.hexdigest()
        relative = f"{sha[:2]}/{sha}"
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():  # the same content is already kept
            temp.unlink()
        else:
            os.chmod(temp, 0o640)
            os.replace(temp, target)
        return StoredFile(sha, size, mime, relative)
    finally:
        if temp.exists():
            temp.unlink()


def stored_file(evidence: TicketEvidence, root: Path | None = None) -> Path | None:
    """The file of a stored evidence row, only if it is really inside MEDIA_DIR and still there."""
    if evidence.status != "stored" or not evidence.stored_path:
        return None
    root = (root or media_dir()).resolve()
    path = (root / evidence.stored_path).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def download_name(code: str, evidence: TicketEvidence) -> str:
    """`ADU-2026-000123-bukti-4.jpg`: ours, never the sender's file name."""
    return f"{code}-bukti-{evidence.id}.{EXTENSIONS.get(evidence.mime_type or '', 'bin')}"


# ------------------------------------------------------------------------------------------------
# the row's status
# ------------------------------------------------------------------------------------------------
def due(session: Session, now: dt.datetime | None = None, limit: int = 20) -> list[TicketEvidence]:
    """Rows waiting for a download whose retry time has come, oldest first."""
    now = clock.to_utc(now or clock.now())
    query = (select(TicketEvidence)
             .where(TicketEvidence.status == "pending",
                    or_(TicketEvidence.next_attempt_at.is_(None), TicketEvidence.next_attempt_at <= now))
             .order_by(TicketEvidence.id).limit(limit))
    return list(session.scalars(query))


def claim(session: Session, evidence_id: int, now: dt.datetime | None = None,
          lease: dt.timedelta = CLAIM_LEASE) -> dt.datetime | None:
    """Take a due row for one worker, so several workers never download the same file at once.

    The claim pushes `next_attempt_at` past the lease in one conditional UPDATE (only one of two racing
    workers matches the row); the new value is the claim's token, returned, and `holds` checks it before
    the result is written. Returns None when another worker was faster or the row is no longer due."""
    now = clock.to_utc(now or clock.now())
    token = now + lease
    result = session.execute(
        update(TicketEvidence)
        .where(TicketEvidence.id == evidence_id, TicketEvidence.status == "pending",
               or_(TicketEvidence.next_attempt_at.is_(None), TicketEvidence.next_attempt_at <= now))
        .values(next_attempt_at=token)
        .execution_options(synchronize_session=False))
    return token if result.rowcount == 1 else None


def holds(evidence: TicketEvidence, token: dt.datetime) -> bool:
    """Whether the claim `token` is still this worker's (its lease did not run out and pass to another)."""
    return (evidence.status == "pending" and evidence.next_attempt_at is not None
            and clock.to_utc(evidence.next_attempt_at) == clock.to_utc(token))


def mark_stored(evidence: TicketEvidence, stored: StoredFile, now: dt.datetime | None = None) -> None:
    evidence.status = "stored"
    evidence.status_reason = None
    evidence.sha256 = stored.sha256
    evidence.size = stored.size
    evidence.mime_type = stored.mime_type
    evidence.kind = kind_of(stored.mime_type)
    evidence.stored_path = stored.relative_path
    evidence.stored_at = clock.to_utc(now or clock.now())
    evidence.next_attempt_at = None


def mark_rejected(evidence: TicketEvidence, reason: str) -> None:
    evidence.status = "rejected"
    evidence.status_reason = reason[:500]
    evidence.next_attempt_at = None


def mark_attempt_failed(evidence: TicketEvidence, error: str, now: dt.datetime | None = None,
                        permanent: bool = False) -> None:
    """Count the attempt; retry later with a doubling wait, or give up (failed) when it cannot succeed."""
    now = clock.to_utc(now or clock.now())
    evidence.attempts = (evidence.attempts or 0) + 1
    if permanent or evidence.attempts >= MAX_ATTEMPTS:
        evidence.status = "failed"
        evidence.status_reason = f"Berkas tidak dapat diunduh dari penyedia kanal: {error}"[:500]
        evidence.next_attempt_at = None
        return
    evidence.status_reason = f"Percobaan {evidence.attempts} gagal: {error}"[:500]
    evidence.next_attempt_at = now + min(FIRST_BACKOFF * 2 ** (evidence.attempts - 1), MAX_BACKOFF)


def copy_stored_fields(source: TicketEvidence) -> dict[str, object]:
    """What a merged copy of an evidence row keeps, so the file is not downloaded again."""
    return {"kind": source.kind, "mime_type": source.mime_type, "size": source.size, "provider": source.provider,
            "reference": source.reference, "created_at": source.created_at, "status": source.status,
            "status_reason": source.status_reason, "sha256": source.sha256, "stored_path": source.stored_path,
            "stored_at": source.stored_at, "attempts": source.attempts, "next_attempt_at": source.next_attempt_at}


def delete_unreferenced(session: Session, paths: Iterable[str], root: Path | None = None) -> int:
    """Delete stored files no evidence row points at any more (a merged copy may still use one)."""
    root = (root or media_dir()).resolve()
    removed = 0
    for relative in set(p for p in paths if p):
        still_used = session.scalar(select(TicketEvidence.id).where(TicketEvidence.stored_path == relative).limit(1))
        path = (root / relative).resolve()
        if still_used is None and root in path.parents and path.is_file():
            path.unlink()
            removed += 1
    return removed
