"""The satisfaction survey conversation (Survei Kepuasan Masyarakat): invitation, questions, comment.

Thin on purpose: the position, the answers and every rule live in office.survey (the database), so a
survey survives restarts, session expiry and replayed buttons. The form `survey_form` has a single
slot, `survey_input`, that carries each message to the validation; the validation stores it and keeps
the slot empty until the survey is finished, paused ("batal", "nanti saja") or declined, and the
question asked next always comes from the database. Answers are checked before intents, so an answer
that NLU reads as something else ("Tidak ada" as a "no") still counts as the answer.
"""
from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import office.models  # noqa: F401,I001  (every table mapped before the KB warm-up thread queries)
from actions.common import already_delivered, language_of
from office.dates import format_date
from office.db import session_scope
from office.survey import service as sv
from office.survey.messages import invite_buttons, invite_text
from office.survey.models import SurveyInvitation
from office.survey.questions import parse_score
from office.bilingual import text_for as _t

FORM = "survey_form"
SLOT = "survey_input"
# What the validation leaves in the slot when the form should end (read by action_survey_finished).
DONE, PAUSED, DECLINED, CLOSED = "done", "paused", "declined", "closed"
SKIP_WORDS = {"lewati", "lewat", "skip", "lompati", "pass", "-", "tidak tahu", "tidak tau", "ga tau", "gak tau",
              "gak tahu", "nggak tahu", "don't know", "dont know", "not sure"}
NO_COMMENT_WORDS = {"tidak ada", "tidak ada komentar", "tidak", "ga ada", "gak ada", "nggak ada", "tidak ada saran",
                    "no", "none", "no comment", "no comments", "nothing", "-", "lewati", "skip", "cukup", "sudah",
                    "sudah cukup", "tidak ada, terima kasih", "tidak ada terima kasih"}
PAUSE_INTENTS = {"cancel", "survey_later"}
QUESTION_CONFIDENCE = 0.75


def _text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "").strip()


