"""Channel behaviour that needs no model: unconfigured channels, templates per message kind.

These run the channel code in the Rasa environment (a small Sanic app, or a script) so they are quick.
"""
from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from channels.common import meta_signature, twilio_signature
from tests.channels.conftest import CHANNEL_ENV, PUBLIC_BASE
from tests.fakes import FakeProviders
from tests.servers import ROOT, base_env, free_port, start, stop, wait_http

RASA_PY = str(ROOT / ".venv-rasa/bin/python")


@pytest.fixture(scope="module")
def unconfigured_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The three channels with no secrets at all (as on a fresh install)."""
    tmp = tmp_path_factory.mktemp("unconfigured")
    port, log, messages = free_port(), tmp / "app.log", tmp / "messages.jsonl"
    env = base_env({"CHANNEL_STATE_URL": f"sqlite:///{tmp / 'state.db'}"})
    proc = start([RASA_PY, "-m", "tests.channels.standalone_app", "--port", str(port), "--log", str(messages),
                  "--unconfigured"], env, log)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", proc, log, timeout=90, ok=lambda r: r.status_code == 200)
        yield f"http://127.0.0.1:{port}", messages
    finally:
        stop(proc)


def test_unconfigured_channels_refuse_everything(unconfigured_app: tuple[str, Path], fake: FakeProviders) -> None:
    url, messages = unconfigured_app
    params = {"MessageSid": "SM" + "2" * 32, "From": "whatsapp:+6281200000001", "Body": "halo"}
    # even a request signed with an empty token or any token is refused: there is nothing to check against
    for token in ("", CHANNEL_ENV["TWILIO_AUTH_TOKEN"]):
        signature = twilio_signature(token, f"{url}/webhooks/whatsapp/webhook", params)
        assert httpx.post(f"{url}/webhooks/whatsapp/webhook", data=params,
                          headers={"X-Twilio-Signature": signature}).status_code == 403
    assert httpx.post(f"{url}/webhooks/whatsapp/status", data=params).status_code == 403
    update = {"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"},
                                          "text": "halo"}}
    for secret in ("", "anything"):
        assert httpx.post(f"{url}/webhooks/telegram/webhook", json=update,
                          headers={"X-Telegram-Bot-Api-Secret-Token": secret}).status_code == 403
    body = json.dumps({"object": "page", "entry": []}).encode()
    assert httpx.post(f"{url}/webhooks/meta/webhook", content=body,
                      headers={"X-Hub-Signature-256": meta_signature("", body)}).status_code == 403
    assert httpx.get(f"{url}/webhooks/meta/webhook",
                     params={"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}).status_code == 403
    assert not messages.exists() or messages.read_text() == ""
    assert fake.calls == []


def _run(script: str, extra_env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = base_env({**CHANNEL_ENV, "CHANNEL_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}", **extra_env})
    return subprocess.run([RASA_PY, "-c", textwrap.dedent(script)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


WHATSAPP_SCRIPT = """
    import asyncio, sys
    from channels.whatsapp import WhatsAppInput
    from channels.base import ProviderError

    async def main():
        out = WhatsAppInput.from_credentials(None).get_output_channel()
        await out.send_response("whatsapp:+6281200000002", {"text": "Balasan petugas untuk tiket PGD-7.",
                                                          "message_kind": "officer_reply"})
        await out.send_response("whatsapp:+6281200000003", {"text": "Nomor antrean Anda segera dipanggil.",
                                                          "message_kind": "queue_alert"})
        try:
            await out.send_response("whatsapp:+6281200000004", {"text": "Pengingat", "message_kind": "reminder"})
        except ProviderError as exc:
            print("refused:", exc)
        try:
            await out.send_response("whatsapp:+6281200000004", {"image": "https://example.org/denah.png"})
        except ProviderError as exc:
            print("refused media:", exc)
    asyncio.run(main())
