"""What people ask and how much the knowledge base answers (from office.kb.answer_log), and the open
unanswered questions grouped by similarity (office.kb.store.unanswered_groups) for the editors.

Shares: one row of the log is one typed question (answered, clarified or declined) or a topic chosen
after a clarification ("chosen"). Questions asked = answered + clarified + declined; answered from the
knowledge base = answered + chosen, with chosen capped at clarified (a citizen tapping two offered topics
answered one question, not two).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from office.kb.answer_log import OUTCOMES, KbAnswerLog
from office.kb.store import KbArticle, KbRevision, UnansweredGroup, unanswered_groups
from office.reports.period import Period

OUTCOME_LABELS = {"answered": "Langsung dijawab", "chosen": "Dijawab setelah memilih topik",
                  "clarified": "Ditanya balik (pilihan topik)", "declined": "Tidak terjawab"}
EDITOR_NEW_ARTICLE = "/staff/kb/new?uq="


@dataclass(frozen=True)
class TopicCount:
    topic: str
    label: str
    count: int


@dataclass(frozen=True)
class KnowledgeReport:
    period: Period
    outcomes: dict[str, int]
    topics: tuple[TopicCount, ...]

    @property
    def questions(self) -> int:
        return self.outcomes["answered"] + self.outcomes["clarified"] + self.outcomes["declined"]

    @property
    def answered(self) -> int:
        return self.outcomes["answered"] + min(self.outcomes["chosen"], self.outcomes["clarified"])

    @property
    def answered_share(self) -> Fraction | None:
        return Fraction(self.answered, self.questions) if self.questions else None


def topic_labels(session: Session) -> dict[str, str]:
    """topic -> the title of its live article (the Indonesian one when both languages exist); the topic
    key, made readable, when no live text has a title."""
    import frontmatter

    labels: dict[str, tuple[int, str]] = {}
    rows = session.execute(select(KbArticle.topic, KbArticle.language, KbRevision.markdown)
                           .join(KbRevision, KbRevision.id == KbArticle.published_revision_id))
    for topic, language, markdown in rows:
        try:
            title = str(frontmatter.loads(markdown).metadata.get("title") or "")
        except Exception:  # noqa: BLE001 - one unparsable text must not break the dashboard
            title = ""
        rank = 0 if language == "id" else 1
        if title and (topic not in labels or rank < labels[topic][0]):
            labels[topic] = (rank, title)
    return {topic: title for topic, (_, title) in labels.items()}


def _readable(topic: str) -> str:
    return topic.replace("_", " ").replace("-", " ").capitalize()


def knowledge_report(session: Session, period: Period, top: int = 10) -> KnowledgeReport:
    """Outcome counts and the `top` most answered topics of `period` (ties by topic name)."""
    where = (KbAnswerLog.day >= period.start, KbAnswerLog.day <= period.end)
    outcomes = {o: 0 for o in OUTCOMES}
    for outcome, count in session.execute(select(KbAnswerLog.outcome, func.count()).where(*where)
                                          .group_by(KbAnswerLog.outcome)):
        if outcome in outcomes:
            outcomes[outcome] = int(count)
    labels = topic_labels(session)
    rows = session.execute(select(KbAnswerLog.topic, func.count()).where(
        *where, KbAnswerLog.outcome.in_(("answered", "chosen")), KbAnswerLog.topic.is_not(None))
        .group_by(KbAnswerLog.topic)).all()
    ranked = sorted(((str(t), int(c)) for t, c in rows), key=lambda tc: (-tc[1], tc[0]))[:top]
    return KnowledgeReport(period=period, outcomes=outcomes,
                           topics=tuple(TopicCount(t, labels.get(t) or _readable(t), c) for t, c in ranked))


@dataclass(frozen=True)
class UnansweredSummary:
    text: str
    count: int
    ids: tuple[int, ...]

    @property
    def editor_link(self) -> str:
        """The KB editor's new-article form, prefilled with these questions as example questions."""
        return EDITOR_NEW_ARTICLE + ",".join(str(i) for i in self.ids)


def open_unanswered(url: str | None = None, top: int = 10) -> tuple[list[UnansweredSummary], int]:
    """The `top` biggest groups of questions still waiting for an article, and the number of groups."""
    groups: list[UnansweredGroup] = unanswered_groups(url)
    return ([UnansweredSummary(text=g.text, count=len(g.items), ids=tuple(g.ids)) for g in groups[:top]],
            len(groups))
