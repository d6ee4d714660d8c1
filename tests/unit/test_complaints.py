"""Complaint domain rules on a real SQLite database: routing, SLA across holidays, codes,
confidentiality, duplicates, merge, escalation with time travel, and staff notifications sent to
fake SMTP and Telegram servers on 127.0.0.1."""
from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

import office.models  # noqa: F401
from office import audit
from office.complaints.config import load_config, propose_category, route_unit
from office.complaints.models import StaffNotification, Ticket
from office.complaints.service import (
    ComplaintError, add_citizen_message, can_see_identity, can_view, check_evidence, escalate_overdue,
    file_ticket, find_code, find_duplicate, inbox, local_date_text, may_follow, merge, officer_reply,
    reassign, set_status, sla_state,
)
from office.db import Base, get_engine, session_scope
from office.outbox import OutboxMessage
from tests.fakes.providers import FakeProviders
from tests.fakes.smtp import FakeSMTP

WIB = dt.timezone(dt.timedelta(hours=7))
MONDAY = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)  # 18-24 March 2026: Nyepi + Idulfitri closure


@pytest.fixture()
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("OFFICE_NOW", raising=False)
    Base.metadata.create_all(get_engine(url))
    return url


def _file(db_url: str, text: str, sender: str | None = "telegram:42", **kw: object) -> str:
    with session_scope(db_url) as s:
        return file_ticket(s, description=text, sender_id=sender, now=kw.pop("now", MONDAY), **kw).code  # type: ignore[arg-type]


def _get(s, code: str) -> Ticket:  # type: ignore[no-untyped-def]
    return s.scalar(select(Ticket).where(Ticket.code == code))


# ---- routing ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,category,unit", [
    ("Petugas minta uang tambahan biar paspor cepat jadi", "pungli", "Unit Kepatuhan Internal"),
    ("ada calo di depan kantor", "pungli", "Unit Kepatuhan Internal"),
    ("antreannya lama sekali, paspor saya belum jadi", "pelayanan_lambat", "Seksi Lalu Lintas Keimigrasian"),
    ("perpanjangan izin tinggal KITAS saya lambat", "pelayanan_lambat", "Seksi Izin Tinggal"),
    ("toiletnya kotor dan ruang tunggu panas", "fasilitas", "Tata Usaha"),
    ("aplikasi M-Paspor error terus waktu login", "aplikasi", "Seksi Lalu Lintas Keimigrasian"),
    ("petugasnya kasar dan membentak", "sikap_petugas", "Tata Usaha"),
    ("saya mau menyampaikan sesuatu", "lainnya", "Tata Usaha"),
])
def test_category_proposal_and_routing(text: str, category: str, unit: str) -> None:
    config = load_config()
    cat = propose_category(text, config)
    assert cat.key == category
    assert route_unit(cat, text, config) == unit


def test_routing_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = (Path(__file__).resolve().parents[2] / "office/complaints/routing.yml").read_text()
    custom = tmp_path / "routing.yml"
    custom.write_text(source.replace("first_response_working_days: 3", "first_response_working_days: 1")
                      .replace('unit: "Tata Usaha"\n    priority: rendah', 'unit: "Seksi Umum"\n    priority: rendah'))
    monkeypatch.setenv("COMPLAINTS_ROUTING", str(custom))
    config = load_config()
    assert config.first_response_days == 1
    assert route_unit(config.category("fasilitas"), "toilet kotor", config) == "Seksi Umum"


# ---- codes and SLA ------------------------------------------------------------------------------
def test_codes_are_sequential_per_year(db_url: str) -> None:
    a = _file(db_url, "toilet kotor")
    b = _file(db_url, "kursi ruang tunggu rusak", sender="web:x")
    c = _file(db_url, "parkiran sempit", now=dt.datetime(2027, 1, 4, 9, 0, tzinfo=WIB))
    assert (a, b, c) == ("ADU-2026-000001", "ADU-2026-000002", "ADU-2027-000001")
    assert find_code("cek status adu-2026-000002 ya") == "ADU-2026-000002"
    assert find_code("cek status ADU-26-2") is None


