"""KB storage: importing files by sha256, editor revisions, the version counter, unanswered questions."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from office.db import session_scope
from office.kb.articles import ArticleError
from office.kb.store import (
    KbArticle,
    KbRevision,
    UnansweredQuestion,
    archive_article,
    current_version,
    load_directory,
    publish_markdown,
    publish_revision,
    published_articles,
    record_unanswered,
    save_revision,
)
from tests.unit.kb_fixtures import ARTICLES, make_db, write_articles


def _live_text(url: str, article_id: str) -> str:
    arts = {a.id: a for a in published_articles(url)}
    return arts[article_id].markdown


def test_load_directory_imports_once_per_file_content(tmp_path: Path) -> None:
    url = make_db(tmp_path)
    kb_dir = write_articles(tmp_path / "kb")
    assert current_version(url) == 0
    first = load_directory(kb_dir, url=url, verbose=False)
    assert sorted(first.created) == ["biaya-paspor", "paspor-anak", "paspor-hilang", "paspor-hilang-en"]
    assert first.version == 1 and current_version(url) == 1
    again = load_directory(kb_dir, url=url, verbose=False)
    assert again.created == [] and again.updated == [] and len(again.unchanged) == 4
    assert again.version == 1  # nothing changed: no new version, no new revisions
    with session_scope(url) as s:
        assert len(s.scalars(select(KbRevision)).all()) == 4


def test_editor_revision_stays_live_until_the_file_changes(tmp_path: Path) -> None:
    url = make_db(tmp_path)
    kb_dir = write_articles(tmp_path / "kb")
    load_directory(kb_dir, url=url, verbose=False)
    edited = ARTICLES["biaya-paspor.md"].replace("Rp950.000", "Rp999.000")
    version = publish_markdown(edited, author="editor1", note="tarif baru", url=url)
    assert version == 2
    assert "Rp999.000" in _live_text(url, "biaya-paspor")

    load_directory(kb_dir, url=url, verbose=False)  # same file: the editor's text stays live
    assert "Rp999.000" in _live_text(url, "biaya-paspor") and current_version(url) == 2

    (kb_dir / "biaya-paspor.md").write_text(ARTICLES["biaya-paspor.md"].replace("Rp950.000", "Rp960.000"))
    report = load_directory(kb_dir, url=url, verbose=False)
    assert report.updated == ["biaya-paspor"] and report.version == 3
    assert "Rp960.000" in _live_text(url, "biaya-paspor")
    with session_scope(url) as s:
        revs = s.scalars(select(KbRevision).where(KbRevision.article_id == "biaya-paspor")
                         .order_by(KbRevision.id)).all()
        assert [(r.source, r.author) for r in revs] == [("file", "file"), ("editor", "editor1"), ("file", "file")]
        assert revs[0].file_sha256 != revs[2].file_sha256 and revs[1].file_sha256 is None


def test_bad_file_is_reported_and_not_imported(tmp_path: Path) -> None:
    url = make_db(tmp_path)
    kb_dir = write_articles(tmp_path / "kb")
    (kb_dir / "paspor-rusak.md").write_text("---\ntopic: paspor-rusak\n---\nteks\n", encoding="utf-8")
    report = load_directory(kb_dir, url=url, verbose=False)
    assert len(report.errors) == 1 and report.errors[0].startswith("paspor-rusak.md:")
    assert "paspor-rusak" not in {a.id for a in published_articles(url)}


def test_draft_review_publish_and_archive(tmp_path: Path) -> None:
    url = make_db(tmp_path)
    with pytest.raises(ArticleError):
        save_revision("bukan artikel", author="editor1", url=url)
    rev = save_revision(ARTICLES["paspor-anak.md"], author="editor1", url=url)
    assert published_articles(url) == [] and current_version(url) == 0
    assert publish_revision(rev, url=url) == 1
    assert [a.id for a in published_articles(url)] == ["paspor-anak"]
    with session_scope(url) as s:
        row = s.get(KbArticle, "paspor-anak")
        assert row.status == "published" and row.published_revision_id == rev
    assert archive_article("paspor-anak", url=url) == 2
    assert published_articles(url) == []


def test_unanswered_questions_are_masked(tmp_path: Path) -> None:
    url = make_db(tmp_path)
    qid = record_unanswered("NIK sy 1801012345670001, no hp 081234567890, kpn paspor jadi?", "id", "whatsapp", url)
    with session_scope(url) as s:
        row = s.get(UnansweredQuestion, qid)
        assert "1801012345670001" not in row.text and "081234567890" not in row.text
        assert "[NIK]" in row.text and row.channel == "whatsapp" and row.resolved_article_id is None
        assert "kapan" in row.normalised_text
