"""Complaint routing configuration (office/complaints/routing.yml): categories, units, SLA, evidence.

Why configuration: the office decides who handles what and how fast; an administrator edits the YAML
and the next request uses it (re-read when the file changes). COMPLAINTS_ROUTING points elsewhere
(tests use their own file).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from office.config_files import ConfigFileError, read_yaml

from office.kb.normalise import tokens

DEFAULT_PATH = Path(__file__).resolve().parent / "routing.yml"


class RoutingError(ValueError):
    """The routing file is malformed; the message names the field."""


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    label_en: str
    unit: str
    priority: str
    keywords: tuple[str, ...]
    always_confidential: bool = False
    also_notify: tuple[str, ...] = ()

    def display(self, lang: str = "id") -> str:
        return self.label_en if lang == "en" and self.label_en else self.label


@dataclass(frozen=True)
class Rule:
    keywords: tuple[str, ...]
    unit: str


@dataclass(frozen=True)
class RoutingConfig:
    categories: tuple[Category, ...]
    rules: tuple[Rule, ...]
    units: dict[str, str]  # unit -> notification e-mail ("" = none)
    default_unit: str
    compliance_unit: str
    head_of_office_unit: str
    first_response_days: int
    resolution_days: int
    due_soon_hours: int
    ladder: dict[int, str]
    max_evidence_bytes: int
    allowed_evidence_types: tuple[str, ...]
    allowed_mime: tuple[str, ...]
    abusive_words: tuple[str, ...] = field(default=())

    def category(self, key: str | None) -> Category:
        """The category `key`, or 'lainnya' (the last one) when unknown."""
        for cat in self.categories:
            if cat.key == key:
                return cat
        return self.categories[-1]

    def has_category(self, key: str | None) -> bool:
        return any(c.key == key for c in self.categories)

    def unit_names(self) -> list[str]:
        names = list(self.units)
        for cat in self.categories:
            if cat.unit not in names:
                names.append(cat.unit)
        return names


def _phrase_tokens(phrase: str) -> tuple[str, ...]:
    return tuple(tokens(phrase))


def _int(data: dict, key: str, default: int, source: Path) -> int:
    try:
        value = int(data.get(key, default))
    except (TypeError, ValueError) as exc:
        raise RoutingError(f"{source}: '{key}' must be a whole number") from exc
    if value < 0:
        raise RoutingError(f"{source}: '{key}' must not be negative")
    return value


def parse_config(data: dict, source: Path) -> RoutingConfig:
    """Validate the mapping; raises RoutingError naming the bad field."""
    if not isinstance(data, dict) or not data.get("categories"):
        raise RoutingError(f"{source}: 'categories' is required")
    cats = []
    for raw in data["categories"]:
        if not raw.get("key") or not raw.get("unit") or not raw.get("label"):
            raise RoutingError(f"{source}: every category needs key, label and unit ({raw!r})")
        cats.append(Category(key=str(raw["key"]), label=str(raw["label"]), label_en=str(raw.get("label_en") or ""),
                             unit=str(raw["unit"]), priority=str(raw.get("priority") or "normal"),
                             keywords=tuple(str(k) for k in raw.get("keywords") or ()),
                             always_confidential=bool(raw.get("always_confidential", False)),
                             also_notify=tuple(str(u) for u in raw.get("also_notify") or ())))
    sla = data.get("sla") or {}
    evidence = data.get("evidence") or {}
    units = {str(name): str((value or {}).get("email") or "") for name, value in (data.get("units") or {}).items()}
    ladder = {int(step["level"]): str(step["label"]) for step in data.get("escalation_ladder") or []}
    return RoutingConfig(
        categories=tuple(cats),
        rules=tuple(Rule(tuple(str(k) for k in r.get("keywords") or ()), str(r["unit"])) for r in data.get("rules") or ()),
        units=units,
        default_unit=str(data.get("default_unit") or cats[-1].unit),
        compliance_unit=str(data.get("compliance_unit") or "Unit Kepatuhan Internal"),
        head_of_office_unit=str(data.get("head_of_office_unit") or "Kepala Kantor"),
        first_response_days=_int(sla, "first_response_working_days", 3, source),
        resolution_days=_int(sla, "resolution_working_days", 5, source),
        due_soon_hours=_int(sla, "due_soon_hours", 24, source),
        ladder=ladder or {0: "Petugas unit", 1: "Kepala seksi", 2: "Kepala Kantor"},
        max_evidence_bytes=_int(evidence, "max_bytes", 10 * 1024 * 1024, source),
        allowed_evidence_types=tuple(evidence.get("allowed_types") or ("image", "pdf")),
        allowed_mime=tuple(evidence.get("allowed_mime") or ("image/jpeg", "image/png", "application/pdf")),
        abusive_words=tuple(str(w).lower() for w in data.get("abusive_words") or ()),
    )


def config_path() -> Path:
    return Path(os.environ.get("COMPLAINTS_ROUTING") or DEFAULT_PATH)


def load_config(path: Path | None = None) -> RoutingConfig:
    """The routing configuration; an edit of the file applies on the next call (no restart)."""
    path = Path(path or config_path())
    try:
        data = read_yaml(path)
    except ConfigFileError as exc:
        raise RoutingError(f"complaint routing: {exc}") from exc
    return parse_config(data, path)


def _contains(text_tokens: list[str], phrase: tuple[str, ...]) -> bool:
    if not phrase:
        return False
    n = len(phrase)
    return any(tuple(text_tokens[i:i + n]) == phrase for i in range(len(text_tokens) - n + 1))


def propose_category(text: str, config: RoutingConfig | None = None) -> Category:
    """The category whose keywords the citizen's words match best (citizens need not know the list).

    An always-confidential category (pungli/calo) wins whenever one of its keywords appears: a bribe
    report must never be filed under a category that exposes the reporter. Ties go to the earlier
    category; no match gives the last category ('lainnya')."""
    config = config or load_config()
    words = tokens(text or "")
    best, best_score = config.categories[-1], 0
    for cat in config.categories:
        phrases = {_phrase_tokens(kw) for kw in cat.keywords}  # 'tunggu', 'menunggu' stem alike: count once
        score = sum(1 for phrase in phrases if _contains(words, phrase))
        if score and cat.always_confidential:
            return cat
        if score > best_score:
            best, best_score = cat, score
    return best


def route_unit(category: Category, text: str, config: RoutingConfig | None = None) -> str:
    """The unit for a complaint: fixed for confidential categories, else the first keyword rule that
    matches the text, else the category's unit."""
    config = config or load_config()
    if category.always_confidential:
        return category.unit
    words = tokens(text or "")
    for rule in config.rules:
        if any(_contains(words, _phrase_tokens(kw)) for kw in rule.keywords):
            return rule.unit
    return category.unit


def is_abusive(text: str, config: RoutingConfig | None = None) -> bool:
    """True when the text contains a word on the abusive list (recorded, never echoed back)."""
    config = config or load_config()
    raw = set((text or "").lower().replace(",", " ").replace(".", " ").replace("!", " ").split())
    return bool(raw & set(config.abusive_words)) or bool(set(tokens(text or "", stemming=False)) & set(config.abusive_words))
