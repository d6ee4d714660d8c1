"""Deliver outbox messages through Rasa's HTTP API (trigger_intent), so every channel formats them."""
from __future__ import annotations

import json
import logging
from urllib.parse import quote

import httpx

from office import clock
from office.db import session_scope
from office.outbox import OutboxMessage, due, mark_failed, mark_sent
from office.privacy import mask_personal_data
from office.settings import get_settings

log = logging.getLogger("worker.delivery")

RELAY_INTENT = "EXTERNAL_office_message"


def deliver(message: OutboxMessage, client: httpx.Client) -> None:
    """Ask Rasa to run the relay rule in the citizen's conversation; raises on any failure."""
    settings = get_settings()
    url = f"{settings.rasa_url}/conversations/{quote(message.sender_id, safe=':+')}/trigger_intent"
    body = {"name": RELAY_INTENT, "entities": {"office_message": message.text, "message_kind": message.kind,
                                               **json.loads(message.payload or "{}")}}
    response = client.post(url, params={"output_channel": message.output_channel, "token": settings.rasa_token},
                           json=body, timeout=30)
    response.raise_for_status()


def deliver_due(client: httpx.Client, limit: int = 20) -> int:
    """One pass: deliver what is due; returns how many were sent."""
    sent = 0
    now = clock.now()
    with session_scope() as session:
        for message in due(session, now, limit):
            try:
                deliver(message, client)
            except (httpx.HTTPError, ValueError) as exc:
                mark_failed(message, str(exc), now)
                log.warning("outbox %s to %s failed (attempt %s): %s", message.id,
                            mask_personal_data(message.sender_id), message.attempts, exc)
            else:
                mark_sent(message, now)
                sent += 1
    return sent
