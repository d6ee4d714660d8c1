"""The survey's life cycle on a real SQLite database: invitations once per event, start/resume, answers
(1-4, skip, replays), the comment (masked, cut), completion that leaves nothing linking the response to
the citizen, decline, expiry and the questionnaire configuration."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

import office.models  # noqa: F401
from office.db import Base, get_engine, session_scope
from office.survey import questions
from office.survey import service as sv
from office.survey.models import ELEMENT_COLUMNS, SurveyInvitation, SurveyResponse

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)
SENDER = "telegram:4242"


@pytest.fixture()
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("OFFICE_NOW", NOW.isoformat())
    Base.metadata.create_all(get_engine(url))
    return url


def _invite(db: str, key: str = "visit:1", sender: str | None = SENDER, at: dt.datetime = NOW,
            kind: str = "visit") -> int | None:
    with session_scope(db) as s:
        row = sv.create_invitation(s, event_key=key, event_kind=kind, sender_id=sender, service_code="BAP", now=at)
        return row.id if row else None


def _answer_all(db: str, scores: list[int | None], sender: str = SENDER) -> None:
    with session_scope(db) as s:
        for score in scores:
            result = sv.skip(s, sender) if score is None else sv.record_answer(s, sender, score)
            assert result.status == sv.RECORDED


# ---- the questionnaire ----------------------------------------------------------------------------
def test_nine_elements_in_the_regulations_order_with_four_answers() -> None:
    items = questions.elements()
    assert [e.key for e in items] == list(ELEMENT_COLUMNS)
    assert [e.name for e in items] == [
        "Persyaratan", "Sistem, Mekanisme dan Prosedur", "Waktu Penyelesaian", "Biaya/Tarif",
        "Produk Spesifikasi Jenis Pelayanan", "Kompetensi Pelaksana", "Perilaku Pelaksana",
        "Penanganan Pengaduan, Saran dan Masukan", "Sarana dan Prasarana"]
    assert items[0].question == ("Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis "
                                 "pelayanannya?")
    assert items[0].labels == ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")
    assert items[3].labels == ("Sangat mahal", "Cukup mahal", "Murah", "Gratis")
    assert items[6].labels[3] == "Sangat sopan dan ramah"
    assert items[7].labels == ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal",
                               "Dikelola dengan baik")
    assert items[8].labels == ("Buruk", "Cukup", "Baik", "Sangat Baik")
    assert all(e.question_en and len(e.labels_en) == 4 for e in items)
    assert questions.target_sample_size() == 278


def test_typed_answers_are_understood() -> None:
    u2 = questions.element_at(1)
    assert questions.parse_score("3", u2) == 3
    assert questions.parse_score(" 4. ", u2) == 4
    assert questions.parse_score("b", u2) == 2
    assert questions.parse_score("Sangat mudah", u2) == 4
    assert questions.parse_score("very easy", u2) == 4
    assert questions.parse_score("5", u2) is None
    assert questions.parse_score("mudah sekali kok", u2) is None
    assert questions.parse_score("", u2) is None


def test_a_malformed_configuration_names_the_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "survey.yml"
    bad.write_text("settings: {target_sample_size_per_month: 0}\nelements: []\n", encoding="utf-8")
    monkeypatch.setenv("SURVEY_CONFIG", str(bad))
    with pytest.raises(questions.SurveyConfigError, match="elements"):
        questions.elements()


# ---- invitations ----------------------------------------------------------------------------------
def test_one_invitation_per_event_and_none_without_a_sender(db: str) -> None:
    first = _invite(db)
    assert _invite(db) == first
    assert _invite(db, "complaint:ADU-2026-000001", sender=None, kind="complaint") is None
    with session_scope(db) as s:
        rows = s.scalars(select(SurveyInvitation)).all()
        assert len(rows) == 1 and rows[0].channel == "telegram" and rows[0].status == "pending"
        with pytest.raises(sv.SurveyError):
            sv.create_invitation(s, event_key="x:1", event_kind="party", sender_id=SENDER)


def test_several_events_are_offered_one_at_a_time_oldest_first(db: str) -> None:
    _invite(db, "complaint:ADU-2026-000002", at=NOW - dt.timedelta(hours=1), kind="complaint")
    _invite(db, "visit:7", at=NOW - dt.timedelta(hours=2))
    _invite(db, "visit:8", sender="web:other", at=NOW - dt.timedelta(minutes=10))  # delay (30 min) not passed
    with session_scope(db) as s:
        due = sv.due_invitations(s, NOW)
        assert [i.event_key for i in due] == ["visit:7"]
        assert sv.mark_invited(s, due[0], NOW) and not sv.mark_invited(s, due[0], NOW)
        assert sv.due_invitations(s, NOW) == []  # the citizen has one invited: the next waits
        assert sv.open_invitation_of(s, SENDER).event_key == "visit:7"
    with session_scope(db) as s:
        progress = sv.start(s, SENDER)
        assert progress.event_key == "visit:7" and progress.position == 0 and not progress.resumed
    _answer_all(db, [4] * 9)
    with session_scope(db) as s:
        assert sv.finish(s, SENDER, None).status == sv.RECORDED
        assert [i.event_key for i in sv.due_invitations(s, NOW)] == ["complaint:ADU-2026-000002"]


# ---- answering ------------------------------------------------------------------------------------
def test_answers_skips_and_resume_from_the_stored_position(db: str) -> None:
    _invite(db)
    with session_scope(db) as s:
        assert sv.start(s, SENDER).element.key == "u1"
    _answer_all(db, [3, None, 2])
    with session_scope(db) as s:  # a new conversation, a restart: the database knows where we are
        progress = sv.start(s, SENDER)
        assert progress.resumed and progress.position == 3 and progress.number == 4 and progress.element.key == "u4"
    _answer_all(db, [4, None, 3, 3, 1, 2])
    with session_scope(db) as s:
        progress = sv.current(s, SENDER)
        assert progress.at_comment and progress.element is None
        assert sv.record_answer(s, SENDER, 4).status == sv.STALE  # nothing left to answer
        response = s.get(SurveyResponse, progress.response_id)
        assert response.scores() == [3, None, 2, 4, None, 3, 3, 1, 2] and response.status == "in_progress"


def test_invalid_scores_change_nothing(db: str) -> None:
    _invite(db)
    with session_scope(db) as s:
        sv.start(s, SENDER)
        for bad in (0, 5, "x", None, "3.5"):
            result = sv.record_answer(s, SENDER, bad)
            assert result.status == sv.INVALID and result.progress.position == 0
        assert sv.record_answer(s, "web:stranger", 3).status == sv.NO_SURVEY


def test_a_replayed_button_counts_once(db: str) -> None:
    _invite(db)
    with session_scope(db) as s:
        sv.start(s, SENDER)
        assert sv.record_answer(s, SENDER, "2", "u1").status == sv.RECORDED
        replay = sv.record_answer(s, SENDER, "2", "u1")  # double tap: u2 must not get the 2
        assert replay.status == sv.STALE and replay.progress.position == 1
        assert sv.skip(s, SENDER, "u1").status == sv.STALE
        assert sv.record_answer(s, SENDER, "4", "u2").status == sv.RECORDED
        response = s.get(SurveyResponse, sv.current(s, SENDER).response_id)
        assert response.scores()[:3] == [2, 4, None] and response.position == 2
    with session_scope(db) as s:  # a double "Isi survei" resumes the same response
        assert sv.start(s, SENDER).resumed
        assert len(s.scalars(select(SurveyResponse)).all()) == 1


def test_completion_leaves_nothing_that_links_the_response_to_the_citizen(db: str) -> None:
    _invite(db, "complaint:ADU-2026-000009", kind="complaint")
    with session_scope(db) as s:
        assert sv.start(s, SENDER).ticket_code == "ADU-2026-000009"
    _answer_all(db, [4, 4, 3, None, 4, 4, 4, 3, 2])
    comment = "Petugas ramah. Nomor saya 0812-3456-7890, paspor A1234567. " + "bagus " * 400
    with session_scope(db) as s:
        assert sv.finish(s, SENDER, comment, now=NOW).status == sv.RECORDED
        assert sv.finish(s, SENDER, "again").status == sv.NO_SURVEY  # a replayed comment does nothing
    with session_scope(db) as s:
        response = s.scalars(select(SurveyResponse)).one()
        invitation = s.scalars(select(SurveyInvitation)).one()
        assert response.status == "completed" and response.invitation_id is None
        assert response.period_day == dt.date(2026, 3, 16) and response.position == 9
        assert response.scores() == [4, 4, 3, None, 4, 4, 4, 3, 2]
        assert response.event_kind == "complaint" and response.service_code == "BAP"
        assert "0812" not in response.comment and "A1234567" not in response.comment
        assert "[NOMOR TELEPON]" in response.comment and len(response.comment) == 1000
        assert invitation.status == "completed" and invitation.sender_id is None
        # only the day is kept, so the invitation cannot be matched to the response by time
        assert invitation.finished_at.replace(tzinfo=None) == dt.datetime(2026, 3, 15, 17, 0)
        assert s.scalars(select(SurveyInvitation).where(SurveyInvitation.sender_id == SENDER)).all() == []
        assert sv.current(s, SENDER) is None and sv.start(s, SENDER) is None


def test_an_empty_comment_is_stored_as_none(db: str) -> None:
    _invite(db)
    with session_scope(db) as s:
        sv.start(s, SENDER)
    _answer_all(db, [None] * 9)
    with session_scope(db) as s:
        sv.finish(s, SENDER, "   ")
        assert s.scalars(select(SurveyResponse)).one().comment is None


def test_decline_deletes_partial_answers(db: str) -> None:
    _invite(db)
    with session_scope(db) as s:
        sv.start(s, SENDER)
    _answer_all(db, [2, 2])
    with session_scope(db) as s:
        assert sv.decline(s, SENDER).status == "declined"
        assert sv.decline(s, SENDER) is None
    with session_scope(db) as s:
        assert s.scalars(select(SurveyResponse)).all() == []
        invitation = s.scalars(select(SurveyInvitation)).one()
        assert invitation.sender_id is None and invitation.status == "declined"


def test_expiry_keeps_partial_answers_anonymously_and_drops_empty_ones(db: str) -> None:
    old = NOW - dt.timedelta(days=8)
    _invite(db, "visit:1", at=old)
    _invite(db, "visit:2", sender="web:b", at=old)
    _invite(db, "visit:3", sender="web:c", at=old)
    _invite(db, "visit:4", sender="web:d", at=NOW - dt.timedelta(days=2))
    with session_scope(db) as s:
        sv.start(s, SENDER)
        sv.record_answer(s, SENDER, 1)
        sv.start(s, "web:b")  # started, nothing answered
    with session_scope(db) as s:
        assert sv.expire_old(s, NOW) == 3
        assert sv.expire_old(s, NOW) == 0
    with session_scope(db) as s:
        statuses = {i.event_key: (i.status, i.sender_id) for i in s.scalars(select(SurveyInvitation))}
        assert statuses == {"visit:1": ("expired", None), "visit:2": ("expired", None),
                            "visit:3": ("expired", None), "visit:4": ("pending", "web:d")}
        response = s.scalars(select(SurveyResponse)).one()
        assert response.status == "completed" and response.invitation_id is None and response.scores()[0] == 1
        assert sv.start(s, SENDER) is None


def test_retention_purges_invitations_but_keeps_anonymous_responses(db: str) -> None:
    old = NOW - dt.timedelta(days=400)
    _invite(db, "visit:1", at=old)
    with session_scope(db) as s:
        sv.start(s, SENDER, now=old)
    _answer_all(db, [3] * 9)
    with session_scope(db) as s:
        sv.finish(s, SENDER, None, now=old)
    _invite(db, "visit:2", sender="web:x", at=NOW - dt.timedelta(days=1))
    with session_scope(db) as s:
        assert sv.purge_invitations(s, NOW - dt.timedelta(days=365), NOW) == 1
    with session_scope(db) as s:
        assert [i.event_key for i in s.scalars(select(SurveyInvitation))] == ["visit:2"]
        assert s.scalars(select(SurveyResponse)).one().status == "completed"
