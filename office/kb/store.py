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

import difflib
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from office.db import Base, session_scope
from office.kb.articles import Article, ArticleError, load_article, parse_article
from office.kb.normalise import normalise, tokens
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
    # Set when an editor handled the question (with or without an article answering it).
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


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


# ------------------------------------------------------------------------------------------------
# Editor views: article list, revision history, diff, rollback, unanswered questions
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArticleSummary:
    """One row of the editor's article list. Title, owner and `updated` come from the live revision
    (the newest one when nothing is live); `pending` is the state of a revision newer than the live
    one ("draft" or "review"), so editors see unfinished work on published articles."""

    id: str
    topic: str
    language: str
    status: str
    title: str
    owner: str
    updated: str
    changed_at: datetime
    published_revision_id: int | None
    pending: str | None
    pending_revision_id: int | None
    text: str


@dataclass(frozen=True)
class RevisionInfo:
    """A revision as the history page shows it (a plain copy: no ORM object leaves the session)."""

    id: int
    article_id: str
    state: str
    source: str
    author: str
    created_at: datetime
    note: str
    markdown: str
    live: bool


def _front(markdown: str) -> dict:
    """The front matter as a dict, or {} when it does not parse (a list must not fail on one text)."""
    import frontmatter

    try:
        meta = frontmatter.loads(markdown).metadata
    except Exception:
        return {}
    return dict(meta) if isinstance(meta, dict) else {}


def list_articles(url: str | None = None) -> list[ArticleSummary]:
    """Every article with its title, owner, status and unfinished revision, sorted by id."""
    out: list[ArticleSummary] = []
    with session_scope(url) as session:
        for row in session.scalars(select(KbArticle).order_by(KbArticle.id)):
            newest = session.scalars(select(KbRevision).where(KbRevision.article_id == row.id)
                                     .order_by(KbRevision.id.desc()).limit(1)).first()
            live = session.get(KbRevision, row.published_revision_id) if row.published_revision_id else None
            shown = live or newest
            meta = _front(shown.markdown) if shown is not None else {}
            pending = None
            pending_id = None
            if newest is not None and newest.state in ("draft", "review") and (live is None or newest.id > live.id):
                pending, pending_id = newest.state, int(newest.id)
            out.append(ArticleSummary(
                id=row.id, topic=row.topic, language=row.language, status=row.status,
                title=str(meta.get("title") or row.id), owner=str(meta.get("owner") or ""),
                updated=str(meta.get("updated") or ""), changed_at=row.updated_at,
                published_revision_id=row.published_revision_id, pending=pending, pending_revision_id=pending_id,
                text=shown.markdown if shown is not None else ""))
    return out


def _info(rev: KbRevision, live_id: int | None) -> RevisionInfo:
    return RevisionInfo(id=int(rev.id), article_id=rev.article_id, state=rev.state, source=rev.source,
                        author=rev.author, created_at=rev.created_at, note=rev.note or "", markdown=rev.markdown,
                        live=live_id is not None and int(rev.id) == int(live_id))


def article_revisions(article_id: str, url: str | None = None) -> list[RevisionInfo]:
    """The revisions of one article, newest first (empty for an unknown article)."""
    with session_scope(url) as session:
        row = session.get(KbArticle, article_id)
        if row is None:
            return []
        live = row.published_revision_id if row.status == "published" else None
        revs = session.scalars(select(KbRevision).where(KbRevision.article_id == article_id)
                               .order_by(KbRevision.id.desc())).all()
        return [_info(r, live) for r in revs]


def get_revision(revision_id: int, url: str | None = None) -> RevisionInfo | None:
    """One revision, or None."""
    with session_scope(url) as session:
        rev = session.get(KbRevision, revision_id)
        if rev is None:
            return None
        row = session.get(KbArticle, rev.article_id)
        live = row.published_revision_id if row is not None and row.status == "published" else None
        return _info(rev, live)


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff: kind is "add", "del", "ctx" or "hunk" (the @@ header)."""

    kind: str
    text: str


def diff_texts(old: str, new: str, context: int = 3) -> list[DiffLine]:
    """Unified line diff from `old` to `new` (empty when equal). Plain text: the page escapes it."""
    lines: list[DiffLine] = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=context):
        if line.startswith(("---", "+++")) and not lines:
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            lines.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("del", line[1:]))
        else:
            lines.append(DiffLine("ctx", line[1:] if line.startswith(" ") else line))
    return lines


def rollback_to(revision_id: int, author: str, url: str | None = None) -> tuple[int, int]:
    """Publish the text of an older revision again, as a new revision (history is never rewritten,
    so the rollback itself can be undone). Returns (new revision id, new KB version)."""
    old = get_revision(revision_id, url)
    if old is None:
        raise KbError(f"revisi {revision_id} tidak ditemukan")
    parse_article(old.markdown, source=f"revisi {revision_id}")
    with session_scope(url) as session:
        row = session.get(KbArticle, old.article_id)
        if row is None:  # pragma: no cover - the foreign key makes this impossible
            raise KbError(f"artikel {old.article_id!r} tidak ditemukan")
        rev = KbRevision(article_id=old.article_id, markdown=old.markdown, source="editor", author=author,
                         state="review", note=f"rollback ke revisi {revision_id}")
        session.add(rev)
        session.flush()
        _publish(session, row, rev)
        return int(rev.id), _bump_version(session)


@dataclass(frozen=True)
class UnansweredItem:
    id: int
    text: str
    language: str
    channel: str
    created_at: datetime
    resolved_article_id: str | None
    resolved_at: datetime | None
    resolved_by: str | None


@dataclass
class UnansweredGroup:
    """Similar unanswered questions; `items` newest first, `text` the most recent wording."""

    items: list[UnansweredItem]

    @property
    def ids(self) -> list[int]:
        return [i.id for i in self.items]

    @property
    def text(self) -> str:
        return self.items[0].text

    @property
    def last_at(self) -> datetime:
        return max(i.created_at for i in self.items)

    @property
    def languages(self) -> list[str]:
        return sorted({i.language for i in self.items})


GROUP_THRESHOLD = 0.5


def _similarity(a: set[str], b: set[str]) -> float:
    """Jaccard overlap of two term sets; a question of 3+ terms nearly all contained in a longer one
    ("jam buka kantor sabtu" in "jam buka kantor sabtu, bisa antre jam berapa?") counts as its
    containment share, so extra words do not split a recurring question."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    jaccard = common / len(a | b)
    small = min(len(a), len(b))
    return max(jaccard, common / small) if small >= 3 and common / small >= 0.8 else jaccard


