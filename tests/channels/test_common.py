"""Unit tests of the channels' pure helpers (channels.common) and the shared state store."""
from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest

from channels import common
from channels.state import SQLStateStore
from tests.servers import ROOT, base_env

LONG = ("Biaya penerbitan paspor elektronik 10 tahun adalah Rp950.000 dan jam layanan 08:00-16:00 WIB. "
        "Informasi lengkap di https://www.imigrasi.go.id/paspor/persyaratan-paspor-baru?ref=kanim-kotabumi "
        "atau datang langsung ke kantor. ")


@pytest.mark.parametrize("limit", [100, 160, 1000, 1600])
def test_split_never_breaks_words_numbers_or_links(limit: int) -> None:
    text = LONG * 40
    parts = common.split_text(text, limit)
    assert all(common.utf16_len(p) <= limit for p in parts)
    assert " ".join(parts).split() == text.split()  # nothing lost, nothing cut inside a token
    tokens = set(text.split())  # every chunk is made of whole words, numbers and links
    assert all(set(p.split()) <= tokens for p in parts)
    assert max(map(common.utf16_len, parts)) > limit * 0.6  # and chunks are not needlessly short


def test_split_prefers_paragraphs_then_lines() -> None:
    text = "Paragraf satu berisi beberapa kata.\n\nParagraf dua juga.\nBaris tiga."
    assert common.split_text(text, 40) == ["Paragraf satu berisi beberapa kata.", "Paragraf dua juga.\nBaris tiga."]
    assert common.split_text("pendek", 4096) == ["pendek"]
    assert common.split_text("   ", 10) == []


def test_split_counts_utf16_and_cuts_only_oversized_tokens() -> None:
    emoji = "🙏" * 10  # 20 UTF-16 units
    assert [common.utf16_len(p) for p in common.split_text(emoji, 8)] == [8, 8, 4]
    url = "https://example.org/" + "a" * 50
    parts = common.split_text(f"lihat {url} ya", 30)
    assert parts[0] == "lihat" and "".join(parts[1:-1]) + parts[-1].removesuffix(" ya") == url


def test_numbered_buttons_and_digit_mapping() -> None:
    buttons = [{"title": "Tanya prosedur", "payload": "/menu_ask_procedure"},
               {"title": "Booking/antrean", "payload": "/start_booking"},
               {"title": "Pengaduan", "payload": "/start_complaint"},
               {"title": "Cek status", "payload": "/check_status"}]
    text = common.render_numbered("Ada yang bisa kami bantu? Silakan pilih menu.", buttons)
    assert "1. Tanya prosedur\n2. Booking/antrean\n3. Pengaduan\n4. Cek status" in text
    assert text.endswith("Balas dengan angka 1-4.")
    english = common.render_numbered("How can I help you? Choose a menu item.", buttons[:2])
    assert english.endswith("Reply with a number 1-2.")
    payloads = [b["payload"] for b in buttons]
    assert common.digit_to_payload("2", payloads) == "/start_booking"
    assert common.digit_to_payload(" 4. ", payloads) == "/check_status"
    assert common.digit_to_payload("(1)", payloads) == "/menu_ask_procedure"
    assert common.digit_to_payload("5", payloads) is None
    assert common.digit_to_payload("0", payloads) is None
    assert common.digit_to_payload("2 orang", payloads) is None
    assert common.digit_to_payload("0812345", payloads) is None


def test_quick_replies_respect_meta_limits() -> None:
    replies = common.quick_replies([{"title": "Bicara dengan petugas", "payload": "/request_officer"},
                                    {"title": "Cek status", "payload": "/check_status"}])
    assert replies == [{"content_type": "text", "title": "Bicara dengan…", "payload": "/request_officer"},
                       {"content_type": "text", "title": "Cek status", "payload": "/check_status"}]
    many = [{"title": f"Pilihan {i}", "payload": f"/p{i}"} for i in range(14)]
    assert common.quick_replies(many) is None
    assert len(common.quick_replies(many[:13]) or []) == 13
    assert all(len(common.truncate_title("x" * n)) <= 20 for n in range(1, 60))


def test_sender_namespacing() -> None:
    assert common.namespaced_sender("whatsapp", "whatsapp:+6281234567890") == "whatsapp:+6281234567890"
    assert common.namespaced_sender("telegram", "123456") == "telegram:123456"
    assert common.namespaced_sender("instagram", "17841400") == "instagram:17841400"
    assert common.split_sender("messenger:555") == ("messenger", "555")
    for bad in ("+6281234", "sms:+62812", "telegram:", "rest:abc"):
        with pytest.raises(ValueError):
            common.split_sender(bad)
    with pytest.raises(ValueError):
        common.namespaced_sender("telegram", "1:2")


