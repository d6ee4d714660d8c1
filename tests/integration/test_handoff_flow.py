"""Talking to an officer end to end (clock: Monday 16 March 2026, 09.30 WIB, office open): the
citizen joins the queue, the bot stays silent, an officer takes the chat in the back-office, the
worker relays the officer's messages through Rasa, and the hand-back returns the bot."""
from __future__ import annotations

import os
import uuid

import httpx
import pytest
from sqlalchemy import select

from tests.backoffice_support import csrf_from, login, make_user
from tests.conftest import texts

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def handoff_db(office_env: dict[str, str]) -> str:
    """The session database (migrated by the office_env fixture)."""
    return office_env["DATABASE_URL"]


def _bot_texts(rasa_server: str, who: str) -> list[str]:
    tracker = httpx.get(f"{rasa_server}/conversations/{who}/tracker", params={"token": os.environ["RASA_TOKEN"]},
                        timeout=30).json()
    return [e.get("text") or "" for e in tracker["events"] if e.get("event") == "bot"]


def _deliver(rasa_server: str, monkeypatch: pytest.MonkeyPatch) -> int:
    from worker.delivery import deliver_due

    monkeypatch.setenv("RASA_URL", rasa_server)
    with httpx.Client() as client:
        return deliver_due(client)


def test_handoff_round_trip(chat, handoff_db: str, live_backoffice: str, rasa_server: str,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    from office.db import session_scope
    from office.handoff import LiveSession

    who = f"rest:{uuid.uuid4().hex[:12]}"
    notice = chat(who, "mau bicara dengan petugas")  # consent before anything is stored for the officer
    assert "pesan yang Bapak/Ibu tulis kepada petugas" in texts(notice) and "antrean petugas" not in texts(notice)
    with session_scope(handoff_db) as s:
        assert s.scalar(select(LiveSession).where(LiveSession.sender_id == who)) is None
    assert "antrean petugas" in texts(chat(who, "Setuju"))
    assert chat(who, "Paspor saya hilang di perjalanan, harus bagaimana?") == []  # the bot stays silent
    with session_scope(handoff_db) as s:
        live = s.scalar(select(LiveSession).where(LiveSession.sender_id == who))
        live_id = live.id
        assert [m.text for m in live.messages] == ["Paspor saya hilang di perjalanan, harus bagaimana?"]

    make_user(handoff_db, "live.officer", "officer", unit="Tata Usaha")
    with httpx.Client(base_url=live_backoffice) as staff:
        assert login(staff, "live.officer", "kata sandi uji panjang").status_code == 303
        assert f"Obrolan #{live_id}" in staff.get("/staff/live").text
        token = csrf_from(staff.get(f"/staff/live/{live_id}").text)
        staff.post(f"/staff/live/{live_id}/take", data={"csrf_token": token})
        staff.post(f"/staff/live/{live_id}/send",
                   data={"csrf_token": token, "text": "Silakan buat laporan kehilangan di kepolisian terlebih dahulu."})
        assert _deliver(rasa_server, monkeypatch) == 2
        said = _bot_texts(rasa_server, who)
        assert any("telah bergabung" in t for t in said)
        assert any("laporan kehilangan di kepolisian" in t for t in said)
        assert chat(who, "baik, terima kasih pak") == []  # still with the officer
        staff.post(f"/staff/live/{live_id}/return", data={"csrf_token": token})
    assert _deliver(rasa_server, monkeypatch) == 1
    assert any("asisten virtual kembali" in t for t in _bot_texts(rasa_server, who))
    back = texts(chat(who, "jam buka kantor kapan?"))
    assert back  # the assistant answers again


def test_citizen_stops_waiting(chat, handoff_db: str) -> None:
    who = f"rest:{uuid.uuid4().hex[:12]}"
    chat(who, "sambungkan ke petugas")
    assert "antrean petugas" in texts(chat(who, "Setuju"))
    assert "sesi dengan petugas ditutup" in texts(chat(who, "batal"))
    assert texts(chat(who, "jam buka kantor kapan?"))
