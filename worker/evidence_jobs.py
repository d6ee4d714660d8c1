"""Worker job: fetch the photos and documents citizens sent as complaint evidence and keep them.

Why in the worker: a chat turn must not wait for a download, and a provider outage must not lose
evidence; each pending row is tried here, with a doubling wait between attempts, until it is stored,
rejected (type or size, checked on the bytes themselves) or given up (office/complaints/evidence.py).

Where each provider keeps the file, and with which credentials:
- WhatsApp (Twilio): the MediaUrl, only on api.twilio.com, with HTTP basic auth AccountSid:AuthToken
  (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN; TWILIO_API_BASE_URL replaces https://api.twilio.com).
- Telegram: getFile with the file id, then <base>/file/bot<token>/<file_path> (TELEGRAM_BOT_TOKEN,
  TELEGRAM_API_BASE_URL).
- Messenger/Instagram: the attachment URL, a plain GET, only on Meta's CDN hosts (or the host of
  META_GRAPH_API_BASE_URL), so a URL can never make the worker fetch from the office's own network.
Credentials are never sent to any other host, and URLs (Telegram's holds the token) are never logged.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from typing import Iterator
from urllib.parse import urlsplit

import httpx

from office import clock
from office.complaints.config import load_config
from office.complaints.evidence import (
    EvidenceRejected, claim, delete_unreferenced, due, holds, mark_attempt_failed, mark_rejected, mark_stored,
    size_text, store_stream, too_large_reason,
)
from office.complaints.models import TicketEvidence
from office.db import session_scope

log = logging.getLogger("worker.evidence")
TWILIO_API = "https://api.twilio.com"
TELEGRAM_API = "https://api.telegram.org"
META_MEDIA_HOSTS = ("fbcdn.net", "fbsbx.com", "cdninstagram.com", "facebook.com", "instagram.com")
CHUNK = 64 * 1024
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class DownloadError(RuntimeError):
    """The provider did not hand the file over; `permanent` when retrying cannot help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def _check_status(response: httpx.Response) -> None:
    if response.status_code < 300:
        return
    # gone, forbidden or malformed: the same request will fail again; others (401 config, 429, 5xx) may pass later
    permanent = response.status_code in (400, 403, 404, 410)
    raise DownloadError(f"penyedia menjawab HTTP {response.status_code}", permanent=permanent)


def _twilio_request(reference: str) -> tuple[str, tuple[str, str]]:
    base = (os.environ.get("TWILIO_API_BASE_URL") or TWILIO_API).rstrip("/")
    if not reference.startswith(TWILIO_API + "/") and not reference.startswith(base + "/"):
        raise DownloadError("alamat media bukan milik Twilio", permanent=True)
    sid, token = os.environ.get("TWILIO_ACCOUNT_SID", ""), os.environ.get("TWILIO_AUTH_TOKEN", "")
    if not (sid and token):
        raise DownloadError("WhatsApp (Twilio) belum dikonfigurasi")
    if reference.startswith(TWILIO_API + "/"):
        reference = base + reference[len(TWILIO_API):]
    return reference, (sid, token)


def _telegram_url(client: httpx.Client, file_id: str, max_bytes: int) -> str:
    base = (os.environ.get("TELEGRAM_API_BASE_URL") or TELEGRAM_API).rstrip("/")
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "")
    if not token:
        raise DownloadError("Telegram belum dikonfigurasi")
    response = client.post(f"{base}/bot{token}/getFile", data={"file_id": file_id}, timeout=TIMEOUT)
    _check_status(response)
    result = (response.json() or {}).get("result") or {}
    if not result.get("file_path"):
        raise DownloadError("Telegram tidak memberikan lokasi berkas", permanent=True)
    if isinstance(result.get("file_size"), int) and result["file_size"] > max_bytes:
        raise EvidenceRejected(too_large_reason(max_bytes, result["file_size"]))
    return f"{base}/file/bot{token}/{result['file_path']}"


