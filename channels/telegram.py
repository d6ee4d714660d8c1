"""Telegram through python-telegram-bot 22, written for this office instead of Rasa's `telegram` connector.

Webhook: POST /webhooks/telegram/webhook, accepted only with the X-Telegram-Bot-Api-Secret-Token set by
`python -m channels.telegram_setup` (or fed by `python -m channels.telegram_polling` in development).
Buttons are inline keyboards (a press arrives as callback_query and becomes the payload), photos and
documents arrive as metadata (file id, size), locations too; `/start <payload>` deep links (QR codes on
the office wall) greet and pass the payload as metadata.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import InputChannel, UserMessage

from channels import common
from channels.base import (ATTACHMENT_INTENT, GREET_INTENT, LOCATION_INTENT, ChannelOutput, ProviderError,
                           claim_once, in_thread, run_turn, store)

log = logging.getLogger(__name__)

CHANNEL = "telegram"
DEFAULT_API = "https://api.telegram.org"
CALLBACK_DATA_MAX = 64  # bytes, Telegram's limit for callback_data
_START = re.compile(r"^/start(?:@\w+)?(?:\s+(\S{1,64}))?\s*$")
_COMMAND = re.compile(r"^/(\w+)(?:@\w+)?(.*)$", re.DOTALL)
# Commands to register with @BotFather, mapped to the intents they mean (others pass through as typed).
COMMANDS = {"menu": "/show_menu", "help": "/help", "bantuan": "/help"}


def settings(credentials: Optional[Dict[Text, Any]] = None) -> Dict[str, str]:
    """Token, webhook secret and API base from credentials.yml, falling back to the environment."""
    creds = credentials or {}

    def pick(key: str, env: str, default: str = "") -> str:
        value = creds.get(key)
        return str(value) if value not in (None, "") else os.environ.get(env, default)

    return {"token": pick("access_token", "TELEGRAM_BOT_TOKEN"),
            "secret": pick("webhook_secret", "TELEGRAM_WEBHOOK_SECRET"),
            "api_base_url": pick("api_base_url", "TELEGRAM_API_BASE_URL", DEFAULT_API).rstrip("/")}


def make_bot(token: str, api_base_url: str = DEFAULT_API) -> Any:
    """A python-telegram-bot Bot talking to `api_base_url` (the real API, a local Bot API server, a fake)."""
    from telegram import Bot

    base = (api_base_url or DEFAULT_API).rstrip("/")
    return Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")


def chat_id_of(recipient_id: str) -> int:
    channel, raw = common.split_sender(recipient_id)
    if channel != CHANNEL:
        raise ProviderError(f"{recipient_id[:12]}... is not a Telegram sender id")
    try:
        return int(raw)
    except ValueError as exc:
        raise ProviderError("invalid Telegram chat id") from exc


async def callback_data(payload: str) -> str:
    """The payload itself when it fits Telegram's 64 bytes, else a short key remembered in the store."""
    if len(payload.encode()) <= CALLBACK_DATA_MAX and not payload.startswith("k:"):
        return payload
    from channels.state import BUTTONS_TTL

    key = "k:" + hashlib.sha256(payload.encode()).hexdigest()[:32]
    await in_thread(store().put, f"tgcb:{key}", payload, BUTTONS_TTL * 4)
    return key


async def payload_of(data: str) -> Optional[str]:
    if data.startswith("k:"):
        return await in_thread(store().get, f"tgcb:{data}")
    return data


_bots: Dict[Any, Any] = {}


async def _bot_for(token: str, api_base_url: str) -> Any:
    """One initialised Bot per token and event loop (its HTTP connection pool is tied to the loop)."""
    import asyncio

    key = (token, api_base_url, id(asyncio.get_running_loop()))
    bot = _bots.get(key)
    if bot is None:
        bot = make_bot(token, api_base_url)
        await bot.initialize()
        _bots[key] = bot
    return bot


