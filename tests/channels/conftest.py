"""Channel test fixtures: the fake provider APIs, the channels' environment, signed webhook senders.

The channels read their secrets from the environment of the Rasa process. The session's Rasa server
(tests/conftest.py `rasa_server`) inherits os.environ, so the values are set when this conftest is
imported, before any fixture starts a server, whatever order the test directories run in; the
session fixture `fake_providers` then serves the fake APIs on the port chosen here.
"""
from __future__ import annotations

import itertools
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any, Iterator, Optional

import httpx
import pytest

from channels.common import meta_signature, twilio_signature
from tests.fakes import FakeProviders
from tests.servers import ROOT, free_port

FAKE_PORT = free_port()
PUBLIC_BASE = "https://chat.kanim-test.example"  # what Twilio sees in front of our proxy

CHANNEL_ENV: dict[str, str] = {
    "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
    "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
    "TWILIO_WHATSAPP_NUMBER": "whatsapp:+14155238886",  # Twilio's public sandbox number
    "TWILIO_PUBLIC_BASE_URL": PUBLIC_BASE,
    "TWILIO_API_BASE_URL": f"http://127.0.0.1:{FAKE_PORT}/twilio",
    "TWILIO_CONTENT_SID_DEFAULT": "HX" + "d" * 32,
    "TWILIO_CONTENT_SID_ANNOUNCEMENT": "HX" + "a" * 32,  # the approved announcement template
    "TELEGRAM_BOT_TOKEN": f"{700000000 + secrets.randbelow(99999)}:{secrets.token_urlsafe(26)}",
    "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24),
    "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{FAKE_PORT}/telegram",
    "META_APP_SECRET": secrets.token_hex(16),
    "META_VERIFY_TOKEN": secrets.token_urlsafe(12),
    "META_PAGE_ACCESS_TOKEN": "EAAG" + secrets.token_hex(20),
    "META_INSTAGRAM_ACCESS_TOKEN": "IGAA" + secrets.token_hex(20),
    "META_GRAPH_API_BASE_URL": f"http://127.0.0.1:{FAKE_PORT}/graph",
    "META_GRAPH_API_VERSION": "v21.0",
}
os.environ.update(CHANNEL_ENV)

_ids = itertools.count(int(time.time()) % 100000 * 100)


def next_id() -> int:
    return next(_ids)


@pytest.fixture(scope="session", autouse=True)
def fake_providers() -> Iterator[FakeProviders]:
    os.environ.update(CHANNEL_ENV)  # in case another fixture reset the environment
    fake = FakeProviders(FAKE_PORT, twilio_sid=CHANNEL_ENV["TWILIO_ACCOUNT_SID"],
                         twilio_token=CHANNEL_ENV["TWILIO_AUTH_TOKEN"],
                         telegram_token=CHANNEL_ENV["TELEGRAM_BOT_TOKEN"],
                         graph_tokens=(CHANNEL_ENV["META_PAGE_ACCESS_TOKEN"],
                                       CHANNEL_ENV["META_INSTAGRAM_ACCESS_TOKEN"])).start()
    yield fake
    fake.stop()


@pytest.fixture()
def fake(fake_providers: FakeProviders) -> FakeProviders:
    fake_providers.reset()
    return fake_providers


# ---------------------------------------------------------------------------------------------
# webhook senders

