"""Telegram channel against a real Rasa server and the fake Bot API (python-telegram-bot's base_url)."""
from __future__ import annotations

import secrets
import subprocess

from tests.channels.conftest import CHANNEL_ENV, Channels
from tests.fakes import FakeProviders
from tests.servers import ROOT, base_env


def new_chat() -> int:
    return 100000000 + secrets.randbelow(10**8)


def texts(fake: FakeProviders, chat_id: int) -> str:
    return "\n".join(c.params.get("text", "") for c in fake.sent("telegram", str(chat_id)))


def test_secret_token_is_required(channels: Channels, fake: FakeProviders) -> None:
    chat = new_chat()
    update = channels.tg_message(chat, "halo")
    assert channels.telegram(update, secret=None).status_code == 403
    assert channels.telegram(update, secret=CHANNEL_ENV["TELEGRAM_WEBHOOK_SECRET"] + "x").status_code == 403
    assert fake.sent("telegram") == []
    assert channels.user_events(f"telegram:{chat}") == []


def test_text_answered_once_even_when_replayed(channels: Channels, fake: FakeProviders) -> None:
    chat = new_chat()
    update = channels.tg_message(chat, "halo")
    assert channels.telegram(update).status_code == 200
    sent = fake.sent("telegram", str(chat))
    assert sent and "Bapak/Ibu" in texts(fake, chat)
    events = channels.user_events(f"telegram:{chat}")
    assert len(events) == 1 and events[0]["input_channel"] == "telegram"
    assert channels.telegram(update).status_code == 200  # Telegram redelivers the same update_id
    assert len(fake.sent("telegram", str(chat))) == len(sent)
    assert len(channels.user_events(f"telegram:{chat}")) == 1


def test_inline_keyboard_and_callback_query(channels: Channels, fake: FakeProviders) -> None:
    chat = new_chat()
    channels.telegram(channels.tg_message(chat, "menu"))
    keyboards = [c.params["reply_markup"] for c in fake.sent("telegram", str(chat)) if c.params.get("reply_markup")]
    assert keyboards, "the menu comes with an inline keyboard"
    rows = keyboards[-1]["inline_keyboard"]
    assert [row[0]["text"] for row in rows][:2] == ["Tanya prosedur", "Booking/antrean"]
    assert rows[0][0]["callback_data"] == "/menu_ask_procedure"
    fake.reset()
    press = {"update_id": secrets.randbelow(10**9), "callback_query": {
        "id": str(secrets.randbelow(10**12)), "chat_instance": "-1", "data": rows[0][0]["callback_data"],
        "from": {"id": chat, "is_bot": False, "first_name": "Warga"},
        "message": {"message_id": 5, "date": 1700000000, "chat": {"id": chat, "type": "private"},
                    "text": "Ada yang bisa kami bantu?"}}}
    assert channels.telegram(press).status_code == 200
    assert [c.method for c in fake.calls if c.method == "answerCallbackQuery"] == ["answerCallbackQuery"]
    assert channels.user_events(f"telegram:{chat}")[-1]["parse_data"]["intent"]["name"] == "menu_ask_procedure"
    assert "Silakan ketik pertanyaan" in texts(fake, chat)


def test_start_deep_link_greets_with_the_payload(channels: Channels, fake: FakeProviders) -> None:
    chat = new_chat()
    assert channels.telegram(channels.tg_message(chat, "/start loket_paspor")).status_code == 200
    event = channels.user_events(f"telegram:{chat}")[-1]
    assert event["parse_data"]["intent"]["name"] == "greet"
    assert event["metadata"]["start_payload"] == "loket_paspor"
    assert "Bapak/Ibu" in texts(fake, chat)
    channels.telegram(channels.tg_message(chat, "/menu@kanim_test_bot"))  # a registered bot command
    assert channels.user_events(f"telegram:{chat}")[-1]["parse_data"]["intent"]["name"] == "show_menu"


