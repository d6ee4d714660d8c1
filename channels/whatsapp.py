"""WhatsApp through Twilio, written for this office instead of Rasa's built-in `twilio` connector.

Webhooks: POST /webhooks/whatsapp/webhook (incoming messages) and POST /webhooks/whatsapp/status
(delivery status callbacks). Both check X-Twilio-Signature against the URL Twilio called: behind a
proxy, set TWILIO_PUBLIC_BASE_URL to the public https origin so the signed URL is rebuilt exactly.
Replies go through Twilio's REST API (twilio 8.2 async client). Buttons become a numbered list; a digit
reply is mapped back to the button's payload. Outside WhatsApp's 24-hour customer-service window a
message is sent as an approved template (TWILIO_CONTENT_SID_<KIND>, or TWILIO_CONTENT_SID_DEFAULT);
without one the send raises, so the outbox keeps it and reports it, never dropping it silently.
"""
from __future__ import annotations

import json
import logging
import os
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text
from urllib.parse import parse_qs, urlsplit

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import InputChannel, UserMessage

from channels import common
from channels.base import (ATTACHMENT_INTENT, LOCATION_INTENT, ChannelOutput, ProviderError, claim_once,
                           forget_buttons, mark_inbound, remember_buttons, resolve_digit, run_turn,
                           window_open)

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
TWILIO_API = "https://api.twilio.com"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
TEMPLATE_VARIABLE_MAX = common.TEMPLATE_VARIABLE_MAX  # Twilio content variables above this size are rejected


def _setting(credentials: Optional[Dict[Text, Any]], key: str, env: str, default: str = "") -> str:
    value = (credentials or {}).get(key)
    return str(value) if value not in (None, "") else os.environ.get(env, default)


def _rebased_http_client(base_url: str) -> Any:
    """Twilio's aiohttp client, pointed at `base_url` instead of api.twilio.com (tests, regional proxies)."""
    from twilio.http.async_http_client import AsyncTwilioHttpClient

    class RebasedClient(AsyncTwilioHttpClient):
        async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            if base_url and url.startswith(TWILIO_API):
                url = base_url.rstrip("/") + url[len(TWILIO_API):]
            return await super().request(method, url, *args, **kwargs)

    return RebasedClient(pool_connections=False, timeout=20)


