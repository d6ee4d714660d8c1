"""Conversation ids: every sender id is namespaced by its channel ("whatsapp:+62…", "telegram:123", "web:…")."""
from __future__ import annotations


def channel_of(sender_id: str | None) -> str | None:
    """The channel a sender id belongs to (the part before the first colon); "rest" for a bare id (Rasa's REST
    channel, used by tests and integrations), None when there is no sender (an anonymous complaint)."""
    if not sender_id:
        return None
    return sender_id.split(":", 1)[0] if ":" in sender_id else "rest"
