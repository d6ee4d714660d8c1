"""Which language a citizen writes in: Indonesian ("id") or English ("en").

Pure standard library on purpose: the Rasa NLU component (Python 3.10 env) imports it too.
Short or neutral messages ("p", "ok", "👍") return None so the conversation keeps its language.
"""
from __future__ import annotations

import re

_WORD = re.compile(r"[a-zA-Z']+")

_EN = frozenset("""
the is are am was were be what how why who where when which much many my me i you your we our they it its
can could do does did will would should may need want have has had get got please thanks thank hello hey
good morning afternoon evening night bye goodbye yes no not don't can't i'm it's passport visa extend extension
cost costs fee fees price office open opening hours address contact phone number lost stolen damaged child children
kid kids baby tomorrow today day days week month year years for to of in on at a an with about this that there
these those from by as if or and but so just also again help talk human person agent complaint complain
check book appointment queue apply application renew renewal stay permit overstay fine foreigner foreign
wife husband married how's what's where's who's able allowed required requirements documents long take takes
""".split())

_ID = frozenset("""
yang dan di ke dari apa apakah berapa bagaimana gimana gmn gmna brp saya sy aku gue gw kak kakak min mimin admin
gan bang mas mbak pak bu bapak ibu mau ingin bisa bs tidak tdk ga gak nggak ngga enggak engga paspor pasport kantor
buka tutup jam biaya harga syarat persyaratan bikin bkin buat membuat hilang ilang rusak anak bayi besok lusa hari ini itu
untuk utk dengan dgn terima kasih makasih mksh trims halo hallo selamat pagi siang sore malam tolong mohon kalau klo
kalo kl ya iya yaa dong sih nih deh kah ada sudah udah udh sdh belum blm dimana mana kapan perlu harus hrs berlaku tahun
thn perpanjang perpanjangan urus mengurus ngurus caranya cara lapor ngadu pengaduan petugas antrean antrian daftar
tanggal tgl minggu senin selasa rabu kamis jumat sabtu lagi juga jg tapi tp karena krn atau sama baru lama
kenapa knp siapa nomor cek pengaduan alamat lokasi dimana kemana bayar dibayar wawancara foto baju kantornya imigrasi assalamualaikum
""".split())

_NEUTRAL_GREETINGS = frozenset({"hi", "hai", "ok", "oke", "okay", "p", "ping", "tes", "test", "thx", "tq"})


def detect_language(text: str) -> str | None:
    """'id', 'en', or None when the message gives no evidence either way."""
    words = [w.lower() for w in _WORD.findall(text or "")]
    words = [w for w in words if w not in _NEUTRAL_GREETINGS]
    if not words:
        return None
    en = sum(1 for w in words if w in _EN)
    idn = sum(1 for w in words if w in _ID)
    if en == 0 and idn == 0:
        return None
    if en > idn:
        return "en"
    if idn > en:
        return "id"
    return None
