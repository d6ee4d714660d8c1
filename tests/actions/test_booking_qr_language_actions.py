"""The booking actions' part in the QR check-in and the citizen's language: the confirmation carries
the QR image only when PUBLIC_BASE_URL is set, and the booking / queue number remember the
conversation's language for the messages the office sends later."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import actions.booking as ab
from office.booking.models import Booking, QueueTicket
from office.db import session_scope
from tests.actions.test_booking_actions import db, run, tracker, validate  # noqa: F401  (fixture and helpers)

SLOTS = {"booking_service": "AMBIL", "booking_date": "2026-03-17", "booking_time": "09:00",
         "booking_name": "Siti Aminah", "booking_phone": "+6281234567890"}


def _confirmed(slots: dict) -> str:
    form = ab.ValidateBookingForm()
    from rasa_sdk.executor import CollectingDispatcher

    result = form.validate_booking_confirm("Ya", CollectingDispatcher(), tracker(slots, "Ya"), {})
    assert result["booking_confirm"] == "yes", result
    return result["booking_code"]


def test_confirmation_attaches_the_qr_only_with_a_public_address(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    code = _confirmed(SLOTS)
    _, d = run(ab.ActionBookingSubmit(), tracker({**SLOTS, "booking_code": code}))
    assert code in d.messages[0]["text"] and not [m for m in d.messages if m.get("image")]

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://layanan.example.go.id")
    _, d = run(ab.ActionBookingSubmit(), tracker({**SLOTS, "booking_code": code}))
    images = [m for m in d.messages if m.get("image")]
    assert [m["image"] for m in images] == [f"https://layanan.example.go.id/qr/booking/{code}.png"]
    assert images[0]["text"] == "QR check-in: pindai di kios antrean saat tiba."
    assert d.messages.index(images[0]) == 1  # right after the code

    _, d = run(ab.ActionBookingSubmit(), tracker({**SLOTS, "language": "en", "booking_code": code}))
    assert [m["text"] for m in d.messages if m.get("image")] == ["Check-in QR: scan it at the queue kiosk when you arrive."]


def test_booking_and_walkin_remember_the_language(db: str) -> None:
    code = _confirmed({**SLOTS, "language": "en"})
    _, d = run(ab.ActionQueueTake(), tracker({"language": "en"}, text="take a queue number", intent="take_queue_number",
                                             entities=[{"entity": "queue_service", "value": "BAP"}]))
    assert "Your number for" in d.messages[0]["text"]
    with session_scope(db) as s:
        assert s.scalar(select(Booking.language).where(Booking.code == code)) == "en"
        assert s.scalars(select(QueueTicket.language)).all() == ["en"]
