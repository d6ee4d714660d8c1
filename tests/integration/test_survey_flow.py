"""The satisfaction survey end to end with the real Rasa and action servers and the worker: a served
queue ticket -> the worker creates the invitation and delivers it -> the citizen answers by buttons and by
typing, skips, replays a button, pauses, asks a question, resumes, comments -> an anonymous completed
response with the expected scores. The action server's clock is Monday 16 March 2026, 09.30 WIB; the
worker here runs 35 minutes later, after the invitation delay."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import httpx
import pytest
from sqlalchemy import select

from office.booking import queue as q
from office.booking.models import QueueTicket
from office.complaints.service import file_ticket, set_status
from office.db import session_scope
from office.survey.models import SurveyInvitation, SurveyResponse
from tests.conftest import buttons, texts
from worker.delivery import deliver_due
from worker.survey_jobs import run_survey_jobs

pytestmark = pytest.mark.integration
WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)
WORKER_NOW = "2026-03-16T10:05:00"


def _payloads(reply: list[dict]) -> list[str]:
    return [b["payload"] for m in reply for b in m.get("buttons", [])]


def _bot_events(rasa_server: str, token: str, sender: str) -> list[dict]:
    tracker = httpx.get(f"{rasa_server}/conversations/{sender}/tracker", params={"token": token}, timeout=30).json()
    return [e for e in tracker["events"] if e.get("event") == "bot"]


def _served_visit(chat, sender: str) -> int:
    """The citizen takes a number in the chat; the counter calls and serves it."""
    reply = chat(sender, "/take_queue_number" + json.dumps({"queue_service": "KONSUL"}))
    assert "Nomor antrean Bapak/Ibu" in texts(reply)
    with session_scope() as s:
        ticket = s.scalar(select(QueueTicket).where(QueueTicket.sender_id == sender))
        ticket.status = "called"  # the counter called this number
        ticket.called_at = NOW
        assert q.finish(s, ticket.id, "served", now=NOW) is not None
        return ticket.id


def _run_worker(rasa_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_URL", rasa_server)
    monkeypatch.setenv("OFFICE_NOW", WORKER_NOW)
    run_survey_jobs()
    with httpx.Client() as client:
        deliver_due(client, limit=200)


def _response_of_invitation(event_key: str) -> SurveyResponse | None:
    with session_scope() as s:
        invitation = s.scalar(select(SurveyInvitation).where(SurveyInvitation.event_key == event_key))
        return s.scalar(select(SurveyResponse).where(SurveyResponse.invitation_id == invitation.id))


def test_served_visit_invitation_answers_skips_and_comment(chat, rasa_server: str, office_env: dict,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    sender = f"web:{uuid.uuid4().hex[:10]}"
    ticket_id = _served_visit(chat, sender)
    _run_worker(rasa_server, monkeypatch)
    invite = _bot_events(rasa_server, office_env["RASA_TOKEN"], sender)[-1]
    assert "Bersediakah Bapak/Ibu mengisi Survei Kepuasan Masyarakat" in invite["text"]
    assert [b["title"] for b in invite["data"]["buttons"]] == ["Isi survei", "Nanti saja", "Tidak, terima kasih"]

    reply = chat(sender, "/survey_start")
    assert "9 pertanyaan" in texts(reply) and "Pertanyaan 1 dari 9" in texts(reply)
    assert buttons(reply) == ["Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai", "Lewati"]
    press = _payloads(reply)[2]  # "Sesuai" = 3
    reply = chat(sender, press)
    assert "Pertanyaan 2 dari 9" in texts(reply) and "kemudahan prosedur" in texts(reply)
    reply = chat(sender, press)  # the same button again (a double tap): u2 must not get it
    assert "Pertanyaan 2 dari 9" in texts(reply)
    assert "Pertanyaan 3 dari 9" in texts(chat(sender, "4"))
    assert "Pertanyaan 4 dari 9" in texts(chat(sender, "lewati"))
    reply = chat(sender, "Murah")
    assert "Pertanyaan 5 dari 9" in texts(reply)
    reply = chat(sender, _payloads(reply)[3])
    assert "Pertanyaan 6 dari 9" in texts(reply)
    reply = chat(sender, "7")
    assert "ketik angka 1-4" in texts(reply) and "Pertanyaan 6 dari 9" in texts(reply)
    assert "Pertanyaan 7 dari 9" in texts(chat(sender, "2"))
    assert "Pertanyaan 8 dari 9" in texts(chat(sender, "Sangat sopan dan ramah"))
    assert "Pertanyaan 9 dari 9" in texts(chat(sender, "Lewati"))
    reply = chat(sender, "3")
    assert "saran atau komentar" in texts(reply) and buttons(reply) == ["Tidak ada komentar"]
    reply = chat(sender, "Antrean cepat, petugas ramah. Nomor saya 081234567890")
    assert "survei Bapak/Ibu telah kami terima" in texts(reply)

    with session_scope() as s:
        invitation = s.scalar(select(SurveyInvitation).where(SurveyInvitation.event_key == f"visit:{ticket_id}"))
        assert invitation.status == "completed" and invitation.sender_id is None
        assert s.scalar(select(SurveyInvitation).where(SurveyInvitation.sender_id == sender)) is None
        response = s.scalar(select(SurveyResponse).where(SurveyResponse.comment.like("Antrean cepat%")))
        assert response.status == "completed" and response.invitation_id is None
        assert response.scores() == [3, 4, None, 3, 4, 2, 4, None, 3]
        assert response.period_day == dt.date(2026, 3, 16) and response.channel == "web"
        assert response.service_code == "KONSUL" and "[NOMOR TELEPON]" in response.comment
    reply = chat(sender, "isi survei")
    assert "tidak ada survei yang menunggu" in texts(reply)


def test_pause_question_resume_and_finish(chat, rasa_server: str, office_env: dict,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    sender = f"web:{uuid.uuid4().hex[:10]}"
    ticket_id = _served_visit(chat, sender)
    _run_worker(rasa_server, monkeypatch)
    reply = chat(sender, "nanti saja")
    assert "Survei dapat diisi kapan saja sampai Senin, 23 Maret 2026" in texts(reply)
    reply = chat(sender, "saya mau isi survei")
    assert "Pertanyaan 1 dari 9" in texts(reply)
    assert "Pertanyaan 2 dari 9" in texts(chat(sender, "2"))
    reply = chat(sender, "batal")
    assert "survei kami hentikan sementara" in texts(reply) and "tetap tersimpan" in texts(reply)
    reply = chat(sender, "berapa biaya ITAS?")  # the survey is paused: an ordinary question
    assert "ITAS" in texts(reply) and "Pertanyaan" not in texts(reply)
    reply = chat(sender, "lanjut survei")
    assert "Kita lanjutkan survei dari pertanyaan 2" in texts(reply) and "Pertanyaan 2 dari 9" in texts(reply)
    reply = chat(sender, "berapa biaya ITAS?")  # in the middle: answered, then the same question again
    body = texts(reply)
    assert "ITAS" in body and "Kita lanjutkan survei-nya" in body and "Pertanyaan 2 dari 9" in body
    for number in range(3, 10):
        assert f"Pertanyaan {number} dari 9" in texts(chat(sender, "3"))
    assert "saran atau komentar" in texts(chat(sender, "4"))
    response = _response_of_invitation(f"visit:{ticket_id}")
    assert response.scores() == [2, 3, 3, 3, 3, 3, 3, 3, 4] and response.status == "in_progress"
    reply = chat(sender, "/survey_no_comment")
    assert "survei Bapak/Ibu telah kami terima" in texts(reply)
    with session_scope() as s:
        done = s.get(SurveyResponse, response.id)
        assert done.status == "completed" and done.comment is None and done.invitation_id is None


def test_closed_complaint_invitation_names_the_code_and_can_be_declined(chat, rasa_server: str, office_env: dict,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    sender = f"web:{uuid.uuid4().hex[:10]}"
    chat(sender, "halo")
    with session_scope() as s:
        ticket = file_ticket(s, description="Antrean di loket paspor lama sekali", sender_id=sender, now=NOW)
        set_status(s, ticket, "tester", "selesai", now=NOW)
        code = ticket.code
    _run_worker(rasa_server, monkeypatch)
    bot_texts = [e.get("text") or "" for e in _bot_events(rasa_server, office_env["RASA_TOKEN"], sender)]
    assert any(f"Pengaduan {code} telah ditutup" in t and "penanganannya" in t for t in bot_texts)
    reply = chat(sender, "ya")  # a yes right after the invitation starts it
    assert f"penanganan pengaduan {code}" in texts(reply) and "Pertanyaan 1 dari 9" in texts(reply)
    chat(sender, "4")
    reply = chat(sender, "tidak mau isi survei")
    assert "tidak kami simpan" in texts(reply)
    with session_scope() as s:
        invitation = s.scalar(select(SurveyInvitation).where(SurveyInvitation.event_key == f"complaint:{code}"))
        assert invitation.status == "declined" and invitation.sender_id is None
        assert s.scalar(select(SurveyResponse).where(SurveyResponse.invitation_id == invitation.id)) is None


def test_an_invitation_delivered_twice_is_shown_once(chat, rasa_server: str, office_env: dict,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker delivers at least once (a crashed worker's claim is retried after its lease): the same
    invitation arriving again is not shown a second time."""
    from office.outbox import OutboxMessage
    from worker.delivery import deliver

    sender = f"web:{uuid.uuid4().hex[:10]}"
    _served_visit(chat, sender)
    _run_worker(rasa_server, monkeypatch)
    invitations = [e for e in _bot_events(rasa_server, office_env["RASA_TOKEN"], sender)
                   if "Survei Kepuasan Masyarakat" in (e.get("text") or "")]
    assert len(invitations) == 1
    with session_scope() as s, httpx.Client() as client:
        message = s.scalar(select(OutboxMessage).where(OutboxMessage.sender_id == sender,
                                                       OutboxMessage.kind == "survey_invite"))
        deliver(message, client)  # the same row once more
    invitations = [e for e in _bot_events(rasa_server, office_env["RASA_TOKEN"], sender)
                   if "Survei Kepuasan Masyarakat" in (e.get("text") or "")]
    assert len(invitations) == 1
