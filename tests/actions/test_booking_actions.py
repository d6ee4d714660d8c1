"""The booking actions with a real database and the real knowledge base loader (BM25 only):
the form's validation answers, the saved booking, check / cancel / reschedule and the queue."""
from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

import actions.booking as ab
import office.models  # noqa: F401
from office.booking import bookings as bk
from office.booking import queue as q
from office.booking.models import Booking
from office.db import Base, get_engine, session_scope
from office.kb.search import KnowledgeBase
from office.kb.store import load_directory
from office.settings import ROOT, get_settings

NOW = "2026-03-16T09:30:00"
SENDER = "whatsapp:+6281234567890"
EMBEDDINGS = Path(get_settings().embedding_model)


@pytest.fixture()
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("OFFICE_NOW", NOW)
    Base.metadata.create_all(get_engine(url))
    load_directory(ROOT / "knowledge_base", url=url, verbose=False)
    kb = KnowledgeBase(url=url, model_name=str(EMBEDDINGS))  # shares the embedding cache in var/cache
    monkeypatch.setattr(ab, "get_knowledge_base", lambda: kb)
    return url


def tracker(slots: dict[str, Any] | None = None, text: str = "", intent: str = "inform", confidence: float = 0.9,
            entities: list[dict] | None = None, sender: str = SENDER, active_loop: str | None = None) -> Tracker:
    return Tracker(sender, {"language": "id", **(slots or {})},
                   {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities or []},
                   [], False, None, {"name": active_loop} if active_loop else {}, "action_listen")


