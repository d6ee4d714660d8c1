"""Parsing and validation of knowledge-base articles: good files load, bad ones are refused with
messages that name the file and the defect."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from office.kb.articles import ArticleError, load_article, load_articles, parse_article
from tests.unit.kb_fixtures import ARTICLES, article_md, write_articles


def test_parses_front_matter_and_sections(tmp_path: Path) -> None:
    write_articles(tmp_path)
    art = load_article(tmp_path / "paspor-hilang.md")
    assert art.id == "paspor-hilang" and art.topic == "paspor-hilang" and art.language == "id"
    assert art.updated == dt.date(2026, 12, 7)
    assert [s.heading for s in art.sections] == ["", "Biaya paspor hilang", "Dokumen untuk paspor hilang",
                                                  "Paspor hilang di luar negeri"]
    assert art.lead.is_lead and "BAP" in art.lead.text
    assert art.section("biaya paspor hilang").text.startswith("Biaya beban paspor hilang Rp1.000.000")
    assert "- Datang sendiri" in art.sections[2].text
    assert art.related == ("biaya-paspor",)


def test_missing_keys_are_all_listed() -> None:
    md = "---\nid: paspor-hilang\ntopic: paspor-hilang\nlanguage: id\n---\nPembuka.\n\n## Biaya\nRp1.000.000.\n"
    with pytest.raises(ArticleError) as err:
        parse_article(md, source="paspor-hilang.md")
    msg = str(err.value)
    assert msg.startswith("paspor-hilang.md:")
    for key in ("title", "service", "questions", "sources", "updated", "owner"):
        assert key in msg


def test_invalid_yaml_names_the_line() -> None:
    md = "---\nid: paspor-hilang\ntitle: [unclosed\n---\nTeks.\n"
    with pytest.raises(ArticleError) as err:
        parse_article(md, source="rusak.md")
    assert "rusak.md" in str(err.value) and "YAML" in str(err.value) and "baris" in str(err.value)


def test_no_front_matter_is_refused() -> None:
    with pytest.raises(ArticleError) as err:
        parse_article("# Judul\nTeks saja.\n", source="x.md")
    assert "front matter" in str(err.value)


def test_wrong_values_and_body_defects() -> None:
    md = ARTICLES["biaya-paspor.md"].replace("language: id", "language: fr").replace(
        "## Biaya tambahan\n", "## Biaya tambahan\n\n## Kosong\n<b>tebal</b>\n| a | b |\n")
    with pytest.raises(ArticleError) as err:
        parse_article(md, source="biaya-paspor.md")
    problems = err.value.problems
    assert any("'language'" in p for p in problems)
    assert any("HTML" in p for p in problems)
    assert any("tabel" in p for p in problems)
    assert any("Biaya tambahan" in p and "kosong" in p for p in problems)


def test_english_id_must_end_in_en_and_file_name_must_match(tmp_path: Path) -> None:
    md = ARTICLES["paspor-hilang.en.md"].replace("id: paspor-hilang-en", "id: paspor-hilang")
    with pytest.raises(ArticleError) as err:
        parse_article(md)
    assert "paspor-hilang-en" in str(err.value)
    (tmp_path / "salah-nama.md").write_text(ARTICLES["biaya-paspor.md"], encoding="utf-8")
    with pytest.raises(ArticleError) as err2:
        load_article(tmp_path / "salah-nama.md")
    assert "salah-nama.md" in str(err2.value) and "biaya-paspor.md" in str(err2.value)


def test_unknown_topic_and_missing_lead() -> None:
    md = article_md("biaya-paspor", "Biaya", "", {"Tarif": "Rp950.000"}, ["a"] * 6).replace(
        "topic: biaya-paspor", "topic: paspor-bulan")
    with pytest.raises(ArticleError) as err:
        parse_article(md)
    text = str(err.value)
    assert "paspor-bulan" in text and "pembuka" in text


def test_long_sections_and_few_questions_are_warnings_not_errors() -> None:
    md = article_md("biaya-paspor", "Biaya paspor", "Pembuka.", {"Tarif": "Rp950.000. " * 80}, ["satu", "dua"])
    art = parse_article(md)
    assert any("Tarif" in w and "karakter" in w for w in art.warnings)
    assert any("contoh pertanyaan" in w for w in art.warnings)


def test_load_articles_reports_bad_files_and_keeps_good_ones(tmp_path: Path) -> None:
    write_articles(tmp_path)
    (tmp_path / "paspor-rusak.md").write_text("---\nid: [\n---\n", encoding="utf-8")
    articles, errors = load_articles(tmp_path)
    assert sorted(a.id for a in articles) == ["biaya-paspor", "paspor-anak", "paspor-hilang", "paspor-hilang-en"]
    assert len(errors) == 1 and errors[0].source == "paspor-rusak.md"
