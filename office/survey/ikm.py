"""Indeks Kepuasan Masyarakat (IKM) exactly as PermenPANRB 14/2017 computes it.

The regulation's arithmetic, per period (and per service or channel when asked):
- NRR per element (unsur) = total score of the element / number of answers to the element;
- weighted NRR = NRR x 1/9 (the regulation prints the weight as 0,111: that is 1/9 rounded for print;
  multiplying by 0,111 would make a perfect survey 99,9 instead of 100, so the exact 1/9 is used);
- IKM (nilai interval, 1-4) = sum of the nine weighted NRR;
- converted IKM (25-100) = IKM x 25;
- mutu and kinerja from the converted value: 25,00-64,99 D Tidak Baik, 65,00-76,60 C Kurang Baik,
  76,61-88,30 B Baik, 88,31-100,00 A Sangat Baik.

Decisions, and why:
- Skipped elements. The survey lets a citizen skip a question (NULL). The regulation divides by "the
  number of filled questionnaires"; a skipped element was not filled for that element, so it is left out
  of that element's denominator only (the citizen's other answers still count). Counting a skip as 0 or
  as a missing questionnaire would either punish the office for a skip or throw away real answers.
- An element nobody answered has no NRR, so the IKM cannot be computed per the regulation: the result
  names the missing elements and gives no IKM, rather than inventing a value (averaging only 8 elements
  would be a different index).
- Exact arithmetic. Scores are whole numbers, so every figure is kept as an exact fraction and rounded
  only for display. The printed ranges have gaps (76,60 / 76,61); the mutu is decided on the converted
  value rounded half-up to 2 decimals, the precision the regulation prints: 76,605 reads as 76,61 (B),
  76,6049 as 76,60 (C), 88,305 as 88,31 (A), 64,995 as 65,00 (C).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from office.survey.models import ELEMENT_COLUMNS, SurveyResponse
from office.survey.questions import elements as questionnaire_elements
from office.survey.questions import target_sample_size as monthly_target

ELEMENT_COUNT = len(ELEMENT_COLUMNS)
WEIGHT = Fraction(1, ELEMENT_COUNT)
CONVERSION = 25
MIN_SCORE, MAX_SCORE = 1, 4

#: (lowest converted value of the band, mutu, kinerja), best band first.
BANDS: tuple[tuple[Decimal, str, str], ...] = (
    (Decimal("88.31"), "A", "Sangat Baik"),
    (Decimal("76.61"), "B", "Baik"),
    (Decimal("65.00"), "C", "Kurang Baik"),
    (Decimal("25.00"), "D", "Tidak Baik"),
)


def round_half_up(value: Fraction | Decimal | int, places: int) -> Decimal:
    """`value` rounded half-up to `places` decimals (exact for fractions: no float on the way)."""
    if not isinstance(value, Fraction):
        value = Fraction(value)
    scale = 10 ** places
    scaled = value * scale
    rounded = math.floor(scaled + Fraction(1, 2))
    return (Decimal(rounded) / Decimal(scale)).quantize(Decimal(1).scaleb(-places))


def classify(converted: Fraction | Decimal | int) -> tuple[str, str]:
    """(mutu, kinerja) of a converted IKM (25-100), compared on its value rounded to 2 decimals."""
    shown = round_half_up(converted, 2)
    for lowest, mutu, kinerja in BANDS:
        if shown >= lowest:
            return mutu, kinerja
    return BANDS[-1][1], BANDS[-1][2]  # below 25 cannot happen with scores 1-4


def element_names() -> dict[str, str]:
    """u1..u9 -> the element's name from the questionnaire (office/survey/survey.yml)."""
    return {e.key: e.name for e in questionnaire_elements()}


def target_sample_size(start: dt.date | None = None, end: dt.date | None = None) -> int:
    """The office's target number of completed responses for [start, end]: the monthly target
    (survey.yml) for a period of up to one calendar month, times the number of calendar months a
    longer period touches (a quarter needs three months' sample)."""
    monthly = monthly_target()
    if start is None or end is None:
        return monthly
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    return monthly * max(1, months)


@dataclass(frozen=True)
class ElementScore:
    """One element: its total, its number of answers and its NRR (None when nobody answered it)."""

    key: str
    name: str
    total: int
    answered: int

    @property
    def nrr(self) -> Fraction | None:
        return Fraction(self.total, self.answered) if self.answered else None

    @property
    def weighted(self) -> Fraction | None:
        nrr = self.nrr
        return nrr * WEIGHT if nrr is not None else None


