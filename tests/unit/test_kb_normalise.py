"""The informal-Indonesian normaliser and the BM25 tokeniser."""
from __future__ import annotations

from office.kb.normalise import normalise, stem, tokens


def test_chat_abbreviations_and_particles() -> None:
    assert normalise("paspor sy ilang gmn min") == "paspor saya hilang bagaimana"
    assert normalise("brp biaya bkin pasport skrg kak?") == "berapa biaya buat paspor sekarang"
    assert normalise("gk bs dtg hari senin dong") == "tidak bisa datang hari senin"
    assert normalise("udh 2 thn blm diambil sih") == "sudah 2 tahun belum diambil"
    assert normalise("Bikin paspr utk org tua dgn kursi roda") == "buat paspor untuk orang tua dengan kursi roda"


def test_numbers_are_unified() -> None:
    assert normalise("Biaya e-paspor Rp950.000") == "biaya e-paspor 950000"
    assert normalise("katanya 950rb") == "katanya 950000"
    assert normalise("sembilan ratus lima puluh ribu") == "950000"
    assert normalise("satu juta") == "1000000"
    assert normalise("1,5 jt") == "1500000"
    assert normalise("paspor sepuluh tahun") == "paspor 10 tahun"
    assert normalise("dua belas tahun") == "12 tahun"
    assert normalise("paspor 5thn") == "paspor 5 tahun"


def test_repeated_letters_and_reduplication() -> None:
    assert normalise("pasporrrr hilanggg!!!") == "paspor hilang"
    assert normalise("syarat2nya apa aja") != ""
    assert normalise("syarat2 paspor") == "syarat paspor"


def test_tokens_drop_stop_words_and_join_e_prefix() -> None:
    assert tokens("Bagaimana cara membuat e-paspor untuk saya?") == ["buat", "epaspor"]
    assert "10" in tokens("What is the fee for a 10-year e-passport?")
    assert tokens("min udh makan blm?") == ["makan"]


def test_stemmer_is_conservative() -> None:
    assert stem("menggunakan") == "guna"
    assert stem("pembayaran") == "bayar"
    assert stem("paspor") == "paspor"
    assert stem("kemarin") == "kemarin"  # not "marin": no suffix or verbal prefix
    assert stem("biaya") == "biaya"


def test_bare_berapa_asks_for_the_price() -> None:
    # "berapa" that counts nothing asks for a price; with a measure word it asks about the measure
    assert tokens("Min, bikin paspor sekarang berapa?") == ["buat", "paspor", "biaya"]
    assert "biaya" not in tokens("Jadinya berapa hari?")
    assert "biaya" not in tokens("umur berapa bisa paspor 10 tahun")
    assert tokens("berapa biaya paspor").count("biaya") == 1  # a fee word already says it
    assert "biaya" in tokens("how much is a re-entry permit")
    assert "biaya" not in tokens("how much time does it take")


def test_glossary_applies_to_hyphenated_and_new_english_words() -> None:
    assert tokens("Do e-passport holders need a visa for Japan?") == ["epaspor", "pegang", "visa", "jepang"]
    assert "pmi" in tokens("first-time migrant workers") and "kerja" in tokens("first-time migrant workers")
    assert tokens("Can someone else pick up my passport?") == ["orang", "lain", "ambil", "paspor"]
    assert tokens("passport on the same day") == tokens("paspor sehari jadi")  # one phrase, one term


def test_colloquial_forms() -> None:
    assert normalise("persyaratn paspor bru apa sj") == "persyaratan paspor baru apa saja"
    assert normalise("sy blm pny paspor") == "saya belum punya paspor"
    assert stem("nawarin") == "tawar" and stem("ngurusin") == "urus" and stem("ngelaporin") == "lapor"
    assert stem("nungguin") == "tunggu"
    assert stem("nanti") == "nanti" and stem("nama") == "nama"  # no "-in": untouched
    assert tokens("jadinya gimana caranya") == []  # "-nya" on a stop word is still a stop word