def test_photo_document_and_location_metadata(channels: Channels, fake: FakeProviders) -> None:
    chat = new_chat()
    photo = [{"file_id": "AgACAgUAAxkBAAIBsmall", "file_unique_id": "AQADs", "file_size": 1200, "width": 90,
              "height": 67},
             {"file_id": "AgACAgUAAxkBAAIBlarge", "file_unique_id": "AQADl", "file_size": 88000, "width": 1280,
              "height": 960}]
    assert channels.telegram(channels.tg_message(chat, None, photo=photo,
                                                 caption="antrean penuh sekali")).status_code == 200
    event = channels.user_events(f"telegram:{chat}")[-1]
    assert event["text"] == "antrean penuh sekali"
    (attachment,) = event["metadata"]["attachments"]
    assert attachment["type"] == "image" and attachment["file_id"] == "AgACAgUAAxkBAAIBlarge"
    assert attachment["size"] == 88000
    document = {"file_id": "BQACAgUAAxkBAAIBdoc", "file_unique_id": "AgADd", "file_name": "bukti.pdf",
                "mime_type": "application/pdf", "file_size": 45678}
    channels.telegram(channels.tg_message(chat, None, document=document))
    event = channels.user_events(f"telegram:{chat}")[-1]
    assert event["text"] == "/share_attachment"
    assert event["metadata"]["attachments"][0] == {
        "type": "document", "file_id": "BQACAgUAAxkBAAIBdoc", "file_unique_id": "AgADd", "size": 45678,
        "mime_type": "application/pdf", "provider": "telegram", "file_name": "bukti.pdf"}
    channels.telegram(channels.tg_message(chat, None, location={"latitude": -4.8325, "longitude": 104.8844}))
    event = channels.user_events(f"telegram:{chat}")[-1]
    assert event["text"] == "/share_location"
    assert event["metadata"]["location"] == {"latitude": -4.8325, "longitude": 104.8844}


def test_edits_and_unsupported_types_get_a_notice(channels: Channels, fake: FakeProviders) -> None:
    chat = new_chat()
    channels.telegram(channels.tg_message(chat, "halo"))
    before = len(channels.user_events(f"telegram:{chat}"))
    fake.reset()
    assert channels.telegram(channels.tg_message(chat, "halo ralat", key="edited_message")).status_code == 200
    assert "pesan yang diubah" in texts(fake, chat)
    sticker = {"file_id": "CAACAgIAAxkBAAI", "file_unique_id": "AgADs", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False}
    assert channels.telegram(channels.tg_message(chat, None, sticker=sticker)).status_code == 200
    assert "belum dapat kami proses" in texts(fake, chat)
    assert len(channels.user_events(f"telegram:{chat}")) == before
    group = channels.tg_message(chat, "halo semua")
    group["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Grup"}
    assert channels.telegram(group).status_code == 200  # groups are ignored
    assert fake.sent("telegram", "-100123") == []


def test_malformed_updates_are_400(channels: Channels, fake: FakeProviders) -> None:
    assert channels.telegram(b"{not json").status_code == 400
    assert channels.telegram({"message": {"text": "halo"}}).status_code == 400  # no update_id
    assert channels.telegram({"update_id": 5, "message": {"text": "halo", "chat": {}}}).status_code == 400
    assert channels.telegram([1, 2]).status_code == 400
    assert fake.sent("telegram") == []


def test_push_through_telegram_and_failure(channels: Channels, fake: FakeProviders) -> None:
    chat = new_chat()
    reply = channels.trigger(f"telegram:{chat}", "telegram", "Nomor antrean Bapak/Ibu A-012 akan dipanggil.")
    assert reply.status_code == 200, reply.text
    assert texts(fake, chat) == "Nomor antrean Bapak/Ibu A-012 akan dipanggil."
    fake.fail_next("telegram", 500)
    assert channels.trigger(f"telegram:{chat}", "telegram", "Pesan kedua.").status_code == 500
    assert channels.trigger(f"whatsapp:+62812{chat % 10**7:07d}", "telegram", "Salah kanal.").status_code == 500


def _run_rasa_env(module: str, *args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / ".venv-rasa/bin/python"), "-m", module, *args], cwd=ROOT,
                          env=base_env(dict(CHANNEL_ENV, **(extra or {}))), capture_output=True, text=True,
                          timeout=120)


def test_setup_command_sets_the_webhook_with_the_secret(fake: FakeProviders) -> None:
    result = _run_rasa_env("channels.telegram_setup", extra={"TELEGRAM_PUBLIC_BASE_URL": "https://bot.example.go.id"})
    assert result.returncode == 0, result.stderr[-2000:]
    (call,) = [c for c in fake.calls if c.method == "setWebhook"]
    assert call.params["url"] == "https://bot.example.go.id/webhooks/telegram/webhook"
    assert call.params["secret_token"] == CHANNEL_ENV["TELEGRAM_WEBHOOK_SECRET"]
    assert "webhook set" in result.stdout
    refused = _run_rasa_env("channels.telegram_setup", extra={"TELEGRAM_PUBLIC_BASE_URL": "http://insecure.example"})
    assert refused.returncode == 2


def test_polling_mode_feeds_the_local_webhook(channels: Channels, fake: FakeProviders) -> None:
    chat = new_chat()
    update = channels.tg_message(chat, "halo")
    fake.updates.append(update)
    result = _run_rasa_env("channels.telegram_polling", "--once", "--rasa-url", channels.rasa)
    assert result.returncode == 0, result.stderr[-2000:]
    assert [c.method for c in fake.calls if c.method == "deleteWebhook"]
    assert "Bapak/Ibu" in texts(fake, chat)
    assert len(channels.user_events(f"telegram:{chat}")) == 1
    assert fake.updates == []  # confirmed
