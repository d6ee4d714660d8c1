"""WhatsApp (Twilio) channel against a real Rasa server and the fake Twilio API."""
from __future__ import annotations

import json
import secrets

from tests.channels.conftest import CHANNEL_ENV, Channels
from tests.fakes import FakeProviders


def new_sender() -> str:
    return f"whatsapp:+62812{secrets.randbelow(10**7):07d}"


def bodies(fake: FakeProviders, sender: str) -> str:
    return "\n".join(c.params.get("Body", "") for c in fake.sent("twilio", sender))


def test_unsigned_or_wrongly_signed_webhooks_change_nothing(channels: Channels, fake: FakeProviders) -> None:
    sender = new_sender()
    params = channels.twilio_params(sender, "halo")
    assert channels.whatsapp(params, signature=None).status_code == 403
    assert channels.whatsapp(params, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    tampered = dict(params, Body="halo lagi")
    from channels.common import twilio_signature
    from tests.channels.conftest import PUBLIC_BASE

    signed_for_other_url = twilio_signature(CHANNEL_ENV["TWILIO_AUTH_TOKEN"],
                                            "https://attacker.example/webhooks/whatsapp/webhook", tampered)
    assert channels.whatsapp(tampered, signature=signed_for_other_url).status_code == 403
    signed_original = twilio_signature(CHANNEL_ENV["TWILIO_AUTH_TOKEN"],
                                       PUBLIC_BASE + "/webhooks/whatsapp/webhook", params)
    assert channels.whatsapp(tampered, signature=signed_original).status_code == 403
    assert fake.sent("twilio") == []
    assert channels.user_events(sender) == []


def test_text_is_answered_once_even_when_replayed(channels: Channels, fake: FakeProviders) -> None:
    sender = new_sender()
    params = channels.twilio_params(sender, "halo")
    reply = channels.whatsapp(params)
    assert reply.status_code == 200 and "<Response>" in reply.text
    sent = fake.sent("twilio", sender)
    assert sent and all(c.params["From"] == CHANNEL_ENV["TWILIO_WHATSAPP_NUMBER"] for c in sent)
    assert "Bapak/Ibu" in bodies(fake, sender)
    assert all(len(c.params["Body"]) <= 1600 for c in sent)
    events = channels.user_events(sender)
    assert len(events) == 1 and events[0]["input_channel"] == "whatsapp"
    assert events[0]["metadata"]["provider_message_id"] == params["MessageSid"]

    again = channels.whatsapp(params)  # Twilio retry of the same MessageSid
    assert again.status_code == 200
    assert len(fake.sent("twilio", sender)) == len(sent)
    assert len(channels.user_events(sender)) == 1


def test_buttons_are_numbered_and_a_digit_is_the_payload(channels: Channels, fake: FakeProviders) -> None:
    sender = new_sender()
    assert channels.whatsapp(channels.twilio_params(sender, "menu")).status_code == 200
    text = bodies(fake, sender)
    assert "1. Tanya prosedur" in text and "2. Booking/antrean" in text
    assert "Balas dengan angka 1-5." in text
    fake.reset()
    assert channels.whatsapp(channels.twilio_params(sender, "1")).status_code == 200
    last = channels.user_events(sender)[-1]
    assert last["parse_data"]["intent"]["name"] == "menu_ask_procedure"
    assert last["metadata"]["button_reply"] == "1"
    assert "Silakan ketik pertanyaan" in bodies(fake, sender)
    # the prompt had no buttons: a later "2" is plain text again, not the old menu's second item
    channels.whatsapp(channels.twilio_params(sender, "2"))
    assert channels.user_events(sender)[-1]["text"] == "2"


def test_media_and_location_reach_rasa_as_metadata(channels: Channels, fake: FakeProviders) -> None:
    sender = new_sender()
    media = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1"
    params = channels.twilio_params(sender, "", NumMedia="2", MediaUrl0=media, MediaContentType0="image/jpeg",
                                    MediaUrl1=media + "2", MediaContentType1="application/pdf", MessageType="image")
    assert channels.whatsapp(params).status_code == 200
    event = channels.user_events(sender)[-1]
    assert event["text"] == "/share_attachment"
    assert event["metadata"]["attachments"] == [
        {"type": "image", "mime_type": "image/jpeg", "url": media, "size": None, "provider": "twilio"},
        {"type": "document", "mime_type": "application/pdf", "url": media + "2", "size": None, "provider": "twilio"}]
    params = channels.twilio_params(sender, "", Latitude="-4.5167", Longitude="105.0167", Address="Jl. Contoh",
                                    MessageType="location")
    assert channels.whatsapp(params).status_code == 200
    event = channels.user_events(sender)[-1]
    assert event["text"] == "/share_location"
    assert event["metadata"]["location"] == {"latitude": -4.5167, "longitude": 105.0167, "address": "Jl. Contoh"}


def test_unsupported_and_malformed_messages(channels: Channels, fake: FakeProviders) -> None:
    sender = new_sender()
    assert channels.whatsapp(channels.twilio_params(sender, "", MessageType="unsupported")).status_code == 200
    assert "belum dapat kami proses" in bodies(fake, sender)
    assert channels.user_events(sender) == []
    params = channels.twilio_params(sender, "halo")
    del params["From"]
    assert channels.whatsapp(params).status_code == 400
    assert channels.whatsapp(channels.twilio_params(sender, "x", NumMedia="dua")).status_code == 400
    assert channels.whatsapp(channels.twilio_params("+62811", "halo")).status_code == 400  # not a whatsapp: sender


def test_status_callback_is_signed(channels: Channels, fake: FakeProviders) -> None:
    params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "undelivered", "ErrorCode": "63016",
              "To": new_sender(), "AccountSid": CHANNEL_ENV["TWILIO_ACCOUNT_SID"]}
    assert channels.whatsapp(params, path="/webhooks/whatsapp/status").status_code == 204
    assert channels.whatsapp(params, signature=None, path="/webhooks/whatsapp/status").status_code == 403