def said(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def run(action: Any, t: Tracker) -> tuple[list, CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return events, dispatcher


def validate(name: str, value: str, slots: dict[str, Any], intent: str = "inform", confidence: float = 0.9,
             form: Any = None) -> tuple[dict, str]:
    form = form or ab.ValidateBookingForm()
    dispatcher = CollectingDispatcher()
    result = getattr(form, f"validate_{name}")(value, dispatcher, tracker(slots, value, intent, confidence), {})
    return result, said(dispatcher)


def test_start_links_m_paspor_prefills_phone_and_offers_services(db: str) -> None:
    events, d = run(ab.ActionBookingStart(), tracker())
    assert "aplikasi M-Paspor." in said(d)  # no link until the office fills in a verified one
    assert {"event": "slot", "name": "booking_phone", "value": "+6281234567890", "timestamp": None} in events
    _, d = run(ab.ActionAskBookingService(), tracker())
    assert [b["payload"] for b in d.messages[0]["buttons"]] == ["AMBIL", "BAP", "ITK", "KONSUL"]


def test_form_answers_and_booking_saved_only_on_yes(db: str) -> None:
    assert validate("booking_service", "BAP", {})[0] == {"booking_service": "BAP"}
    assert validate("booking_service", "pengambilan", {})[0] == {"booking_service": "AMBIL"}
    result, text = validate("booking_service", "prioritas", {})
    assert result == {"booking_service": None} and "tanpa booking" in text
    result, text = validate("booking_service", "mau bikin paspor baru", {})
    assert result == {"booking_service": None} and "M-Paspor" in text
    slots = {"booking_service": "BAP"}
    cases = {"besok": "2026-03-17", "2026-03-25": "2026-03-25", "tgl 25 maret": "2026-03-25"}
    for text_in, expected in cases.items():
        assert validate("booking_date", text_in, slots)[0] == {"booking_date": expected}
    for text_in, needle in {"lusa": "Hari Suci Nyepi", "kemarin": "sudah lewat", "28/3": "akhir pekan",
                            "blabla": "belum saya pahami", "31 februari": "tidak ada di kalender",
                            "minggu depan": "Cuti bersama Idulfitri"}.items():
        result, text = validate("booking_date", text_in, slots)
        assert result == {"booking_date": None} and needle in text, (text_in, text)
    _, d = run(ab.ActionAskBookingDate(), tracker(slots))
    assert d.messages[0]["buttons"][1] == {"title": "Selasa, 17 Maret 2026", "payload": "2026-03-17"}
    slots["booking_date"] = "2026-03-17"
    assert validate("booking_time", "jam 9", slots)[0] == {"booking_time": "09:00"}
    assert validate("booking_time", "09:10", slots)[0] == {"booking_time": None}
    slots["booking_time"] = "09:00"
    assert validate("booking_name", "Siti Aminah", slots)[0] == {"booking_name": "Siti Aminah"}
    assert validate("booking_name", "12345", slots)[0] == {"booking_name": None}
    result, text = validate("booking_phone", "021 555 1234", slots)
    assert result == {"booking_phone": None} and "nomor HP Indonesia" in text
    assert validate("booking_phone", "0812 3456 7890", slots)[0] == {"booking_phone": "+6281234567890"}
    slots.update(booking_name="Siti Aminah", booking_phone="+6281234567890")
    _, d = run(ab.ActionAskBookingConfirm(), tracker(slots))
    assert "Selasa, 17 Maret 2026, pukul 09.00 WIB" in said(d)
    with session_scope(db) as s:
        assert s.scalar(select(func.count(Booking.id))) == 0  # nothing saved before "Ya"
    assert validate("booking_confirm", "Ubah", slots)[0]["booking_date"] is None
    result, _ = validate("booking_confirm", "Ya", slots)
    code = result["booking_code"]
    assert result["booking_confirm"] == "yes" and len(code) == 6
    events, d = run(ab.ActionBookingSubmit(), tracker({**slots, "booking_code": code}))
    text = said(d)
    assert code in text and "Selasa, 17 Maret 2026, pukul 09.00 WIB" in text and "+62812****7890" in text
    assert f"batal booking {code}" in text and "Yang perlu disiapkan" in text
    # the same phone cannot book the same service twice
    result, text = validate("booking_confirm", "Ya", {**slots, "booking_time": "10:00"})
    assert result["booking_confirm"] == "duplicate" and code in text


def test_question_inside_the_form_is_answered(db: str) -> None:
    result, text = validate("booking_date", "berapa biaya paspor hilang?", {"booking_service": "BAP"},
                            intent="ask_procedure", confidence=0.95)
    assert result == {"booking_date": None}
    assert "Rp" in text and "Kita lanjutkan booking-nya" in text


def test_form_cancel_saves_nothing(db: str) -> None:
    events, d = run(ab.ActionBookingFormCancel(), tracker({"booking_service": "BAP", "booking_date": "2026-03-17"},
                                                          active_loop="booking_form"))
    assert "Tidak ada data yang disimpan" in said(d)
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    with session_scope(db) as s:
        assert s.scalar(select(func.count(Booking.id))) == 0


def _booking(db: str, day: dt.date = dt.date(2026, 3, 25)) -> str:
    with session_scope(db) as s:
        return bk.book(s, "AMBIL", day, dt.time(10, 0), "Budi", "081234567890", SENDER).booking.code


def test_check_cancel_and_wrong_code(db: str) -> None:
    code = _booking(db)
    _, d = run(ab.ActionBookingCheck(), tracker(text=f"cek booking {code.lower()}"))
    assert "Rabu, 25 Maret 2026, pukul 10.00 WIB" in said(d) and "Status: aktif" in said(d)
    _, d = run(ab.ActionBookingCheck(), tracker(text="cek booking AB2345"))
    assert "tidak ditemukan" in said(d)
    _, d = run(ab.ActionBookingCheck(), tracker(text="cek booking saya"))
    assert code in said(d)
    _, d = run(ab.ActionBookingCancel(), tracker(text="batalkan booking saya"))
    assert f"Booking {code}" in said(d) and "telah dibatalkan" in said(d)
    _, d = run(ab.ActionBookingCancel(), tracker(text=f"batal booking {code}"))
    assert "sudah tidak aktif" in said(d)


def test_reschedule_flow_and_policy(db: str) -> None:
    code = _booking(db)
    events, d = run(ab.ActionRescheduleStart(), tracker(text=f"ubah jadwal booking {code}"))
    assert {"event": "followup", "name": "reschedule_form", "timestamp": None} in events
    form = ab.ValidateRescheduleForm()
    slots = {"reschedule_code": code, "booking_service": "AMBIL"}
    assert validate("booking_date", "26/3", slots, form=form)[0] == {"booking_date": "2026-03-26"}
    slots.update(booking_date="2026-03-26", booking_time="11:00")
    _, d = run(ab.ActionRescheduleSubmit(), tracker(slots))
    assert "berhasil diubah" in said(d) and "Kamis, 26 Maret 2026, pukul 11.00 WIB" in said(d)
    events, d = run(ab.ActionRescheduleStart(), tracker(text=f"reschedule {code}"))
    assert "sudah pernah diubah" in said(d) and not any(e.get("event") == "followup" for e in events)


def test_walkin_number_and_status(db: str) -> None:
    _, d = run(ab.ActionQueueTake(), tracker(text="ambil nomor antrean"))
    assert "/take_queue_number" in d.messages[0]["buttons"][0]["payload"]
    take = tracker(text="/take_queue_number", entities=[{"entity": "queue_service", "value": "BAP"}], sender="web:1")
    _, d = run(ab.ActionQueueTake(), take)
    assert "A-001" in said(d) and "Di depan Bapak/Ibu: 0 orang" in said(d)
    _, d = run(ab.ActionQueueTake(), tracker(text="/take_queue_number",
                                             entities=[{"entity": "queue_service", "value": "AMBIL"}], sender="web:2"))
    assert "A-002" in said(d) and "Di depan Bapak/Ibu: 1 orang" in said(d) and "±15 menit" in said(d)
    _, d = run(ab.ActionQueueStatus(), tracker(text="antrean sekarang nomor berapa?", sender="web:2"))
    assert "A-002" in said(d) and "Sedang dilayani: belum ada" in said(d)
    with session_scope(db) as s:
        q.call_next(s, "3", ["A"])
    _, d = run(ab.ActionQueueStatus(), tracker(text="antrean sekarang nomor berapa?", sender="web:2"))
    assert "Sedang dilayani: A-001" in said(d) and "Di depan Bapak/Ibu: 0 orang" in said(d)
    _, d = run(ab.ActionQueueStatus(), tracker(text="antrean sekarang nomor berapa?", sender="web:9"))
    assert "belum memiliki nomor antrean" in said(d)


def test_walkin_on_a_holiday_says_when_open(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFICE_NOW", "2026-03-19T09:00:00")
    _, d = run(ab.ActionQueueTake(), tracker(text="ambil nomor antrean"))
    assert "Hari Suci Nyepi" in said(d) and "Rabu, 25 Maret 2026 pukul 08.00 WIB" in said(d)


def test_english_conversation_answers_in_english(db: str) -> None:
    english = {"language": "en"}
    _, d = run(ab.ActionBookingStart(), tracker(english))
    assert "M-Paspor app" in said(d)
    _, d = run(ab.ActionAskBookingService(), tracker(english))
    assert d.messages[0]["buttons"][0]["title"] == "Passport collection"
    result, text = validate("booking_date", "19/3", {"booking_service": "ITK"})
    assert result == {"booking_date": None}
    form = ab.ValidateBookingForm()
    dispatcher = CollectingDispatcher()
    form.validate_booking_date("tomorrow", dispatcher, tracker({**english, "booking_service": "ITK"}, "tomorrow"), {})
    dispatcher = CollectingDispatcher()
    form.validate_booking_date("2026-03-21", dispatcher, tracker({**english, "booking_service": "ITK"}, "x"), {})
    assert said(dispatcher) == "The office is closed on Saturday, 21 March 2026 (Idulfitri). Please choose another working day."
    code = _booking(db)
    _, d = run(ab.ActionBookingCheck(), tracker(english, text=f"check booking {code}"))
    assert "Wednesday, 25 March 2026, at 10.00 WIB" in said(d) and "Status: active" in said(d)


def test_a_day_that_fills_while_the_citizen_chooses_asks_for_a_date_again(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # other citizens took the last places between choosing the date and being asked for a time
    full_day, free_slots = dt.date(2026, 3, 25), ab.bk.free_slots
    monkeypatch.setattr(ab.bk, "free_slots", lambda session, service, day, *args, **kwargs:
                        [] if day == full_day else free_slots(session, service, day, *args, **kwargs))
    events, d = run(ab.ActionAskBookingTime(), tracker({"booking_service": "AMBIL", "booking_date": "2026-03-25"},
                                                        active_loop="booking_form"))
    assert "baru saja penuh" in said(d) and "Tanggal berapa" in said(d)
    offered = [b["payload"] for b in d.messages[-1]["buttons"]]
    assert offered and full_day.isoformat() not in offered
    assert {(e["name"], e["value"]) for e in events} == {("booking_date", None), ("requested_slot", "booking_date")}