@dataclass(frozen=True)
class IkmResult:
    """The IKM of a set of completed responses. `ikm` and `converted` are exact (None when there are no
    responses or an element has no answer: see `missing`); round them only to show them."""

    responses: int
    elements: tuple[ElementScore, ...]
    target_sample: int | None = None

    @property
    def missing(self) -> tuple[str, ...]:
        """Keys of the elements nobody answered (the IKM needs all nine)."""
        return tuple(e.key for e in self.elements if e.answered == 0)

    @property
    def computable(self) -> bool:
        return self.responses > 0 and not self.missing

    @property
    def ikm(self) -> Fraction | None:
        if not self.computable:
            return None
        return sum((e.weighted for e in self.elements), Fraction(0))  # type: ignore[misc]

    @property
    def converted(self) -> Fraction | None:
        value = self.ikm
        return value * CONVERSION if value is not None else None

    @property
    def mutu(self) -> str | None:
        return classify(self.converted)[0] if self.converted is not None else None

    @property
    def kinerja(self) -> str | None:
        return classify(self.converted)[1] if self.converted is not None else None

    @property
    def below_target(self) -> bool:
        """True when the office set a target sample size and fewer responses were counted."""
        return self.target_sample is not None and self.responses < self.target_sample

    def converted_display(self) -> Decimal | None:
        """Converted IKM rounded half-up to 2 decimals (the figure the mutu is read from)."""
        return round_half_up(self.converted, 2) if self.converted is not None else None

    def ikm_display(self) -> Decimal | None:
        """IKM (1-4) rounded to 4 decimals, as the regulation's table prints it."""
        return round_half_up(self.ikm, 4) if self.ikm is not None else None

    def status_text(self) -> str:
        """Why there is no figure (Indonesian, for staff), or "" when there is one."""
        if self.responses == 0:
            return "Belum ada survei yang selesai pada periode ini, sehingga IKM belum dapat dihitung."
        if self.missing:
            names = ", ".join(f"{e.key.upper()} {e.name}" for e in self.elements if e.answered == 0)
            return (f"IKM belum dapat dihitung: unsur {names} belum dijawab oleh responden mana pun "
                    f"(PermenPANRB 14/2017 memerlukan kesembilan unsur).")
        return ""


def compute_ikm(score_rows: Iterable[Sequence[int | None]], target_sample: int | None = None,
                names: dict[str, str] | None = None) -> IkmResult:
    """The IKM of these responses: each row holds the nine scores in element order (None = skipped).
    Scores outside 1-4 are refused (ValueError): they would silently bend the index."""
    names = names or element_names()
    totals = [0] * ELEMENT_COUNT
    counts = [0] * ELEMENT_COUNT
    responses = 0
    for row in score_rows:
        row = list(row)
        if len(row) != ELEMENT_COUNT:
            raise ValueError(f"a response has {ELEMENT_COUNT} scores, got {len(row)}")
        responses += 1
        for i, score in enumerate(row):
            if score is None:
                continue
            if not MIN_SCORE <= int(score) <= MAX_SCORE:
                raise ValueError(f"score {score!r} of {ELEMENT_COLUMNS[i]} is outside {MIN_SCORE}-{MAX_SCORE}")
            totals[i] += int(score)
            counts[i] += 1
    elements = tuple(ElementScore(key=key, name=names.get(key, key.upper()), total=totals[i], answered=counts[i])
                     for i, key in enumerate(ELEMENT_COLUMNS))
    return IkmResult(responses=responses, elements=elements, target_sample=target_sample)


def completed_responses(session: Session, start: dt.date, end: dt.date, *, service_code: str | None = None,
                        channel: str | None = None, event_kind: str | None = None) -> list[SurveyResponse]:
    """Completed responses whose local completion day is in [start, end] (both included)."""
    query = select(SurveyResponse).where(SurveyResponse.status == "completed",
                                         SurveyResponse.period_day >= start, SurveyResponse.period_day <= end)
    if service_code is not None:
        query = query.where(SurveyResponse.service_code == service_code)
    if channel is not None:
        query = query.where(SurveyResponse.channel == channel)
    if event_kind is not None:
        query = query.where(SurveyResponse.event_kind == event_kind)
    return list(session.scalars(query.order_by(SurveyResponse.period_day, SurveyResponse.id)))


def ikm_for_period(session: Session, start: dt.date, end: dt.date, *, service_code: str | None = None,
                   channel: str | None = None, event_kind: str | None = None,
                   target_sample: int | None = None) -> IkmResult:
    """The IKM of the completed responses of [start, end], optionally of one service, channel or kind.
    `target_sample` defaults to the office's configured target for the period."""
    rows = completed_responses(session, start, end, service_code=service_code, channel=channel,
                               event_kind=event_kind)
    target = target_sample if target_sample is not None else target_sample_size(start, end)
    return compute_ikm((r.scores() for r in rows), target_sample=target)


def ikm_by(session: Session, start: dt.date, end: dt.date, dimension: str,
           target_sample: int | None = None) -> dict[str, IkmResult]:
    """The IKM per service ("service_code"), channel ("channel") or kind ("event_kind") in [start, end];
    responses without a value are grouped under "-". Sorted by the group name. No sample target by
    default: the office's target is for the whole office, not for each group."""
    if dimension not in ("service_code", "channel", "event_kind"):
        raise ValueError(f"unknown dimension {dimension!r}")
    groups: dict[str, list[list[int | None]]] = {}
    for row in completed_responses(session, start, end):
        groups.setdefault(getattr(row, dimension) or "-", []).append(row.scores())
    names = element_names()
    return {key: compute_ikm(groups[key], target_sample=target_sample, names=names) for key in sorted(groups)}
