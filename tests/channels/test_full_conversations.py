"""The same booking and complaint conversations, start to finish, on WhatsApp (Twilio), Telegram,
Messenger and Instagram: signed, real-shaped webhooks into the real Rasa and action servers, the
bot's answers read from the fake provider API, buttons pressed the way each channel offers them,
and the rows checked in the office database under the channel's namespaced sender id.

Clock: Monday 16 March 2026, 09.30 WIB (the action server's OFFICE_NOW)."""
from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import select

from office.booking.models import Booking
from office.complaints.models import Ticket
from office.db import session_scope
from tests.channels.citizens import Citizen, MetaCitizen, TelegramCitizen, WhatsAppCitizen, file_complaint
from tests.channels.conftest import Channels
from tests.fakes import FakeProviders

pytestmark = pytest.mark.integration
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + secrets.token_bytes(2048)
PDF = b"%PDF-1.5\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + secrets.token_bytes(1024) + b"\n%%EOF\n"
CHANNELS = ["whatsapp", "telegram", "messenger", "instagram"]


def citizen_on(channel: str, channels: Channels, fake: FakeProviders) -> Citizen:
    if channel == "whatsapp":
        return WhatsAppCitizen(channels, fake)
    if channel == "telegram":
        return TelegramCitizen(channels, fake)
    return MetaCitizen(channels, fake, "page" if channel == "messenger" else "instagram")


def _is_date(title: str) -> bool:
    return bool(re.match(r"^(Senin|Selasa|Rabu|Kamis|Jumat|Sabtu|Minggu), \d", title))


def _is_time(title: str) -> bool:
    return bool(re.match(r"^\d{2}[.:]\d{2} \(\d+\)$", title))


@pytest.mark.parametrize("channel", CHANNELS)
def test_booking_start_to_finish(channel: str, channels: Channels, fake: FakeProviders) -> None:
    who = citizen_on(channel, channels, fake)
    who.say("saya mau booking jadwal kunjungan")
    assert "M-Paspor" in who.text() and "Layanan apa" in who.text()
    who.press("Konsultasi")  # the service's title as this channel shows it
    assert "Tanggal berapa" in who.text()
    dates = [title for title, _ in who.buttons() if _is_date(title)]
    assert any(d.startswith("Selasa, 17 Maret") for d in dates), who.buttons()
    assert not any(d.startswith("Rabu, 18 Maret") for d in dates)  # 18-24 March: holiday closure
    who.press(lambda title: title.startswith("Selasa, 17 Maret"))
    assert "Pilih jam kedatangan pada Selasa, 17 Maret 2026" in who.text()
    who.press(_is_time)
    assert "nama dan nomor HP" in who.text() and "Apakah Bapak/Ibu setuju?" in who.text()  # consent first
    who.press("Setuju")
    assert "Atas nama siapa" in who.text()
    who.say("Siti Aminah")
    phone = None
    if channel == "whatsapp":  # the sender's number is the phone; no need to ask
        assert "Mohon periksa kembali" in who.text() and "yang dapat dihubungi" not in who.text()
    else:
        assert "Nomor HP" in who.text()
        phone = f"0813-{secrets.randbelow(10**4):04d}-{secrets.randbelow(10**4):04d}"
        who.say(phone)
    summary = who.text()
    assert "Mohon periksa kembali" in summary and "Siti Aminah" in summary and "Selasa, 17 Maret 2026" in summary
    who.press("Ya")
    done = who.text()
    assert "Booking berhasil" in done, done
    code = done.split("Kode booking Bapak/Ibu: ")[1][:6]
    with session_scope() as s:
        booking = s.scalar(select(Booking).where(Booking.code == code))
        assert booking is not None
        assert (booking.sender_id, booking.service_code, booking.status) == (who.sender_id, "KONSUL", "active")
        assert booking.day.isoformat() == "2026-03-17"
        expected_phone = "+" + who.sender_id.split("+")[1] if channel == "whatsapp" else \
            "+62" + phone.replace("-", "")[1:]
        assert booking.phone == expected_phone


@pytest.mark.parametrize("channel", CHANNELS)
def test_complaint_start_to_finish(channel: str, channels: Channels, fake: FakeProviders) -> None:
    who = citizen_on(channel, channels, fake)
    send = {"whatsapp": lambda: who.send_media(fake.add_media("twilio", JPEG, "image/jpeg"), "image/jpeg",
                                               caption="ini foto toiletnya"),
            "telegram": lambda: who.send_photo(fake.add_media("telegram", JPEG, "image/jpeg"), len(JPEG)),
            "messenger": lambda: who.send_file(fake.add_media("meta", PDF, "application/pdf", "surat.pdf")),
            "instagram": lambda: who.send_image(fake.add_media("meta", JPEG, "image/jpeg"))}[channel]
    code = file_complaint(who, "Toilet di ruang tunggu kotor sekali dan airnya mati sejak pagi", send)
    with session_scope() as s:
        ticket = s.scalar(select(Ticket).where(Ticket.code == code))
        assert ticket is not None
        assert (ticket.sender_id, ticket.channel, ticket.category, ticket.unit, ticket.mode) == (
            who.sender_id, who.sender_id.split(":")[0], "fasilitas", "Tata Usaha", "biasa")
        evidence = [(e.kind, e.provider, e.status) for e in ticket.evidence]
    provider = {"whatsapp": "twilio", "telegram": "telegram"}.get(channel, "meta")
    assert evidence == [("pdf" if channel == "messenger" else "image", provider, "pending")]
