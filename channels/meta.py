"""Facebook Messenger and Instagram DM in one channel, through the Meta Graph API (Send API).

GET /webhooks/meta/webhook answers Meta's verify-token handshake; POST checks X-Hub-Signature-256
(HMAC-SHA256 of the raw body with the app secret) before reading anything, then handles every event
of the batch (Meta delivers several per request). Senders are `messenger:<PSID>` or `instagram:<IGSID>`.
Buttons become quick replies (at most 13, titles of at most 20 characters); more buttons fall back to
a numbered list. Outside the 24-hour window a pushed message is sent with a message tag
(META_MESSAGE_TAG, default HUMAN_AGENT); when that is disabled the send raises instead of dropping.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

import aiohttp
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import InputChannel, UserMessage

from channels import common
from channels.base import (ATTACHMENT_INTENT, LOCATION_INTENT, ChannelOutput, ProviderError, claim_once,
                           forget_buttons, mark_inbound, remember_buttons, resolve_digit, run_turn,
                           window_open)

log = logging.getLogger(__name__)

CHANNEL = "meta"
DEFAULT_GRAPH = "https://graph.facebook.com"
DEFAULT_VERSION = "v21.0"
PLATFORMS = {"page": "messenger", "instagram": "instagram"}
_MEDIA = {"image": "image", "video": "video", "audio": "audio", "file": "document"}


def _pick(credentials: Optional[Dict[Text, Any]], key: str, env: str, default: str = "") -> str:
    value = (credentials or {}).get(key)
    return str(value) if value not in (None, "") else os.environ.get(env, default)


def _length(platform: str) -> Callable[[str], int]:
    # Instagram counts its 1000 as UTF-8 bytes; measuring bytes is never longer than what it accepts
    if platform == "instagram":
        return lambda text: len(text.encode("utf-8"))
    return common.utf16_len


class MetaOutput(ChannelOutput):
    """Sends to `messenger:` and `instagram:` ids through the Graph API's /me/messages."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def __init__(self, page_token: str, instagram_token: str = "", graph_base_url: str = DEFAULT_GRAPH,
                 api_version: str = DEFAULT_VERSION, message_tag: str = "HUMAN_AGENT") -> None:
        self.page_token = page_token
        self.instagram_token = instagram_token or page_token
        self.graph_base_url = (graph_base_url or DEFAULT_GRAPH).rstrip("/")
        self.api_version = api_version or DEFAULT_VERSION
        self.message_tag = message_tag

    def _target(self, recipient_id: str) -> tuple[str, str, str]:
        try:
            platform, psid = common.split_sender(recipient_id)
        except ValueError as exc:
            raise ProviderError(str(exc)) from exc
        if platform not in PLATFORMS.values():
            raise ProviderError(f"{recipient_id[:12]}... is not a Messenger or Instagram sender id")
        token = self.instagram_token if platform == "instagram" else self.page_token
        if not token:
            raise ProviderError("Meta is not configured (META_PAGE_ACCESS_TOKEN)")
        return platform, psid, token

    async def _post(self, recipient_id: str, message: Dict[str, Any]) -> None:
        platform, psid, token = self._target(recipient_id)
        body: Dict[str, Any] = {"recipient": {"id": psid}, "message": message}
        if await window_open(recipient_id):
            body["messaging_type"] = "RESPONSE"
        elif self.message_tag:
            body["messaging_type"] = "MESSAGE_TAG"
            body["tag"] = self.message_tag
        else:
            raise ProviderError(f"{platform} user is outside the 24-hour window and META_MESSAGE_TAG is empty")
        url = f"{self.graph_base_url}/{self.api_version}/me/messages"
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
                async with session.post(url, params={"access_token": token}, json=body) as reply:
                    text = await reply.text()
                    if reply.status >= 300:
                        raise ProviderError(f"Graph API answered {reply.status}: {text[:300]}")
        except aiohttp.ClientError as exc:
            raise ProviderError(f"Graph API unreachable: {exc}") from exc

    async def _texts(self, recipient_id: str, text: str, last: Optional[Dict[str, Any]] = None) -> None:
        platform = common.split_sender(recipient_id)[0]
        chunks = common.split_text(text, common.TEXT_LIMITS.get(platform, 1000), _length(platform)) or [""]
        for i, chunk in enumerate(chunks):
            message: Dict[str, Any] = {"text": chunk}
            if last and i == len(chunks) - 1:
                message.update(last)
            await self._post(recipient_id, message)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self._target(recipient_id)
        if kwargs.get("message_kind") == "announcement" and not await window_open(recipient_id):
            # Meta's message tags (HUMAN_AGENT ...) forbid broadcasts: an announcement waits for the window
            raise ProviderError("announcements reach Messenger/Instagram users only within 24 hours of their "
                                "last message (Meta allows no tag for broadcasts)")
        await forget_buttons(recipient_id)
        await self._texts(recipient_id, text)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        self._target(recipient_id)
        replies = common.quick_replies(buttons)
        if replies is None:  # more than 13: a numbered list, answered with a digit
            await remember_buttons(recipient_id, buttons)
            await self._texts(recipient_id, common.render_numbered(text, buttons))
            return
        await forget_buttons(recipient_id)
        if not text:
            text = "Please choose:" if common.guess_language(" ".join(map(common.button_title, buttons))) == "en" \
                else "Silakan pilih:"
        await self._texts(recipient_id, text, {"quick_replies": replies})

    async def _attachment(self, recipient_id: str, kind: str, url: str) -> None:
        await self._post(recipient_id, {"attachment": {"type": kind, "payload": {"url": url, "is_reusable": True}}})

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._attachment(recipient_id, "image", image)

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        await self._attachment(recipient_id, "file", attachment)