def test_codes_stay_unique_under_concurrent_filing(db_url: str) -> None:
    codes: list[str] = []
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            codes.append(_file(db_url, f"keluhan nomor {i} tentang fasilitas", sender=f"web:{i}"))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(codes) == [f"ADU-2026-{n:06d}" for n in range(1, 9)]


def test_sla_skips_the_holiday_closure(db_url: str) -> None:
    code = _file(db_url, "toilet kotor")
    with session_scope(db_url) as s:
        t = _get(s, code)
        # Tue 17 counts; 18-24 March (Nyepi, Idulfitri, cuti bersama) and the weekend do not.
        assert local_date_text(t.first_response_due) == "Kamis, 26 Maret 2026"
        assert local_date_text(t.resolution_due) == "Senin, 30 Maret 2026"
        assert t.first_response_due.astimezone(WIB).time() == dt.time(9, 30)
        assert sla_state(t, MONDAY) == "ok"
        assert sla_state(t, dt.datetime(2026, 3, 25, 12, 0, tzinfo=WIB)) == "due_soon"
        assert sla_state(t, dt.datetime(2026, 3, 26, 9, 31, tzinfo=WIB)) == "overdue"


# ---- confidentiality ----------------------------------------------------------------------------
def test_pungli_is_always_confidential_and_identity_limited(db_url: str) -> None:
    code = _file(db_url, "petugas minta uang pelicin", mode="biasa")
    with session_scope(db_url) as s:
        t = _get(s, code)
        assert t.mode == "rahasia" and t.unit == "Unit Kepatuhan Internal"
        assert t.sender_id == "telegram:42"  # kept for replies, shown only to the compliance unit
        assert can_see_identity(t, "Unit Kepatuhan Internal")
        assert not can_see_identity(t, "Tata Usaha")
        assert not can_view(t, "officer", "Tata Usaha")
        assert can_view(t, "supervisor", None)
        units = {n.unit for n in s.scalars(select(StaffNotification))}
        assert units == {"Unit Kepatuhan Internal", "Kepala Kantor"}
        assert all("minta uang" not in n.text for n in s.scalars(select(StaffNotification)))


def test_anonymous_ticket_keeps_no_identity(db_url: str) -> None:
    code = _file(db_url, "toilet kotor sekali", mode="anonim", contact_preference="chat")
    with session_scope(db_url) as s:
        t = _get(s, code)
        assert t.sender_id is None and t.channel is None and t.contact_preference is None
        assert may_follow(t, "web:stranger")  # the code is the only key
        officer_reply(s, t, "budi", "Sudah kami bersihkan.")
        assert s.scalars(select(OutboxMessage)).all() == []  # nobody to relay to
        assert not can_see_identity(t, "Unit Kepatuhan Internal")


def test_only_the_complainant_follows_an_ordinary_ticket(db_url: str) -> None:
    code = _file(db_url, "toilet kotor")
    with session_scope(db_url) as s:
        t = _get(s, code)
        assert may_follow(t, "telegram:42")
        assert not may_follow(t, "telegram:43")
        with pytest.raises(ComplaintError):
            add_citizen_message(s, t, "tambahan", sender_id="telegram:43")


# ---- evidence, abuse, duplicates, merge --------------------------------------------------------
def test_evidence_type_and_size_checks() -> None:
    result = check_evidence([
        {"type": "image", "mime_type": "image/jpeg", "size": 2_000_000, "file_id": "a"},
        {"type": "document", "mime_type": "application/pdf", "size": 11 * 1024 * 1024, "file_id": "b"},
        {"type": "video", "mime_type": "video/mp4", "size": 1000, "file_id": "c"},
        {"type": "image", "mime_type": "image/png", "size": None, "url": "https://x/y.png"},
    ])
    assert [a.get("file_id") or a.get("url") for a in result.accepted] == ["a", "https://x/y.png"]
    assert [(a["file_id"], why) for a, why in result.rejected] == [("b", "size"), ("c", "type")]


