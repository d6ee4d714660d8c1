"""The survey actions with a real database: the invitation, start/resume, every kind of answer the
form's validation takes (buttons, typed numbers and words, skip, replays, pause, decline, a question to
the knowledge base, the comment) and what the citizen reads, in Indonesian and English."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

import actions.survey as asv
import office.models  # noqa: F401
from office.db import session_scope
from office.survey import service as sv
from office.survey.models import SurveyInvitation, SurveyResponse
from tests.unit.test_survey_service import db  # noqa: F401  (the shared database fixture)

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)
SENDER = "telegram:9001"


def _invite(key: str = "visit:1", kind: str = "visit", sender: str = SENDER) -> None:
    with session_scope() as s:
        sv.create_invitation(s, event_key=key, event_kind=kind, sender_id=sender, service_code="BAP", now=NOW)


def tracker(text: str = "", intent: str = "inform", entities: dict[str, str] | None = None, lang: str = "id",
            slots: dict[str, Any] | None = None, confidence: float = 0.95, sender: str = SENDER) -> Tracker:
    ents = [{"entity": k, "value": v} for k, v in (entities or {}).items()]
    return Tracker(sender, {"language": lang, **(slots or {})},
                   {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": ents},
                   [], False, None, {"name": "survey_form"}, "action_listen")


def run(action: Any, t: Tracker) -> tuple[list, CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    return asyncio.run(action.run(dispatcher, t, {})), dispatcher


def said(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def say(text: str, intent: str = "inform", entities: dict[str, str] | None = None, lang: str = "id",
        confidence: float = 0.95) -> tuple[Any, str]:
    """One message into the form: what the validation put in the slot and what it said."""
    dispatcher = CollectingDispatcher()
    t = tracker(text, intent, entities, lang, confidence=confidence)
    result = asv.ValidateSurveyForm().validate_survey_input(text, dispatcher, t, {})
    return result[asv.SLOT], said(dispatcher)


def ask(lang: str = "id") -> dict:
    _, d = run(asv.AskSurveyInput(), tracker(lang=lang))
    assert len(d.messages) == 1
    return d.messages[0]


def button(score: int, key: str) -> tuple[str, str, dict[str, str]]:
    payload = {"survey_score": str(score), "survey_question": key}
    return "/survey_answer" + json.dumps(payload), "survey_answer", payload


def scores() -> list[int | None]:
    with session_scope() as s:
        return s.scalars(select(SurveyResponse)).one().scores()


def test_the_invitation_has_buttons_and_is_shown_only_while_open(db: str) -> None:
    _invite("complaint:ADU-2026-000042", kind="complaint")
    events, d = run(asv.ActionSurveyInvite(), tracker(intent="EXTERNAL_survey_invite",
                                                      entities={"survey_event": "complaint:ADU-2026-000042"}))
    message = d.messages[0]
    assert "Pengaduan ADU-2026-000042 telah ditutup" in message["text"] and "anonim" in message["text"]
    assert [b["title"] for b in message["buttons"]] == ["Isi survei", "Nanti saja", "Tidak, terima kasih"]
    assert [b["payload"] for b in message["buttons"]] == ["/survey_start", "/survey_later", "/survey_decline"]
    assert message["message_kind"] == "survey_invite" and events == []
    _, d = run(asv.ActionSurveyInvite(), tracker(entities={"survey_event": "complaint:ADU-2026-000042"},
                                                 sender="web:someone-else"))
    assert d.messages == []
    run(asv.ActionSurveyStart(), tracker("isi survei", "survey_start"))
    _, d = run(asv.ActionSurveyInvite(), tracker(entities={"survey_event": "complaint:ADU-2026-000042"}))
    assert d.messages == []  # already started: no second invitation


def test_no_survey_waiting_is_explained_politely(db: str) -> None:
    events, d = run(asv.ActionSurveyStart(), tracker("isi survei", "survey_start"))
    assert "tidak ada survei yang menunggu" in said(d) and "setelah pengaduan Bapak/Ibu ditutup" in said(d)
    assert not any(e.get("event") == "followup" for e in events)
    _, d = run(asv.ActionSurveyLater(), tracker("nanti saja", "survey_later", lang="en"))
    assert "There is no survey waiting" in said(d)


def test_a_whole_survey_with_buttons_typed_answers_skips_and_a_comment(db: str) -> None:
    _invite()
    events, d = run(asv.ActionSurveyStart(), tracker("isi survei", "survey_start"))
    assert "9 pertanyaan" in said(d) and "anonim" in said(d) and "Senin, 23 Maret 2026" in said(d)
    assert {"event": "followup", "name": "survey_form", "timestamp": None} in events
    first = ask()
    assert first["text"].startswith("Pertanyaan 1 dari 9\nBagaimana pendapat Saudara tentang kesesuaian persyaratan")
    assert [b["title"] for b in first["buttons"]] == ["Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai",
                                                      "Lewati"]
    assert first["buttons"][2]["payload"] == '/survey_answer{"survey_score": "3", "survey_question": "u1"}'
    assert first["buttons"][4]["payload"] == '/survey_skip{"survey_question": "u1"}'
    text, intent, ents = button(3, "u1")
    assert say(text, intent, ents) == (None, "")
    assert say(text, intent, ents) == (None, "")  # the same button again: nothing changes
    assert ask()["text"].startswith("Pertanyaan 2 dari 9")
    assert say("Sangat mudah", "deny")[0] is None  # the words of an answer, whatever NLU thought
    assert say("lewati", "survey_skip")[0] is None
    assert say("4")[0] is None
    value, text = say("entahlah")
    assert value is None and "ketik angka 1-4 (1 = Tidak sesuai, 4 = Sangat sesuai)" in text
    assert say("c")[0] is None  # the questionnaire's letter: c = 3
    for answer in ("2", "3", "Tidak ada"):  # u8's lowest answer, which NLU may read as a "no"
        assert say(answer, "deny")[0] is None
    assert say("/survey_skip", "survey_skip", {"survey_question": "u9"})[0] is None
    comment = ask()
    assert "saran atau komentar" in comment["text"] and comment["buttons"][0]["title"] == "Tidak ada komentar"
    assert say("Ruang tunggunya panas, mohon tambah kipas. HP saya 081234567890")[0] == asv.DONE
    assert scores() == [3, 4, None, 4, 3, 2, 3, 1, None]
    with session_scope() as s:
        response = s.scalars(select(SurveyResponse)).one()
        assert response.status == "completed" and response.invitation_id is None
        assert response.comment == "Ruang tunggunya panas, mohon tambah kipas. HP saya [NOMOR TELEPON]"
    events, d = run(asv.ActionSurveyFinished(), tracker(slots={asv.SLOT: asv.DONE}))
    assert "Terima kasih, survei Bapak/Ibu telah kami terima" in said(d)
    assert {"event": "slot", "name": asv.SLOT, "value": None, "timestamp": None} in events


def test_pause_and_resume_keep_the_answers(db: str) -> None:
    _invite()
    run(asv.ActionSurveyStart(), tracker("isi survei", "survey_start"))
    say("4")
    say("3")
    assert say("batal", "cancel")[0] == asv.PAUSED
    _, d = run(asv.ActionSurveyFinished(), tracker(slots={asv.SLOT: asv.PAUSED}))
    assert "tetap tersimpan" in said(d) and "lanjut survei" in said(d) and "Senin, 23 Maret 2026" in said(d)
    events, d = run(asv.ActionSurveyStart(), tracker("lanjut survei", "survey_start"))
    assert said(d) == "Kita lanjutkan survei dari pertanyaan 3."
    assert ask()["text"].startswith("Pertanyaan 3 dari 9")
    assert scores()[:3] == [4, 3, None]
    assert say("nanti saja", "survey_later")[0] == asv.PAUSED


def test_a_question_button_pressed_after_a_reset_counts_and_resumes(db: str) -> None:
    _invite()
    run(asv.ActionSurveyStart(), tracker("isi survei", "survey_start"))
    say("2")
    text, intent, ents = button(4, "u2")
    events, d = run(asv.ActionSurveyStart(), tracker(text, intent, ents))
    assert "pertanyaan 3" in said(d) and {"event": "followup", "name": "survey_form", "timestamp": None} in events
    assert scores()[:2] == [2, 4]
    run(asv.ActionSurveyStart(), tracker(text, intent, ents))  # replayed once more: still one answer
    assert scores()[:3] == [2, 4, None]


def test_declining_in_the_middle_keeps_nothing(db: str) -> None:
    _invite()
    run(asv.ActionSurveyStart(), tracker("isi survei", "survey_start"))
    say("1")
    assert say("tidak mau isi survei", "survey_decline")[0] == asv.DECLINED
    events, _ = run(asv.ActionSurveyFinished(), tracker(slots={asv.SLOT: asv.DECLINED}))
    assert {"event": "followup", "name": "action_survey_decline", "timestamp": None} in events
    _, d = run(asv.ActionSurveyDecline(), tracker("tidak mau isi survei", "survey_decline"))
    assert "Jawaban yang sudah diisi tidak kami simpan" in said(d)
    with session_scope() as s:
        assert s.scalars(select(SurveyResponse)).all() == []
        assert s.scalars(select(SurveyInvitation)).one().status == "declined"


def test_the_next_waiting_survey_is_offered_after_one_is_done(db: str) -> None:
    _invite("visit:1")
    _invite("complaint:ADU-2026-000007", kind="complaint")
    run(asv.ActionSurveyStart(), tracker("isi survei", "survey_start"))
    for _ in range(9):
        say("lewati", "survey_skip")
    assert say("/survey_no_comment", "survey_no_comment")[0] == asv.DONE
    _, d = run(asv.ActionSurveyFinished(), tracker(slots={asv.SLOT: asv.DONE}))
    assert "Pengaduan ADU-2026-000007 telah ditutup" in said(d)
    assert [b["title"] for b in d.messages[-1]["buttons"]][0] == "Isi survei"


def test_english_texts(db: str) -> None:
    _invite()
    _, d = run(asv.ActionSurveyInvite(), tracker(entities={"survey_event": "visit:1"}, lang="en"))
    assert d.messages[0]["text"].startswith("Thank you for visiting Kantor Imigrasi Kotabumi")
    assert [b["title"] for b in d.messages[0]["buttons"]] == ["Fill in the survey", "Later", "No, thank you"]
    _, d = run(asv.ActionSurveyStart(), tracker("take the survey", "survey_start", lang="en"))
    assert "The survey has 9 questions and is anonymous" in said(d) and "Monday, 23 March 2026" in said(d)
    message = ask("en")
    assert message["text"] == ("Question 1 of 9\nWhat is your opinion of how well the service requirements suit "
                               "the type of service?")
    assert [b["title"] for b in message["buttons"]][-1] == "Skip"
    assert "type a number 1-4 (1 = Not suitable, 4 = Very suitable)" in say("hmm", lang="en")[1]
    assert say("very suitable", lang="en")[0] is None and scores()[0] == 4


def test_a_procedure_question_in_the_middle_is_answered(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from office.kb import search
    from office.kb.store import load_directory
    from office.settings import ROOT, get_settings

    load_directory(ROOT / "knowledge_base", url=db, verbose=False)
    kb = search.KnowledgeBase(url=db, model_name=str(Path(get_settings().embedding_model)))
    monkeypatch.setattr(search, "get_knowledge_base", lambda: kb)
    _invite()
    run(asv.ActionSurveyStart(), tracker("isi survei", "survey_start"))
    value, text = say("berapa biaya ITAS?", "ask_procedure")
    assert value is None and "ITAS" in text and "Kita lanjutkan survei-nya" in text
    assert scores()[0] is None
    for _ in range(9):
        say("3")
    value, text = say("pelayanannya cepat sekali, terima kasih", "ask_procedure")  # no '?': it is the comment
    assert value == asv.DONE and text == ""
