"""Procedure questions answered from the knowledge base (no retraining when editors publish)."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import office.models  # noqa: F401  (every table mapped before the warm-up thread queries)
from actions.common import language_of, latest_text, menu_buttons
from office.kb.search import get_knowledge_base, pin_embed_threads
from office.senders import channel_of
from office.kb.answer_log import record_answer
from office.kb.store import record_unanswered

log = logging.getLogger(__name__)


def _warm_up() -> None:
    """Load the embedding model and the index before the first citizen asks (a few seconds)."""
    try:
        get_knowledge_base()
    except Exception:  # the first question retries; never let warm-up kill the action server
        log.exception("knowledge-base warm-up failed; it will load on the first question")


# One torch thread for question embeddings in the action server: it shares the cores with Rasa, where a
# second thread costs more CPU than it saves (office/kb/search.py pin_embed_threads has the numbers).
pin_embed_threads(1)

if os.environ.get("KB_WARM_UP") == "1":
    threading.Thread(target=_warm_up, name="kb-warm-up", daemon=True).start()


def _count(tracker: Tracker, outcome: str, lang: str, answer: Any = None) -> None:
    """Count the answer for the dashboards (office.kb.answer_log: no text, no sender). A failure to count
    is logged and never costs the citizen the answer."""
    try:
        record_answer(outcome, channel=channel_of(tracker.sender_id) or "unknown", language=lang,
                      topic=getattr(answer, "topic", None), article_id=getattr(answer, "article_id", None))
    except Exception:  # noqa: BLE001
        log.exception("could not count a knowledge answer")


def answer_text(answer: Any) -> str:
    """The section for chat, then its source line and the official link when there is one."""
    parts = [answer.text.strip(), answer.source_line]
    if getattr(answer, "link", None):
        parts.append(answer.link)
    return "\n\n".join(p for p in parts if p)


class ActionAnswerKnowledge(Action):
    """Answer, ask which topic (buttons) when two are close, or decline honestly and record the gap."""

    def name(self) -> str:
        return "action_answer_knowledge"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        lang = language_of(tracker)
        kb = get_knowledge_base()
        # A clarification button sends /ask_procedure{"topic": "..."}: answer that topic.
        chosen = next(tracker.get_latest_entity_values("topic"), None)
        if chosen:
            pending = tracker.get_slot("kb_pending_question") or ""
            answer = kb.answer_for_topic(chosen, lang, section_hint=pending or None)
            if answer is None:
                dispatcher.utter_message(response="utter_menu")
                return []
            dispatcher.utter_message(text=answer_text(answer))
            _count(tracker, "chosen", lang, answer)
            return [SlotSet("kb_topic", answer.topic), SlotSet("kb_pending_question", None)]

        question = latest_text(tracker)
        if not question.strip():
            dispatcher.utter_message(response="utter_ask_procedure_prompt")
            return []
        # In a thread: embedding the question takes ~100-200 ms of CPU (torch releases the GIL), and on the
        # event loop it stalled every other conversation's actions meanwhile (measured by `make bench`).
        answer = await asyncio.to_thread(kb.answer, question, lang, topic_in_play=tracker.get_slot("kb_topic"))
        if answer.status == "answer":
            dispatcher.utter_message(text=answer_text(answer))
            _count(tracker, "answered", lang, answer)
            return [SlotSet("kb_topic", answer.topic), SlotSet("kb_pending_question", None)]
        if answer.status == "clarify":
            buttons = [
                {"title": title, "payload": "/ask_procedure" + json.dumps({"topic": topic})}
                for topic, title in answer.options
            ]
            text = ("Which of these do you mean?" if lang == "en"
                    else "Maksud Bapak/Ibu yang mana di antara berikut ini?")
            dispatcher.utter_message(text=text, buttons=buttons)
            _count(tracker, "clarified", lang)
            return [SlotSet("kb_pending_question", question)]
        record_unanswered(question, lang, tracker.get_latest_input_channel() or "unknown")
        _count(tracker, "declined", lang)
        if lang == "en":
            text = ("Sorry, I could not find a reliable answer to that in our published information, and I would "
                    "rather not guess. I have passed your question on to our editors so the information can be "
                    "added. You can choose from the menu or talk to an officer.")
        else:
            text = ("Mohon maaf, saya belum menemukan jawaban yang dapat dipastikan untuk pertanyaan tersebut di "
                    "informasi resmi kami, dan saya tidak ingin menebak. Pertanyaan Bapak/Ibu sudah kami catat "
                    "agar petugas melengkapi informasinya. Silakan pilih menu atau bicara dengan petugas.")
        dispatcher.utter_message(text=text, buttons=menu_buttons(lang))
        return []