def test_abusive_text_is_recorded_and_flagged(db_url: str) -> None:
    code = _file(db_url, "petugas goblok, toilet kotor")
    with session_scope(db_url) as s:
        t = _get(s, code)
        assert t.abusive and t.messages[0].abusive and "goblok" in t.description
        assert all("goblok" not in n.text for n in s.scalars(select(StaffNotification)))


def test_duplicate_detection_and_merge(db_url: str) -> None:
    first = _file(db_url, "toilet di ruang tunggu kotor sekali dan bau")
    second = _file(db_url, "toilet ruang tunggu kotor dan bau sekali", sender="telegram:42")
    with session_scope(db_url) as s:
        assert find_duplicate(s, "telegram:42", "toilet ruang tunggu sangat kotor dan bau").code == second
        assert find_duplicate(s, "telegram:99", "toilet ruang tunggu kotor") is None
        assert find_duplicate(s, "telegram:42", "aplikasi m-paspor error") is None
        a, b = _get(s, first), _get(s, second)
        merge(s, b, a, "supervisor1")
        assert b.merged_into_id == a.id and b.status == "selesai"
        assert any("Digabung dari" in m.text for m in a.messages)
        with pytest.raises(ComplaintError):
            merge(s, a, a, "supervisor1")
        assert find_duplicate(s, "telegram:42", "toilet ruang tunggu kotor bau sekali").code == first


# ---- staff actions ------------------------------------------------------------------------------
def test_reply_status_reassign_are_audited_and_relayed(db_url: str) -> None:
    code = _file(db_url, "toilet kotor")
    with session_scope(db_url) as s:
        t = _get(s, code)
        officer_reply(s, t, "budi", "Terima kasih, segera kami tindak lanjuti.")
        assert t.status == "diproses" and t.first_response_at is not None
        with pytest.raises(ComplaintError):
            set_status(s, t, "budi", "ditolak")
        set_status(s, t, "budi", "ditolak", "Di luar kewenangan kantor")
        reassign(s, t, "budi", "Seksi Izin Tinggal")
        assert t.unit == "Seksi Izin Tinggal"
        with pytest.raises(ComplaintError):
            reassign(s, t, "budi", "Unit Tidak Ada")
        relayed = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [m.kind for m in relayed] == ["officer_reply", "complaint_status"]
        assert all(m.sender_id == "telegram:42" for m in relayed)
        assert "Di luar kewenangan kantor" in relayed[1].text
        actions = [e.action for e in audit.recent(s, actor="budi")]
        assert set(actions) == {"complaint_reply", "complaint_status", "complaint_reassign"}


def test_pungli_cannot_leave_the_compliance_unit(db_url: str) -> None:
    code = _file(db_url, "ada calo minta bayaran")
    with session_scope(db_url) as s:
        with pytest.raises(ComplaintError):
            reassign(s, _get(s, code), "admin", "Tata Usaha")


def test_inbox_per_unit(db_url: str) -> None:
    _file(db_url, "toilet kotor")
    _file(db_url, "antrean paspor lama sekali", sender="web:b")
    with session_scope(db_url) as s:
        assert [t.unit for t in inbox(s, "officer", "Tata Usaha")] == ["Tata Usaha"]
        assert len(inbox(s, "supervisor", None)) == 2
        assert inbox(s, "officer", None) == []


