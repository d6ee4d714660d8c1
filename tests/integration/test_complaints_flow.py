"""Complaints end to end over REST with the real Rasa and action servers (clock: Monday 16 March
2026, 09.30 WIB; 18-24 March is a holiday closure): filing, the unit's inbox, an officer reply
relayed by the worker, "cek status" for the owner, a stranger and a fake code, cancel, empty input,
duplicates, pungli confidentiality and anonymous tickets."""
from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select

from tests.backoffice_support import csrf_from, login, make_user
from tests.conftest import buttons, texts

pytestmark = pytest.mark.integration


def sender(prefix: str = "rest") -> str:
    return f"{prefix}:{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def complaint_db(office_env: dict[str, str]) -> str:
    """The session database (migrated by the office_env fixture)."""
    return office_env["DATABASE_URL"]


def _tickets(url: str, sender_id: str | None = None) -> list:
    from office.complaints.models import Ticket
    from office.db import session_scope

    with session_scope(url) as s:
        query = select(Ticket)
        if sender_id:
            query = query.where(Ticket.sender_id == sender_id)
        return [(t.code, t.unit, t.category, t.mode, t.sender_id, t.status) for t in s.scalars(query)]


def _file(chat, who: str, description: str, mode: str = "mode:biasa") -> list[dict]:
    reply = chat(who, "saya mau mengadu")  # a new conversation: consent first (office/consent.py)
    assert "isi pengaduan" in texts(reply) and buttons(reply) == ["Setuju", "Tidak setuju"]
    reply = chat(who, "Setuju")
    assert "ceritakan apa yang terjadi" in texts(reply)
    reply = chat(who, description)
    assert "Sudah sesuai?" in texts(reply) or "pilih kategori" in texts(reply).lower()
    reply = chat(who, "ya")
    assert "Kapan dan di mana" in texts(reply)
    assert "Lewati" in buttons(reply)
    reply = chat(who, "lewati")
    assert "bukti" in texts(reply).lower()
    reply = chat(who, "lewati")
    assert "Balas lewat chat ini" in buttons(reply)
    reply = chat(who, "kontak:chat")
    assert "Anonim" in buttons(reply)
    reply = chat(who, mode)
    assert "Mohon periksa pengaduan" in texts(reply)
    return chat(who, "kirim")


