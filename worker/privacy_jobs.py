"""Erase a citizen's conversation from Rasa after "hapus data saya" (office/privacy_requests.py).

The action server runs inside Rasa's handling of the very message that asked, so it cannot erase the
tracker it is part of; the worker does it a moment later, with retries.

Rasa 3.6 has no DELETE for a conversation, and its SQL tracker store only ever appends: replacing the
tracker through PUT /conversations/{id}/tracker/events leaves the old rows in place. So the worker
deletes the conversation's rows in the tracker store (TRACKER_STORE_URL, as the retention purge does),
then puts a fresh session start through Rasa's API (which is all an in-memory tracker store needs),
and finally reads the tracker back through the API: the job is done only when no earlier user message
is left. Any failure is retried later (office/privacy_requests.tracker_failed).
"""
from __future__ import annotations

import logging
import os
import time
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, inspect, text

from office import clock
from office.db import normalise_url, session_scope
from office.privacy_requests import PrivacyRequest, due_tracker_erasures, tracker_erased, tracker_failed
from office.settings import get_settings

log = logging.getLogger("worker.privacy")
FRESH_SESSION = [{"event": "action", "name": "action_session_start"}, {"event": "session_started"}]


class TrackerNotErased(RuntimeError):
    """Rasa still shows user messages from before the request."""


def _delete_stored_events(sender_id: str, before: float) -> int:
    url = os.environ.get("TRACKER_STORE_URL")
    if not url:
        return 0
    engine = create_engine(normalise_url(url))
    try:
        if not inspect(engine).has_table("events"):
            return 0
        with engine.begin() as conn:
            return conn.execute(text("DELETE FROM events WHERE sender_id = :sender AND timestamp <= :before"),
                                {"sender": sender_id, "before": before}).rowcount or 0
    finally:
        engine.dispose()


def erase_tracker(client: httpx.Client, sender_id: str, before: float) -> None:
    """Remove every event of `sender_id` stamped up to `before` (epoch seconds, Rasa's own clock: the
    real one, never OFFICE_NOW); raises when Rasa cannot be reached or still shows an earlier message."""
    settings = get_settings()
    base = f"{settings.rasa_url}/conversations/{quote(sender_id, safe=':+')}/tracker"
    params = {"token": settings.rasa_token}
    _delete_stored_events(sender_id, before)
    client.put(f"{base}/events", params=params, json=FRESH_SESSION, timeout=30).raise_for_status()
    response = client.get(base, params={**params, "include_events": "ALL"}, timeout=30)
    response.raise_for_status()
    left = [e for e in response.json().get("events") or []
            if e.get("event") == "user" and float(e.get("timestamp") or 0) <= before]
    if left:
        raise TrackerNotErased(f"{len(left)} earlier user messages still in the tracker")


def _reason(exc: Exception) -> str:
    """A reason staff may read: no URL (it holds the sender id) and no response body."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"Rasa menjawab HTTP {exc.response.status_code}"
    if isinstance(exc, httpx.HTTPError):
        return f"Rasa tidak dapat dihubungi ({type(exc).__name__})"
    if isinstance(exc, TrackerNotErased):
        return str(exc)
    return f"{type(exc).__name__}"


def run_privacy_jobs(client: httpx.Client, limit: int = 20) -> int:
    """Erase the conversations of due erase requests; returns how many were finished."""
    done = 0
    with session_scope() as session:
        due = [(r.id, r.pending_sender_id) for r in due_tracker_erasures(session, clock.now(), limit)]
    for request_id, sender_id in due:
        before = time.time()
        error = None
        if sender_id:
            try:
                erase_tracker(client, sender_id, before)
            except Exception as exc:  # retried later; the reason is kept for the data-protection page
                error = _reason(exc)
        with session_scope() as session:
            request = session.get(PrivacyRequest, request_id)
            if request is None:
                continue
            if error:
                tracker_failed(request, error, clock.now())
                log.warning("privacy request %s: conversation not erased yet: %s", request_id, error)
            else:
                tracker_erased(request, clock.now())
                done += 1
    return done