# ---- escalation and notifications ---------------------------------------------------------------
def test_escalation_ladder_with_time_travel(db_url: str) -> None:
    code = _file(db_url, "toilet kotor")
    with session_scope(db_url) as s:
        assert escalate_overdue(s, dt.datetime(2026, 3, 26, 9, 0, tzinfo=WIB)) == []
        assert [t.code for t in escalate_overdue(s, dt.datetime(2026, 3, 26, 10, 0, tzinfo=WIB))] == [code]
        assert _get(s, code).escalation_level == 1
        assert escalate_overdue(s, dt.datetime(2026, 3, 27, 10, 0, tzinfo=WIB)) == []  # idempotent
        escalate_overdue(s, dt.datetime(2026, 3, 30, 10, 0, tzinfo=WIB))
        assert _get(s, code).escalation_level == 2
        events = sorted((n.event, n.unit) for n in s.scalars(select(StaffNotification)))
        assert events == [("escalated_1", "Tata Usaha"), ("escalated_2", "Kepala Kantor"),
                          ("escalated_2", "Tata Usaha"), ("new", "Tata Usaha")]


def test_worker_sends_notifications_by_email_and_telegram(db_url: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from worker.complaint_jobs import run_complaint_jobs

    source = (Path(__file__).resolve().parents[2] / "office/complaints/routing.yml").read_text()
    custom = tmp_path / "routing.yml"
    custom.write_text(source.replace('"Tata Usaha":\n    email: ""', '"Tata Usaha":\n    email: "tu@kanim.test"'))
    monkeypatch.setenv("COMPLAINTS_ROUTING", str(custom))
    token = "12345:fake-token"
    fake = FakeProviders(twilio_sid="AC1", twilio_token="t", telegram_token=token, graph_tokens=("g",)).start()
    try:
        with FakeSMTP() as smtp:
            monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
            monkeypatch.setenv("SMTP_PORT", str(smtp.port))
            monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
            monkeypatch.setenv("TELEGRAM_STAFF_CHAT_ID", "-1001")
            monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.url("telegram"))
            code = _file(db_url, "toilet kotor sekali")
            monkeypatch.setenv("OFFICE_NOW", "2026-03-16T10:00:00")
            with httpx.Client() as client:
                run_complaint_jobs(client)
            assert len(smtp.messages) == 1
            mail = smtp.messages[0]
            assert mail.recipients == ["tu@kanim.test"]
            assert code in mail.message["Subject"]
            sent = fake.sent("telegram")
            assert len(sent) == 1 and code in sent[0].params["text"]
            assert str(sent[0].params["chat_id"]) == "-1001"
            # time travel past the first-response deadline: escalation is sent too
            monkeypatch.setenv("OFFICE_NOW", "2026-03-26T10:00:00")
            fake.fail_next("telegram")
            with httpx.Client() as client:
                run_complaint_jobs(client)
                with session_scope(db_url) as s:
                    note = s.scalar(select(StaffNotification).where(StaffNotification.event == "escalated_1"))
                    assert note.status == "pending" and note.attempts == 1
                assert len(fake.sent("telegram")) == 2  # the new-ticket alert and the failed attempt
                run_complaint_jobs(client)  # too early: the retry waits 30 seconds
                assert len(fake.sent("telegram")) == 2
                monkeypatch.setenv("OFFICE_NOW", "2026-03-26T10:01:00")
                run_complaint_jobs(client)
            assert len(fake.sent("telegram")) == 3
            assert "Eskalasi" in fake.sent("telegram")[-1].params["text"]
            assert len(smtp.messages) == 2  # new + escalation, never twice after the Telegram failure
            with session_scope(db_url) as s:
                assert {n.status for n in s.scalars(select(StaffNotification))} == {"sent"}
    finally:
        fake.stop()


def test_relayed_texts_follow_the_citizens_language(db_url: str) -> None:
    code = _file(db_url, "the toilet is dirty", language="en")
    with session_scope(db_url) as s:
        t = _get(s, code)
        officer_reply(s, t, "budi", "Cleaned, thank you.")
        set_status(s, t, "budi", "selesai")
        texts = [m.text for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert texts[0].startswith(f"An officer's reply to complaint {code}")
    assert texts[1].startswith(f"Complaint {code} has been resolved")