def test_signatures_are_checked_constant_time_and_need_a_secret() -> None:
    params = {"Body": ["halo"], "From": ["whatsapp:+62811"], "MessageSid": ["SM1"]}
    url = "https://chat.example/webhooks/whatsapp/webhook"
    good = common.twilio_signature("tok", url, params)
    assert common.verify_twilio_signature("tok", url, params, good)
    assert common.verify_twilio_signature("tok", "https://chat.example:443/webhooks/whatsapp/webhook", params, good)
    assert not common.verify_twilio_signature("tok", url, {**params, "Body": ["hallo"]}, good)
    assert not common.verify_twilio_signature("other", url, params, good)
    assert not common.verify_twilio_signature("", url, params, good)
    body = b'{"object":"page"}'
    header = common.meta_signature("s3cret", body)
    assert common.verify_meta_signature("s3cret", body, header)
    assert not common.verify_meta_signature("s3cret", body + b" ", header)
    assert not common.verify_meta_signature(None, body, header)
    assert common.verify_secret("abc", "abc") and not common.verify_secret("abc", "abd")
    assert not common.verify_secret("", "") and not common.verify_secret(None, None)


def test_twilio_signature_matches_the_twilio_library() -> None:
    """Our validator and Twilio's own RequestValidator (Rasa env) agree, including repeated keys."""
    script = (
        "from twilio.request_validator import RequestValidator\n"
        "from channels.common import twilio_signature\n"
        "class M(dict):\n"
        "    def getall(self, k): return self[k]\n"
        "p = M({'Body': ['Halo, paspor Rp950.000?'], 'MediaUrl0': ['https://api.twilio.com/x'], 'X': ['b', 'a']})\n"
        "u = 'https://chat.example/webhooks/whatsapp/webhook?x=1'\n"
        "mine = twilio_signature('token123', u, p)\n"
        "assert RequestValidator('token123').validate(u, p, mine), mine\n"
        "print('ok')\n")
    result = subprocess.run([str(ROOT / ".venv-rasa/bin/python"), "-c", script], cwd=ROOT, env=base_env({}),
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr[-2000:]


def test_attachment_kinds() -> None:
    assert common.attachment_kind("image/jpeg") == "image"
    assert common.attachment_kind("application/pdf") == "document"
    assert common.attachment_kind("text/vcard") == "contact"
    assert common.attachment_kind(None) == "document"


def test_state_store_claims_once_and_expires(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    store = SQLStateStore(url)
    assert store.claim("seen:whatsapp:SM1", dt.timedelta(hours=1))
    assert not store.claim("seen:whatsapp:SM1", dt.timedelta(hours=1))
    assert not SQLStateStore(url).claim("seen:whatsapp:SM1", dt.timedelta(hours=1))  # another replica/restart
    assert store.claim("seen:telegram:1", dt.timedelta(seconds=-1))  # already expired
    assert store.claim("seen:telegram:1", dt.timedelta(hours=1))  # so it can be claimed again
    store.put_json("buttons:whatsapp:+62811", [{"title": "A", "payload": "/a"}], dt.timedelta(days=1))
    store.put_json("buttons:whatsapp:+62811", [{"title": "B", "payload": "/b"}], dt.timedelta(days=1))
    assert store.get_json("buttons:whatsapp:+62811") == [{"title": "B", "payload": "/b"}]
    store.put("inbound:whatsapp:+62811", "x", dt.timedelta(seconds=-1))
    assert store.get("inbound:whatsapp:+62811") is None
    store.delete("buttons:whatsapp:+62811")
    assert store.get_json("buttons:whatsapp:+62811") is None


def test_state_store_on_redis_when_available() -> None:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    from channels.state import RedisStateStore

    store = RedisStateStore("redis://127.0.0.1:6379/15", prefix=f"test-{re.sub(r'[^0-9]', '', str(dt.datetime.now()))}:")
    assert store.claim("seen:meta:m_1", dt.timedelta(minutes=1))
    assert not store.claim("seen:meta:m_1", dt.timedelta(minutes=1))
    store.put_json("buttons:x", [1, 2], dt.timedelta(minutes=1))
    assert store.get_json("buttons:x") == [1, 2]
    store.delete("buttons:x")
    store.delete("seen:meta:m_1")
    assert store.get("buttons:x") is None
