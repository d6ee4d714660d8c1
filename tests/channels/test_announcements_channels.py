"""An announcement reaches its subscribers on WhatsApp and Telegram through the real stack: citizens opt
in and out by writing to the channel webhooks, an editor writes and sends the announcement in the
real back-office app, the real worker job fans it out and delivers it through the real Rasa and
action servers, and the fake Twilio and Telegram APIs receive it. A citizen who opted out (before or
after the fan-out) and one who never subscribed receive nothing; a WhatsApp subscriber outside the
24-hour window receives the approved announcement template (TWILIO_CONTENT_SID_ANNOUNCEMENT)."""
from __future__ import annotations

import datetime as dt
import json
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, update

import office.staff as staff
from office.db import session_scope
from office.outbox import OutboxMessage
from office.outreach import announcements as ann
from office.outreach.announcement_models import Announcement
from office.outreach.subscriptions import find
from tests.backoffice_support import cheap_password_hasher, csrf_from, login, make_user
from tests.channels.citizens import TelegramCitizen, WhatsAppCitizen
from tests.channels.conftest import CHANNEL_ENV, Channels
from tests.fakes import FakeProviders
from worker.announcement_jobs import run_announcement_jobs
from worker.delivery import deliver_due

pytestmark = pytest.mark.integration
TITLE = "Kantor tutup saat cuti bersama"
BODY = "Kantor Imigrasi tutup pada 18-24 Maret 2026. Layanan kembali normal Rabu, 25 Maret 2026."


def _close_window(office_env: dict[str, str], sender_id: str) -> None:
    """A day passes: the citizen's 24-hour WhatsApp window (kept in the channel state store) runs out."""
    engine = create_engine(office_env["TRACKER_STORE_URL"])
    with engine.begin() as conn:
        from sqlalchemy import MetaData, Table

        table = Table("channel_state", MetaData(), autoload_with=conn)
        done = conn.execute(update(table).where(table.c.key == f"inbound:{sender_id}")
                            .values(expires_at=dt.datetime(2000, 1, 1)))
        assert done.rowcount == 1
    engine.dispose()


