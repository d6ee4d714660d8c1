"""Entry points of the menu's service items that have no skill of their own yet (booking).

Each answers from the knowledge base and the office profile, so the citizen always leaves with a
concrete next step.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of
from actions.knowledge import answer_text
from office.kb.search import get_knowledge_base
from office.profile import load_profile


def _answer_topic(dispatcher: CollectingDispatcher, topic: str, lang: str) -> list[dict[str, Any]]:
    answer = get_knowledge_base().answer_for_topic(topic, lang)
    if answer is None:
        return []
    dispatcher.utter_message(text=answer_text(answer))
    return [SlotSet("kb_topic", answer.topic)]
