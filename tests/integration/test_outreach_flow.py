"""Mobile service days over Rasa's REST channel with the real Rasa and action servers (clock fixed at
Monday 16 March 2026, 09.30 WIB): schedules by place and by month, an unknown place, a group that fills
the quota while a second group waiting at its confirmation is refused, and a visit request."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import func, select

from office.db import session_scope
from office.outreach.event_models import EventRegistration, OutreachEvent, RegistrationMember, VisitRequest
from tests.conftest import buttons, texts

pytestmark = pytest.mark.integration
CREATED = dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.timezone.utc)


def _id(prefix: str = "web") -> str:
    return f"{prefix}:{uuid.uuid4().hex[:10]}"


def _payloads(reply: list[dict]) -> list[str]:
    return [b["payload"] for m in reply for b in m.get("buttons", [])]


def _event(kecamatan: str, day: dt.date, quota: int, kind: str = "service_day",
           title: str = "Layanan Paspor Keliling") -> int:
    with session_scope() as s:
        event = OutreachEvent(kind=kind, title=title, place=f"Balai Tiyuh {kecamatan}", kecamatan=kecamatan,
                              kabupaten="Tulang Bawang Barat", day=day, start_time=dt.time(9, 0),
                              end_time=dt.time(14, 0), quota=quota, seats_taken=0,
                              services="Paspor baru\nPenggantian paspor", description="", status="published",
                              created_by="test", created_at=CREATED)
        s.add(event)
        s.flush()
        return event.id


@pytest.fixture(scope="module")
def events() -> dict[str, int]:
    return {"tumijajar": _event("Tumijajar", dt.date(2026, 12, 7), quota=3),
            "gunung_terang": _event("Gunung Terang", dt.date(2026, 3, 28), quota=40),
            "session": _event("Tulang Bawang Tengah", dt.date(2026, 4, 9), quota=60, kind="info_session",
                              title="Sosialisasi Paspor dan Bahaya Calo")}


def test_schedule_by_place_month_and_unknown_place(chat, events: dict[str, int]) -> None:
    sender = _id()
    reply = chat(sender, "kapan ada layanan keliling di Tumijajar?")
    body = texts(reply)
    assert "Tanggal: Senin, 7 Desember 2026, 09.00–14.00 WIB" in body and "Balai Tiyuh Tumijajar" in body
    assert "Sisa tempat: 3 dari 3" in body
    assert '/register_outreach{"outreach_event_id": "%d"}' % events["tumijajar"] in _payloads(reply)
    reply = chat(sender, "ada jemput bola bulan ini?")
    body = texts(reply)
    assert "pada Maret 2026" in body and "Sabtu, 28 Maret 2026" in body and "7 Desember" not in body
    reply = chat(sender, "jadwal sosialisasi imigrasi")
    assert "Sosialisasi Paspor dan Bahaya Calo" in texts(reply) and "Kamis, 9 April 2026" in texts(reply)
    reply = chat(sender, "layanan keliling di Menggala kapan?")
    body = texts(reply)
    assert "belum mengenali tempat \"Menggala\"" in body and "Jadwal terdekat yang sudah ada" in body
    english = _id()
    reply = chat(english, "is there a mobile passport service near Gunung Agung?")
    body = texts(reply)
    assert "No mobile service day is scheduled in Gunung Agung yet." in body
    assert body.index("Gunung Terang") < body.index("Tumijajar") and "Saturday, 28 March 2026" in body


def _to_confirmation(chat, sender: str, event_id: int, members: str) -> list[dict]:
    reply = chat(sender, "/register_outreach" + json.dumps({"outreach_event_id": str(event_id)}))
    assert "sendiri atau rombongan?" in texts(reply) and buttons(reply)[:2] == ["Sendiri", "Rombongan"]
    reply = chat(sender, "rombongan")
    assert "Setuju" in buttons(reply)  # consent before the first personal data
    reply = chat(sender, "Setuju")
    assert "nama ketua" in texts(reply)
    reply = chat(sender, "Siti Aminah")
    assert "satu orang per baris" in texts(reply)
    return chat(sender, members)


def test_group_fills_quota_and_second_group_is_refused(chat, events: dict[str, int]) -> None:
    event_id = events["tumijajar"]
    first, second = _id(), _id()
    reply = _to_confirmation(chat, first, event_id, "Siti Aminah, 12-05-1990\nBudi, 3 Maret\nAni, 31-02-1985")
    body = texts(reply)
    assert "Baris 2 (\"Budi, 3 Maret\"): tahun lahir harus ditulis 4 angka" in body
    assert "Baris 3" in body and "tidak ada di kalender" in body
    reply = chat(first, "Siti Aminah, 12-05-1990\nBudi, 3 Maret 2001\nAni, 01-01-1985\nDedi, 02-02-1970")
    assert "tempat yang tersisa hanya untuk 3 orang" in texts(reply)
    reply = chat(first, "Siti Aminah, 12-05-1990\nBudi, 3 Maret 2001\nAni, 01-01-1985")
    assert "Peserta (3 orang)" in texts(reply) and "2. Budi — 3 Maret 2001" in texts(reply)
    # a second group reaches its confirmation while the places are still free
    reply = _to_confirmation(chat, second, event_id, "Eka Putri, 04-04-1994")
    assert "Peserta (1 orang)" in texts(reply)
    reply = chat(first, "Ya")
    body = texts(reply)
    assert "Pendaftaran berhasil" in body and "3 orang terdaftar" in body and "batal pendaftaran JB-" in body
    code = body.split("Kode pendaftaran Bapak/Ibu: ")[1][:8]
    reply = chat(second, "Ya")
    assert "kuota kegiatan ini sudah penuh" in texts(reply) and "Pendaftaran berhasil" not in texts(reply)
    chat(second, "batal")
    with session_scope() as s:
        event = s.get(OutreachEvent, event_id)
        assert (event.seats_taken, event.quota) == (3, 3)
        assert s.scalar(select(func.count(EventRegistration.id)).where(EventRegistration.event_id == event_id)) == 1
        assert s.scalar(select(EventRegistration.sender_id).where(EventRegistration.code == code)) == first
        assert s.scalar(select(func.count(RegistrationMember.id)).where(RegistrationMember.event_id == event_id)) == 3
    reply = chat(first, "kapan ada layanan keliling di Tumijajar?")
    assert "Kuota sudah penuh" in texts(reply)


def test_visit_request(chat) -> None:
    sender = _id()
    reply = chat(sender, "sekolah kami ingin mengajukan layanan jemput bola")
    assert "Nama sekolah, desa, perusahaan" in texts(reply)
    reply = chat(sender, "SMA Negeri 1 Tumijajar")
    assert "Di mana lokasinya?" in texts(reply)
    reply = chat(sender, "Aula SMA Negeri 1, Tumijajar")
    assert "berapa orang" in texts(reply)
    reply = chat(sender, "nol")
    assert "dengan angka" in texts(reply)
    reply = chat(sender, "sekitar 45 orang")
    assert "Tanggal berapa" in texts(reply)
    reply = chat(sender, "kemarin")
    assert "sudah lewat" in texts(reply)
    reply = chat(sender, "5 atau 12 Mei 2026")
    assert "Setuju" in buttons(reply)
    reply = chat(sender, "Setuju")
    assert "narahubung" in texts(reply)
    reply = chat(sender, "Bapak Sutrisno")
    assert "Perkiraan peserta: 45 orang" in texts(reply)
    reply = chat(sender, "Ya")
    body = texts(reply)
    assert "Kode permohonan: KJ-" in body
    code = body.split("Kode permohonan: ")[1][:8]
    with session_scope() as s:
        saved = s.scalar(select(VisitRequest).where(VisitRequest.code == code))
        assert (saved.sender_id, saved.organisation, saved.headcount, saved.kecamatan, saved.status) == (
            sender, "SMA Negeri 1 Tumijajar", 45, "Tumijajar", "new")
        assert "2026-05-12" in saved.preferred_dates