"""


def test_whatsapp_templates_per_message_kind(fake: FakeProviders, tmp_path: Path) -> None:
    result = _run(WHATSAPP_SCRIPT, {"TWILIO_CONTENT_SID_OFFICER_REPLY": "HX" + "a" * 32,
                                    "TWILIO_CONTENT_SID_QUEUE_ALERT": "HX" + "b" * 32,
                                    "TWILIO_CONTENT_SID_DEFAULT": ""}, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    sent = {c.params["To"]: c.params for c in fake.sent("twilio")}
    assert sent["whatsapp:+6281200000002"]["ContentSid"] == "HX" + "a" * 32
    assert json.loads(sent["whatsapp:+6281200000002"]["ContentVariables"]) == {"1": "Balasan petugas untuk tiket PGD-7."}
    assert sent["whatsapp:+6281200000003"]["ContentSid"] == "HX" + "b" * 32
    # no template for "reminder" and no default: the send fails loudly instead of being dropped
    assert "whatsapp:+6281200000004" not in sent
    assert "refused: " in result.stdout and "TWILIO_CONTENT_SID_REMINDER" in result.stdout
    assert "refused media:" in result.stdout


def test_whatsapp_status_callback_url_is_public(fake: FakeProviders, tmp_path: Path) -> None:
    script = """
        import asyncio
        from channels.whatsapp import WhatsAppInput
        out = WhatsAppInput.from_credentials(None).get_output_channel()
        asyncio.run(out.send_response("whatsapp:+6281200000005", {"text": "x", "message_kind": "reminder"}))
    """
    result = _run(script, {}, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    (call,) = fake.sent("twilio")
    assert call.params["StatusCallback"] == f"{PUBLIC_BASE}/webhooks/whatsapp/status"


MEDIA_SCRIPT = """
    import asyncio
    from channels.meta import MetaInput
    from channels.telegram import TelegramInput
    from channels.whatsapp import WhatsAppInput
    from channels.base import mark_inbound

    async def main():
        for sender in ("whatsapp:+6281200000006", "messenger:5550001", "instagram:5550002"):
            await mark_inbound(sender)
        image, doc = "https://kanim.example/denah-loket.png", "https://kanim.example/formulir.pdf"
        await WhatsAppInput.from_credentials(None).get_output_channel().send_response(
            "whatsapp:+6281200000006", {"text": "Denah loket:", "image": image})
        telegram = TelegramInput.from_credentials(None).get_output_channel()
        await telegram.send_response("telegram:5550003", {"text": "Denah loket:", "image": image})
        await telegram.send_response("telegram:5550003", {"attachment": doc})
        meta = MetaInput.from_credentials(None).get_output_channel()
        await meta.send_response("messenger:5550001", {"image": image})
        await meta.send_response("instagram:5550002", {"attachment": {"url": doc}})
        buttons = [{"title": f"Pilihan nomor {i}", "payload": f"/pilih{{\\"n\\": {i}}}"} for i in range(1, 16)]
        await meta.send_response("messenger:5550001", {"text": "Silakan pilih jadwal:", "buttons": buttons})
        long_payload = "/pilih" + "x" * 80
        await telegram.send_response("telegram:5550003", {"text": "Pilih:", "buttons": [
            {"title": "Panjang", "payload": long_payload}]})
        print("ok")
    asyncio.run(main())
"""


def test_images_documents_and_button_fallbacks_out(fake: FakeProviders, tmp_path: Path) -> None:
    result = _run(MEDIA_SCRIPT, {}, tmp_path)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-3000:]
    image, doc = "https://kanim.example/denah-loket.png", "https://kanim.example/formulir.pdf"
    (wa_text, wa_image) = fake.sent("twilio", "whatsapp:+6281200000006")
    assert wa_text.params["Body"] == "Denah loket:" and wa_image.params["MediaUrl"] == image
    tg = {c.method: c.params for c in fake.sent("telegram", "5550003")}
    assert tg["sendPhoto"]["photo"] == image and tg["sendDocument"]["document"] == doc
    (keyboard_message,) = [c.params for c in fake.sent("telegram", "5550003") if c.params.get("reply_markup")]
    data = keyboard_message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert data.startswith("k:") and len(data.encode()) <= 64  # too long for Telegram: stored, resolved later
    messenger = [c.params["message"] for c in fake.sent("graph", "5550001")]
    assert messenger[0] == {"attachment": {"type": "image", "payload": {"url": image, "is_reusable": True}}}
    # 15 buttons exceed Messenger's 13 quick replies: a numbered list instead
    assert "quick_replies" not in messenger[1] and "15. Pilihan nomor 15" in messenger[1]["text"]
    assert messenger[1]["text"].endswith("Balas dengan angka 1-15.")
    (instagram,) = [c.params["message"] for c in fake.sent("graph", "5550002")]
    assert instagram["attachment"]["type"] == "file" and instagram["attachment"]["payload"]["url"] == doc


def test_long_pushes_are_split_per_channel_limit(fake: FakeProviders, tmp_path: Path) -> None:
    script = """
        import asyncio
        from channels.meta import MetaInput
        from channels.telegram import TelegramInput
        from channels.base import mark_inbound
        text = ("Persyaratan paspor baru: KTP elektronik, kartu keluarga, akta kelahiran. Biaya Rp650.000 "
                "untuk paspor biasa. Lihat https://www.imigrasi.go.id/ untuk rinciannya. ") * 60
        async def main():
            await mark_inbound("instagram:5550010")
            await TelegramInput.from_credentials(None).get_output_channel().send_text_message("telegram:5550011", text)
            await MetaInput.from_credentials(None).get_output_channel().send_text_message("instagram:5550010", text)
            print(len(text))
        asyncio.run(main())
    """
    result = _run(script, {}, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    total = int(result.stdout.strip())
    tg = [c.params["text"] for c in fake.sent("telegram", "5550011")]
    ig = [c.params["message"]["text"] for c in fake.sent("graph", "5550010")]
    assert total > 9000 and len(tg) == 3 and all(len(t) <= 4096 for t in tg)
    assert len(ig) >= 10 and all(len(t.encode()) <= 1000 for t in ig)
    for parts in (tg, ig):
        assert " ".join(parts).split() == (" ".join(tg)).split()
        assert all(p.endswith(".") for p in parts)  # cut at sentence ends, never inside a number or link