class Channels:
    """Posts real-shaped, correctly (or deliberately wrongly) signed webhooks to the Rasa server."""

    def __init__(self, rasa_url: str, token: str) -> None:
        self.rasa = rasa_url
        self.token = token
        self.client = httpx.Client(timeout=90)

    # WhatsApp ---------------------------------------------------------------------------------
    def whatsapp(self, params: dict[str, str], signature: Optional[str] = "valid",
                 path: str = "/webhooks/whatsapp/webhook") -> httpx.Response:
        headers = {}
        if signature == "valid":
            headers["X-Twilio-Signature"] = twilio_signature(CHANNEL_ENV["TWILIO_AUTH_TOKEN"], PUBLIC_BASE + path,
                                                             params)
        elif signature is not None:
            headers["X-Twilio-Signature"] = signature
        return self.client.post(self.rasa + path, data=params, headers=headers)

    @staticmethod
    def twilio_params(sender: str, body: str = "", **extra: str) -> dict[str, str]:
        sid = f"SM{secrets.token_hex(16)}"
        params = {"SmsMessageSid": sid, "MessageSid": sid, "SmsSid": sid, "AccountSid": CHANNEL_ENV["TWILIO_ACCOUNT_SID"],
                  "MessagingServiceSid": "", "From": sender, "To": CHANNEL_ENV["TWILIO_WHATSAPP_NUMBER"],
                  "Body": body, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01",
                  "ProfileName": "Warga Uji", "WaId": sender.split("+")[-1], "MessageType": "text"}
        params.update(extra)
        return params

    # Telegram ---------------------------------------------------------------------------------
    def telegram(self, update: Any, secret: Optional[str] = "valid") -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if secret == "valid":
            headers["X-Telegram-Bot-Api-Secret-Token"] = CHANNEL_ENV["TELEGRAM_WEBHOOK_SECRET"]
        elif secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        content = update if isinstance(update, (bytes, str)) else json.dumps(update)
        return self.client.post(self.rasa + "/webhooks/telegram/webhook", content=content, headers=headers)

    @staticmethod
    def tg_message(chat_id: int, text: Optional[str] = None, key: str = "message", **fields: Any) -> dict:
        message: dict[str, Any] = {"message_id": next_id(), "date": int(time.time()),
                                   "from": {"id": chat_id, "is_bot": False, "first_name": "Warga",
                                            "language_code": "id"},
                                   "chat": {"id": chat_id, "first_name": "Warga", "type": "private"}}
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        if key == "edited_message":
            message["edit_date"] = int(time.time())
        message.update(fields)
        return {"update_id": next_id(), key: message}

    # Meta -------------------------------------------------------------------------------------
    def meta(self, body: Any, signature: Optional[str] = "valid") -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "valid":
            headers["X-Hub-Signature-256"] = meta_signature(CHANNEL_ENV["META_APP_SECRET"], raw)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return self.client.post(self.rasa + "/webhooks/meta/webhook", content=raw, headers=headers)

    @staticmethod
    def meta_body(events: list[dict], platform: str = "page") -> dict:
        page_id = "104000000000001" if platform == "page" else "17841400000000001"
        return {"object": platform, "entry": [{"id": page_id, "time": int(time.time() * 1000),
                                               "messaging": events}]}

    @staticmethod
    def meta_message(psid: str, text: Optional[str] = None, platform: str = "page", **fields: Any) -> dict:
        recipient = "104000000000001" if platform == "page" else "17841400000000001"
        message: dict[str, Any] = {"mid": f"m_{secrets.token_urlsafe(18)}"}
        if text is not None:
            message["text"] = text
        message.update(fields)
        return {"sender": {"id": psid}, "recipient": {"id": recipient}, "timestamp": int(time.time() * 1000),
                "message": message}

    # Rasa API ---------------------------------------------------------------------------------
    def tracker(self, sender_id: str) -> dict:
        reply = self.client.get(f"{self.rasa}/conversations/{sender_id}/tracker", params={"token": self.token})
        reply.raise_for_status()
        return reply.json()

    def user_events(self, sender_id: str) -> list[dict]:
        return [e for e in self.tracker(sender_id).get("events", []) if e.get("event") == "user"]

    def trigger(self, sender_id: str, output_channel: str, text: str, kind: str = "officer_reply") -> httpx.Response:
        return self.client.post(f"{self.rasa}/conversations/{sender_id}/trigger_intent",
                                params={"output_channel": output_channel, "token": self.token},
                                json={"name": "EXTERNAL_office_message",
                                      "entities": {"office_message": text, "message_kind": kind}})


@pytest.fixture(scope="session")
def channels(rasa_server: str, office_env: dict[str, str]) -> Channels:
    return Channels(rasa_server, office_env["RASA_TOKEN"])

