"""Messages the office sends first about a booking or a queue number are in the language the citizen
used when booking or taking the number: the day-before reminder and "nomor Anda hampir dipanggil"."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from office.booking import bookings as bk
from office.booking import queue as q
from office.booking.reminders import reminder_text, send_day_before_reminders
from office.db import session_scope
from office.outbox import OutboxMessage
from tests.unit.test_booking_queue import CAL, NOW, WIB, db  # noqa: F401  (the database fixture)


def _outbox(db: str, kind: str) -> dict[str, str]:
    with session_scope(db) as s:
        return {m.sender_id: m.text for m in s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))}


def test_reminder_in_the_booking_language(db: str) -> None:
    with session_scope(db) as s:
        en = bk.book(s, "BAP", dt.date(2026, 3, 25), dt.time(9, 0), "John Smith", "081234567890", "telegram:1",
                     now=NOW, calendar=CAL, language="en").booking
        idn = bk.book(s, "AMBIL", dt.date(2026, 3, 25), dt.time(9, 0), "Siti", "081234567891", "telegram:2",
                      now=NOW, calendar=CAL).booking
        odd = bk.book(s, "KONSUL", dt.date(2026, 3, 25), dt.time(9, 0), "Ani", "081234567892", "telegram:3",
                      now=NOW, calendar=CAL, language="fr").booking
        assert (en.language, idn.language, odd.language) == ("en", "id", "id")  # unknown languages: Indonesian
        codes = en.code, idn.code
    with session_scope(db) as s:
        assert send_day_before_reminders(s, now=dt.datetime(2026, 3, 24, 9, 5, tzinfo=WIB)) == 3
    sent = _outbox(db, "reminder")
    assert sent["telegram:1"].startswith("Reminder of your visit tomorrow: ")
    assert "Wednesday, 25 March 2026 at 09.00 WIB" in sent["telegram:1"] and f"cancel booking {codes[0]}" in sent["telegram:1"]
    assert "Pengingat" not in sent["telegram:1"]
    assert sent["telegram:2"].startswith("Pengingat kunjungan besok: ")
    assert "Rabu, 25 Maret 2026 pukul 09.00 WIB" in sent["telegram:2"] and f"batal booking {codes[1]}" in sent["telegram:2"]
    assert sent["telegram:3"].startswith("Pengingat")


def test_reminder_uses_the_english_service_name(db: str) -> None:
    with session_scope(db) as s:
        booking = bk.book(s, "AMBIL", dt.date(2026, 3, 25), dt.time(9, 0), "John", "081234567890", "web:1",
                          now=NOW, calendar=CAL, language="en").booking
        service = q.get_service(s, "AMBIL")
        assert service.name_en and reminder_text(booking, service.label("en"), "en").startswith(
            f"Reminder of your visit tomorrow: {service.name_en},")


def test_near_turn_alert_in_the_ticket_language(db: str) -> None:
    with session_scope(db) as s:
        booking = bk.book(s, "AMBIL", NOW.date(), dt.time(10, 0), "John", "081234567890", "telegram:en-booked",
                          now=NOW, calendar=CAL, language="en").booking
        assert q.take_walkin(s, "AMBIL", "telegram:id-walkin", now=NOW, calendar=CAL).ok
        assert q.take_walkin(s, "BAP", "telegram:en-walkin", now=NOW, calendar=CAL, language="en").ok
        checked = q.check_in(s, booking.code, now=NOW)
        assert checked.ok and checked.ticket.language == "en"
    sent = _outbox(db, "queue_alert")
    assert sent["telegram:en-booked"].startswith("Your number A-003 is almost up")
    assert sent["telegram:en-walkin"].startswith("Your number A-002 is almost up")
    assert sent["telegram:id-walkin"].startswith("Nomor Anda hampir dipanggil: A-001")


def test_transfer_keeps_the_language(db: str) -> None:
    with session_scope(db) as s:
        ticket = q.take_walkin(s, "BAP", "web:en", now=NOW, calendar=CAL, language="en").ticket
        moved = q.transfer(s, ticket.id, "ITK", now=NOW)
        assert moved.language == "en" and moved.line != ticket.line