class WhatsAppOutput(ChannelOutput):
    """Sends to `whatsapp:+62...` ids through Twilio; any refusal raises ProviderError."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def __init__(self, account_sid: str, auth_token: str, from_number: str, messaging_service_sid: str = "",
                 api_base_url: str = "", status_callback: str = "") -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.api_base_url = api_base_url
        self.status_callback = status_callback

    async def _create(self, to: str, **fields: Any) -> str:
        from twilio.base.exceptions import TwilioException
        from twilio.rest import Client

        if not to.startswith("whatsapp:"):
            raise ProviderError(f"{to[:12]}... is not a WhatsApp sender id")
        if not (self.account_sid and self.auth_token and (self.from_number or self.messaging_service_sid)):
            raise ProviderError("WhatsApp is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "
                                "TWILIO_WHATSAPP_NUMBER)")
        if self.messaging_service_sid:
            fields["messaging_service_sid"] = self.messaging_service_sid
        else:
            fields["from_"] = self.from_number
        if self.status_callback:
            fields["status_callback"] = self.status_callback
        http_client = _rebased_http_client(self.api_base_url)
        client = Client(self.account_sid, self.auth_token, http_client=http_client)
        try:
            message = await client.messages.create_async(to=to, **fields)
        except TwilioException as exc:
            raise ProviderError(f"Twilio refused the message: {exc}") from exc
        except OSError as exc:  # aiohttp connection errors
            raise ProviderError(f"Twilio unreachable: {exc}") from exc
        return str(message.sid)

    async def _send_text(self, recipient_id: str, text: str, kind: str) -> None:
        if await window_open(recipient_id):
            for chunk in common.split_text(text, common.TEXT_LIMITS[CHANNEL]):
                await self._create(recipient_id, body=chunk)
            return
        content_sid = template_sid(kind)
        if not content_sid:
            raise ProviderError(f"{recipient_id[:13]}... is outside the 24-hour WhatsApp window and no template "
                                f"is configured for {kind!r} (set TWILIO_CONTENT_SID_{kind.upper()} or "
                                f"TWILIO_CONTENT_SID_DEFAULT)")
        variable = text if len(text) <= TEMPLATE_VARIABLE_MAX else text[:TEMPLATE_VARIABLE_MAX - 1] + "…"
        await self._create(recipient_id, content_sid=content_sid,
                           content_variables=json.dumps({"1": variable}, ensure_ascii=False))

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await forget_buttons(recipient_id)
        await self._send_text(recipient_id, text, _kind(kwargs))

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        await remember_buttons(recipient_id, buttons)
        await self._send_text(recipient_id, common.render_numbered(text, buttons), _kind(kwargs))

    async def _send_media(self, recipient_id: str, url: str) -> None:
        if not await window_open(recipient_id):
            raise ProviderError("media cannot be sent outside the 24-hour WhatsApp window")
        await self._create(recipient_id, media_url=[url])

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._send_media(recipient_id, image)

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        await self._send_media(recipient_id, attachment)


def _kind(kwargs: Dict[str, Any]) -> str:
    return str(kwargs.get("message_kind") or "default")


template_sid = common.template_sid  # kept here by name: the back-office preview reads it from channels.common


# What Twilio sends (a signed request with anything else is garbage: 400, never a message to the bot).
TWILIO_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")
WHATSAPP_FROM = re.compile(r"whatsapp:\+\d{6,15}")


def _form(request: Request) -> Dict[str, List[str]]:
    """The posted form with blank values kept: Twilio signs empty parameters too (Sanic drops them)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return {}
    try:
        return parse_qs((request.body or b"").decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return {}


def _one(form: Dict[str, List[str]], key: str) -> str:
    values = form.get(key) or [""]
    return str(values[0])


def parse_inbound(form: Dict[str, List[str]]) -> Dict[str, Any]:
    """What a Twilio WhatsApp webhook says, in channel-neutral terms; ValueError when malformed."""
    sid = _one(form, "MessageSid") or _one(form, "SmsMessageSid")
    sender = _one(form, "From")
    if not TWILIO_SID.fullmatch(sid) or not WHATSAPP_FROM.fullmatch(sender):
        raise ValueError("a Twilio MessageSid and a whatsapp:+<number> From are required")
    try:
        num_media = int(_one(form, "NumMedia") or 0)
    except ValueError as exc:
        raise ValueError("NumMedia is not a number") from exc
    attachments = []
    for i in range(max(0, min(num_media, 10))):
        url = _one(form, f"MediaUrl{i}")
        if not url:
            raise ValueError(f"MediaUrl{i} missing")
        mime = _one(form, f"MediaContentType{i}")
        attachments.append({"type": common.attachment_kind(mime), "mime_type": mime or None, "url": url,
                            "size": None, "provider": "twilio"})
    location = None
    if _one(form, "Latitude") and _one(form, "Longitude"):
        try:
            location = {"latitude": float(_one(form, "Latitude")), "longitude": float(_one(form, "Longitude"))}
        except ValueError as exc:
            raise ValueError("Latitude/Longitude are not numbers") from exc
        for key, name in (("Address", "address"), ("Label", "label")):
            if _one(form, key):
                location[name] = _one(form, key)
    return {"sid": sid, "sender": common.namespaced_sender(CHANNEL, sender), "text": _one(form, "Body").strip(),
            "button_payload": _one(form, "ButtonPayload"), "attachments": attachments, "location": location,
            "profile_name": _one(form, "ProfileName")}


class WhatsAppInput(InputChannel):
    """Twilio WhatsApp webhook; rejects everything with 403 until its secrets are configured."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(
            account_sid=_setting(credentials, "account_sid", "TWILIO_ACCOUNT_SID"),
            auth_token=_setting(credentials, "auth_token", "TWILIO_AUTH_TOKEN"),
            from_number=_setting(credentials, "whatsapp_number", "TWILIO_WHATSAPP_NUMBER"),
            messaging_service_sid=_setting(credentials, "messaging_service_sid", "TWILIO_MESSAGING_SERVICE_SID"),
            public_base_url=_setting(credentials, "public_base_url", "TWILIO_PUBLIC_BASE_URL"),
            api_base_url=_setting(credentials, "api_base_url", "TWILIO_API_BASE_URL"),
        )

    def __init__(self, account_sid: str = "", auth_token: str = "", from_number: str = "",
                 messaging_service_sid: str = "", public_base_url: str = "", api_base_url: str = "") -> None:
        if from_number and not from_number.startswith("whatsapp:"):
            from_number = f"whatsapp:{from_number}"
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.public_base_url = public_base_url.rstrip("/")
        self.api_base_url = api_base_url

    def get_output_channel(self) -> WhatsAppOutput:
        status = f"{self.public_base_url}/webhooks/{CHANNEL}/status" if self.public_base_url else ""
        return WhatsAppOutput(self.account_sid, self.auth_token, self.from_number, self.messaging_service_sid,
                              self.api_base_url, status)

    def public_url(self, request: Request) -> str:
        """The URL Twilio signed: the configured public origin + path + query, or the URL as received."""
        if not self.public_base_url:
            return request.url
        query = urlsplit(request.url).query
        return f"{self.public_base_url}{request.path}" + (f"?{query}" if query else "")

    def verified(self, request: Request) -> bool:
        if not (self.account_sid and self.auth_token):
            return False
        return common.verify_twilio_signature(self.auth_token, self.public_url(request), _form(request),
                                              request.headers.get("X-Twilio-Signature"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("whatsapp_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.verified(request):
                return response.text("forbidden", status=403)
            try:
                inbound = parse_inbound(_form(request))
            except ValueError as exc:
                return response.text(f"bad request: {exc}", status=400)
            if not await claim_once(CHANNEL, inbound["sid"]):
                log.info("whatsapp: replay of %s ignored", inbound["sid"])
                return response.text(EMPTY_TWIML, content_type="text/xml")
            sender = inbound["sender"]
            await mark_inbound(sender)
            await self.handle(on_new_message, inbound)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        @bp.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            if not self.verified(request):
                return response.text("forbidden", status=403)
            form = _form(request)
            sid, state = _one(form, "MessageSid"), _one(form, "MessageStatus")
            if not sid or not state:
                return response.text("bad request: MessageSid and MessageStatus are required", status=400)
            if state in ("failed", "undelivered"):
                log.warning("whatsapp: message %s %s (Twilio error %s)", sid, state, _one(form, "ErrorCode") or "-")
            else:
                log.info("whatsapp: message %s %s", sid, state)
            return response.empty()

        return bp

    async def handle(self, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                     inbound: Dict[str, Any]) -> None:
        sender = inbound["sender"]
        output = self.get_output_channel()
        metadata: Dict[str, Any] = {"channel": CHANNEL, "provider_message_id": inbound["sid"]}
        if inbound["profile_name"]:
            metadata["profile_name"] = inbound["profile_name"]
        text = inbound["button_payload"] or inbound["text"]
        payload = None if inbound["button_payload"] else await resolve_digit(sender, text)
        if payload:
            metadata["button_reply"] = text.strip()
            text = payload
        if inbound["attachments"]:
            metadata["attachments"] = inbound["attachments"]
            text = text or ATTACHMENT_INTENT
        if inbound["location"]:
            metadata["location"] = inbound["location"]
            text = text or LOCATION_INTENT
        if not text:
            try:
                await output.send_text_message(sender, common.unsupported_notice())
            except ProviderError:
                log.exception("whatsapp: could not send the unsupported-message notice")
            return
        await run_turn(on_new_message, output, text, sender, CHANNEL, metadata, message_id=inbound["sid"])