def validate_batch(data: Any) -> List[Dict[str, Any]]:
    """Every messaging event of a webhook body with its platform; ValueError when the body is malformed."""
    if not isinstance(data, dict) or data.get("object") not in PLATFORMS or not isinstance(data.get("entry"), list):
        raise ValueError("not a Messenger or Instagram webhook")
    platform = PLATFORMS[data["object"]]
    events = []
    for entry in data["entry"]:
        if not isinstance(entry, dict):
            raise ValueError("entry is not an object")
        messaging = entry.get("messaging", [])
        if not isinstance(messaging, list):
            raise ValueError("messaging is not a list")
        for event in messaging:
            if not isinstance(event, dict) or not isinstance((event.get("sender") or {}).get("id"), str) \
                    or not (event["sender"]["id"]).strip():
                raise ValueError("event without sender id")
            for key in ("message", "postback", "message_edit"):
                if key in event and not isinstance(event[key], dict):
                    raise ValueError(f"{key} is not an object")
            events.append({"platform": platform, "event": event})
    return events


def parse_attachments(items: Any) -> tuple[List[Dict[str, Any]], Optional[Dict[str, Any]], bool]:
    """(attachments, location, unsupported) of a Meta message's attachments."""
    if not isinstance(items, list):
        raise ValueError("attachments is not a list")
    attachments, location, unsupported = [], None, False
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("attachment is not an object")
        kind, payload = item.get("type"), item.get("payload") or {}
        if kind == "location" and isinstance(payload.get("coordinates"), dict):
            coords = payload["coordinates"]
            try:
                location = {"latitude": float(coords["lat"]), "longitude": float(coords["long"])}
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError("location without coordinates") from exc
        elif kind in _MEDIA and payload.get("url") and not payload.get("sticker_id"):
            attachments.append({"type": _MEDIA[kind], "url": payload["url"], "size": None, "mime_type": None,
                                "provider": "meta"})
        else:  # stickers, story mentions, shared posts/reels, templates, fallback links
            unsupported = True
    return attachments, location, unsupported


