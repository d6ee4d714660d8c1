"""Worker job for complaints: climb the escalation ladder and send staff notifications.

Why in the worker: notifications are written in the same transaction as the ticket (table
complaint_notification); sending them here, with retries, means an SMTP or Telegram outage never
loses an alert and never slows a citizen's chat.

Environment: SMTP_HOST, SMTP_PORT (default 25), SMTP_FROM, optional SMTP_USER/SMTP_PASSWORD and
SMTP_STARTTLS=1; TELEGRAM_BOT_TOKEN, TELEGRAM_STAFF_CHAT_ID, TELEGRAM_API_BASE_URL
(default https://api.telegram.org). Either channel is skipped when not configured.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
from email.message import EmailMessage

import httpx
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from office import clock
from office.complaints.config import load_config
from office.complaints.models import StaffNotification, Ticket
from office.complaints.service import escalate_overdue
from office.db import session_scope
from office.handoff import expire_idle

log = logging.getLogger("worker.complaints")
MAX_ATTEMPTS = 8


class NotConfigured(RuntimeError):
    """Neither e-mail nor Telegram can carry this notification."""


def send_email(to: str, subject: str, body: str) -> None:
    """One plain-text e-mail through SMTP_HOST:SMTP_PORT."""
    host = os.environ.get("SMTP_HOST", "")
    port = int(os.environ.get("SMTP_PORT", "25") or 25)
    message = EmailMessage()
    message["From"] = os.environ.get("SMTP_FROM", "pengaduan@localhost")
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(host, port, timeout=20) as smtp:
        if os.environ.get("SMTP_STARTTLS") == "1":
            smtp.starttls()
        if os.environ.get("SMTP_USER"):
            smtp.login(os.environ["SMTP_USER"], os.environ.get("SMTP_PASSWORD", ""))
        smtp.send_message(message)


def send_telegram(client: httpx.Client, text: str) -> None:
    """sendMessage to the staff group; raises on any failure."""
    base = os.environ.get("TELEGRAM_API_BASE_URL", "https://api.telegram.org").rstrip("/")
    token = os.environ["TELEGRAM_BOT_TOKEN"]
    response = client.post(f"{base}/bot{token}/sendMessage",
                           data={"chat_id": os.environ["TELEGRAM_STAFF_CHAT_ID"], "text": text}, timeout=20)
    response.raise_for_status()
    if not response.json().get("ok"):
        raise ValueError(f"telegram answered {response.text[:200]}")


def _deliver(client: httpx.Client, note: StaffNotification, code: str, now: dt.datetime) -> None:
    """Send on every configured channel not yet done; raises on the first failure."""
    config = load_config()
    email = config.units.get(note.unit, "")
    telegram = bool(os.environ.get("TELEGRAM_BOT_TOKEN") and os.environ.get("TELEGRAM_STAFF_CHAT_ID"))
    smtp = bool(os.environ.get("SMTP_HOST") and email)
    if not telegram and not smtp:
        raise NotConfigured(f"no e-mail address for {note.unit} and no Telegram staff group")
    if smtp and note.email_sent_at is None:
        send_email(email, f"[Pengaduan] {code} untuk {note.unit}", note.text)
        note.email_sent_at = now
    if telegram and note.telegram_sent_at is None:
        send_telegram(client, f"[{note.unit}]\n{note.text}")
        note.telegram_sent_at = now


CLAIM_LEASE = dt.timedelta(minutes=2)  # > both send timeouts (20 s each); a dead worker's claim is retried after it


def _claim(session: Session, note: StaffNotification, now: dt.datetime) -> int | None:
    """Take `note` for this worker (status 'sending', lease in next_attempt_at); returns the claim's
    fencing number, or None when another worker was first. `attempts` is the fence: re-taking a claim
    whose worker died counts that try, so the dead worker's late outcome no longer matches."""
    fence = note.attempts + 1 if note.status == "sending" else note.attempts
    done = session.execute(update(StaffNotification)
                           .where(StaffNotification.id == note.id, StaffNotification.status == note.status,
                                  StaffNotification.attempts == note.attempts)
                           .values(status="sending", attempts=fence, next_attempt_at=now + CLAIM_LEASE)
                           .execution_options(synchronize_session=False))
    return fence if done.rowcount == 1 else None


def send_notifications(client: httpx.Client, limit: int = 20) -> int:
    """Send pending staff notifications whose retry time has come; returns how many were completed.
    With no channel configured a notification is marked 'skipped' (nothing to retry).
    Safe with several workers: each notification is claimed (committed) before it is sent, and the
    outcome is written only if the claim is still this worker's."""
    sent = 0
    now = clock.utc_now()
    with session_scope() as session:
        waiting = session.scalars(select(StaffNotification).where(StaffNotification.status.in_(("pending", "sending")))
                                  .order_by(StaffNotification.id).limit(limit * 5)).all()
        ready = [n for n in waiting if n.next_attempt_at is None or clock.to_utc(n.next_attempt_at) <= now][:limit]
        claims = [(note.id, fence) for note in ready if (fence := _claim(session, note, now)) is not None]
    for note_id, fence in claims:
        with session_scope() as session:
            note = session.get(StaffNotification, note_id, with_for_update=True)
            if note is None or note.status != "sending" or note.attempts != fence:
                continue
            ticket = session.get(Ticket, note.ticket_id)
            note.status = "pending"
            try:
                _deliver(client, note, ticket.code if ticket else "?", now)
            except NotConfigured as exc:
                note.status = "skipped"
                note.last_error = str(exc)
            except (OSError, smtplib.SMTPException, httpx.HTTPError, ValueError, KeyError) as exc:
                note.attempts += 1
                note.last_error = str(exc)[:2000]
                note.next_attempt_at = now + dt.timedelta(seconds=30 * 2 ** (note.attempts - 1))
                if note.attempts >= MAX_ATTEMPTS:
                    note.status = "failed"
                log.warning("complaint notification %s failed (attempt %s): %s", note.id, note.attempts, exc)
            else:
                note.status = "sent"
                note.sent_at = now
                note.next_attempt_at = None
                sent += 1
    return sent


def run_complaint_jobs(client: httpx.Client) -> None:
    """One pass: escalate overdue tickets, close idle live hand-offs (the citizen is told through the
    outbox), then send pending staff notifications."""
    try:
        with session_scope() as session:
            escalate_overdue(session, clock.now())
            expire_idle(session, clock.now())
    except IntegrityError:  # another worker escalated the same ticket at the same moment: its pass did the work
        log.info("escalation done concurrently by another worker; nothing to do")
    send_notifications(client)
