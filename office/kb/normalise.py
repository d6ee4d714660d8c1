"""Normaliser for informal Indonesian (and plain English) chat text, used by knowledge-base retrieval.

Why: citizens write "paspor sy ilang gmn min", "brp biaya bkin pasport", "950rb". The embedding model
and BM25 both match better on "paspor saya hilang bagaimana", "berapa biaya buat paspor", "950000".
The rules below are general chat-Indonesian conventions (abbreviations, dropped particles, common typos
of office vocabulary, number words), not tuned to particular questions.

- `normalise(text)` -> lowercase, expanded, punctuation-free text (readable; fed to the embedder).
- `tokens(text)` -> BM25 terms: normalised words minus stop words, lightly stemmed.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Chat abbreviations and colloquial forms -> standard Indonesian. Keys are whole words (lowercase).
SLANG: dict[str, str] = {
    # question words
    "gmn": "bagaimana", "gmna": "bagaimana", "gimana": "bagaimana", "gmana": "bagaimana", "bgmn": "bagaimana",
    "bagaimna": "bagaimana", "gmnh": "bagaimana", "gimna": "bagaimana",
    "brp": "berapa", "brapa": "berapa", "berapah": "berapa", "brpa": "berapa", "bpa": "berapa",
    "dmn": "dimana", "dmna": "dimana", "mana": "mana", "kmn": "kemana", "kmna": "kemana",
    "kpn": "kapan", "kpan": "kapan", "knp": "kenapa", "napa": "kenapa", "ngapain": "mengapa",
    "apa2": "apa saja", "ap": "apa", "pa": "apa",
    # pronouns and people
    "sy": "saya", "sya": "saya", "aku": "saya", "aq": "saya", "ak": "saya", "gw": "saya", "gue": "saya",
    "gua": "saya", "w": "saya", "km": "kamu", "kmu": "kamu", "lu": "kamu", "lo": "kamu",
    "org": "orang", "ortu": "orang tua", "bpk": "bapak", "pak": "bapak", "bu": "ibu", "kel": "keluarga",
    "ank": "anak", "anakku": "anak saya", "istri": "istri", "suami": "suami", "bini": "istri",
    # negation and aspect
    "gk": "tidak", "ga": "tidak", "gak": "tidak", "ngga": "tidak", "nggak": "tidak", "engga": "tidak",
    "enggak": "tidak", "g": "tidak", "tdk": "tidak", "tak": "tidak", "kagak": "tidak", "ndak": "tidak",
    "gx": "tidak", "gag": "tidak",
    "blm": "belum", "blom": "belum", "belom": "belum", "lom": "belum",
    "udh": "sudah", "udah": "sudah", "sdh": "sudah", "dah": "sudah", "uda": "sudah", "sudh": "sudah",
    "lg": "lagi", "lgi": "lagi", "msh": "masih", "masi": "masih", "mash": "masih",
    "bs": "bisa", "bsa": "bisa", "bisakah": "bisa", "hrs": "harus", "hrus": "harus", "musti": "harus",
    "mesti": "harus", "mau": "mau", "mo": "mau", "pengen": "ingin", "pingin": "ingin", "pgn": "ingin",
    "bakal": "akan", "ntar": "nanti", "nnti": "nanti", "skrg": "sekarang", "skr": "sekarang",
    "skrang": "sekarang", "sekarng": "sekarang", "kmrn": "kemarin", "kmarin": "kemarin", "bsk": "besok",
    "sblm": "sebelum", "stlh": "setelah", "abis": "habis", "abs": "habis",
    # function words
    "dgn": "dengan", "dg": "dengan", "sm": "sama", "ama": "sama", "utk": "untuk", "untk": "untuk",
    "buat": "buat", "yg": "yang", "yng": "yang", "dr": "dari", "dri": "dari", "krn": "karena",
    "karna": "karena", "soalnya": "karena", "tp": "tapi", "tpi": "tapi", "trs": "terus", "trus": "terus",
    "jd": "jadi", "jdi": "jadi", "aja": "saja", "aj": "saja", "ja": "saja", "sj": "saja", "kalo": "kalau",
    "klo": "kalau", "kl": "kalau", "klu": "kalau", "kalu": "kalau", "dlm": "dalam", "pd": "pada",
    "spt": "seperti", "kyk": "seperti", "kayak": "seperti", "kaya": "seperti", "tsb": "tersebut",
    "dll": "dan lain lain", "dsb": "dan sebagainya", "bbrp": "beberapa", "sampe": "sampai",
    "smpe": "sampai", "smp": "sampai", "ampe": "sampai", "lbh": "lebih", "krg": "kurang", "byk": "banyak",
    "bnyk": "banyak", "emg": "memang", "emang": "memang", "gpp": "tidak apa apa", "ok": "oke", "bener": "benar", "bnr": "benar", "blg": "bilang", "bilg": "bilang",
    "nih": "", "tuh": "itu", "gt": "begitu", "gitu": "begitu", "gini": "begini", "bgt": "sekali",
    "banget": "sekali", "dapet": "dapat", "dpt": "dapat", "dapt": "dapat", "tau": "tahu", "tw": "tahu",
    "ngerti": "mengerti", "pake": "pakai", "pk": "pakai", "makasih": "terima kasih", "mksh": "terima kasih",
    "thx": "terima kasih", "tq": "terima kasih",
    # verbs (colloquial)
    "bikin": "buat", "bkin": "buat", "bikinnya": "buatnya", "bkn": "buat", "ngurus": "urus",
    "ngurusnya": "urus", "ngurusin": "urus", "ngadu": "adu", "ngelapor": "lapor", "ngelaporin": "lapor",
    "lapor": "lapor", "nanya": "tanya", "tny": "tanya", "nyari": "cari", "ambil": "ambil", "ngambil": "ambil",
    "dtg": "datang", "dateng": "datang", "nunggu": "tunggu", "ngantri": "antri", "antre": "antri",
    "ilang": "hilang", "ilng": "hilang", "hlg": "hilang", "hlang": "hilang", "kelangan": "kehilangan",
    "ketinggalan": "tertinggal", "rusak": "rusak", "sobek": "robek", "kesiram": "basah", "kebasahan": "basah",
    "perpanjang": "perpanjang", "perpanjng": "perpanjang", "panjangin": "perpanjang", "ganti": "ganti",
    "bayarnya": "bayar", "byr": "bayar", "bayar": "bayar", "daftar": "daftar", "dftr": "daftar",
    "kirim": "kirim", "krm": "kirim", "tlg": "tolong", "tolg": "tolong", "mnt": "minta",
    # nouns and office vocabulary, frequent typos
    "pasport": "paspor", "paspr": "paspor", "pasprt": "paspor", "passpor": "paspor",
    "pasfor": "paspor", "paspot": "paspor", "pspr": "paspor", "psp": "paspor", "pasporr": "paspor",
    "paspornya": "paspor", "pasportnya": "paspor", "paspr nya": "paspor",
    "imigrasi": "imigrasi", "imgrasi": "imigrasi", "imigras": "imigrasi", "imi": "imigrasi",
    "kanim": "kantor imigrasi", "ktr": "kantor", "kntr": "kantor", "kantr": "kantor",
    "syarat2": "syarat", "syrt": "syarat", "srt": "surat", "persyaratn": "persyaratan",
    "persaratan": "persyaratan", "sarat": "syarat", "dok": "dokumen", "dokumn": "dokumen",
    "berkas2": "berkas", "akte": "akta", "akta2": "akta", "ktp2": "ktp", "e-ktp": "ktp", "ektp": "ktp",
    "kartu keluarga": "kk", "bku": "buku", "biayanya": "biaya", "biyaya": "biaya", "biaya2": "biaya",
    "biyanya": "biaya", "hrg": "harga", "harganya": "harga", "tarifnya": "tarif", "ongkos": "biaya",
    "duit": "uang", "duid": "uang", "wkt": "waktu", "wktu": "waktu", "lamanya": "lama",
    "hr": "hari", "hri": "hari", "mgg": "minggu", "mggu": "minggu", "bln": "bulan", "bulan2": "bulan",
    "th": "tahun", "thn": "tahun", "tahunan": "tahun", "taun": "tahun", "thun": "tahun", "tahn": "tahun",
    "jam": "jam", "jm": "jam", "no": "nomor", "nmr": "nomor", "nomer": "nomor", "hp": "ponsel",
    "wa": "whatsapp", "ig": "instagram", "fb": "facebook", "web": "situs", "website": "situs",
    "online": "daring", "onlen": "daring", "ol": "daring", "app": "aplikasi", "apk": "aplikasi",
    "aplikasinya": "aplikasi", "mpaspor": "m-paspor", "m-pasport": "m-paspor", "mpasport": "m-paspor",
    "epaspor": "e-paspor", "e-pasport": "e-paspor", "epasport": "e-paspor", "elektonik": "elektronik",
    "elektrik": "elektronik", "lns": "luar negeri", "ln": "luar negeri", "luar negri": "luar negeri",
    "negri": "negeri", "tki": "pmi", "tkw": "pmi", "umroh": "umrah", "umrahnya": "umrah", "haji2": "haji",
    "jemput": "ambil", "kadaluarsa": "kedaluwarsa", "kadaluwarsa": "kedaluwarsa", "kdaluarsa": "kedaluwarsa",
    "expired": "kedaluwarsa", "exp": "kedaluwarsa", "mati": "habis", "abisnya": "habis",
    "bayi2": "bayi", "balita2": "balita", "anak2": "anak", "bocah": "anak", "dewasa": "dewasa",
    "pengaduan2": "pengaduan", "komplain": "pengaduan", "complain": "pengaduan", "aduan": "pengaduan",
    "calo2": "calo", "pungli": "pungutan liar", "sogok": "suap", "nyogok": "suap",
    "foto2": "foto", "poto": "foto", "photo": "foto", "baju": "pakaian", "jilbab": "jilbab",
    "wawancaranya": "wawancara", "interview": "wawancara", "antrian": "antrian", "antrean": "antrian",
    "jdwl": "jadwal", "jadwl": "jadwal", "resch": "jadwal ulang", "reschedule": "jadwal ulang",
    "refund": "pengembalian uang", "wna": "wna", "wni": "wni", "bule": "wna",
    "visa": "visa", "vis": "visa", "voa": "voa", "evoa": "e-voa", "kitas": "itas", "kitap": "itap",
    "ovrstay": "overstay", "overstey": "overstay",
    # vowel-dropped and colloquial forms of common words
    "bru": "baru", "br": "baru", "pny": "punya", "pnya": "punya", "py": "punya",
    "ketauan": "ketahuan", "tauk": "tahu", "ngaku": "mengaku", "ngaku2": "mengaku", "sendal": "sandal",
    "kaos": "kaus", "gmbr": "gambar", "hrsnya": "harusnya", "sblmnya": "sebelumnya", "stlhnya": "setelahnya",
    "kerjaan": "pekerjaan", "krja": "kerja", "kuliah": "kuliah", "nikah": "menikah", "cerai": "cerai",
    "pindah": "pindah", "pulkam": "pulang kampung", "balik": "kembali", "telat": "terlambat",
    "lupa": "lupa", "disini": "di sini", "dsni": "di sini", "dsn": "di sana", "kesini": "ke sini",
}

# English multi-word expressions with one Indonesian equivalent (before words are split).
PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b{src}\b"), dst) for src, dst in (
        ("same[ -]day", "sehari jadi"), ("walk[ -]in", "walk-in"), ("re[ -]entry", "reentry"),
        ("pick(?:ed)? up", "ambil"), ("stay permit", "izin tinggal"), ("on arrival", "on-arrival")))

# Conversational particles and greetings that carry no meaning for retrieval.
PARTICLES = {
    "min", "mimin", "admin", "kak", "kaka", "kakak", "ka", "gan", "agan", "sis", "bro", "bang", "mas", "mba",
    "mbak", "bos", "boss", "sih", "si", "dong", "donk", "deh", "nih", "nah", "kok", "ya", "yah", "yaa", "yak",
    "kan", "loh", "lho", "dah", "toh", "hehe", "hihi", "wkwk", "wkwkwk", "haha", "please", "pls", "plis",
    "halo", "hallo", "hai", "hi", "hello", "pagi", "siang", "sore", "malam", "selamat", "permisi",
    "assalamualaikum", "ass", "salam", "mohon", "info", "infonya", "tanya", "nanya", "mau", "tolong", "ok",
    "oke", "kah", "lah", "pun", "ah", "eh", "oh", "hmm", "sob", "bund", "bunda", "om", "tante",
}

NUMBER_WORDS = {
    "nol": 0, "satu": 1, "se": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
    "delapan": 8, "sembilan": 9, "sepuluh": 10, "sebelas": 11, "seratus": 100, "seribu": 1000,
    "sejuta": 1_000_000,
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "sixty": 60, "ninety": 90, "hundred": 100,
}
MULTIPLIERS = {"belas": None, "puluh": 10, "ratus": 100, "ribu": 1000, "rb": 1000, "rban": 1000, "k": 1000,
               "juta": 1_000_000, "jt": 1_000_000, "jutaan": 1_000_000, "thousand": 1000,
               "million": 1_000_000, "hundred": 100}

STOPWORDS_ID = {
    "yang", "dan", "di", "ke", "dari", "untuk", "dengan", "pada", "dalam", "ini", "itu", "ada", "adalah",
    "atau", "juga", "akan", "sudah", "belum", "saya", "kami", "kita", "anda", "kamu", "dia", "mereka",
    "apa", "apakah", "bagaimana", "gimana", "berapa", "kapan", "dimana", "mana", "siapa", "kenapa",
    "mengapa", "bisa", "dapat", "harus", "boleh", "perlu", "mau", "ingin", "sih", "saja", "lagi", "masih",
    "kalau", "jika", "kalo", "sama", "tapi", "tetapi", "terus", "jadi", "karena", "agar", "supaya", "oleh",
    "para", "nya", "pun", "lah", "kah", "tersebut", "sebagai", "seperti", "begitu", "begini", "sangat",
    "sekali", "lebih", "kurang", "hal", "cara", "caranya", "bapak", "ibu", "tolong", "mohon", "tanya",
    "apa saja", "tidak", "nggak", "ya", "sebelum", "setelah", "sampai", "tentang", "bagi", "kepada",
    "oleh", "per", "hanya", "cuma", "sudahkah", "maka", "lalu", "kemudian", "dulu", "sekarang", "nanti",
    "gak", "ok", "oke", "the", "a", "an", "is", "are", "was", "were", "be", "been", "do", "does", "did",
    "i", "my", "me", "we", "our", "you", "your", "it", "its", "to", "of", "in", "on", "for", "at", "by",
    "with", "and", "or", "can", "could", "should", "would", "will", "how", "what", "which", "who", "when",
    "where", "why", "much", "many", "there", "this", "that", "these", "those", "have", "has", "had",
    "if", "about", "from", "as", "so", "get", "need", "want", "please", "any", "am",
}

_PUNCT_RE = re.compile(r"[^\w\s\-/]", re.UNICODE)
_SPACE_RE = re.compile(r"\s+")
_REPEAT_RE = re.compile(r"([a-z])\1{2,}")  # "pasporrrr" -> "paspor", "bisaaa" -> "bisa"
_MONEY_RE = re.compile(r"\brp\.?\s*(\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,]-)?")
_THOUSANDS_RE = re.compile(r"\b(\d{1,3}(?:\.\d{3})+)\b")
_NUM_SUFFIX_RE = re.compile(r"\b(\d+(?:[.,]\d+)?)\s?(rb|ribu|k|jt|juta)\b")
_DIGIT_WORD_RE = re.compile(r"\b(\d+)([a-z]{2,})\b")  # "5thn" -> "5 thn", "10tahun" -> "10 tahun"
_REDUP_RE = re.compile(r"\b(\w{2,})2\b")  # "syarat2" -> "syarat" (Indonesian reduplication shorthand)


def _money_to_digits(match: re.Match[str]) -> str:
    return match.group(1).replace(".", "").replace(",", "")


def _suffix_number(match: re.Match[str]) -> str:
    value = float(match.group(1).replace(",", "."))
    mult = 1_000_000 if match.group(2) in ("jt", "juta") else 1000
    return str(int(round(value * mult)))


def _number_words(words: list[str]) -> list[str]:
    """Turn runs like "sembilan ratus lima puluh ribu" into "950000" and "sepuluh tahun" into "10 tahun"."""
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        starts = (w in NUMBER_WORDS and w != "se") or (
            w.isdigit() and i + 1 < len(words) and words[i + 1] in MULTIPLIERS and words[i + 1] != "k")
        if not starts:
            out.append(w)
            i += 1
            continue
        total, current, last, j = 0, 0, 0, i
        while j < len(words):
            t = words[j]
            if t in NUMBER_WORDS and t != "se" and not (t == "hundred" and j > i):
                last = NUMBER_WORDS[t]
                current += last
            elif t.isdigit() and j == i:
                last = int(t)
                current += last
            elif j > i and t == "belas":
                current += 10
                last = 0
            elif j > i and t in ("puluh", "ratus", "hundred"):
                mult = 10 if t == "puluh" else 100
                current += last * (mult - 1) if last else 0
                last = 0
            elif j > i and t in MULTIPLIERS and (MULTIPLIERS[t] or 0) >= 1000:
                total += max(current, 1) * MULTIPLIERS[t]  # type: ignore[operator]
                current, last = 0, 0
            else:
                break
            j += 1
        out.append(str(total + current))
        i = j
    return out


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Lowercase, NFKC, expand chat abbreviations, fix frequent typos, drop particles, unify numbers
    ("Rp950.000", "950rb", "sembilan ratus lima puluh ribu" -> "950000"). Returns readable words."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("’", "'").replace("`", "'")
    text = _MONEY_RE.sub(_money_to_digits, text)
    text = _THOUSANDS_RE.sub(lambda m: m.group(1).replace(".", ""), text)
    text = _NUM_SUFFIX_RE.sub(_suffix_number, text)
    text = _DIGIT_WORD_RE.sub(r"\1 \2", text)
    text = _REDUP_RE.sub(r"\1", text)
    for pattern, replacement in PHRASES:
        text = pattern.sub(replacement, text)
    text = _PUNCT_RE.sub(" ", text)
    text = _REPEAT_RE.sub(r"\1", text)
    words: list[str] = []
    for raw in text.replace("/", " / ").split():
        w = raw.strip("-/")
        if not w:
            continue
        if w in PARTICLES and w not in SLANG:
            continue
        mapped = SLANG.get(w)
        if mapped is None and w.endswith("nya") and len(w) > 5 and w[:-3] in SLANG:
            mapped = SLANG[w[:-3]]  # "biayanya" handled above; "pasportnya" -> paspor
        if mapped is None:
            words.append(w)
        elif mapped:
            words.extend(mapped.split())
    words = _number_words(words)
    return _SPACE_RE.sub(" ", " ".join(words)).strip()


# --- light stemming for BM25 -------------------------------------------------------------------------
_SUFFIXES = ("nya", "lah", "kah", "pun", "kan", "an", "i")
_PREFIXES = (("meng", ""), ("meny", "s"), ("mem", "p"), ("men", "t"), ("me", ""), ("peng", ""),
             ("peny", "s"), ("pem", "p"), ("pen", "t"), ("per", ""), ("pe", ""), ("ber", ""), ("be", ""),
             ("ter", ""), ("di", ""), ("ke", ""), ("se", ""))
_KEEP = {"paspor", "imigrasi", "kantor", "biaya", "layanan", "pelayanan", "negeri", "keluarga", "kawin",
         "pernikahan", "perkawinan", "hilang", "kehilangan", "bayi", "balita", "menikah", "peraturan",
         "pengaduan", "percepatan", "perpanjangan", "penggantian", "pengambilan", "penerbitan",
         "persyaratan", "kedaluwarsa", "kedutaan", "keterangan", "kelahiran", "berlaku", "terbit",
         "dewasa", "sendiri", "sidik", "sekolah", "selesai", "setiap", "senin", "selasa", "sabtu",
         "kamis", "jumat", "minggu", "rabu", "harian", "pesan", "berapa", "berkas", "bencana", "tertentu",
         "data", "anak", "umrah", "haji", "online", "daring", "bandara", "tiket"}


def _has_indonesian_affix(word: str) -> bool:
    """Only touch words that look affixed; the stripped stem must still contain a vowel pair pattern."""
    return bool(re.search(r"(kan|an|i|nya|lah|kah)$", word) or re.match(r"^(me|pe|ber|ter|di)", word))


def _colloquial_verb(word: str) -> str | None:
    """Jakarta-style verbs "nawarin", "ngurusin", "nyimpenin", "ngelaporin" -> "tawar", "urus", "simpen",
    "lapor": a nasal prefix together with the "-in" suffix (the colloquial "meN-...-kan"). Both are
    required, so plain words starting with n ("nama", "nanti") are never touched."""
    if len(word) < 6 or not word.isalpha() or not word.endswith("in") or not word.startswith("n"):
        return None
    root = word[:-2]
    if root.endswith("i") and len(root) > 4:  # "nyariin" -> "nyari"
        root = root[:-1]
    for prefix, repl in (("nge", ""), ("ng", ""), ("ny", "s"), ("n", "t")):
        if root.startswith(prefix) and len(root) - len(prefix) >= 3:
            rest = root[len(prefix):]
            if prefix in ("ng", "ny", "n") and rest[0] not in "aiueo":
                continue
            return repl + rest
    return None


@lru_cache(maxsize=16384)
def stem(word: str) -> str:
    """Strip one common suffix and one common prefix from longer Indonesian words (no dictionary).
    Deliberately conservative: words of 5 letters or less and digits are kept, stems keep >= 4 letters."""
    colloquial = _colloquial_verb(word)
    if colloquial is not None:
        return colloquial
    if len(word) <= 5 or not word.isalpha() or word in _KEEP or not _has_indonesian_affix(word):
        return word
    w = word
    for suf in _SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 5:
            w = w[: -len(suf)]
            break
    for pre, repl in _PREFIXES:
        if w.startswith(pre) and len(w) - len(pre) + len(repl) >= 4:
            rest = w[len(pre):]
            if repl and rest and rest[0] in "aiueo":
                rest = repl + rest
            w = rest
            break
    return w


# English office vocabulary -> the Indonesian term, for BM25 only (the embedder reads both languages):
# English questions then also match Indonesian-only articles, and English articles Indonesian questions.
GLOSSARY_EN_ID: dict[str, str] = {
    "passport": "paspor", "passports": "paspor", "epassport": "epaspor", "fee": "biaya", "fees": "biaya",
    "cost": "biaya", "costs": "biaya", "price": "biaya", "charge": "biaya", "charges": "biaya",
    "lost": "hilang", "lose": "hilang", "stolen": "hilang", "missing": "hilang", "damaged": "rusak",
    "damage": "rusak", "broken": "rusak", "torn": "robek", "wet": "basah", "child": "anak", "children": "anak",
    "kid": "anak", "kids": "anak", "son": "anak", "daughter": "anak", "baby": "bayi", "babies": "bayi",
    "infant": "bayi", "toddler": "balita", "requirements": "syarat", "requirement": "syarat",
    "documents": "dokumen", "document": "dokumen", "papers": "dokumen", "renew": "perpanjang",
    "renewal": "perpanjang", "extend": "perpanjang", "extension": "perpanjang", "replace": "ganti",
    "replacement": "ganti", "expired": "habis", "expires": "habis", "expiry": "habis", "valid": "berlaku",
    "validity": "berlaku", "office": "kantor", "interview": "wawancara", "photo": "foto", "picture": "foto",
    "wear": "pakaian", "clothes": "pakaian", "clothing": "pakaian", "dress": "pakaian", "collect": "ambil",
    "pick": "ambil", "pickup": "ambil", "complaint": "pengaduan", "complain": "pengaduan", "report": "lapor",
    "foreigner": "wna", "foreigners": "wna", "foreign": "asing", "stay": "tinggal", "permit": "izin",
    "pay": "bayar", "payment": "bayar", "paid": "bayar", "broker": "calo", "brokers": "calo",
    "scalper": "calo", "middleman": "calo", "bribe": "suap", "elderly": "lansia", "pregnant": "hamil",
    "disabled": "disabilitas", "disability": "disabilitas", "wheelchair": "disabilitas", "migrant": "pmi",
    "pilgrimage": "haji", "hajj": "haji", "umrah": "umrah", "day": "hari", "days": "hari", "year": "tahun",
    "years": "tahun", "month": "bulan", "months": "bulan", "week": "minggu", "weeks": "minggu",
    "long": "lama", "apply": "mohon", "application": "mohon", "new": "baru", "first": "pertama",
    "appointment": "jadwal", "schedule": "jadwal", "reschedule": "jadwal", "queue": "antrian",
    "personal": "pribadi", "privacy": "pribadi", "free": "gratis", "wife": "istri", "husband": "suami",
    "married": "menikah", "marriage": "nikah", "parents": "orang", "parent": "orang", "birth": "lahir",
    "certificate": "akta", "police": "polisi", "embassy": "kbri", "consulate": "kbri", "abroad": "luar",
    "same": "sama", "fast": "cepat", "faster": "cepat", "express": "percepatan", "urgent": "cepat",
    "process": "proses", "processing": "proses", "finished": "selesai", "ready": "selesai",
    "arrival": "kedatangan", "entry": "masuk", "exit": "keluar", "reentry": "masuk", "permanent": "tetap",
    "temporary": "terbatas", "fine": "denda", "penalty": "denda", "dual": "ganda", "citizenship": "warga",
    "area": "wilayah", "region": "wilayah", "district": "kabupaten", "app": "aplikasi", "online": "daring",
    "priority": "prioritas", "data": "data", "name": "nama", "change": "ubah",
    "worker": "pekerja", "workers": "pekerja", "work": "kerja", "job": "kerja", "someone": "orang",
    "somebody": "orang", "else": "lain", "other": "lain", "another": "lain", "japan": "jepang",
    "holder": "pemegang", "holders": "pemegang", "benefit": "keunggulan", "benefits": "keunggulan",
    "advantage": "keunggulan", "advantages": "keunggulan", "steps": "langkah",
    "step": "langkah", "wait": "tunggu", "waiting": "tunggu", "deadline": "batas", "late": "terlambat",
    "cancelled": "batal", "canceled": "batal", "village": "desa", "school": "sekolah", "group": "rombongan",
    "sick": "sakit", "old": "tua", "age": "umur", "flood": "banjir", "fire": "kebakaran", "address": "alamat",
    "hours": "jam", "hour": "jam", "phone": "ponsel", "website": "situs", "overstayed": "overstay",
    "permits": "izin", "visas": "visa", "citizen": "warga", "citizens": "warga", "officer": "petugas",
    "officers": "petugas", "staff": "petugas", "cash": "tunai", "bank": "bank", "receipt": "bukti",
    "emergency": "darurat", "deported": "deportasi", "deportation": "deportasi", "ban": "tangkal",
    "stamp": "cap", "pages": "halaman", "page": "halaman", "full": "penuh",
}


# A "berapa" (how much / how many) that counts nothing asks for a price: "bikin paspor berapa?",
# "berapa bayarnya". When a measure word follows it ("berapa hari") or precedes it ("umur berapa")
# it asks about that measure instead, which the measure word itself already says.
_MEASURE_WORDS = frozenset(
    "hari jam menit minggu pekan bulan tahun lama kali orang lembar halaman umur usia persen nomor tanggal "
    "lantai loket kilo km meter tahap days day hours hour weeks week months month years year long time "
    "times people old many".split())
_PRICE_WORD = "biaya"
_FEE_WORDS = frozenset("biaya tarif harga bayar denda cost costs fee fees price pay charge".split())


def _price_questions(words: list[str]) -> list[str]:
    """Add the price term after "berapa"/"how much" that is not about a measure ("Bikin paspor berapa?" ->
    ... berapa biaya), so BM25 sees the aspect the question asks about although no fee word is written."""
    if _FEE_WORDS.intersection(words):
        return words
    out: list[str] = []
    for i, w in enumerate(words):
        out.append(w)
        nxt = words[i + 1] if i + 1 < len(words) else ""
        prev = words[i - 1] if i > 0 else ""
        if w == "berapa" and nxt not in _MEASURE_WORDS and prev not in _MEASURE_WORDS and not nxt.isdigit():
            out.append(_PRICE_WORD)
        elif w == "much" and prev == "how" and nxt not in _MEASURE_WORDS:
            out.append(_PRICE_WORD)
    return out


def tokens(text: str, stemming: bool = True) -> list[str]:
    """BM25 terms of `text`: normalised words without stop words, English office words mapped to
    their Indonesian term (GLOSSARY_EN_ID), a price term for a bare "berapa"/"how much", lightly stemmed."""
    out = []
    for word in _price_questions(normalise(text).split()):
        # "e-paspor"/"m-paspor" -> "epaspor"/"mpaspor"; other hyphens separate words ("10-year").
        parts = [word.replace("-", "")] if re.match(r"^[a-z]-[a-z]", word) else word.split("-")
        for w in parts:
            w = GLOSSARY_EN_ID.get(w, w)
            if not w or w in STOPWORDS_ID or (len(w) < 2 and not w.isdigit()):
                continue
            if w.endswith("nya") and w[:-3] in STOPWORDS_ID:  # "jadinya", "caranya", "gimananya"
                continue
            out.append(stem(w) if stemming else w)
    return out
