"""A count of how the knowledge base answered: one row per question, without the question.

Why: the dashboards show what people ask (top topics) and the share answered from the knowledge base.
The unanswered questions are kept word for word for the editors (office.kb.store.record_unanswered);
for everything else the office needs only counts, so this table holds no free text and no sender id:
the local day, the channel, the topic/article answered, the outcome and the language. Nothing in it
points back to a person, so it is not personal data (UU 27/2022).

Outcomes: "answered" (the bot answered a typed question), "clarified" (it offered topics to choose from),
"chosen" (the citizen picked one of the offered topics and got its answer), "declined" (no reliable answer).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from office import clock
from office.db import Base, session_scope

OUTCOMES: tuple[str, ...] = ("answered", "clarified", "chosen", "declined")


class KbAnswerLog(Base):
    __tablename__ = "kb_answer_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)  # office-local date
    channel: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(12))
    topic: Mapped[str | None] = mapped_column(String(80), nullable=True)
    article_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    language: Mapped[str] = mapped_column(String(5))


def record_answer(outcome: str, *, channel: str, language: str, topic: str | None = None,
                  article_id: str | None = None, day: dt.date | None = None, url: str | None = None) -> None:
    """Count one knowledge answer. Refuses an unknown outcome (ValueError): the dashboard's shares add up
    only over the known ones."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; expected one of {OUTCOMES}")
    with session_scope(url) as session:
        session.add(KbAnswerLog(day=day or clock.today(), channel=(channel or "unknown")[:30], outcome=outcome,
                                topic=topic[:80] if topic else None,
                                article_id=article_id[:80] if article_id else None,
                                language=(language or "id")[:5]))
