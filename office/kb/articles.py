"""Parse and validate knowledge-base articles (Markdown with YAML front matter).

Why a strict parser: the same code loads knowledge_base/*.md at start-up and checks what an editor
submits in the back-office, so a bad file or a bad edit is refused with a message that names the file
and says exactly what is wrong, instead of silently producing an article the bot answers badly from.
The contract is /tmp/setup/kb-format.md (mirrored in the module constants below).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml

REQUIRED_KEYS = ("id", "topic", "title", "service", "language", "tags", "questions", "sources", "updated", "owner")
OPTIONAL_KEYS = ("link", "related")
SERVICES = ("paspor", "izin-tinggal", "pengaduan", "layanan-kantor", "data-pribadi")
LANGUAGES = ("id", "en")
# The topic ids of kb-format.md. Unknown topics are refused: menus and follow-ups refer to these ids.
TOPICS = (
    "paspor-baru-dewasa", "biaya-paspor", "masa-berlaku-paspor", "penggantian-paspor", "paspor-hilang",
    "paspor-rusak", "paspor-anak", "layanan-percepatan", "m-paspor", "lama-proses-paspor",
    "pengambilan-paspor", "layanan-prioritas", "pakaian-dan-foto", "wawancara-paspor", "eazy-passport",
    "paspor-haji-umrah", "paspor-pmi", "e-paspor", "pembayaran-resmi-anti-calo", "saluran-pengaduan",
    "data-pribadi", "wilayah-kerja-kantor", "lapor-wna",
    "voa-evoa", "biaya-itk", "itas", "itap", "overstay", "izin-masuk-kembali", "affidavit-anak-ganda", "splp",
)
MAX_SECTION_CHARS = 650
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HTML_RE = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?\s*>")
TABLE_RE = re.compile(r"^\s*\|.*\|\s*$", re.MULTILINE)


class ArticleError(ValueError):
    """An article that cannot be published; `problems` lists every defect found (not only the first).
    Messages are in Indonesian: the back-office editor shows them to staff as they are."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(frozen=True)
class Section:
    """One answer unit. index 0 is the lead (the text before the first `## `; heading = "")."""

    index: int
    heading: str
    text: str

    @property
    def is_lead(self) -> bool:
        return self.index == 0


@dataclass(frozen=True)
class Article:
    id: str
    topic: str
    title: str
    service: str
    language: str
    tags: tuple[str, ...]
    questions: tuple[str, ...]
    sources: tuple[str, ...]
    updated: dt.date
    owner: str
    link: str | None
    related: tuple[str, ...]
    sections: tuple[Section, ...]
    markdown: str
    source: str = "<editor>"
    warnings: tuple[str, ...] = field(default=())

    @property
    def lead(self) -> Section:
        return self.sections[0]

    def section(self, heading: str) -> Section | None:
        """The section whose heading equals `heading` (case-insensitive), if any."""
        wanted = heading.strip().lower()
        for sec in self.sections:
            if sec.heading.lower() == wanted:
                return sec
        return None


def _as_str_list(value: Any, key: str, problems: list[str], min_items: int = 0) -> tuple[str, ...]:
    if value is None:
        value = []
    if isinstance(value, str):
        problems.append(f"'{key}' harus berupa daftar YAML (mis. [a, b] atau baris '- a'), bukan satu teks")
        return (value,)
    if not isinstance(value, list):
        problems.append(f"'{key}' harus berupa daftar, bukan {type(value).__name__}")
        return ()
    items = []
    for i, item in enumerate(value, 1):
        if not isinstance(item, (str, int, float)) or not str(item).strip():
            problems.append(f"'{key}' butir ke-{i} harus berupa teks yang tidak kosong")
            continue
        items.append(str(item).strip())
    if len(items) < min_items:
        problems.append(f"'{key}' perlu minimal {min_items} butir, ditemukan {len(items)}")
    return tuple(items)


def _parse_date(value: Any, problems: list[str]) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append(f"'updated' harus tanggal dengan format YYYY-MM-DD, bukan {value!r}")
    return dt.date(1970, 1, 1)


def split_sections(body: str) -> tuple[list[Section], list[str]]:
    """Split the body on `## ` headings. Returns the sections (lead first) and the problems found."""
    problems: list[str] = []
    sections: list[Section] = []
    heading = ""
    lines: list[str] = []

    def flush() -> None:
        text = "\n".join(lines).strip()
        idx = len(sections)
        if idx == 0 and not text:
            problems.append("artikel perlu paragraf pembuka: satu atau dua kalimat sebelum judul '## ' pertama")
        elif idx > 0 and not text:
            problems.append(f"bagian '## {heading}' kosong")
        sections.append(Section(index=idx, heading=heading, text=text))

    in_code = False
    for raw in body.splitlines():
        if raw.strip().startswith("```"):
            in_code = not in_code
        if not in_code and raw.startswith("## "):
            flush()
            heading = raw[3:].strip().rstrip("#").strip()
            if not heading:
                problems.append("ada judul '## ' tanpa teks")
            lines = []
        elif not in_code and re.match(r"^#\s", raw):
            problems.append(f"gunakan '## ' untuk judul bagian, bukan '# ' ({raw.strip()[:40]!r})")
            lines.append(raw[2:])
        else:
            lines.append(raw)
    flush()
    headings = [s.heading.lower() for s in sections[1:]]
    for h in sorted({h for h in headings if headings.count(h) > 1}):
        problems.append(f"judul bagian '## {h}' muncul lebih dari sekali")
    return sections, problems