class TelegramOutput(ChannelOutput):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def __init__(self, token: str, api_base_url: str = DEFAULT_API) -> None:
        self.token = token
        self.api_base_url = api_base_url

    async def _call(self, method: str, **kwargs: Any) -> Any:
        from telegram.error import TelegramError

        if not self.token:
            raise ProviderError("Telegram is not configured (TELEGRAM_BOT_TOKEN)")
        try:
            bot = await _bot_for(self.token, self.api_base_url)
            return await getattr(bot, method)(**kwargs)
        except TelegramError as exc:
            raise ProviderError(f"Telegram refused {method}: {exc}") from exc

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        chat_id = chat_id_of(recipient_id)
        for chunk in common.split_text(text, common.TEXT_LIMITS[CHANNEL]):
            await self._call("send_message", chat_id=chat_id, text=chunk)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup

        chat_id = chat_id_of(recipient_id)
        rows = [[InlineKeyboardButton(common.button_title(b)[:64],
                                      callback_data=await callback_data(common.button_payload(b)))]
                for b in buttons]
        chunks = common.split_text(text, common.TEXT_LIMITS[CHANNEL]) or [
            "Please choose:" if common.guess_language(" ".join(map(common.button_title, buttons))) == "en"
            else "Silakan pilih:"]
        for chunk in chunks[:-1]:
            await self._call("send_message", chat_id=chat_id, text=chunk)
        await self._call("send_message", chat_id=chat_id, text=chunks[-1],
                         reply_markup=InlineKeyboardMarkup(rows))

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._call("send_photo", chat_id=chat_id_of(recipient_id), photo=image)

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        await self._call("send_document", chat_id=chat_id_of(recipient_id), document=attachment)


def _file(kind: str, obj: Dict[str, Any], **extra: Any) -> Dict[str, Any]:
    if not isinstance(obj, dict) or not obj.get("file_id"):
        raise ValueError(f"{kind} without file_id")
    item = {"type": kind, "file_id": obj["file_id"], "file_unique_id": obj.get("file_unique_id"),
            "size": obj.get("file_size"), "mime_type": obj.get("mime_type"), "provider": CHANNEL}
    item.update({k: v for k, v in extra.items() if v is not None})
    return item


def parse_message(message: Dict[str, Any]) -> Dict[str, Any]:
    """Text, attachments and location of a Telegram message; ValueError when malformed."""
    attachments: List[Dict[str, Any]] = []
    if message.get("photo"):
        photos = message["photo"]
        if not isinstance(photos, list) or not all(isinstance(p, dict) for p in photos):
            raise ValueError("photo is not a list of sizes")
        largest = max(photos, key=lambda p: (p.get("width", 0) * p.get("height", 0), p.get("file_size", 0)))
        attachments.append(_file("image", largest, width=largest.get("width"), height=largest.get("height"),
                                 mime_type=None))
    if message.get("document"):
        doc = message["document"]
        attachments.append(_file(common.attachment_kind(doc.get("mime_type")) if isinstance(doc, dict) else "",
                                 doc, file_name=doc.get("file_name") if isinstance(doc, dict) else None))
    for key, kind in (("video", "video"), ("audio", "audio"), ("voice", "audio")):
        if message.get(key):
            attachments.append(_file(kind, message[key]))
    location = None
    raw_location = message.get("location") or (message.get("venue") or {}).get("location")
    if raw_location:
        try:
            location = {"latitude": float(raw_location["latitude"]), "longitude": float(raw_location["longitude"])}
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError("location without coordinates") from exc
        venue = message.get("venue") or {}
        if venue.get("title"):
            location["label"] = venue["title"]
        if venue.get("address"):
            location["address"] = venue["address"]
    text = message.get("text") or message.get("caption") or ""
    if not isinstance(text, str):
        raise ValueError("text is not a string")
    return {"text": text.strip(), "attachments": attachments, "location": location}


