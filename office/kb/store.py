"""Storage of knowledge-base articles, their revisions, unanswered questions and the KB version.

Why revisions: editors change procedures and fees in the back-office; every change is kept (who, when,
from the file or the editor) and exactly one revision per article is live. Why a version counter:
every process (action server, back-office, worker) keeps its own search index in memory and rebuilds
it when `KbState.version` moves, so a publish changes answers within seconds without a restart.

Files in knowledge_base/ are imported as published revisions when they are new or changed since
their last import (by sha256); an article an editor published later stays live until its file changes.
Times are naive UTC (SQLite keeps no time zone).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from office.db import Base, session_scope
from office.kb.articles import Article, ArticleError, load_article, parse_article
from office.kb.normalise import normalise
from office.privacy import mask_personal_data

ARTICLE_STATUSES = ("draft", "review", "published", "archived")
REVISION_STATES = ("draft", "review", "published")
REVISION_SOURCES = ("file", "editor")
FILE_AUTHOR = "file"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class KbArticle(Base):
    """One article (one language version of a topic); `published_revision_id` points at the live text."""

    __tablename__ = "kb_article"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    topic: Mapped[str] = mapped_column(String(80), index=True)
    language: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    # Not a foreign key on purpose: kb_revision already points here, and a cycle of foreign keys
    # makes SQLite table creation and deletion order fragile. Kept consistent by publish_revision.
    published_revision_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)


class KbRevision(Base):
    """A full Markdown text of an article as imported from a file or written in the editor."""

    __tablename__ = "kb_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("kb_article.id", ondelete="CASCADE"), index=True)
    markdown: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10))  # file | editor
    file_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    author: Mapped[str] = mapped_column(String(64))  # staff username or "file"
    state: Mapped[str] = mapped_column(String(12), default="draft")  # draft | review | published
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class UnansweredQuestion(Base):
    """A question the bot declined; shown to KB editors. `text` is masked (no NIK/passport/phone)."""

    __tablename__ = "kb_unanswered"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    normalised_text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5))
    channel: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow, index=True)
    resolved_article_id: Mapped[str | None] = mapped_column(
        ForeignKey("kb_article.id", ondelete="SET NULL"), nullable=True)


class KbState(Base):
    """Single row (id 1): `version` is incremented on every publish, archive or import that changes
    what is live."""

    __tablename__ = "kb_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)


class KbError(ValueError):
    """A KB operation the rules refuse (unknown revision, wrong state); message for staff, in Indonesian."""


@dataclass
class LoadReport:
    """What `load_directory` did, file by file."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    version: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def __str__(self) -> str:
        text = (f"{len(self.created)} new, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                f"{len(self.errors)} refused; version {self.version}")
        for err in self.errors:
            text += f"\n  refused: {err}"
        return text


def _bump_version(session: Session) -> int:
    state = session.get(KbState, 1)
    if state is None:
        state = KbState(id=1, version=0)
        session.add(state)
    state.version = (state.version or 0) + 1
    state.updated_at = _utcnow()
    session.flush()
    return state.version


def current_version(url: str | None = None) -> int:
    """The KB version (0 when nothing was ever published). Cheap: one primary-key read."""
    with session_scope(url) as session:
        state = session.get(KbState, 1)
        return int(state.version) if state is not None else 0


def _last_file_revision(session: Session, article_id: str) -> KbRevision | None:
    return session.scalars(
        select(KbRevision).where(KbRevision.article_id == article_id, KbRevision.source == "file")
        .order_by(KbRevision.id.desc()).limit(1)
    ).first()


def _publish(session: Session, article: KbArticle, revision: KbRevision) -> None:
    revision.state = "published"
    article.status = "published"
    article.published_revision_id = revision.id
    article.updated_at = _utcnow()


def load_directory(path: str | Path, url: str | None = None, verbose: bool = True) -> LoadReport:
    """Import knowledge_base/*.md: a file becomes a published revision when its article is new or
    the file's sha256 differs from its last import. Files that fail validation are reported, not
    imported (the live revision, if any, stays). Bumps the KB version once if anything changed."""
    directory = Path(path)
    report = LoadReport()
    files = sorted(p for p in directory.glob("*.md") if p.name.lower() != "readme.md")
    if verbose:
        print(f"[kb] importing {len(files)} article file(s) from {directory}", flush=True)
    with session_scope(url) as session:
        seen: dict[str, str] = {}
        for i, file in enumerate(files, 1):
            data = file.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            try:
                art = load_article(file)
            except ArticleError as exc:
                report.errors.append(str(exc))
                continue
            if art.id in seen:
                report.errors.append(f"{file.name}: id {art.id!r} sudah dipakai oleh {seen[art.id]}")
                continue
            seen[art.id] = file.name
            row = session.get(KbArticle, art.id)
            last = _last_file_revision(session, art.id) if row is not None else None
            if row is not None and last is not None and last.file_sha256 == sha:
                report.unchanged.append(art.id)
                continue
            if row is None:
                row = KbArticle(id=art.id, topic=art.topic, language=art.language, status="draft")
                session.add(row)
                report.created.append(art.id)
            else:
                row.topic, row.language = art.topic, art.language
                report.updated.append(art.id)
            rev = KbRevision(article_id=art.id, markdown=data.decode("utf-8"), source="file",
                             file_sha256=sha, author=FILE_AUTHOR, state="published",
                             note=f"imported from {file.name}")
            session.add(rev)
            session.flush()
            _publish(session, row, rev)
            if verbose and (i % 10 == 0 or i == len(files)):
                print(f"[kb]   {i}/{len(files)} files checked", flush=True)
        if report.changed:
            report.version = _bump_version(session)
        else:
            state = session.get(KbState, 1)
            report.version = int(state.version) if state is not None else 0
    if verbose:
        print(f"[kb] {report}", flush=True)
    return report


def save_revision(markdown: str, author: str, state: str = "draft", note: str = "",
                  url: str | None = None) -> int:
    """Store an editor's text as a new draft/review revision (validated first: raises ArticleError
    listing every problem). Creates the article row for a new id. Returns the revision id."""
    if state not in ("draft", "review"):
        raise KbError(f"status revisi tidak dikenal: {state!r} (pilih draft atau review)")
    art = parse_article(markdown)
    with session_scope(url) as session:
        row = session.get(KbArticle, art.id)
        if row is None:
            row = KbArticle(id=art.id, topic=art.topic, language=art.language, status=state)
            session.add(row)
        elif row.topic != art.topic or row.language != art.language:
            raise KbError(f"artikel {art.id!r} sudah ada dengan topik {row.topic!r} dan bahasa {row.language!r}")
        rev = KbRevision(article_id=art.id, markdown=markdown, source="editor", author=author,
                         state=state, note=note)
        session.add(rev)
        session.flush()
        return int(rev.id)


def set_revision_state(revision_id: int, state: str, url: str | None = None) -> None:
    """Move an unpublished revision between draft and review."""
    if state not in ("draft", "review"):
        raise KbError(f"status revisi tidak dikenal: {state!r} (pilih draft atau review)")
    with session_scope(url) as session:
        rev = session.get(KbRevision, revision_id)
        if rev is None:
            raise KbError(f"revisi {revision_id} tidak ditemukan")
        if rev.state == "published":
            raise KbError(f"revisi {revision_id} sudah diterbitkan")
        rev.state = state


def publish_revision(revision_id: int, url: str | None = None) -> int:
    """Make a revision the live text of its article (re-validated first) and bump the KB version,
    so every process answers from it within seconds. Returns the new KB version."""
    with session_scope(url) as session:
        rev = session.get(KbRevision, revision_id)
        if rev is None:
            raise KbError(f"revisi {revision_id} tidak ditemukan")
        parse_article(rev.markdown, source=f"revisi {revision_id}")
        row = session.get(KbArticle, rev.article_id)
        if row is None:  # pragma: no cover - the foreign key makes this impossible
            raise KbError(f"artikel {rev.article_id!r} tidak ditemukan")
        _publish(session, row, rev)
        return _bump_version(session)


def publish_markdown(markdown: str, author: str, note: str = "", url: str | None = None) -> int:
    """Save and publish an editor's text in one step. Returns the new KB version."""
    revision_id = save_revision(markdown, author, state="review", note=note, url=url)
    return publish_revision(revision_id, url=url)


def archive_article(article_id: str, url: str | None = None) -> int:
    """Take an article out of the answers (its revisions stay). Returns the new KB version."""
    with session_scope(url) as session:
        row = session.get(KbArticle, article_id)
        if row is None:
            raise KbError(f"artikel {article_id!r} tidak ditemukan")
        row.status = "archived"
        row.updated_at = _utcnow()
        return _bump_version(session)


def published_articles(url: str | None = None) -> list[Article]:
    """The live text of every published article, parsed (sorted by id). A stored text that no longer
    parses (e.g. the format got stricter) is skipped rather than breaking every answer."""
    with session_scope(url) as session:
        rows = session.execute(
            select(KbArticle.id, KbRevision.markdown, KbRevision.id)
            .join(KbRevision, KbRevision.id == KbArticle.published_revision_id)
            .where(KbArticle.status == "published")
            .order_by(KbArticle.id)
        ).all()
    articles: list[Article] = []
    for article_id, markdown, rev_id in rows:
        try:
            articles.append(parse_article(markdown, source=f"{article_id} (revisi {rev_id})"))
        except ArticleError as exc:
            print(f"[kb] skipped unparsable published revision: {exc}", flush=True)
    return articles


def record_unanswered(text: str, language: str, channel: str, url: str | None = None) -> int:
    """Keep a declined question for the editors, with NIK/passport/phone numbers masked."""
    masked = mask_personal_data(text.strip())[:2000]
    with session_scope(url) as session:
        row = UnansweredQuestion(text=masked, normalised_text=normalise(masked), language=language[:5],
                                 channel=channel[:30])
        session.add(row)
        session.flush()
        return int(row.id)