def parse_article(markdown: str, source: str = "<editor>") -> Article:
    """Parse one article; raise ArticleError naming `source` and every problem found."""
    try:
        post = frontmatter.loads(markdown)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (baris {mark.line + 1}, kolom {mark.column + 1})" if mark is not None else ""
        raise ArticleError(source, [f"front matter bukan YAML yang sah{where}: {getattr(exc, 'problem', exc)}"]) from exc
    except Exception as exc:  # frontmatter raises various errors on odd delimiters
        raise ArticleError(source, [f"front matter tidak dapat dibaca: {exc}"]) from exc
    meta = dict(post.metadata)
    if not markdown.lstrip().startswith("---") or not meta:
        raise ArticleError(source, ["berkas harus diawali blok front matter YAML di antara baris '---'"])

    problems: list[str] = []
    warnings: list[str] = []
    missing = [k for k in REQUIRED_KEYS if k not in meta or meta[k] in (None, "", [])]
    if missing:
        problems.append("kunci front matter belum diisi: " + ", ".join(missing))
    unknown = sorted(set(meta) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        problems.append("kunci front matter tidak dikenal: " + ", ".join(unknown) + " (periksa ejaannya)")

    def text_of(key: str) -> str:
        value = meta.get(key)
        if value is None:
            return ""
        if not isinstance(value, (str, int, float)):
            problems.append(f"'{key}' harus berupa teks, bukan {type(value).__name__}")
            return ""
        return str(value).strip()

    art_id, topic, title = text_of("id"), text_of("topic"), text_of("title")
    service, language, owner = text_of("service"), text_of("language"), text_of("owner")
    link = text_of("link") or None
    if art_id and not SLUG_RE.match(art_id):
        problems.append(f"'id' {art_id!r} harus huruf kecil dengan kata dipisah '-'")
    if topic and topic not in TOPICS:
        problems.append(f"'topic' {topic!r} bukan id topik yang dikenal")
    if service and service not in SERVICES:
        problems.append(f"'service' {service!r} harus salah satu dari: {', '.join(SERVICES)}")
    if language and language not in LANGUAGES:
        problems.append(f"'language' {language!r} harus 'id' atau 'en'")
    if art_id and topic and language in LANGUAGES:
        expected = topic if language == "id" else f"{topic}-en"
        if art_id != expected:
            problems.append(f"'id' harus {expected!r} untuk topik {topic!r} berbahasa {language!r}, bukan {art_id!r}")
    if link and not re.match(r"^https?://\S+$", link):
        problems.append(f"'link' harus alamat web yang diawali https://, bukan {link!r}")
    tags = _as_str_list(meta.get("tags"), "tags", problems, 1 if "tags" in meta else 0)
    questions = _as_str_list(meta.get("questions"), "questions", problems, 1 if "questions" in meta else 0)
    sources = _as_str_list(meta.get("sources"), "sources", problems, 1 if "sources" in meta else 0)
    related = _as_str_list(meta.get("related"), "related", problems)
    for rel in related:
        if rel not in TOPICS:
            problems.append(f"topik 'related' {rel!r} bukan id topik yang dikenal")
    updated = _parse_date(meta.get("updated"), problems) if "updated" in meta else dt.date(1970, 1, 1)
    if 0 < len(questions) < 6:
        warnings.append(f"baru {len(questions)} contoh pertanyaan; 6-12 contoh membantu bot mengenali topik")

    body = post.content
    if HTML_RE.search(body):
        problems.append("isi artikel memuat tag HTML; gunakan Markdown biasa (aplikasi chat tidak dapat menampilkan HTML)")
    if TABLE_RE.search(body):
        problems.append("isi artikel memuat tabel; gunakan baris pendek atau butir '- '")
    sections, section_problems = split_sections(body)
    problems.extend(section_problems)
    for sec in sections:
        if len(sec.text) > MAX_SECTION_CHARS:
            name = "paragraf pembuka" if sec.is_lead else f"bagian '## {sec.heading}'"
            warnings.append(f"{name} berisi {len(sec.text)} karakter; chat menampilkan paling banyak sekitar "
                            f"{MAX_SECTION_CHARS}, sisanya dipotong")
    if problems:
        raise ArticleError(source, problems)
    return Article(
        id=art_id, topic=topic, title=title, service=service, language=language, tags=tags,
        questions=questions, sources=sources, updated=updated, owner=owner, link=link, related=related,
        sections=tuple(sections), markdown=markdown, source=source, warnings=tuple(warnings),
    )


def load_article(path: str | Path) -> Article:
    """Read and parse one file; the file name must be `<topic>.md` or `<topic>.en.md`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(path.name, [f"berkas bukan teks UTF-8 ({exc.reason})"]) from exc
    article = parse_article(text, source=path.name)
    expected = f"{article.topic}.md" if article.language == "id" else f"{article.topic}.en.md"
    if path.name != expected:
        raise ArticleError(path.name, [f"nama berkas harus {expected!r} untuk topik {article.topic!r} "
                                       f"berbahasa {article.language!r}"])
    return article


def load_articles(directory: str | Path) -> tuple[list[Article], list[ArticleError]]:
    """Parse every *.md in `directory` (sorted). Bad files are returned as errors, not raised, so one
    broken article does not take the whole knowledge base down."""
    articles: list[Article] = []
    errors: list[ArticleError] = []
    seen: dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            art = load_article(path)
        except ArticleError as exc:
            errors.append(exc)
            continue
        if art.id in seen:
            errors.append(ArticleError(path.name, [f"id {art.id!r} sudah dipakai oleh {seen[art.id]}"]))
            continue
        seen[art.id] = path.name
        articles.append(art)
    return articles, errors
