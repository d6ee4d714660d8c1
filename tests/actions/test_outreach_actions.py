"""The outreach actions with a real database: schedule answers (by place, by month, unknown place, none at
all), the registration form's validation (list problems, over quota, confirm writes, refusals write nothing),
cancelling a registration, and the visit request form."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

import actions.outreach_events as ao
import office.models  # noqa: F401
from office.db import Base, get_engine, session_scope
from office.outreach.event_models import EventRegistration, OutreachEvent, RegistrationMember, VisitRequest

NOW = "2026-03-16T09:30:00"
SENDER = "web:outreach-test"
CREATED = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.timezone.utc)


@pytest.fixture()
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("OFFICE_NOW", NOW)
    Base.metadata.create_all(get_engine(url))
    return url


def add_event(kecamatan: str, day: dt.date, quota: int = 10, kind: str = "service_day", taken: int = 0,
              title: str = "Layanan Paspor Keliling") -> int:
    with session_scope() as s:
        event = OutreachEvent(kind=kind, title=title, place=f"Balai Desa {kecamatan}", kecamatan=kecamatan,
                              kabupaten="Tulang Bawang Barat", day=day, start_time=dt.time(9, 0),
                              end_time=dt.time(14, 0), quota=quota, seats_taken=taken,
                              services="Paspor baru\nPenggantian paspor", description="", status="published",
                              created_by="test", created_at=CREATED)
        s.add(event)
        s.flush()
        return event.id


def tracker(slots: dict[str, Any] | None = None, text: str = "", intent: str = "inform",
            entities: list[dict] | None = None, active_loop: str | None = None, lang: str = "id") -> Tracker:
    return Tracker(SENDER, {"language": lang, **(slots or {})},
                   {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []},
                   [], False, None, {"name": active_loop} if active_loop else {}, "action_listen")


def run(action: Any, t: Tracker) -> tuple[list, CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return events, dispatcher


def said(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def payloads(dispatcher: CollectingDispatcher) -> list[str]:
    return [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]


def validate(form: Any, name: str, value: str, slots: dict[str, Any], lang: str = "id") -> tuple[dict, str]:
    dispatcher = CollectingDispatcher()
    result = getattr(form, f"validate_{name}")(value, dispatcher, tracker(slots, value, lang=lang), {})
    return result, said(dispatcher)


def test_schedule_by_place_month_unknown_and_none(db: str) -> None:
    _, d = run(ao.ActionOutreachSchedule(), tracker(text="ada jemput bola bulan ini?"))
    assert "belum ada jadwal layanan keliling (jemput bola) yang dibuka" in said(d)
    assert payloads(d) == ["/request_outreach_visit"]
    tumi = add_event("Tumijajar", dt.date(2026, 12, 7), quota=50, taken=8)
    gt = add_event("Gunung Terang", dt.date(2026, 3, 28))
    _, d = run(ao.ActionOutreachSchedule(), tracker(text="kapan ada layanan keliling di Tumijajr?"))
    body = said(d)
    assert "Jadwal layanan keliling (jemput bola) di Tumijajar:" in body
    assert "Tanggal: Senin, 7 Desember 2026, 09.00–14.00 WIB" in body and "Sisa tempat: 42 dari 50" in body
    assert "Layanan: Paspor baru, Penggantian paspor" in body and "Gunung Terang" not in body
    assert payloads(d)[0] == "/register_outreach" + json.dumps({"outreach_event_id": str(tumi)})
    _, d = run(ao.ActionOutreachSchedule(), tracker(text="ada jemput bola bulan ini?"))
    assert "Gunung Terang" in said(d) and "Tumijajar" not in said(d) and "pada Maret 2026" in said(d)
    _, d = run(ao.ActionOutreachSchedule(), tracker(text="is there a mobile passport service near Gunung Agung?",
                                                    lang="en"))
    body = said(d)
    assert "No mobile service day is scheduled in Gunung Agung yet." in body
    assert body.index("Gunung Terang") < body.index("Tumijajar")  # the neighbour first
    _, d = run(ao.ActionOutreachSchedule(), tracker(text="layanan keliling di Menggala kapan?"))
    assert "belum mengenali tempat \"Menggala\"" in said(d) and "Saturday" not in said(d)
    assert "Sabtu, 28 Maret 2026" in said(d)
    _, d = run(ao.ActionOutreachSchedule(), tracker(text="jadwal sosialisasi imigrasi"))
    assert "belum ada jadwal sosialisasi" in said(d)
    assert gt


def test_register_start_with_event_button_and_without_anything_open(db: str) -> None:
    events, d = run(ao.ActionOutreachRegisterStart(), tracker(text="daftar jemput bola"))
    assert "tidak ada layanan keliling atau sosialisasi yang masih menerima pendaftaran" in said(d)
    assert not any(e.get("event") == "followup" for e in events)
    event_id = add_event("Tumijajar", dt.date(2026, 4, 7))
    events, _ = run(ao.ActionOutreachRegisterStart(),
                    tracker(entities=[{"entity": "outreach_event_id", "value": str(event_id)}]))
    assert {"event": "slot", "name": "outreach_event", "value": str(event_id), "timestamp": None} in events
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "outreach_registration_form"
    full_id = add_event("Tumijajar", dt.date(2026, 4, 8), quota=3, taken=3)
    _, d = run(ao.ActionOutreachRegisterStart(),
               tracker(entities=[{"entity": "outreach_event_id", "value": str(full_id)}]))
    assert "kuota kegiatan ini sudah penuh" in said(d)


def test_group_registration_fills_quota_and_the_next_is_refused(db: str) -> None:
    event_id = add_event("Tumijajar", dt.date(2026, 4, 7), quota=3)
    form = ao.ValidateOutreachRegistrationForm()
    assert validate(form, "outreach_event", str(event_id), {})[0] == {"outreach_event": str(event_id)}
    assert validate(form, "outreach_event", "tumijajr", {})[0] == {"outreach_event": str(event_id)}  # typed
    result, text = validate(form, "outreach_event", "999", {})
    assert result == {"outreach_event": None} and "pilih salah satu kegiatan" in text
    slots = {"outreach_event": str(event_id)}
    assert validate(form, "outreach_party", "Rombongan", slots)[0] == {"outreach_party": "group"}
    assert validate(form, "outreach_party", "sendiri", slots)[0] == {"outreach_party": "alone"}
    slots.update(outreach_party="group", outreach_leader="Siti Aminah")
    result, text = validate(form, "outreach_members", "Siti Aminah, 12-05-1990\nBudi 3 Maret\nSiti Aminah, 12/05/1990",
                            slots)
    assert result == {"outreach_members": None}
    assert "Baris 2 (\"Budi 3 Maret\"): tahun lahir harus ditulis 4 angka" in text
    assert "Baris 3" in text and "sama dengan baris 1" in text
    four = "Siti Aminah, 12-05-1990\nBudi, 3 Maret 2001\nAni, 01-01-1985\nDedi, 02-02-1970"
    result, text = validate(form, "outreach_members", four, slots)
    assert result == {"outreach_members": None} and "tempat yang tersisa hanya untuk 3 orang" in text
    three = "Siti Aminah, 12-05-1990\nBudi, 3 Maret 2001\nAni, 01-01-1985"
    result, _ = validate(form, "outreach_members", three, slots)
    slots.update(result)
    _, d = run(ao.ActionAskOutreachConfirm(), tracker(slots))
    assert "Peserta (3 orang):\n1. Siti Aminah — 12 Mei 1990\n2. Budi — 3 Maret 2001" in said(d)
    result, _ = validate(form, "outreach_confirm", "Ya", slots)
    assert result["outreach_confirm"] == "yes" and result["outreach_code"].startswith("JB-")
    slots.update(result)
    events, d = run(ao.ActionOutreachRegisterSubmit(), tracker(slots))
    body = said(d)
    assert f"Kode pendaftaran Bapak/Ibu: {result['outreach_code']}" in body and "3 orang terdaftar" in body
    assert "tidak ada biaya layanan" in body and "M-Paspor" in body and "batal pendaftaran" in body
    # a second group: nothing left
    other = {"outreach_event": str(event_id), "outreach_party": "group", "outreach_leader": "Budi",
             "outreach_members": json.dumps([["Eka", "1990-01-01"]])}
    result, text = validate(form, "outreach_confirm", "Ya", other)
    assert result["outreach_confirm"] is None and "kuota kegiatan ini sudah penuh" in text
    with session_scope() as s:
        assert s.scalar(select(OutreachEvent.seats_taken).where(OutreachEvent.id == event_id)) == 3
        assert s.scalar(select(func.count(RegistrationMember.id))) == 3


def test_alone_registration_asks_birth_date(db: str) -> None:
    event_id = add_event("Gunung Terang", dt.date(2026, 4, 7), kind="info_session", title="Sosialisasi Anti Calo")
    form = ao.ValidateOutreachRegistrationForm()
    slots = {"outreach_event": str(event_id), "outreach_party": "alone", "outreach_leader": "Siti Aminah"}
    _, d = run(ao.ActionAskOutreachMembers(), tracker(slots))
    assert "Tanggal lahir Bapak/Ibu?" in said(d)
    result, text = validate(form, "outreach_members", "besok", slots)
    assert result == {"outreach_members": None} and "tahun 4 angka" in text
    result, text = validate(form, "outreach_members", "01-01-2030", slots)
    assert result == {"outreach_members": None} and "masa depan" in text
    result, _ = validate(form, "outreach_members", "12 Mei 1990", slots)
    assert json.loads(result["outreach_members"]) == [["Siti Aminah", "1990-05-12"]]


def test_cancel_own_registration(db: str) -> None:
    event_id = add_event("Tumijajar", dt.date(2026, 4, 7), quota=5)
    form = ao.ValidateOutreachRegistrationForm()
    slots = {"outreach_event": str(event_id), "outreach_party": "alone", "outreach_leader": "Siti Aminah",
             "outreach_members": json.dumps([["Siti Aminah", "1990-05-12"]])}
    code = validate(form, "outreach_confirm", "Ya", slots)[0]["outreach_code"]
    _, d = run(ao.ActionOutreachRegistrationCancel(), tracker(text=f"batal pendaftaran {code.lower()}"))
    assert f"Pendaftaran {code}" in said(d) and "telah dibatalkan" in said(d)
    with session_scope() as s:
        assert s.scalar(select(OutreachEvent.seats_taken).where(OutreachEvent.id == event_id)) == 0
        assert s.scalar(select(EventRegistration.status).where(EventRegistration.code == code)) == "cancelled"


def test_visit_request_form(db: str) -> None:
    form = ao.ValidateOutreachVisitForm()
    assert validate(form, "visit_headcount", "nol orang", {})[0] == {"visit_headcount": None}
    assert validate(form, "visit_headcount", "sekitar 45 orang", {})[0] == {"visit_headcount": "45"}
    result, text = validate(form, "visit_dates", "kemarin", {})
    assert result == {"visit_dates": None} and "sudah lewat" in text
    result, _ = validate(form, "visit_place", "Aula SMA Negeri 1, Tumijajar", {})
    assert result == {"visit_place": "Aula SMA Negeri 1, Tumijajar", "visit_kecamatan": "Tumijajar"}
    slots = {"visit_organisation": "SMA Negeri 1 Tumijajar", "visit_place": "Aula SMA Negeri 1, Tumijajar",
             "visit_kecamatan": "Tumijajar", "visit_headcount": "45", "visit_dates": "5 atau 12 Mei 2026",
             "visit_contact": "Bapak Sutrisno"}
    result, _ = validate(form, "visit_confirm", "Ya", slots)
    assert result["visit_code"].startswith("KJ-")
    slots.update(result)
    _, d = run(ao.ActionOutreachVisitSubmit(), tracker(slots))
    assert f"Kode permohonan: {result['visit_code']}" in said(d) and "mengabari Bapak/Ibu" in said(d)
    with session_scope() as s:
        saved = s.scalar(select(VisitRequest))
        assert (saved.organisation, saved.headcount, saved.kecamatan, saved.status) == (
            "SMA Negeri 1 Tumijajar", 45, "Tumijajar", "new")