class TelegramInput(InputChannel):
    """Telegram webhook; without TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET every call gets 403."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        values = settings(credentials)
        return cls(values["token"], values["secret"], values["api_base_url"])

    def __init__(self, token: str = "", secret: str = "", api_base_url: str = DEFAULT_API) -> None:
        self.token = token
        self.secret = secret
        self.api_base_url = api_base_url or DEFAULT_API

    def get_output_channel(self) -> TelegramOutput:
        return TelegramOutput(self.token, self.api_base_url)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("telegram_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not (self.token and common.verify_secret(
                    self.secret, request.headers.get("X-Telegram-Bot-Api-Secret-Token"))):
                return response.text("forbidden", status=403)
            try:
                data = request.json
            except Exception:  # noqa: BLE001 - sanic raises InvalidUsage on bad JSON
                data = None
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                return response.text("bad request: not a Telegram update", status=400)
            try:
                from telegram import Update

                Update.de_json(data, None)  # validates the shape with the library's own parser
                event = self.parse_update(data)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                return response.text(f"bad request: {exc}", status=400)
            bot_id = self.token.split(":", 1)[0]
            if not await claim_once(CHANNEL, f"{bot_id}:{data['update_id']}"):
                log.info("telegram: replay of update %s ignored", data["update_id"])
                return response.json({})
            if event is not None:
                await self.handle(on_new_message, event)
            return response.json({})

        return bp

    def parse_update(self, data: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """One update as an event to handle, None for updates the bot ignores (groups, member changes)."""
        if data.get("callback_query"):
            query = data["callback_query"]
            chat = (query.get("message") or {}).get("chat") or {}
            user = query.get("from") or {}
            if chat and chat.get("type") != "private":
                return None
            chat_id = chat.get("id") if chat else user.get("id")
            if not isinstance(chat_id, int):
                raise ValueError("callback_query without chat or user id")
            if not isinstance(query.get("id"), str):
                raise ValueError("callback_query without id")
            return {"kind": "button", "sender": common.namespaced_sender(CHANNEL, str(chat_id)),
                    "callback_id": query["id"], "data": str(query.get("data") or ""),
                    "user_id": user.get("id")}
        for key, kind in (("message", "message"), ("edited_message", "edit")):
            message = data.get(key)
            if message is None:
                continue
            if not isinstance(message, dict) or not isinstance((message.get("chat") or {}).get("id"), int):
                raise ValueError(f"{key} without chat id")
            if message["chat"].get("type") != "private":
                return None  # the office bot answers in private chats only
            event = {"kind": kind, "sender": common.namespaced_sender(CHANNEL, str(message["chat"]["id"])),
                     "message_id": message.get("message_id"),
                     "language_code": (message.get("from") or {}).get("language_code")}
            event.update(parse_message(message))
            return event
        return None

    async def handle(self, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                     event: Dict[str, Any]) -> None:
        output = self.get_output_channel()
        sender = event["sender"]
        language = "en" if str(event.get("language_code") or "").startswith("en") else "id"
        metadata: Dict[str, Any] = {"channel": CHANNEL}
        if event["kind"] == "button":
            try:
                await output._call("answer_callback_query", callback_query_id=event["callback_id"])
            except ProviderError:
                log.warning("telegram: answerCallbackQuery failed")
            payload = await payload_of(event["data"])
            if not payload:
                return
            metadata["button_reply"] = True
            await run_turn(on_new_message, output, payload, sender, CHANNEL, metadata)
            return
        if event["kind"] == "edit":
            await self._notice(output, sender, common.edit_notice(language))
            return
        metadata["provider_message_id"] = event.get("message_id")
        text = event["text"]
        start = _START.match(text)
        if start:
            text = GREET_INTENT
            if start.group(1):
                metadata["start_payload"] = start.group(1)
        else:
            command = _COMMAND.match(text)
            if command and command.group(1).lower() in COMMANDS and not command.group(2).strip():
                text = COMMANDS[command.group(1).lower()]  # "/menu@OfficeBot" -> "/show_menu"
            elif command and "@" in text.split()[0]:  # "/help@OfficeBot" -> "/help"
                text = f"/{command.group(1)}{command.group(2)}"
        if event["attachments"]:
            metadata["attachments"] = event["attachments"]
            text = text or ATTACHMENT_INTENT
        if event["location"]:
            metadata["location"] = event["location"]
            text = text or LOCATION_INTENT
        if not text:
            await self._notice(output, sender, common.unsupported_notice(language))
            return
        await run_turn(on_new_message, output, text, sender, CHANNEL, metadata,
                       message_id=f"{sender}:{event.get('message_id')}")

    async def _notice(self, output: TelegramOutput, sender: str, text: str) -> None:
        try:
            await output.send_text_message(sender, text)
        except ProviderError:
            log.exception("telegram: could not send a notice")
