"""The survey's questionnaire and settings (office/survey/survey.yml): the nine elements (unsur) of
PermenPANRB 14/2017 with their standard questions and four answers, plus the office's settings.

Why configuration: the wording is the regulation's, but an office may need to correct a translation or
change the sample target, the invitation delay or the expiry without a release. SURVEY_CONFIG points
to another file (tests use their own).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from office.config_files import read_yaml
from office.survey.models import ELEMENT_COLUMNS

DEFAULT_PATH = Path(__file__).resolve().parent / "survey.yml"
SCALE = (1, 2, 3, 4)
LETTERS = ("a", "b", "c", "d")  # the paper questionnaire's answer letters


class SurveyConfigError(ValueError):
    """survey.yml is malformed; the message names the field."""


@dataclass(frozen=True)
class Element:
    """One unsur: key u1..u9 (the response column), its name, question and the answers for 1..4."""
    key: str
    name: str
    question: str
    labels: tuple[str, str, str, str]
    name_en: str
    question_en: str
    labels_en: tuple[str, str, str, str]

    @property
    def number(self) -> int:
        return int(self.key[1:])

    def question_text(self, lang: str = "id") -> str:
        return self.question_en if lang == "en" else self.question

    def answer_labels(self, lang: str = "id") -> tuple[str, str, str, str]:
        return self.labels_en if lang == "en" else self.labels

    def label(self, score: int, lang: str = "id") -> str:
        return self.answer_labels(lang)[score - 1]


@dataclass(frozen=True)
class SurveySettings:
    target_sample_size_per_month: int
    invitation_delay_minutes: int
    expiry_days: int
    comment_max_chars: int


@dataclass(frozen=True)
class SurveyConfig:
    elements: tuple[Element, ...]
    settings: SurveySettings


def config_path() -> Path:
    return Path(os.environ.get("SURVEY_CONFIG") or DEFAULT_PATH)


def _positive_int(raw: dict[str, Any], name: str, minimum: int = 1) -> int:
    value = raw.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise SurveyConfigError(f"survey.yml: settings.{name} must be a whole number >= {minimum}")
    return value


def _labels(raw: dict[str, Any], name: str, key: str) -> tuple[str, str, str, str]:
    labels = raw.get(name)
    if not isinstance(labels, list) or len(labels) != 4 or not all(isinstance(x, str) and x.strip() for x in labels):
        raise SurveyConfigError(f"survey.yml: {key}.{name} must list exactly four answers (for 1-4)")
    return tuple(x.strip() for x in labels)  # type: ignore[return-value]


def _element(raw: Any, expected_key: str) -> Element:
    if not isinstance(raw, dict) or raw.get("key") != expected_key:
        raise SurveyConfigError(f"survey.yml: elements must be u1..u9 in order; expected {expected_key}")
    texts = {}
    for name in ("name", "question", "name_en", "question_en"):
        value = raw.get(name)
        if not isinstance(value, str) or not value.strip():
            raise SurveyConfigError(f"survey.yml: {expected_key}.{name} is missing")
        texts[name] = value.strip()
    return Element(key=expected_key, labels=_labels(raw, "labels", expected_key),
                   labels_en=_labels(raw, "labels_en", expected_key), **texts)


def load_config(path: Path | None = None) -> SurveyConfig:
    """The questionnaire and settings, validated; re-read when the file changes."""
    data = read_yaml(path or config_path())
    if not isinstance(data, dict):
        raise SurveyConfigError("survey.yml: expected 'settings' and 'elements'")
    raw_elements = data.get("elements")
    if not isinstance(raw_elements, list) or len(raw_elements) != len(ELEMENT_COLUMNS):
        raise SurveyConfigError(f"survey.yml: elements must list the {len(ELEMENT_COLUMNS)} unsur")
    raw_settings = data.get("settings") or {}
    if not isinstance(raw_settings, dict):
        raise SurveyConfigError("survey.yml: settings must be a mapping")
    settings = SurveySettings(
        target_sample_size_per_month=_positive_int(raw_settings, "target_sample_size_per_month"),
        invitation_delay_minutes=_positive_int(raw_settings, "invitation_delay_minutes", minimum=0),
        expiry_days=_positive_int(raw_settings, "expiry_days"),
        comment_max_chars=_positive_int(raw_settings, "comment_max_chars", minimum=20),
    )
    return SurveyConfig(tuple(_element(raw, key) for raw, key in zip(raw_elements, ELEMENT_COLUMNS)), settings)


def elements() -> list[Element]:
    """The nine elements in order u1..u9 (for the conversation and the dashboards)."""
    return list(load_config().elements)


def element_at(position: int) -> Element:
    """The element asked at `position` (0-8)."""
    return load_config().elements[position]


def settings() -> SurveySettings:
    return load_config().settings


def target_sample_size() -> int:
    """Completed responses per month below which the dashboard warns that the sample is too small."""
    return load_config().settings.target_sample_size_per_month


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s/]", " ", text.lower())).strip()


def parse_score(text: str, element: Element) -> int | None:
    """A typed answer to `element` as 1-4: the digit ("3", "3."), the questionnaire letter ("c") or the
    answer's words in Indonesian or English ("sangat mudah"); None when it is none of these.
    Why so lenient: on WhatsApp and in the web chat many people type instead of pressing a button."""
    value = _normalise(text or "")
    if not value:
        return None
    if value in ("1", "2", "3", "4"):
        return int(value)
    if value in LETTERS:
        return LETTERS.index(value) + 1
    for labels in (element.labels, element.labels_en):
        for score, label in enumerate(labels, start=1):
            if value == _normalise(label):
                return score
    return None