class MetaInput(InputChannel):
    """The Meta webhook; without the app secret and verify token every call gets 403."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(app_secret=_pick(credentials, "app_secret", "META_APP_SECRET"),
                   verify_token=_pick(credentials, "verify_token", "META_VERIFY_TOKEN"),
                   page_token=_pick(credentials, "page_access_token", "META_PAGE_ACCESS_TOKEN"),
                   instagram_token=_pick(credentials, "instagram_access_token", "META_INSTAGRAM_ACCESS_TOKEN"),
                   graph_base_url=_pick(credentials, "graph_base_url", "META_GRAPH_API_BASE_URL", DEFAULT_GRAPH),
                   api_version=_pick(credentials, "api_version", "META_GRAPH_API_VERSION", DEFAULT_VERSION),
                   message_tag=_pick(credentials, "message_tag", "META_MESSAGE_TAG", "HUMAN_AGENT"))

    def __init__(self, app_secret: str = "", verify_token: str = "", page_token: str = "",
                 instagram_token: str = "", graph_base_url: str = DEFAULT_GRAPH, api_version: str = DEFAULT_VERSION,
                 message_tag: str = "HUMAN_AGENT") -> None:
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.page_token = page_token
        self.instagram_token = instagram_token
        self.graph_base_url = graph_base_url
        self.api_version = api_version
        self.message_tag = "" if message_tag.lower() in ("none", "off", "-") else message_tag

    def get_output_channel(self) -> MetaOutput:
        return MetaOutput(self.page_token, self.instagram_token, self.graph_base_url, self.api_version,
                          self.message_tag)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("meta_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if request.args.get("hub.mode") == "subscribe" and self.app_secret and common.verify_secret(
                    self.verify_token, request.args.get("hub.verify_token")):
                return response.text(request.args.get("hub.challenge") or "")
            return response.text("forbidden", status=403)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not common.verify_meta_signature(self.app_secret, request.body or b"",
                                                request.headers.get("X-Hub-Signature-256")):
                return response.text("forbidden", status=403)
            try:
                import json

                events = validate_batch(json.loads(request.body))
            except ValueError as exc:  # JSONDecodeError is a ValueError
                return response.text(f"bad request: {exc}", status=400)
            except RecursionError:  # nesting deeper than the parser can follow (a 500 before this)
                return response.text("bad request: JSON nested too deeply", status=400)
            for item in events:
                try:
                    await self.handle_event(on_new_message, item["platform"], item["event"])
                except ValueError as exc:
                    log.warning("meta: skipped a malformed event: %s", exc)
            return response.text("EVENT_RECEIVED")

        return bp

    async def handle_event(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], platform: str,
                           event: Dict[str, Any]) -> None:
        """One messaging event: a message, a quick reply, a postback, an edit; others are ignored."""
        sender = common.namespaced_sender(platform, event["sender"]["id"])
        output = self.get_output_channel()
        metadata: Dict[str, Any] = {"channel": platform}
        message, postback, edit = event.get("message"), event.get("postback"), event.get("message_edit")
        if message is not None:
            if message.get("is_echo") or message.get("is_deleted"):
                return
            mid = str(message.get("mid") or "")
            if not mid:
                raise ValueError("message without mid")
            if not await claim_once(CHANNEL, mid):
                log.info("meta: replay of %s ignored", mid)
                return
            await mark_inbound(sender)
            metadata["provider_message_id"] = mid
            text = str(message.get("text") or "").strip()
            quick = message.get("quick_reply") or {}
            attachments, location, unsupported = parse_attachments(message.get("attachments", []))
            if quick.get("payload"):
                text = str(quick["payload"])
                metadata["button_reply"] = True
            else:
                payload = await resolve_digit(sender, text)
                if payload:
                    metadata["button_reply"] = text
                    text = payload
            if attachments:
                metadata["attachments"] = attachments
                text = text or ATTACHMENT_INTENT
            if location:
                metadata["location"] = location
                text = text or LOCATION_INTENT
            if not text or message.get("is_unsupported"):
                await self._notice(output, sender, common.unsupported_notice())
                return
            await run_turn(on_new_message, output, text, sender, CHANNEL, metadata, message_id=mid)
        elif postback is not None:
            key = str(postback.get("mid") or f"postback:{sender}:{event.get('timestamp')}")
            if not await claim_once(CHANNEL, key):
                return
            await mark_inbound(sender)
            text = str(postback.get("payload") or postback.get("title") or "").strip()
            if text:
                metadata["button_reply"] = True
                await run_turn(on_new_message, output, text, sender, CHANNEL, metadata)
        elif edit is not None:
            key = f"edit:{edit.get('mid')}:{edit.get('num_edit')}"
            if not await claim_once(CHANNEL, key):
                return
            await mark_inbound(sender)
            await self._notice(output, sender, common.edit_notice(common.guess_language(str(edit.get("text")))))

    async def _notice(self, output: MetaOutput, sender: str, text: str) -> None:
        try:
            await output.send_text_message(sender, text)
        except ProviderError:
            log.exception("meta: could not send a notice")
