"""Fuzz the channel webhooks (WhatsApp/Twilio forms, Telegram JSON, Meta JSON and its verify GET) with
malformed requests: a missing or wrong signature is always 403, a valid signature over garbage is
answered without a 5xx, and nothing reaches the assistant or the channel state database.

The channels run in the small Sanic app of the channel tests (tests/channels/standalone_app.py, in the
Rasa environment, with the real channel code but no model), so thousands of requests take seconds.
Its `on_new_message` logs every message handed to Rasa: the log must stay empty.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.common import meta_signature, twilio_signature
from tests.fuzz.payloads import CONTENT_TYPES, form_bytes, odd_json_value, odd_text, raw_bodies
from tests.fuzz.snapshot import changed, snapshot
from tests.servers import ROOT, base_env, free_port, start, stop, wait_http

EXAMPLES = 900  # per endpoint: 5 endpoints -> 4,500 requests
PUBLIC_BASE = "https://chat.kanim-fuzz.example"
SECRETS = {
    "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16), "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
    "TWILIO_WHATSAPP_NUMBER": "whatsapp:+14155238886", "TWILIO_PUBLIC_BASE_URL": PUBLIC_BASE,
    "TELEGRAM_BOT_TOKEN": f"7000{secrets.randbelow(99999)}:{secrets.token_urlsafe(26)}",
    "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24),
    "META_APP_SECRET": secrets.token_hex(16), "META_VERIFY_TOKEN": secrets.token_urlsafe(12),
    "META_PAGE_ACCESS_TOKEN": "EAAG" + secrets.token_hex(20), "META_INSTAGRAM_ACCESS_TOKEN": "IGAA" + secrets.token_hex(20),
}
SETTINGS = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))
TWILIO_FIELDS = ["MessageSid", "SmsMessageSid", "AccountSid", "From", "To", "Body", "NumMedia", "MediaUrl0",
                 "MediaContentType0", "Latitude", "Longitude", "WaId", "ProfileName", "MessageStatus", "ErrorCode",
                 "ButtonPayload", "MessageType"]


@pytest.fixture(scope="module")
def channels_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("fuzz-channels")
    port, log, messages = free_port(), tmp / "app.log", tmp / "messages.jsonl"
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: a reply that got this far would fail loudly
    state_url = f"sqlite:///{tmp / 'state.db'}"
    env = base_env({**SECRETS, "CHANNEL_STATE_URL": state_url, "TWILIO_API_BASE_URL": f"{dead}/twilio",
                    "TELEGRAM_API_BASE_URL": f"{dead}/telegram", "META_GRAPH_API_BASE_URL": f"{dead}/graph"})
    proc = start([str(ROOT / ".venv-rasa/bin/python"), "-m", "tests.channels.standalone_app", "--port", str(port),
                  "--log", str(messages)], env, log)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/health", proc, log, timeout=120, ok=lambda r: r.status_code == 200)
        with httpx.Client(base_url=url, timeout=30) as client:
            # one real message first, so the state database has its tables and a row to protect
            params = {"MessageSid": "SM" + "1" * 32, "From": "whatsapp:+6281200000001", "Body": "halo",
                      "To": SECRETS["TWILIO_WHATSAPP_NUMBER"], "AccountSid": SECRETS["TWILIO_ACCOUNT_SID"],
                      "NumMedia": "0"}
            sig = twilio_signature(SECRETS["TWILIO_AUTH_TOKEN"], f"{PUBLIC_BASE}/webhooks/whatsapp/webhook", params)
            assert client.post("/webhooks/whatsapp/webhook", data=params,
                               headers={"X-Twilio-Signature": sig}).status_code == 200
            yield {"client": client, "messages": messages, "state_url": state_url, "log": log}
    finally:
        stop(proc)


def _message_count(messages: Path) -> int:
    return len(messages.read_text(encoding="utf-8").splitlines()) if messages.exists() else 0


def _check(response: httpx.Response, signed: bool, what: Any, log: Path) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text[:300], log.read_text()[-2000:])
    if not signed:
        assert response.status_code in (403, 413), (what, response.status_code, response.text[:200])


def header_bytes() -> st.SearchStrategy[bytes]:
    """Header values an HTTP/1.1 client can send (no control characters), including non-ASCII bytes."""
    return st.binary(max_size=80).map(lambda b: bytes(c for c in b if c > 0x20 and c != 0x7F) or b"x")


def _junk_params() -> st.SearchStrategy[dict[str, str]]:
    """Twilio-shaped forms whose values are wrong: the sender is never a WhatsApp number."""
    bad_sender = st.one_of(odd_text.filter(lambda t: not t.startswith("whatsapp:+")),
                           st.sampled_from(["whatsapp:", "whatsapp:+", "whatsapp:+abc", "sms:+62812", "+62812"]))
    return st.fixed_dictionaries({"From": bad_sender}, optional={name: odd_text for name in TWILIO_FIELDS
                                                                 if name != "From"})


def test_whatsapp_webhooks(channels_app: dict[str, Any]) -> None:
    client: httpx.Client = channels_app["client"]
    before, count = snapshot(channels_app["state_url"]), _message_count(channels_app["messages"])
    sent = 0

    def fuzz_path(path: str):  # noqa: ANN202
        @SETTINGS
        @given(data=st.data())
        def fuzz(data: st.DataObject) -> None:
            nonlocal sent
            signature = data.draw(st.sampled_from(["none", "wrong", "other-url", "valid"]), label="signature")
            if signature == "valid":
                params = data.draw(_junk_params(), label="params")
                body = form_bytes(params)
                headers = {"content-type": "application/x-www-form-urlencoded",
                           "X-Twilio-Signature": twilio_signature(SECRETS["TWILIO_AUTH_TOKEN"], PUBLIC_BASE + path,
                                                                  params)}
            else:
                body = data.draw(st.one_of(raw_bodies(), _junk_params().map(form_bytes)), label="body")
                ctype = data.draw(CONTENT_TYPES, label="ctype")
                headers = {"content-type": ctype} if ctype is not None else {}
                if signature == "wrong":
                    headers["X-Twilio-Signature"] = data.draw(header_bytes(), label="sig")
                elif signature == "other-url":  # a valid signature for another address is a forgery here
                    headers["X-Twilio-Signature"] = twilio_signature(SECRETS["TWILIO_AUTH_TOKEN"],
                                                                     PUBLIC_BASE + "/elsewhere", {})
            response = client.post(path, content=body, headers=headers)
            sent += 1
            _check(response, signature == "valid", (path, signature, body[:200]), channels_app["log"])

        return fuzz

    fuzz_path("/webhooks/whatsapp/webhook")()
    fuzz_path("/webhooks/whatsapp/status")()
    assert sent >= 2 * EXAMPLES * 0.9
    assert _message_count(channels_app["messages"]) == count, "a malformed webhook reached the assistant"
    assert not changed(before, snapshot(channels_app["state_url"]))


def _telegram_garbage() -> st.SearchStrategy[bytes]:
    """Updates with wrong types in the fields that matter, or no message at all, or broken JSON."""
    bad_message = st.one_of(odd_json_value, st.fixed_dictionaries(
        {"chat": st.one_of(odd_scalar_json(), st.fixed_dictionaries({"id": st.one_of(odd_text, st.none(),
                                                                                       st.floats())}))},
        optional={"message_id": odd_json_value, "text": odd_json_value, "date": odd_json_value,
                  "from": odd_json_value, "photo": odd_json_value, "location": odd_json_value}))
    update = st.fixed_dictionaries({}, optional={"update_id": odd_json_value, "message": bad_message,
                                                 "edited_message": bad_message, "callback_query": odd_json_value})
    return st.one_of(raw_bodies(), update.map(lambda u: json.dumps(u, allow_nan=True).encode()))


def odd_scalar_json() -> st.SearchStrategy[Any]:
    return st.one_of(odd_text, st.integers(), st.none(), st.lists(st.integers(), max_size=3))


def test_telegram_webhook(channels_app: dict[str, Any]) -> None:
    client: httpx.Client = channels_app["client"]
    before, count = snapshot(channels_app["state_url"]), _message_count(channels_app["messages"])
    sent = 0

    @SETTINGS
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        nonlocal sent
        signature = data.draw(st.sampled_from(["none", "wrong", "valid", "valid"]), label="secret")
        body = data.draw(_telegram_garbage(), label="body")
        headers = {"content-type": data.draw(st.sampled_from(["application/json", "text/plain", "x"]), label="ct")}
        if signature == "valid":
            headers["X-Telegram-Bot-Api-Secret-Token"] = SECRETS["TELEGRAM_WEBHOOK_SECRET"]
        elif signature == "wrong":
            headers["X-Telegram-Bot-Api-Secret-Token"] = SECRETS["TELEGRAM_WEBHOOK_SECRET"][:-1] + "x"
        response = client.post("/webhooks/telegram/webhook", content=body, headers=headers)
        sent += 1
        _check(response, signature == "valid", (signature, body[:200]), channels_app["log"])

    fuzz()
    assert sent >= EXAMPLES * 0.9
    assert _message_count(channels_app["messages"]) == count, "a malformed update reached the assistant"
    assert not changed(before, snapshot(channels_app["state_url"]))


def _meta_garbage() -> st.SearchStrategy[bytes]:
    event = st.fixed_dictionaries({}, optional={
        "sender": st.one_of(odd_json_value, st.fixed_dictionaries({"id": odd_json_value})),
        "recipient": odd_json_value, "timestamp": odd_json_value,
        "message": st.one_of(odd_json_value, st.fixed_dictionaries({}, optional={
            "mid": odd_json_value, "text": odd_json_value, "attachments": odd_json_value, "is_echo": odd_json_value})),
        "postback": odd_json_value})
    entry = st.fixed_dictionaries({}, optional={"id": odd_json_value, "time": odd_json_value,
                                                "messaging": st.one_of(odd_json_value, st.lists(event, max_size=3))})
    body = st.fixed_dictionaries({}, optional={"object": st.one_of(st.sampled_from(["page", "instagram"]), odd_text),
                                               "entry": st.one_of(odd_json_value, st.lists(entry, max_size=3))})
    return st.one_of(raw_bodies(), body.map(lambda b: json.dumps(b, allow_nan=True).encode()))


def test_meta_webhook_and_verify(channels_app: dict[str, Any]) -> None:
    client: httpx.Client = channels_app["client"]
    before, count = snapshot(channels_app["state_url"]), _message_count(channels_app["messages"])
    sent = 0

    @SETTINGS
    @given(data=st.data())
    def fuzz_post(data: st.DataObject) -> None:
        nonlocal sent
        signature = data.draw(st.sampled_from(["none", "wrong", "valid", "valid"]), label="signature")
        body = data.draw(_meta_garbage(), label="body")
        headers = {"content-type": data.draw(st.sampled_from(["application/json", "text/plain"]), label="ct")}
        if signature == "valid":
            headers["X-Hub-Signature-256"] = meta_signature(SECRETS["META_APP_SECRET"], body)
        elif signature == "wrong":
            headers["X-Hub-Signature-256"] = meta_signature(SECRETS["META_APP_SECRET"], body + b" ")
        response = client.post("/webhooks/meta/webhook", content=body, headers=headers)
        sent += 1
        _check(response, signature == "valid", (signature, body[:200]), channels_app["log"])

    @SETTINGS
    @given(params=st.dictionaries(st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge", "x"]),
                                  odd_text.filter(lambda t: len(t) < 4000), max_size=4))
    def fuzz_verify(params: dict[str, str]) -> None:
        nonlocal sent
        response = client.get("/webhooks/meta/webhook", params=params)
        sent += 1
        assert response.status_code < 500, (params, response.status_code)
        if params.get("hub.verify_token") != SECRETS["META_VERIFY_TOKEN"]:
            assert response.status_code in (403, 413), (params, response.status_code)  # 413: URL too long

    fuzz_post()
    fuzz_verify()
    # the real verify handshake still answers the challenge
    ok = client.get("/webhooks/meta/webhook", params={"hub.mode": "subscribe", "hub.challenge": "12345",
                                                      "hub.verify_token": SECRETS["META_VERIFY_TOKEN"]})
    assert ok.status_code == 200 and ok.text == "12345"
    assert sent >= 2 * EXAMPLES * 0.9
    assert _message_count(channels_app["messages"]) == count, "a malformed event reached the assistant"
    assert not changed(before, snapshot(channels_app["state_url"]))
