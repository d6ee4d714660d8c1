"""Messenger and Instagram (one Meta channel) against a real Rasa server and the fake Graph API."""
from __future__ import annotations

import secrets

import httpx

from channels.common import meta_signature
from tests.channels.conftest import CHANNEL_ENV, Channels
from tests.fakes import FakeProviders


def new_psid() -> str:
    return str(10**15 + secrets.randbelow(10**15))


def texts(fake: FakeProviders, psid: str) -> str:
    return "\n".join((c.params.get("message") or {}).get("text", "") for c in fake.sent("graph", psid))


def test_verify_token_handshake(channels: Channels) -> None:
    url = f"{channels.rasa}/webhooks/meta/webhook"
    ok = httpx.get(url, params={"hub.mode": "subscribe", "hub.verify_token": CHANNEL_ENV["META_VERIFY_TOKEN"],
                                "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = httpx.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert bad.status_code == 403


def test_signature_is_required(channels: Channels, fake: FakeProviders) -> None:
    psid = new_psid()
    body = channels.meta_body([channels.meta_message(psid, "halo")])
    assert channels.meta(body, signature=None).status_code == 403
    assert channels.meta(body, signature=meta_signature("wrong-secret", b"{}")).status_code == 403
    assert channels.meta(body, signature="sha1=abc").status_code == 403
    assert fake.sent("graph") == []
    assert channels.user_events(f"messenger:{psid}") == []


def test_every_event_of_a_batch_once(channels: Channels, fake: FakeProviders) -> None:
    first, second = new_psid(), new_psid()
    body = channels.meta_body([channels.meta_message(first, "halo"), channels.meta_message(second, "terima kasih")])
    reply = channels.meta(body)
    assert reply.status_code == 200
    assert "Bapak/Ibu" in texts(fake, first)
    assert "Sama-sama" in texts(fake, second)
    sent = len(fake.sent("graph"))
    assert all(c.query["access_token"] == CHANNEL_ENV["META_PAGE_ACCESS_TOKEN"] for c in fake.sent("graph"))
    assert all(c.path.startswith("/v21.0/") for c in fake.sent("graph"))
    assert channels.meta(body).status_code == 200  # Meta redelivers the batch
    assert len(fake.sent("graph")) == sent
    assert len(channels.user_events(f"messenger:{first}")) == 1
    assert channels.user_events(f"messenger:{first}")[0]["input_channel"] == "meta"


def test_quick_replies_and_their_payload(channels: Channels, fake: FakeProviders) -> None:
    psid = new_psid()
    channels.meta(channels.meta_body([channels.meta_message(psid, "menu")]))
    with_replies = [c.params["message"] for c in fake.sent("graph", psid) if c.params["message"].get("quick_replies")]
    assert with_replies
    replies = with_replies[-1]["quick_replies"]
    assert 0 < len(replies) <= 13 and all(len(r["title"]) <= 20 for r in replies)
    assert {"content_type": "text", "title": "Booking/antrean", "payload": "/start_booking"} in replies
    fake.reset()
    choice = channels.meta_message(psid, "Tanya prosedur", quick_reply={"payload": "/menu_ask_procedure"})
    channels.meta(channels.meta_body([choice]))
    assert channels.user_events(f"messenger:{psid}")[-1]["parse_data"]["intent"]["name"] == "menu_ask_procedure"
    assert "Silakan ketik pertanyaan" in texts(fake, psid)


def test_instagram_uses_its_namespace_limit_and_token(channels: Channels, fake: FakeProviders) -> None:
    igsid = new_psid()
    body = channels.meta_body([channels.meta_message(igsid, "halo", platform="instagram")], platform="instagram")
    assert channels.meta(body).status_code == 200
    sent = fake.sent("graph", igsid)
    assert sent and all(c.query["access_token"] == CHANNEL_ENV["META_INSTAGRAM_ACCESS_TOKEN"] for c in sent)
    assert all(len(c.params["message"].get("text", "").encode()) <= 1000 for c in sent)
    assert channels.user_events(f"instagram:{igsid}")[0]["metadata"]["channel"] == "instagram"
    assert channels.user_events(f"messenger:{igsid}") == []


def test_attachments_location_edits_echoes_and_unsupported(channels: Channels, fake: FakeProviders) -> None:
    psid = new_psid()
    image = {"type": "image", "payload": {"url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"}}
    channels.meta(channels.meta_body([channels.meta_message(psid, None, attachments=[image])]))
    event = channels.user_events(f"messenger:{psid}")[-1]
    assert event["text"] == "/share_attachment"
    assert event["metadata"]["attachments"] == [{"type": "image", "url": image["payload"]["url"], "size": None,
                                                 "mime_type": None, "provider": "meta"}]
    location = {"type": "location", "payload": {"coordinates": {"lat": -4.8325, "long": 104.8844}}}
    channels.meta(channels.meta_body([channels.meta_message(psid, None, attachments=[location])]))
    assert channels.user_events(f"messenger:{psid}")[-1]["metadata"]["location"] == {
        "latitude": -4.8325, "longitude": 104.8844}
    count = len(channels.user_events(f"messenger:{psid}"))
    fake.reset()
    sticker = {"type": "image", "payload": {"url": "https://scontent.example/sticker.png", "sticker_id": 369239263222822}}
    echo = channels.meta_message(psid, "balasan halaman", is_echo=True)
    edit = {"sender": {"id": psid}, "recipient": {"id": "104000000000001"}, "timestamp": 1,
            "message_edit": {"mid": "m_edit1", "text": "halo ralat", "num_edit": 1}}
    read = {"sender": {"id": psid}, "recipient": {"id": "104000000000001"}, "timestamp": 2,
            "read": {"watermark": 1}}
    reply = channels.meta(channels.meta_body([channels.meta_message(psid, None, attachments=[sticker]), echo, edit,
                                              read]))
    assert reply.status_code == 200
    assert "belum dapat kami proses" in texts(fake, psid)
    assert "pesan yang diubah" in texts(fake, psid)
    assert len(fake.sent("graph", psid)) == 2
    assert len(channels.user_events(f"messenger:{psid}")) == count


def test_malformed_bodies_are_400(channels: Channels, fake: FakeProviders) -> None:
    assert channels.meta(b"{oops").status_code == 400
    assert channels.meta({"object": "whatsapp_business_account", "entry": []}).status_code == 400
    assert channels.meta({"object": "page", "entry": [{"messaging": [{"message": {"text": "x"}}]}]}).status_code == 400
    assert channels.meta({"object": "page", "entry": "x"}).status_code == 400
    assert fake.sent("graph") == []


def test_push_through_meta_window_tag_and_failure(channels: Channels, fake: FakeProviders) -> None:
    psid = new_psid()
    channels.meta(channels.meta_body([channels.meta_message(psid, "halo")]))
    fake.reset()
    assert channels.trigger(f"messenger:{psid}", "meta", "Balasan petugas: sudah kami proses.").status_code == 200
    (call,) = fake.sent("graph", psid)
    assert call.params["messaging_type"] == "RESPONSE"
    assert call.params["message"]["text"] == "Balasan petugas: sudah kami proses."
    stranger = new_psid()
    assert channels.trigger(f"instagram:{stranger}", "meta", "Pengingat kunjungan.").status_code == 200
    (tagged,) = fake.sent("graph", stranger)
    assert tagged.params["messaging_type"] == "MESSAGE_TAG" and tagged.params["tag"] == "HUMAN_AGENT"
    fake.fail_next("graph", 500)
    assert channels.trigger(f"messenger:{psid}", "meta", "Pesan kedua.").status_code == 500
    assert channels.trigger("telegram:99", "meta", "Salah kanal.").status_code == 500


def test_same_conversations_on_every_channel(channels: Channels, fake: FakeProviders, chat) -> None:
    """The booking and complaint entries open the same way on each channel as on the REST channel.
    Later turns may differ on purpose (WhatsApp already knows the phone number), so the first
    message is compared."""
    for payload in ("/start_booking", "/start_complaint"):
        expected = chat(f"rest-{secrets.token_hex(4)}", payload)[0].get("text", "").split()
        assert expected, payload
        psid, chat_id, number = new_psid(), 200000000 + secrets.randbelow(10**8), \
            f"whatsapp:+62813{secrets.randbelow(10**7):07d}"
        channels.meta(channels.meta_body([channels.meta_message(psid, payload)]))
        channels.telegram(channels.tg_message(chat_id, payload))
        channels.whatsapp(channels.twilio_params(number, payload))
        got_meta = " ".join((c.params["message"] or {}).get("text", "") for c in fake.sent("graph", psid)).split()
        got_tg = " ".join(c.params.get("text", "") for c in fake.sent("telegram", str(chat_id))).split()
        got_wa = " ".join(c.params.get("Body", "") for c in fake.sent("twilio", number)).split()
        for got in (got_meta, got_tg, got_wa):
            assert got[:len(expected)] == expected, payload