"""Texts in the citizen's language: Indonesian by default, English when the conversation is in English."""
from __future__ import annotations


def text_for(lang: str, id_text: str, en_text: str) -> str:
    """The English text when `lang` is "en", else the Indonesian one (any other value falls back to Indonesian)."""
    return en_text if lang == "en" else id_text
