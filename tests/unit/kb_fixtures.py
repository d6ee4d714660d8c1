"""Small, self-made knowledge-base articles for the test_kb_* tests (not the real knowledge_base/)."""
from __future__ import annotations

from pathlib import Path

import office.models  # noqa: F401  (register every table)
from office.db import Base, get_engine


def article_md(topic: str, title: str, lead: str, sections: dict[str, str], questions: list[str],
               language: str = "id", related: list[str] | None = None, updated: str = "2026-12-07",
               tags: list[str] | None = None) -> str:
    art_id = topic if language == "id" else f"{topic}-en"
    body = lead + "\n" + "".join(f"\n## {h}\n{t}\n" for h, t in sections.items())
    q = "".join(f"  - {x}\n" for x in questions)
    rel = f"related: [{', '.join(related)}]\n" if related else ""
    return (f"---\nid: {art_id}\ntopic: {topic}\ntitle: {title}\nservice: paspor\nlanguage: {language}\n"
            f"tags: [{', '.join(tags or [title.lower()])}]\nquestions:\n{q}"
            f"sources:\n  - \"PP 45/2024, https://imigrasi.go.id/biaya_imigrasi\"\nupdated: {updated}\n"
            f"owner: Seksi Lalu Lintas Keimigrasian\nlink: https://imigrasi.go.id/biaya_imigrasi\n{rel}---\n{body}")


ARTICLES: dict[str, str] = {
    "biaya-paspor.md": article_md(
        "biaya-paspor", "Biaya paspor",
        "Tarif paspor mengikuti PP 45/2024: e-paspor 10 tahun Rp950.000 dan e-paspor 5 tahun Rp650.000.",
        {"Tarif paspor biasa": "E-paspor 10 tahun Rp950.000; e-paspor 5 tahun Rp650.000.\n"
                               "- Paspor non-elektronik 5 tahun Rp350.000.",
         "Biaya tambahan": "Layanan percepatan menambah Rp1.000.000 di luar tarif paspor."},
        ["berapa biaya paspor?", "brp harga paspor skrg min", "tarif e-paspor 10 tahun berapa",
         "biaya bikin paspor berapa", "harga paspor 5 tahun", "paspor 950rb ya?"],
        related=["paspor-hilang", "paspor-anak"], tags=["biaya paspor", "tarif paspor", "harga paspor"]),
    "paspor-hilang.md": article_md(
        "paspor-hilang", "Paspor hilang",
        "Paspor yang hilang diganti dengan paspor baru setelah pemeriksaan (BAP) di kantor imigrasi.",
        {"Biaya paspor hilang": "Biaya beban paspor hilang Rp1.000.000, ditambah tarif paspor baru.",
         "Dokumen untuk paspor hilang": "Bawa surat keterangan hilang dari kepolisian, KTP, dan kartu keluarga.\n"
                                        "- Datang sendiri untuk pemeriksaan BAP.",
         "Paspor hilang di luar negeri": "Jika paspor hilang di luar negeri, hubungi KBRI atau KJRI terdekat."},
        ["paspor saya hilang bagaimana?", "paspor sy ilang gmn min", "kehilangan paspor harus bawa apa",
         "denda paspor hilang berapa", "paspor hilang di luar negeri", "surat kehilangan paspor dari polisi"],
        related=["biaya-paspor"], tags=["paspor hilang", "kehilangan", "BAP"]),
    "paspor-anak.md": article_md(
        "paspor-anak", "Paspor anak",
        "Anak di bawah 17 tahun mendapat paspor 5 tahun dan wajib didampingi kedua orang tua.",
        {"Dokumen paspor anak": "Bawa akta kelahiran anak, kartu keluarga, KTP kedua orang tua dan buku nikah.",
         "Biaya paspor anak": "Paspor anak berlaku 5 tahun dengan tarif e-paspor Rp650.000."},
        ["syarat paspor anak apa saja", "bikin paspor buat bayi gmn", "paspor anak umur 5 tahun",
         "anak sy mau bikin paspor", "biaya paspor anak berapa", "paspor balita harus bawa apa"],
        related=["biaya-paspor"], tags=["paspor anak", "bayi", "balita"]),
    "paspor-hilang.en.md": article_md(
        "paspor-hilang", "Lost passport",
        "A lost passport is replaced after an examination (BAP) at the immigration office.",
        {"Lost passport fee": "The lost-passport charge is Rp1.000.000, plus the fee for the new passport.",
         "Documents for a lost passport": "Bring the police loss report, your KTP and family card."},
        ["I lost my passport, what should I do?", "lost passport fee", "what to bring for a lost passport",
         "my passport was stolen", "replace lost passport", "lost passport police report"],
        language="en", related=["biaya-paspor"], tags=["lost passport"]),
}


def write_articles(directory: Path, articles: dict[str, str] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in (articles or ARTICLES).items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def make_db(tmp_path: Path, name: str = "kb.db") -> str:
    url = f"sqlite:///{tmp_path / name}"
    Base.metadata.create_all(get_engine(url))
    return url
