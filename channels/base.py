"""Rasa-side plumbing every channel shares: response dispatch, running a turn, store access off the event loop.

Incoming webhooks run the dialogue with a collecting channel first and deliver afterwards, so the
tracker is saved even when the provider is down (the user's message is never lost); messages Rasa
sends on its own (`trigger_intent`) go straight through the channel's output and a provider failure
raises, so the HTTP call fails and the worker's outbox retries.
"""
from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import OutputChannel, UserMessage

from channels import outage, speedups
from channels.state import StateStore, get_store

outage.install()  # polite answers when the action server or the tracker store is down (see channels/outage.py)
speedups.install()  # the same work for less CPU and no stalls of the event loop (see channels/speedups.py)

log = logging.getLogger(__name__)

# Intent payloads sent to Rasa when a message carries no text of its own.
ATTACHMENT_INTENT = "/share_attachment"
LOCATION_INTENT = "/share_location"
GREET_INTENT = "/greet"

_DISPATCHED = {"text", "buttons", "quick_replies", "image", "attachment", "custom", "elements", "recipient_id"}


class ProviderError(RuntimeError):
    """The provider refused or failed a send; raised so the caller (Rasa's HTTP API, the outbox) sees it."""


async def in_thread(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking store call without stalling Rasa's event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(func, *args, **kwargs))


def store() -> StateStore:
    return get_store()


class RecordingOutputChannel(OutputChannel):
    """Keeps every bot message exactly as Rasa produced it (CollectingOutputChannel drops extra keys)."""

    def __init__(self) -> None:
        self.messages: List[Dict[Text, Any]] = []

    @classmethod
    def name(cls) -> Text:
        return "recording"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.messages.append(dict(message))


class ChannelOutput(OutputChannel):
    """Dispatches one Rasa message dict to the channel's primitives, in a fixed order."""

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        text = message.get("text") or ""
        buttons = message.get("buttons") or message.get("quick_replies") or []
        extra = {k: v for k, v in message.items() if k not in _DISPATCHED}
        if buttons:
            await self.send_text_with_buttons(recipient_id, text, buttons, **extra)
        elif text:
            await self.send_text_message(recipient_id, text, **extra)
        if message.get("elements"):
            await self.send_elements(recipient_id, message["elements"], **extra)
        if message.get("image"):
            await self.send_image_url(recipient_id, message["image"], **extra)
        attachment = message.get("attachment")
        if attachment and attachment != message.get("image"):
            url = attachment.get("url") or (attachment.get("payload") or {}).get("src") \
                if isinstance(attachment, dict) else attachment
            if url:
                await self.send_attachment(recipient_id, str(url), **extra)
        if message.get("custom") is not None:
            log.debug("%s: custom payload not rendered on this channel", self.name())

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        raise NotImplementedError

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        raise NotImplementedError

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        raise NotImplementedError


async def run_turn(on_new_message: Callable[[UserMessage], Awaitable[Any]], output: ChannelOutput,
                   text: str, sender_id: str, input_channel: str, metadata: Dict[str, Any],
                   message_id: Optional[str] = None) -> bool:
    """Let Rasa handle one user message, then deliver its replies; False when a delivery failed."""
    recorder = RecordingOutputChannel()
    await on_new_message(UserMessage(text, recorder, sender_id, input_channel=input_channel,
                                     metadata=metadata, message_id=message_id))
    return await deliver(output, sender_id, recorder.messages)


async def deliver(output: ChannelOutput, sender_id: str, messages: List[Dict[str, Any]]) -> bool:
    """Send replies in order; a failure is logged (the webhook is still acknowledged: the id is claimed)."""
    try:
        for message in messages:
            await output.send_response(sender_id, dict(message))
    except Exception:  # noqa: BLE001 - any provider failure; the conversation itself is saved
        log.exception("%s: delivering a reply failed", output.name())
        return False
    return True


# ---------------------------------------------------------------------------------------------
# state shared by the channels (all calls run off the event loop)

async def claim_once(channel: str, provider_id: str) -> bool:
    """True the first time a provider id is seen (on any replica, across restarts); False for a replay."""
    from channels.state import SEEN_TTL

    return bool(await in_thread(store().claim, f"seen:{channel}:{provider_id}", SEEN_TTL))


async def remember_buttons(sender_id: str, buttons: List[Dict[str, Any]]) -> None:
    """Keep the numbered buttons last shown to `sender_id`, so a digit reply maps back to a payload."""
    from channels.common import button_payload, button_title
    from channels.state import BUTTONS_TTL

    value = [{"title": button_title(b), "payload": button_payload(b)} for b in buttons]
    await in_thread(store().put_json, f"buttons:{sender_id}", value, BUTTONS_TTL)


async def forget_buttons(sender_id: str) -> None:
    await in_thread(store().delete, f"buttons:{sender_id}")


async def resolve_digit(sender_id: str, text: str) -> Optional[str]:
    """The payload of the numbered button the user answered with a digit, or None."""
    from channels.common import digit_to_payload

    if not text or not text.strip().strip("().").isdigit():
        return None
    stored = await in_thread(store().get_json, f"buttons:{sender_id}")
    if not stored:
        return None
    return digit_to_payload(text, [str(b.get("payload", "")) for b in stored])


async def mark_inbound(sender_id: str) -> None:
    """The user just wrote: the provider's 24-hour customer-service window is open."""
    import datetime as dt

    from channels.state import WINDOW_TTL

    now = dt.datetime.now(dt.timezone.utc).isoformat()
    await in_thread(store().put, f"inbound:{sender_id}", now, WINDOW_TTL)


async def window_open(sender_id: str) -> bool:
    return await in_thread(store().get, f"inbound:{sender_id}") is not None