def unanswered_groups(url: str | None = None, include_resolved: bool = False, limit: int = 500,
                      threshold: float = GROUP_THRESHOLD) -> list[UnansweredGroup]:
    """Declined questions grouped by similarity, biggest group first.

    Similarity is the Jaccard overlap (or containment, see _similarity) of the questions' BM25 terms (office.kb.normalise.tokens:
    slang expanded, stop words dropped, stemmed, English office words mapped to Indonesian), so
    "brp biaya bkin paspor" and "berapa biaya membuat paspor?" share a group. Chosen over the
    embeddings because the list must open instantly in the back-office without loading the model,
    and exact wording overlap is what an editor needs to see a recurring question. A question joins
    the group whose terms (the union of its members') it overlaps most, if at least `threshold`."""
    with session_scope(url) as session:
        query = select(UnansweredQuestion).order_by(UnansweredQuestion.created_at.desc(),
                                                    UnansweredQuestion.id.desc()).limit(limit)
        if not include_resolved:
            query = query.where(UnansweredQuestion.resolved_at.is_(None),
                                UnansweredQuestion.resolved_article_id.is_(None))
        rows = [UnansweredItem(id=int(r.id), text=r.text, language=r.language, channel=r.channel,
                               created_at=r.created_at, resolved_article_id=r.resolved_article_id,
                               resolved_at=r.resolved_at, resolved_by=r.resolved_by)
                for r in session.scalars(query)]
    groups: list[tuple[set[str], UnansweredGroup]] = []
    terms_of = {item.id: set(tokens(item.text)) or {item.text.strip().lower()} for item in rows}
    for item in rows:
        terms = terms_of[item.id]
        best, best_sim = None, 0.0
        for i, (gterms, group) in enumerate(groups):
            sim = max(_similarity(terms, gterms), max(_similarity(terms, terms_of[m.id]) for m in group.items))
            if sim > best_sim:
                best, best_sim = i, sim
        if best is not None and best_sim >= threshold:
            groups[best][0].update(terms)
            groups[best][1].items.append(item)
        else:
            groups.append((set(terms), UnansweredGroup(items=[item])))
    result = [g for _, g in groups]
    result.sort(key=lambda g: (-len(g.items), -g.last_at.timestamp()))
    return result


def unanswered_items(ids: list[int], url: str | None = None) -> list[UnansweredItem]:
    """The given unanswered questions (masked text, language ...), in the order given; unknown ids
    skipped. Used to prefill an article's example questions."""
    with session_scope(url) as session:
        found = {int(r.id): UnansweredItem(id=int(r.id), text=r.text, language=r.language, channel=r.channel,
                                           created_at=r.created_at, resolved_article_id=r.resolved_article_id,
                                           resolved_at=r.resolved_at, resolved_by=r.resolved_by)
                 for r in session.scalars(select(UnansweredQuestion).where(UnansweredQuestion.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def unanswered_texts(ids: list[int], url: str | None = None) -> list[str]:
    """The (masked) texts of the given unanswered questions, in the order given; unknown ids skipped."""
    return [item.text for item in unanswered_items(ids, url)]


def resolve_unanswered(ids: list[int], by: str, article_id: str | None = None, url: str | None = None) -> int:
    """Mark questions as handled (optionally by the article that now answers them). Returns how many
    changed; an article id that does not exist is refused."""
    if not ids:
        return 0
    with session_scope(url) as session:
        if article_id is not None and session.get(KbArticle, article_id) is None:
            raise KbError(f"artikel {article_id!r} tidak ditemukan")
        count = 0
        for row in session.scalars(select(UnansweredQuestion).where(UnansweredQuestion.id.in_(ids))):
            if row.resolved_at is not None:
                continue
            row.resolved_at = _utcnow()
            row.resolved_by = by[:64]
            if article_id is not None:
                row.resolved_article_id = article_id
            count += 1
        return count
