"""Conversations over Rasa's REST channel with the real Rasa server and the real action server.

The action server's clock is fixed at Monday 16 March 2026, 09.30 WIB (tests/conftest.py).
"""
from __future__ import annotations

import uuid

import httpx
import pytest

from tests.conftest import buttons, texts

pytestmark = pytest.mark.integration

MENU_ID = ["Tanya prosedur", "Booking/antrean", "Pengaduan", "Cek status", "Bicara dengan petugas"]


def sender(prefix: str = "rest") -> str:
    return f"{prefix}:{uuid.uuid4().hex[:12]}"


@pytest.mark.parametrize("greeting", ["halo", "halo min", "p", "assalamualaikum", "selamat pagi"])
def test_greeting_gives_privacy_notice_and_menu(chat, greeting: str) -> None:
    reply = chat(sender(), greeting)
    body = texts(reply)
    assert "asisten virtual" in body
    assert "UU 27/2022" in body and "365 hari" in body
    assert buttons(reply) == MENU_ID
    if greeting == "assalamualaikum":
        assert body.startswith("Waalaikumsalam")


def test_english_greeting_is_answered_in_english(chat) -> None:
    reply = chat(sender(), "hello, good morning")
    body = texts(reply)
    assert "virtual assistant" in body and "Law 27/2022" in body
    assert buttons(reply)[0] == "Ask about a procedure"


def test_office_hours_today_from_profile(chat) -> None:
    body = texts(chat(sender(), "jam buka kantor?"))
    assert "Senin, 16 Maret 2026" in body
    assert "08.00–16.00" in body
    assert "saat ini sedang buka" in body


def test_open_tomorrow_and_on_a_cuti_bersama(chat) -> None:
    user = sender()
    assert "Ya, Selasa, 17 Maret 2026 kantor buka" in texts(chat(user, "besok buka ga?"))
    closed = texts(chat(user, "tgl 23 maret buka?"))
    assert "Tidak, Senin, 23 Maret 2026 kantor tutup" in closed
    assert "cuti bersama" in closed
    assert "Rabu, 25 Maret 2026" in closed  # the next service day after the 18-24 March closure


def test_contacts_are_never_invented(chat) -> None:
    body = texts(chat(sender(), "nomor WA kantor berapa?"))
    assert "belum saya miliki" in body
    assert "kotabumi.imigrasi.go.id" in body
    address = texts(chat(sender(), "alamat kantor imigrasi dimana?"))
    assert "kotabumi.imigrasi.go.id" in address


def test_thanks_goodbye_and_bot_question(chat) -> None:
    user = sender()
    assert "Sama-sama" in texts(chat(user, "makasih kak"))
    assert "asisten virtual" in texts(chat(user, "kamu bot ya?"))
    assert "Terima kasih telah menghubungi" in texts(chat(user, "dadah, sampai jumpa"))


def test_help_and_menu(chat) -> None:
    user = sender()
    reply = chat(user, "bantuan")
    assert "Saya dapat" in texts(reply)
    assert buttons(reply) == MENU_ID
    assert buttons(chat(user, "menu")) == MENU_ID


def test_procedure_question_is_answered_from_the_knowledge_base(chat) -> None:
    user = sender()
    body = texts(chat(user, "brp biaya bkin paspor skrg"))
    assert "Rp950.000" in body
    assert "Sumber:" in body and "diperbarui" in body
    follow_up = texts(chat(user, "kalau buat anak?"))
    assert "anak" in follow_up.lower()


def test_lost_passport_then_fee_follow_up(chat) -> None:
    user = sender()
    assert "hilang" in texts(chat(user, "paspor sy ilang gmn min")).lower()
    assert "Rp1.000.000" in texts(chat(user, "berapa biayanya?"))


def test_out_of_scope_and_unknown_never_dead_end(chat) -> None:
    reply = chat(sender(), "pesan pizza dong")
    assert buttons(reply) == MENU_ID
    garbage = chat(sender(), "qwxz vbnm zzkj")
    assert buttons(garbage), "the fallback must offer the menu"


@pytest.mark.parametrize(
    "message",
    ["", "   ", "😀😀😀", "x" * 10_000, "\x00\x01\x02\xff binary", "<script>alert(1)</script>"],
)
def test_bad_input_gets_a_polite_answer(chat, message: str) -> None:
    reply = chat(sender(), message)
    assert isinstance(reply, list)
    if message.strip() and message != "\x00\x01\x02\xff binary":
        assert reply, "the bot must answer"


def test_invalid_json_to_rest_webhook_is_4xx(rasa_server: str) -> None:
    response = httpx.post(f"{rasa_server}/webhooks/rest/webhook", content=b"{not json",
                          headers={"Content-Type": "application/json"}, timeout=30)
    assert 400 <= response.status_code < 500


def test_rasa_api_requires_the_token(rasa_server: str) -> None:
    response = httpx.get(f"{rasa_server}/conversations/someone/tracker", timeout=30)
    assert response.status_code == 401
