"""Consent records on a real SQLite database (office/consent.py): agreement once per purpose, a changed notice
asks again, withdrawal and erasure, the answers a citizen types, the counts for the data-protection page, and
hand-off chats in the citizen's copy and in erasure (office/privacy_requests.py)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

import office.models  # noqa: F401
from office import consent, handoff
from office import privacy_messages as msg
from office import privacy_requests as pr
from office.db import Base, get_engine, session_scope
from office.profile import load_profile

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)
ME, OTHER = "telegram:1001", "telegram:2002"


@pytest.fixture()
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("OFFICE_NOW", raising=False)
    Base.metadata.create_all(get_engine(url))
    return url


def test_agreement_is_recorded_once_per_purpose_and_found_again(db: str) -> None:
    profile = load_profile()
    with session_scope(db) as s:
        assert consent.valid_consent(s, ME, "booking", profile) is None
        first = consent.record_consent(s, ME, "booking", profile, "en", now=NOW)
        again = consent.record_consent(s, ME, "booking", profile, "id", now=NOW + dt.timedelta(hours=1))
        assert again.id == first.id
        assert first.language == "en" and first.notice_hash == consent.notice_hash("booking", profile)
    with session_scope(db) as s:
        assert consent.valid_consent(s, ME, "booking", profile) is not None
        assert consent.valid_consent(s, ME, "complaint", profile) is None  # another purpose is asked separately
        assert consent.valid_consent(s, OTHER, "booking", profile) is None
        assert len(s.scalars(select(consent.ConsentRecord)).all()) == 1


def test_a_changed_notice_is_asked_again(db: str) -> None:
    profile = load_profile()
    days = consent.retention_days(profile, "booking")
    longer = dataclasses.replace(profile, retention_by_kind={**profile.retention_by_kind, "bookings": days + 30})
    assert f"{days + 30} hari" in consent.notice_text("booking", longer)
    with session_scope(db) as s:
        consent.record_consent(s, ME, "booking", profile, now=NOW)
    with session_scope(db) as s:
        assert consent.valid_consent(s, ME, "booking", longer) is None  # other days: not what was agreed to
        assert consent.valid_consent(s, ME, "booking", profile) is not None


def test_notice_says_what_why_how_long_in_both_languages() -> None:
    profile = load_profile()
    days = consent.retention_days(profile, "booking")
    text_id = consent.notice_text("booking", profile, "id")
    text_en = consent.notice_text("booking", profile, "en")
    assert "nama dan nomor HP" in text_id and f"{days} hari" in text_id and "setuju?" in text_id
    assert "name and mobile number" in text_en and f"{days} days" in text_en and "Do you agree?" in text_en
    assert consent.notice_hash("booking", profile) == consent.notice_hash("booking", profile)
    assert consent.notice_hash("booking", profile) != consent.notice_hash("complaint", profile)
    assert [b["title"] for b in consent.answer_buttons("id")] == ["Setuju", "Tidak setuju"]
    assert [b["title"] for b in consent.answer_buttons("en")] == ["Agree", "Disagree"]
    with pytest.raises(consent.ConsentError):
        consent.notice_text("unknown", profile)


@pytest.mark.parametrize("text, expected", [
    ("Setuju", consent.AGREE), ("setuju.", consent.AGREE), ("Agree", consent.AGREE), ("ya", consent.AGREE),
    ("Tidak setuju", consent.REFUSE), ("tidak  setuju", consent.REFUSE), ("Disagree", consent.REFUSE),
    ("gak setuju", consent.REFUSE), ("tidak", consent.REFUSE),
    ("berapa biaya paspor?", None), ("", None), ("Budi Santoso", None), ("0812 3456 7890", None),
])
def test_answers_typed_or_pressed(text: str, expected: str | None) -> None:
    assert consent.parse_answer(text) == expected


def test_withdrawal_records_withdrawn_at_and_the_next_form_asks_again(db: str) -> None:
    profile = load_profile()
    with session_scope(db) as s:
        consent.record_consent(s, ME, "booking", profile, now=NOW)
        consent.record_consent(s, ME, "complaint", profile, now=NOW)
        consent.record_consent(s, OTHER, "booking", profile, now=NOW)
    with session_scope(db) as s:
        assert consent.withdraw(s, ME, now=NOW + dt.timedelta(days=1)) == ["booking", "complaint"]
        assert consent.withdraw(s, ME) == []  # nothing left in force
    with session_scope(db) as s:
        mine = consent.consents_of(s, ME)
        assert len(mine) == 2 and all(r.withdrawn_at is not None and r.withdrawn_by == "citizen" for r in mine)
        assert consent.valid_consent(s, ME, "booking", profile) is None
        assert consent.valid_consent(s, OTHER, "booking", profile) is not None
        counts = {c.key: (c.active, c.withdrawn) for c in consent.counts_per_purpose(s)}
        assert counts["booking"] == (1, 1) and counts["complaint"] == (0, 1) and counts["handoff"] == (0, 0)
        consent.record_consent(s, ME, "booking", profile, now=NOW + dt.timedelta(days=2))  # agreed again
    with session_scope(db) as s:
        assert consent.valid_consent(s, ME, "booking", profile) is not None
    assert "tarik" in consent.withdrawn_text(["booking"]).lower()
    assert "nothing to withdraw" in consent.withdrawn_text([], "en")


def _live_chat(db: str, sender: str) -> int:
    with session_scope(db) as s:
        live = handoff.request_officer(s, sender, "id", NOW)
        handoff.citizen_message(s, sender, "Paspor saya A1234567 hilang, nomor saya 081234567890", NOW)
        handoff.take(s, live, "petugas.budi", NOW + dt.timedelta(minutes=1))
        handoff.officer_message(s, live, "petugas.budi", "Baik, silakan datang besok.", NOW + dt.timedelta(minutes=2))
        handoff.hand_back(s, live, "petugas.budi", NOW + dt.timedelta(minutes=3))
        return live.id


def test_handoff_chats_and_consents_are_in_the_copy(db: str) -> None:
    _live_chat(db, ME)
    _live_chat(db, OTHER)
    with session_scope(db) as s:
        consent.record_consent(s, ME, "handoff", load_profile(), now=NOW)
    with session_scope(db) as s:
        found = pr.record_export(s, ME, NOW)
        assert len(found.handoff_sessions) == 1 and len(found.consents) == 1
        text = msg.export_text(s, found, "id")
        info = msg.info_text(found, 365, "id")
    assert "Chat dengan petugas:" in text and "petugas.budi" in text
    assert "Bapak/Ibu: Paspor saya A1234567 hilang" in text and "Petugas: Baik, silakan datang besok." in text
    assert "Persetujuan pemrosesan data:" in text and "Chat dengan petugas · diberikan Senin, 16 Maret 2026 · berlaku" in text
    assert "chat dengan petugas: 1" in info
    with session_scope(db) as s:
        request = s.scalars(select(pr.PrivacyRequest)).one()
        assert request.summary["handoff_sessions"] == 1 and request.summary["consents"] == 1


def test_erasure_removes_handoff_messages_unlinks_sessions_and_withdraws_consent(db: str) -> None:
    mine = _live_chat(db, ME)
    other = _live_chat(db, OTHER)
    with session_scope(db) as s:  # a second chat, still waiting for an officer
        waiting = handoff.request_officer(s, ME, "id", NOW + dt.timedelta(hours=1))
        handoff.citizen_message(s, ME, "Halo, masih ada orang?", NOW + dt.timedelta(hours=1))
        waiting_id = waiting.id
        consent.record_consent(s, ME, "handoff", load_profile(), now=NOW)
    with session_scope(db) as s:
        result = pr.erase(s, ME, NOW + dt.timedelta(hours=2))
        assert result.handoff_sessions_erased == 2 and result.consents_withdrawn == 1
        assert result.request.summary["handoff_sessions_erased"] == 2
        done = msg.erase_done_text(result, "id")
    assert "2 chat dengan petugas dihapus" in done
    with session_scope(db) as s:
        for live_id in (mine, waiting_id):
            live = s.get(handoff.LiveSession, live_id)
            assert live.messages == []
            assert live.sender_id.startswith("telegram:dihapus-") and ME not in live.sender_id
            assert live.status == handoff.CLOSED
        assert handoff.open_session_for(s, ME) is None
        assert handoff.sessions_of(s, ME) == []
        kept = s.get(handoff.LiveSession, other)  # another citizen's chat is untouched
        assert kept.sender_id == OTHER and len(kept.messages) == 4  # citizen, joined, officer, ended
        texts = " ".join(m.text for m in s.scalars(select(handoff.LiveMessage)))
        assert "A1234567" in texts  # only OTHER's own message holds it now
        assert len(s.scalars(select(handoff.LiveMessage)).all()) == 4
        records = s.scalars(select(consent.ConsentRecord)).all()
        assert len(records) == 1
        assert records[0].sender_id == hashlib.sha256(ME.encode()).hexdigest()
        assert records[0].withdrawn_at is not None and records[0].withdrawn_by == "erasure"
        assert consent.consents_of(s, ME) == []
    with session_scope(db) as s:
        ask = msg.erase_ask_text(pr.holdings(s, ME), "id")
    assert "chat dengan petugas" in ask and "persetujuan" in ask