def test_file_reply_and_status(chat, complaint_db: str, live_backoffice: str, rasa_server: str,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    who = sender()
    reply = _file(chat, who, "Toilet di ruang tunggu kotor sekali dan airnya mati <script>alert(1)</script>")
    body = texts(reply)
    [(code, unit, category, mode, sid, status)] = _tickets(complaint_db, who)
    assert code in body and "paling lambat Kamis, 26 Maret 2026" in body
    assert (unit, category, mode, sid, status) == ("Tata Usaha", "fasilitas", "biasa", who, "baru")

    # the unit's officer sees it, another unit's does not; the reply goes to the outbox
    make_user(complaint_db, "tu.integrasi", "officer", unit="Tata Usaha")
    make_user(complaint_db, "it.integrasi", "officer", unit="Seksi Izin Tinggal")
    with httpx.Client(base_url=live_backoffice) as other:
        login(other, "it.integrasi", "kata sandi uji panjang")
        assert code not in other.get("/staff/tickets").text
    with httpx.Client(base_url=live_backoffice) as staff:
        assert login(staff, "tu.integrasi", "kata sandi uji panjang").status_code == 303
        inbox = staff.get("/staff/tickets").text
        assert code in inbox and "&lt;script&gt;" in inbox and "<script>alert(1)" not in inbox
        page = staff.get(f"/staff/tickets/{code}")
        answer = staff.post(f"/staff/tickets/{code}/reply", follow_redirects=True,
                            data={"csrf_token": csrf_from(page.text), "text": "Air sudah normal kembali, terima kasih."})
        assert answer.status_code == 200 and "akan dikirim ke warga" in answer.text

    # the worker relays it through Rasa to the citizen's conversation
    from worker.delivery import deliver_due

    monkeypatch.setenv("RASA_URL", rasa_server)
    with httpx.Client() as client:
        assert deliver_due(client) >= 1
    tracker = httpx.get(f"{rasa_server}/conversations/{who}/tracker",
                        params={"token": _token()}, timeout=30).json()
    said = [e.get("text") or "" for e in tracker["events"] if e.get("event") == "bot"]
    assert any("Air sudah normal kembali" in t and code in t for t in said)

    mine = texts(chat(who, f"tolong cek status pengaduan saya {code}"))
    assert "Diproses" in mine and "Air sudah normal kembali" in mine
    stranger = texts(chat(sender(), f"tolong cek status pengaduan {code}"))
    assert "Air sudah normal" not in stranger and "kerahasiaan" in stranger
    fake = texts(chat(sender(), "tolong cek status pengaduan ADU-2026-999999"))
    assert "tidak kami temukan" in fake


def _token() -> str:
    import os

    return os.environ["RASA_TOKEN"]


def test_cancel_and_empty_description_save_nothing(chat, complaint_db: str) -> None:
    who = sender()
    chat(who, "mau komplain")
    chat(who, "Setuju")
    again = texts(chat(who, "??"))
    assert "ceritakan kejadiannya" in again
    chat(who, "Petugas loket tadi sangat kasar kepada ibu saya")
    cancelled = texts(chat(who, "batal"))
    assert "Tidak ada data pengaduan yang disimpan" in cancelled
    assert _tickets(complaint_db, who) == []
    after = texts(chat(who, "cek status"))
    assert "ADU-2026-000123" in after  # no ticket: asked for a code


def test_pungli_is_confidential_and_duplicate_is_offered(chat, complaint_db: str) -> None:
    who = sender("whatsapp")
    reply = chat(who, "saya mau mengadu")
    reply = chat(who, "Setuju")
    reply = chat(who, "Ada calo di depan kantor minta uang tambahan supaya paspor cepat jadi")
    assert "Pungli/calo/gratifikasi" in texts(reply)
    chat(who, "ya")
    chat(who, "kemarin siang di parkiran")
    chat(who, "lewati")
    identity = chat(who, "kontak:chat")
    assert "Biasa" not in buttons(identity) and "selalu kami perlakukan rahasia" in texts(identity)
    chat(who, "mode:rahasia")
    done = texts(chat(who, "kirim"))
    assert "dirahasiakan" in done
    [(code, unit, _c, mode, _sid, _st)] = _tickets(complaint_db, who)
    assert (unit, mode) == ("Unit Kepatuhan Internal", "rahasia")
    # the same complaint again: offered to add to the open one
    again = chat(who, "saya mau mengadu")  # consent is on record: not asked again
    assert "ceritakan apa yang terjadi" in texts(again) and "Setuju" not in buttons(again)
    offer = chat(who, "Ada calo di depan kantor minta uang tambahan supaya paspor cepat jadi")
    assert code in texts(offer) and f"Tambahkan ke {code}" in buttons(offer)
    added = texts(chat(who, "tambah"))
    assert f"sudah kami tambahkan ke pengaduan {code}" in added
    assert len(_tickets(complaint_db, who)) == 1


def test_anonymous_ticket_code_is_the_only_key(chat, complaint_db: str) -> None:
    who = sender("telegram")
    done = texts(_file(chat, who, "Aplikasi M-Paspor error terus waktu pilih jadwal", mode="mode:anonim"))
    assert "satu-satunya kunci" in done
    code = next(word.strip(".,") for word in done.split() if word.startswith("ADU-"))
    assert _tickets(complaint_db, who) == []  # nothing links the ticket to the sender
    other = texts(chat(sender(), f"tolong cek status pengaduan {code}"))
    assert "Baru" in other and code in other