def test_pushed_messages_use_the_window_or_a_template(channels: Channels, fake: FakeProviders) -> None:
    sender = new_sender()
    channels.whatsapp(channels.twilio_params(sender, "halo"))
    fake.reset()
    text = "Balasan petugas: berkas pengaduan Bapak/Ibu sudah kami terima. " * 40  # > 1600 characters
    reply = channels.trigger(sender, "whatsapp", text)
    assert reply.status_code == 200, reply.text
    sent = fake.sent("twilio", sender)
    assert len(sent) >= 2 and all(len(c.params["Body"]) <= 1600 for c in sent)
    assert " ".join(c.params["Body"] for c in sent).split() == text.split()

    stranger = new_sender()  # never wrote: outside the 24-hour window
    reply = channels.trigger(stranger, "whatsapp", "Pengingat: jadwal kunjungan Bapak/Ibu besok pukul 09.00.",
                             kind="reminder")
    assert reply.status_code == 200, reply.text
    (template,) = fake.sent("twilio", stranger)
    assert template.params["ContentSid"] == CHANNEL_ENV["TWILIO_CONTENT_SID_DEFAULT"]
    assert "Body" not in template.params
    assert json.loads(template.params["ContentVariables"]) == {
        "1": "Pengingat: jadwal kunjungan Bapak/Ibu besok pukul 09.00."}


def test_a_provider_failure_fails_the_push(channels: Channels, fake: FakeProviders) -> None:
    sender = new_sender()
    channels.whatsapp(channels.twilio_params(sender, "halo"))
    fake.fail_next("twilio", 500)
    reply = channels.trigger(sender, "whatsapp", "Balasan petugas: mohon datang ke loket 2.")
    assert reply.status_code == 500
    reply = channels.trigger(sender, "whatsapp", "Balasan petugas: mohon datang ke loket 2.")  # the outbox retry
    assert reply.status_code == 200
    assert bodies(fake, sender).count("mohon datang ke loket 2") == 2  # the failed attempt and the retry


def test_a_push_never_crosses_channels(channels: Channels, fake: FakeProviders) -> None:
    reply = channels.trigger("telegram:424242", "whatsapp", "Balasan petugas.")
    assert reply.status_code == 500
    assert fake.sent("twilio") == []
