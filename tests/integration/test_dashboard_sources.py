"""The dashboards read what the real servers write: Rasa's SQL tracker store (table `events`, its own
schema) gives conversations per channel and the hand-off intent, and the action server counts knowledge
answers in kb_answer_log."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from office.db import session_scope
from office.kb.answer_log import KbAnswerLog
from office.reports.conversations import conversation_report, tracker_engine
from office.reports.period import Period


def test_conversations_from_the_real_tracker_store(chat, office_env):
    # Rasa stamps events with the real clock (OFFICE_NOW only freezes our code), so count the real today.
    # The Rasa server is shared with other tests: compare the report before and after these conversations.
    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()
    engine = tracker_engine(office_env["TRACKER_STORE_URL"])
    with session_scope(office_env["DATABASE_URL"]) as s:
        before = conversation_report(s, Period(today, today), engine)
    chat("web:dash-one", "halo")
    chat("telegram:dash-two", "halo")
    chat("telegram:dash-two", "saya mau bicara dengan petugas")
    chat("whatsapp:+62811000777", "berapa biaya paspor 48 halaman?")
    with session_scope(office_env["DATABASE_URL"]) as s:
        report = conversation_report(s, Period(today, today), engine)
    assert report.available
    for channel in ("web", "telegram", "whatsapp"):
        assert report.on(today, channel) >= before.on(today, channel) + 1, (channel, report.counts)
    assert report.channel_handoffs("telegram") >= before.channel_handoffs("telegram") + 1, report.handoffs
    assert report.channel_handoffs("web") == before.channel_handoffs("web")
    with session_scope(office_env["DATABASE_URL"]) as s:
        rows = s.execute(select(KbAnswerLog.channel, KbAnswerLog.outcome, KbAnswerLog.topic)
                         .where(KbAnswerLog.channel == "whatsapp")).all()
    assert rows, "the knowledge answer was not counted"
    assert rows[-1].outcome in ("answered", "clarified", "declined")
