"""Deliver outbox messages through Rasa's HTTP API (trigger_intent), so every channel formats them."""
from __future__ import annotations

import json
import logging
import os
import socket
from urllib.parse import quote

import httpx

from office import clock
from office.db import session_scope
from office.outbox import OutboxMessage, claim_due, finish_claim
from office.privacy import mask_personal_data
from office.settings import get_settings

log = logging.getLogger("worker.delivery")

RELAY_INTENT = "EXTERNAL_office_message"
# Kinds the conversation renders itself (buttons, the citizen's language) instead of relaying the text.
INTENT_BY_KIND = {"survey_invite": "EXTERNAL_survey_invite"}
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"  # names this process's outbox claims


def deliver(message: OutboxMessage, client: httpx.Client) -> None:
    """Ask Rasa to run the relay rule in the citizen's conversation; raises on any failure."""
    settings = get_settings()
    url = f"{settings.rasa_url}/conversations/{quote(message.sender_id, safe=':+')}/trigger_intent"
    body = {"name": INTENT_BY_KIND.get(message.kind, RELAY_INTENT),
            "entities": {"office_message": message.text, "message_kind": message.kind,
                         **json.loads(message.payload or "{}"),
                         # a worker killed after Rasa accepted but before recording it resends the message
                         # after its claim lease; the relay action skips an outbox_id it already showed
                         "outbox_id": str(message.id)}}
    response = client.post(url, params={"output_channel": message.output_channel, "token": settings.rasa_token},
                           json=body, timeout=30)
    response.raise_for_status()


def deliver_due(client: httpx.Client, limit: int = 20) -> int:
    """One pass: claim what is due (so no other worker sends it too), deliver it with no database
    transaction open during the HTTP calls, then record each outcome; returns how many were sent."""
    sent = 0
    with session_scope() as session:
        claimed = claim_due(session, clock.now(), WORKER_ID, limit)
    for message in claimed:
        error: str | None = None
        try:
            deliver(message, client)
        except (httpx.HTTPError, ValueError) as exc:
            error = mask_personal_data(str(exc) or exc.__class__.__name__)  # the URL holds the sender id
            log.warning("outbox %s to %s failed (attempt %s): %s", message.id,
                        mask_personal_data(message.sender_id), message.attempts + 1, error)
        with session_scope() as session:
            if not finish_claim(session, message.id, message.claimed_by or "", error, clock.now()):
                log.warning("outbox %s: claim expired during delivery; another worker took it", message.id)
            elif error is None:
                sent += 1
    return sent