def _intent(tracker: Tracker) -> tuple[str, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return str(intent.get("name") or ""), float(intent.get("confidence") or 0)


def _entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return None if value is None else str(value)


def _words(text: str) -> str:
    return " ".join(text.lower().replace(".", " ").replace("!", " ").split())


def _question_message(progress: sv.Progress, lang: str) -> tuple[str, list[dict[str, str]]]:
    """'Pertanyaan 3 dari 9', the question and its four answers (+ Lewati), or the comment prompt."""
    if progress.element is None:
        text = _t(lang, "Terakhir, adakah saran atau komentar untuk kami? Silakan ketik (tanpa data pribadi seperti "
                        "NIK atau nomor paspor), atau pilih \"Tidak ada komentar\".",
                  "Finally, do you have any suggestion or comment for us? Please type it (without personal data "
                  "such as ID or passport numbers), or choose \"No comment\".")
        return text, [{"title": _t(lang, "Tidak ada komentar", "No comment"), "payload": "/survey_no_comment"}]
    element = progress.element
    header = _t(lang, f"Pertanyaan {progress.number} dari {sv.QUESTION_COUNT}",
                f"Question {progress.number} of {sv.QUESTION_COUNT}")
    buttons = [{"title": label, "payload": "/survey_answer" + json.dumps(
        {"survey_score": str(score), "survey_question": element.key})}
        for score, label in enumerate(element.answer_labels(lang), start=1)]
    buttons.append({"title": _t(lang, "Lewati", "Skip"),
                    "payload": "/survey_skip" + json.dumps({"survey_question": element.key})})
    return f"{header}\n{element.question_text(lang)}", buttons


def _until(invitation: SurveyInvitation, lang: str) -> str:
    return format_date(sv.expires_on(invitation), lang)


def _no_survey_text(lang: str) -> str:
    return _t(lang,
              "Saat ini tidak ada survei yang menunggu untuk Bapak/Ibu. Undangan Survei Kepuasan Masyarakat kami "
              "kirim lewat chat ini setelah Bapak/Ibu selesai dilayani di loket (dengan nomor antrean atau booking "
              "dari chat ini) atau setelah pengaduan Bapak/Ibu ditutup. Terima kasih atas kepedulian Bapak/Ibu.",
              "There is no survey waiting for you at the moment. We send the public satisfaction survey through "
              "this chat after you have been served at the counter (with a queue number or booking made in this "
              "chat) or after your complaint has been closed. Thank you for your interest.")


def _offer_next(dispatcher: CollectingDispatcher, sender_id: str, lang: str) -> None:
    """After one survey, offer the citizen's next waiting one right away (one at a time, oldest first)."""
    with session_scope() as session:
        invitation = sv.open_invitation_of(session, sender_id)
        if invitation is None or invitation.status not in ("pending", "invited"):
            return
        sv.mark_invited(session, invitation)
        dispatcher.utter_message(text=invite_text(invitation, lang), buttons=invite_buttons(lang),
                                 message_kind="survey_invite")


# ------------------------------------------------------------------------------------------------
# invitation, start, later, decline
# ------------------------------------------------------------------------------------------------
class ActionSurveyInvite(Action):
    """Shows an invitation the worker delivered (EXTERNAL_survey_invite), in the conversation's language
    and with buttons; nothing when the survey was meanwhile started, declined or expired."""

    def name(self) -> str:
        return "action_survey_invite"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        if already_delivered(tracker):  # the worker re-sent it after a crash: show it once
            return []
        lang = language_of(tracker)
        key = _entity(tracker, "survey_event")
        with session_scope() as session:
            invitation = session.query(SurveyInvitation).filter_by(event_key=key).one_or_none() if key else None
            if invitation is None or invitation.status not in ("pending", "invited") \
                    or invitation.sender_id != tracker.sender_id:
                return []
            dispatcher.utter_message(text=invite_text(invitation, lang), buttons=invite_buttons(lang),
                                     message_kind="survey_invite")
        return []


class ActionSurveyStart(Action):
    """'Isi survei' / 'lanjut survei' (or a question button pressed after the conversation was reset):
    start or resume the citizen's survey from the stored position and open the form."""

    def name(self) -> str:
        return "action_survey_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        intent, _ = _intent(tracker)
        with session_scope() as session:
            progress = sv.start(session, tracker.sender_id)
            if progress is None:
                dispatcher.utter_message(text=_no_survey_text(lang))
                return [SlotSet(SLOT, None)]
            resumed = progress.resumed
            key = _entity(tracker, "survey_question")
            if intent == "survey_no_comment" and progress.at_comment:
                sv.finish(session, tracker.sender_id, None)
                return [SlotSet(SLOT, DONE), FollowupAction("action_survey_finished")]
            if intent == "survey_answer" and key:
                score = _entity(tracker, "survey_score")
                progress = sv.record_answer(session, tracker.sender_id, score, key).progress or progress
            elif intent == "survey_skip" and key:
                progress = sv.skip(session, tracker.sender_id, key).progress or progress
            invitation = session.get(SurveyInvitation, progress.invitation_id)
            until = _until(invitation, lang)
        if resumed:
            where = _t(lang, "bagian komentar", "the comment") if progress.at_comment else \
                _t(lang, f"pertanyaan {progress.number}", f"question {progress.number}")
            dispatcher.utter_message(text=_t(lang, f"Kita lanjutkan survei dari {where}.",
                                             f"Let's continue the survey from {where}."))
        else:
            about = ""
            if progress.ticket_code:
                about = _t(lang, f" Penilaian ini tentang penanganan pengaduan {progress.ticket_code}.",
                           f" This rating is about the handling of complaint {progress.ticket_code}.")
            dispatcher.utter_message(text=_t(
                lang,
                f"Terima kasih atas kesediaan Bapak/Ibu. Survei ini berisi {sv.QUESTION_COUNT} pertanyaan dan "
                f"bersifat anonim.{about} Pilih jawaban yang paling sesuai, ketik \"lewati\" untuk melewati "
                "pertanyaan, atau \"batal\" untuk berhenti sejenak (jawaban tersimpan dan dapat dilanjutkan sampai "
                f"{until}).",
                f"Thank you for taking part. The survey has {sv.QUESTION_COUNT} questions and is anonymous.{about} "
                "Choose the answer that fits best, type \"skip\" to skip a question, or \"cancel\" to pause (your "
                f"answers are kept and you can continue until {until})."))
        return [SlotSet(SLOT, None), SlotSet("requested_slot", None), FollowupAction(FORM)]


class ActionSurveyLater(Action):
    """'Nanti saja': nothing changes; the citizen is told until when the survey can be answered."""

    def name(self) -> str:
        return "action_survey_later"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        with session_scope() as session:
            invitation = sv.open_invitation_of(session, tracker.sender_id)
            until = _until(invitation, lang) if invitation else None
        if until is None:
            dispatcher.utter_message(text=_no_survey_text(lang))
        else:
            dispatcher.utter_message(text=_t(
                lang, f"Baik, tidak masalah. Survei dapat diisi kapan saja sampai {until}: ketik \"isi survei\" bila "
                      "Bapak/Ibu sudah siap.",
                f"All right. You can take the survey any time until {until}: type \"take the survey\" when you "
                "are ready."))
        return []


class ActionSurveyDecline(Action):
    """'Tidak, terima kasih': the survey is closed and any partial answers are deleted."""

    def name(self) -> str:
        return "action_survey_decline"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        with session_scope() as session:
            started = sv.current(session, tracker.sender_id) is not None
            declined = sv.decline(session, tracker.sender_id)
        if declined is None:
            dispatcher.utter_message(text=_no_survey_text(lang))
            return []
        dispatcher.utter_message(text=_t(
            lang, "Baik, tidak apa-apa. Terima kasih atas waktu Bapak/Ibu." +
            (" Jawaban yang sudah diisi tidak kami simpan." if started else ""),
            "All right, no problem. Thank you for your time." +
            (" The answers you gave have not been kept." if started else "")))
        _offer_next(dispatcher, tracker.sender_id, lang)
        return [SlotSet(SLOT, None)]


# ------------------------------------------------------------------------------------------------
# the form
# ------------------------------------------------------------------------------------------------
class AskSurveyInput(Action):
    """Asks what the database says comes next: question N of 9 with its answers, or the comment."""

    def name(self) -> str:
        return "action_ask_survey_input"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        with session_scope() as session:
            progress = sv.current(session, tracker.sender_id)
        if progress is None:  # expired or declined meanwhile
            dispatcher.utter_message(text=_no_survey_text(lang))
            return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet(SLOT, None)]
        text, buttons = _question_message(progress, lang)
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ValidateSurveyForm(FormValidationAction):
    """Stores each message as an answer, a skip, the comment, or a command (pause, decline), in that
    order; a procedure question is answered and the question asked again."""

    def name(self) -> str:
        return "validate_survey_form"

    def validate_survey_input(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        lang = language_of(tracker)
        with session_scope() as session:
            progress = sv.current(session, tracker.sender_id)
            if progress is None:
                return {SLOT: CLOSED}
            outcome = self._handle(session, progress, dispatcher, tracker, lang)
        return {SLOT: outcome}

    def _handle(self, session: Any, progress: sv.Progress, dispatcher: CollectingDispatcher, tracker: Tracker,
                lang: str) -> str | None:
        intent, _ = _intent(tracker)
        text = _text(tracker)
        words = _words(text)
        key = _entity(tracker, "survey_question")
        sender = tracker.sender_id
        if progress.element is not None:
            if intent == "survey_answer" and _entity(tracker, "survey_score"):
                result = sv.record_answer(session, sender, _entity(tracker, "survey_score"), key)
                if result.status == sv.INVALID:
                    self._hint(dispatcher, progress, lang)
                return None  # recorded, or a replayed button: either way ask what comes next
            if not text.startswith("/"):
                score = parse_score(text, progress.element)
                if score is not None:
                    sv.record_answer(session, sender, score)
                    return None
            if intent == "survey_skip" or words in SKIP_WORDS:
                sv.skip(session, sender, key if intent == "survey_skip" else None)
                return None
        else:
            if intent in ("survey_no_comment", "survey_decline") or words in NO_COMMENT_WORDS:
                sv.finish(session, sender, None)
                return DONE
            if intent in ("survey_answer", "survey_skip", "survey_start"):
                return None  # a replayed question button: ask for the comment again
        if intent in PAUSE_INTENTS:
            return PAUSED
        if intent == "survey_decline" and progress.element is not None:
            return DECLINED
        if self._answer_question(dispatcher, tracker, lang, needs_mark=progress.element is None):
            return None
        if progress.element is None and text and not text.startswith("/"):
            sv.finish(session, sender, text)
            return DONE
        if intent != "survey_start":
            self._hint(dispatcher, progress, lang)
        return None

    @staticmethod
    def _hint(dispatcher: CollectingDispatcher, progress: sv.Progress, lang: str) -> None:
        element = progress.element
        if element is None:
            return
        low, high = element.label(1, lang), element.label(4, lang)
        dispatcher.utter_message(text=_t(
            lang, f"Mohon pilih salah satu jawaban, atau ketik angka 1-4 (1 = {low}, 4 = {high}). Ketik \"lewati\" "
                  "untuk melewati pertanyaan ini, atau \"batal\" untuk berhenti sejenak.",
            f"Please choose one of the answers, or type a number 1-4 (1 = {low}, 4 = {high}). Type \"skip\" to "
            "skip this question, or \"cancel\" to pause."))

    @staticmethod
    def _answer_question(dispatcher: CollectingDispatcher, tracker: Tracker, lang: str, needs_mark: bool) -> bool:
        """A procedure question typed in the middle: answer it from the knowledge base when it is sure,
        then the form asks its question again. At the comment step only a sentence with '?' counts as a
        question (anything else is the comment)."""
        intent, confidence = _intent(tracker)
        text = _text(tracker)
        if intent != "ask_procedure" or confidence < QUESTION_CONFIDENCE or len(text.split()) < 3 \
                or (needs_mark and "?" not in text):
            return False
        from actions.knowledge import answer_text
        from office.kb.search import get_knowledge_base

        answer = get_knowledge_base().answer(text, lang)
        if answer.status != "answer":
            return False
        dispatcher.utter_message(text=answer_text(answer))
        dispatcher.utter_message(text=_t(lang, "Kita lanjutkan survei-nya.", "Let's continue with the survey."))
        return True


class ActionSurveyFinished(Action):
    """The form ended: thanks (and the next waiting survey, if any), or what a pause/decline means."""

    def name(self) -> str:
        return "action_survey_finished"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        outcome = tracker.get_slot(SLOT)
        sender = tracker.sender_id
        if outcome == DONE:
            dispatcher.utter_message(text=_t(
                lang, "Terima kasih, survei Bapak/Ibu telah kami terima. Masukan Bapak/Ibu sangat berarti untuk "
                      "perbaikan pelayanan kami.",
                "Thank you, we have received your survey. Your feedback helps us improve our service."))
            _offer_next(dispatcher, sender, lang)
        elif outcome == PAUSED:
            with session_scope() as session:
                invitation = sv.open_invitation_of(session, sender)
                until = _until(invitation, lang) if invitation else ""
            dispatcher.utter_message(text=_t(
                lang, "Baik, survei kami hentikan sementara. Jawaban Bapak/Ibu sejauh ini tetap tersimpan; ketik "
                      f"\"lanjut survei\" untuk melanjutkan (paling lambat {until}).",
                "All right, the survey is paused. Your answers so far are kept; type \"continue survey\" to go on "
                f"(until {until} at the latest)."))
        elif outcome == DECLINED:
            return [SlotSet(SLOT, None), FollowupAction("action_survey_decline")]
        else:
            dispatcher.utter_message(text=_no_survey_text(lang))
        return [SlotSet(SLOT, None)]