def _meta_url(reference: str) -> str:
    parts = urlsplit(reference)
    host = (parts.hostname or "").lower()
    graph_host = (urlsplit(os.environ.get("META_GRAPH_API_BASE_URL", "")).hostname or "").lower()
    trusted = any(host == h or host.endswith("." + h) for h in META_MEDIA_HOSTS)
    if not ((trusted and parts.scheme == "https") or (graph_host and host == graph_host)):
        raise DownloadError("alamat lampiran bukan milik Meta", permanent=True)
    return reference


@contextlib.contextmanager
def open_download(client: httpx.Client, provider: str, reference: str, max_bytes: int) -> Iterator[Iterator[bytes]]:
    """The file's bytes as a stream of chunks, from whichever provider holds it."""
    auth = None
    if provider == "twilio":
        url, auth = _twilio_request(reference)
    elif provider == "telegram":
        url = _telegram_url(client, reference, max_bytes)
    elif provider == "meta":
        url = _meta_url(reference)
    else:
        raise DownloadError(f"kanal {provider!r} tidak menyimpan berkas", permanent=True)
    # httpx drops the Authorization header when a redirect leaves the host (Twilio redirects to its CDN)
    with client.stream("GET", url, auth=auth, follow_redirects=True, timeout=TIMEOUT) as response:
        _check_status(response)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise EvidenceRejected(too_large_reason(max_bytes, int(declared)))
        yield response.iter_bytes(CHUNK)


def store_one(client: httpx.Client, evidence_id: int, now: dt.datetime | None = None) -> str:
    """Try one evidence row; returns its new status. The download runs outside any transaction."""
    config = load_config()
    with session_scope() as session:
        row = session.get(TicketEvidence, evidence_id)
        if row is None or row.status != "pending":
            return row.status if row else "gone"
        token = claim(session, evidence_id, now)
        if token is None:  # another worker is on it, or it is not due any more
            return "claimed"
        provider, reference = row.provider or "", row.reference or ""
    stored = rejected = None
    error: DownloadError | None = None
    try:
        if not reference:
            raise DownloadError("tidak ada rujukan berkas", permanent=True)
        with open_download(client, provider, reference, config.max_evidence_bytes) as chunks:
            stored = store_stream(chunks, max_bytes=config.max_evidence_bytes, allowed_mime=config.allowed_mime,
                                  allowed_kinds=config.allowed_evidence_types)
    except EvidenceRejected as exc:
        rejected = str(exc)
    except DownloadError as exc:
        error = exc
    except (httpx.HTTPError, OSError, ValueError) as exc:  # network, disk, a non-JSON getFile answer
        error = DownloadError(type(exc).__name__)
    with session_scope() as session:
        row = session.get(TicketEvidence, evidence_id)
        if row is None:  # the ticket was purged meanwhile: keep nothing of it
            if stored is not None:
                delete_unreferenced(session, [stored.relative_path])
            return "gone"
        if not holds(row, token):
            # our lease ran out and another worker took the row over: its result counts. The file (named by
            # its content) is left in place, since that worker may be about to point the row at the same one.
            return "claimed"
        if stored is not None:
            mark_stored(row, stored, now)
            log.info("evidence %s stored (%s, %s)", evidence_id, stored.mime_type, size_text(stored.size))
        elif rejected is not None:
            mark_rejected(row, rejected)
            log.info("evidence %s rejected: %s", evidence_id, rejected)
        elif error is not None:
            mark_attempt_failed(row, str(error), now, permanent=error.permanent)
            log.warning("evidence %s: download attempt %s failed (%s)", evidence_id, row.attempts, error)
        return row.status


def run_evidence_jobs(client: httpx.Client | None = None, limit: int = 20,
                      now: dt.datetime | None = None) -> dict[str, int]:
    """Try every evidence row that is due; returns how many ended in each status."""
    now = now or clock.now()
    with session_scope() as session:
        ids = [row.id for row in due(session, now, limit)]
    counts: dict[str, int] = {}
    if not ids:
        return counts
    own = client is None
    client = client or httpx.Client()
    try:
        for evidence_id in ids:
            status = store_one(client, evidence_id, now)
            counts[status] = counts.get(status, 0) + 1
    finally:
        if own:
            client.close()
    return counts