def _send_as_editor(office_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> int:
    """Write, preview and send the announcement through the back-office pages, as an editor would."""
    monkeypatch.setattr(staff, "_hasher", cheap_password_hasher())
    from backoffice.app import create_app

    client = TestClient(create_app())
    username = f"editor{time.time_ns() % 10**9}"
    password = make_user(office_env["DATABASE_URL"], username, staff.EDITOR)
    assert login(client, username, password).status_code == 303
    token = csrf_from(client.get("/staff/announcements").text)
    created = client.post("/staff/announcements/new", data={"csrf_token": token, "title": TITLE, "body": BODY,
                                                             "channels": ["whatsapp", "telegram"]},
                          follow_redirects=False)
    assert created.status_code == 303, created.text
    page = created.headers["location"].split("?")[0]
    preview = client.get(page).text
    assert 'data-channel="whatsapp"' in preview and 'data-channel="telegram"' in preview
    sent = client.post(f"{page}/send-now", data={"csrf_token": token})
    assert "segera dikirim" in sent.text
    return int(page.rsplit("/", 1)[1])


def _deliver_all(rasa_server: str, monkeypatch: pytest.MonkeyPatch, rounds: int = 20) -> None:
    monkeypatch.setenv("RASA_URL", rasa_server)
    with httpx.Client() as client:
        for _ in range(rounds):
            deliver_due(client, limit=100)
            with session_scope() as db:
                waiting = db.query(OutboxMessage).filter(OutboxMessage.kind == "announcement",
                                                         OutboxMessage.status.in_(["pending", "sending"])).count()
            if not waiting:
                return
            time.sleep(0.3)


def test_announcement_reaches_subscribers_on_two_channels(channels: Channels, fake: FakeProviders,
                                                          office_env: dict[str, str], rasa_server: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNOUNCEMENT_RATE_WHATSAPP", "6000")  # 10 ms apart: the test need not wait
    monkeypatch.setenv("ANNOUNCEMENT_RATE_TELEGRAM", "6000")
    wa, wa_old = WhatsAppCitizen(channels, fake), WhatsAppCitizen(channels, fake)
    tg, tg_gone, tg_late, tg_never = (TelegramCitizen(channels, fake) for _ in range(4))

    wa.say("langganan info")
    assert "berlangganan pengumuman" in wa.text() and "berhenti langganan" in wa.text(), wa.text()
    wa_old.say("mau dapat info terbaru")
    assert "berlangganan" in wa_old.text()
    tg.say("langganan info")
    tg.say("langganan info")  # asking twice changes nothing
    assert "sudah berlangganan" in tg.text(), tg.text()
    tg_gone.say("subscribe to updates")
    assert "subscribed" in tg_gone.text(), tg_gone.text()
    tg_gone.say("unsubscribe")
    assert "unsubscribed" in tg_gone.text(), tg_gone.text()
    tg_late.say("langganan info")
    tg_never.say("berhenti langganan")
    assert "tidak sedang berlangganan" in tg_never.text(), tg_never.text()
    with session_scope() as db:
        assert find(db, tg_never.sender_id) is None
        sub = find(db, wa.sender_id)
        assert (sub.channel, sub.language, sub.unsubscribed_at) == ("whatsapp", "id", None)
        assert find(db, tg_gone.sender_id).unsubscribed_at is not None
    _close_window(office_env, wa_old.sender_id)

    announcement_id = _send_as_editor(office_env, monkeypatch)
    fake.reset()
    assert run_announcement_jobs()["fanned_out"] == 1
    assert run_announcement_jobs()["fanned_out"] == 0  # a second pass (or worker) sends nothing twice
    tg_late.say("berhenti")  # a bare stop word after the fan-out: opted out before delivery
    assert "berhenti berlangganan" in tg_late.text(), tg_late.text()
    fake.reset()
    _deliver_all(rasa_server, monkeypatch)

    (wa_msg,) = fake.sent("twilio", wa.sender_id)
    assert wa_msg.params["Body"].startswith(f"📢 *{TITLE}*") and "25 Maret 2026" in wa_msg.params["Body"]
    (template,) = fake.sent("twilio", wa_old.sender_id)  # outside the 24-hour window
    assert template.params["ContentSid"] == CHANNEL_ENV["TWILIO_CONTENT_SID_ANNOUNCEMENT"]
    assert "Body" not in template.params
    variable = json.loads(template.params["ContentVariables"])["1"]
    assert TITLE in variable and "berhenti langganan" in variable
    (tg_msg,) = fake.sent("telegram", str(tg.chat_id))
    assert tg_msg.params["text"].startswith(f"📢 {TITLE}\n") and "berhenti langganan" in tg_msg.params["text"]
    for nobody in (tg_gone, tg_late, tg_never):
        assert fake.sent("telegram", str(nobody.chat_id)) == []

    run_announcement_jobs()
    with session_scope() as db:
        counts = ann.delivery_counts(db, [announcement_id])[announcement_id]
        assert counts["total"]["sent"] >= 3 and counts["total"]["pending"] == 0 and counts["total"]["failed"] == 0
        assert counts["total"]["cancelled"] >= 1
        assert counts["whatsapp"]["sent"] >= 2 and counts["telegram"]["sent"] >= 1
        assert db.get(Announcement, announcement_id).status == "sent"


def test_meta_sends_announcements_only_within_the_24_hour_window(channels: Channels, fake: FakeProviders) -> None:
    """Meta's message tags forbid broadcasts: outside the window the push fails (the outbox keeps it
    and staff see it as failed) instead of going out under the HUMAN_AGENT tag."""
    from tests.channels.citizens import MetaCitizen

    writer = MetaCitizen(channels, fake, "page")
    writer.say("langganan info")
    fake.reset()
    assert channels.trigger(writer.sender_id, "meta", "📢 Kuota dibuka", kind="announcement").status_code == 200
    (call,) = fake.sent("graph", writer.psid)
    assert call.params["messaging_type"] == "RESPONSE" and call.params["message"]["text"] == "📢 Kuota dibuka"
    stranger = "messenger:" + str(10**15 + 4242)
    assert channels.trigger(stranger, "meta", "📢 Kuota dibuka", kind="announcement").status_code == 500
    assert fake.sent("graph", str(10**15 + 4242)) == []
    # an officer's reply to the same stranger still goes out under the configured tag
    assert channels.trigger(stranger, "meta", "Balasan petugas.", kind="officer_reply").status_code == 200
