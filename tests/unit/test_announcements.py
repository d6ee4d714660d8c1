"""Announcement rules on a real SQLite database: subscriptions, validation, scheduling, fan-out with
per-channel spacing, idempotence, opt-out after fan-out, counts, erasure."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

import office.models  # noqa: F401
from office.db import Base, get_engine, session_scope
from office.outbox import OutboxMessage, mark_failed, mark_sent
from office.outreach import announcements as ann
from office.outreach import subscriptions as subs
from office.outreach.announcement_models import Announcement, AnnouncementDelivery, AnnouncementSubscription
from office.privacy_requests import erase

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB)


@pytest.fixture()
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    for var in ("ANNOUNCEMENT_RATE_WHATSAPP", "ANNOUNCEMENT_RATE_TELEGRAM", "TWILIO_CONTENT_SID_ANNOUNCEMENT",
                "TWILIO_CONTENT_SID_DEFAULT"):
        monkeypatch.delenv(var, raising=False)
    Base.metadata.create_all(get_engine(url))
    return url


def _subscribe(url: str, *senders: str, lang: str = "id") -> None:
    with session_scope(url) as s:
        for sender in senders:
            subs.subscribe(s, sender, lang, NOW)


def _draft(url: str, channels: list[str], title: str = "Kantor tutup", body: str = "Kantor tutup 24 Desember.") -> int:
    with session_scope(url) as s:
        return ann.create_draft(s, title, body, channels, "editor1", NOW).id


def _fanned_out(url: str, channels: list[str]) -> int:
    """A draft sent now and fanned out by the worker; its id."""
    draft = _draft(url, channels)
    with session_scope(url) as s:
        ann.send_now(s, draft, "e", NOW)
    with session_scope(url) as s:
        assert ann.fan_out(s, draft, NOW) is not None
    return draft


# ---------------------------------------------------------------------------------------------- subscriptions

def test_subscribe_records_channel_and_language_and_twice_changes_nothing(db_url: str) -> None:
    with session_scope(db_url) as s:
        first = subs.subscribe(s, "telegram:42", "en", NOW)
        assert first.changed and first.subscription.channel == "telegram" and first.subscription.language == "en"
        again = subs.subscribe(s, "telegram:42", "en", NOW + dt.timedelta(hours=1))
        assert not again.changed
        assert "already subscribed" in subs.subscribed_text(again, "en")
    with session_scope(db_url) as s:
        rows = list(s.scalars(select(AnnouncementSubscription)))
        assert len(rows) == 1 and ann.clock.to_utc(rows[0].subscribed_at) == ann.clock.to_utc(NOW)


def test_unsubscribe_non_subscriber_changes_nothing_and_answers_politely(db_url: str) -> None:
    with session_scope(db_url) as s:
        change = subs.unsubscribe(s, "whatsapp:+6281234567890", NOW)
        assert not change.changed and change.subscription is None
        assert "tidak sedang berlangganan" in subs.unsubscribed_text(change, "id")
        assert s.scalar(select(func.count()).select_from(AnnouncementSubscription)) == 0


def test_unsubscribe_keeps_the_record_and_resubscribe_clears_it(db_url: str) -> None:
    _subscribe(db_url, "whatsapp:+6281234567890")
    with session_scope(db_url) as s:
        change = subs.unsubscribe(s, "whatsapp:+6281234567890", NOW + dt.timedelta(days=1))
        assert change.changed and change.subscription.unsubscribed_at is not None
        assert not subs.unsubscribe(s, "whatsapp:+6281234567890", NOW).changed
        assert "berhenti berlangganan" in subs.unsubscribed_text(change, "id")
    with session_scope(db_url) as s:
        assert subs.subscribe(s, "whatsapp:+6281234567890", "id", NOW + dt.timedelta(days=2)).changed
        assert subs.is_subscribed(s, "whatsapp:+6281234567890")


@pytest.mark.parametrize("text,expected", [("berhenti", True), ("STOP", True), ("stop.", True), (" Berhenti! ", True),
                                           ("batal", False), ("ga jadi", False), ("berhenti dulu ya saya mau tanya", False)])
def test_stop_words(text: str, expected: bool) -> None:
    assert subs.is_stop_word(text) is expected


def test_confirmation_says_how_to_stop() -> None:
    change = subs.SubscriptionChange(True, None)
    assert "berhenti langganan" in subs.subscribed_text(change, "id")
    assert "unsubscribe" in subs.subscribed_text(change, "en")


# ---------------------------------------------------------------------------------------------- validation

@pytest.mark.parametrize("title,body,channels,message", [
    ("", "isi", ["telegram"], "Judul wajib"),
    ("   ", "isi", ["telegram"], "Judul wajib"),
    ("Judul", "  \n ", ["telegram"], "Isi pengumuman wajib"),
    ("J" * 121, "isi", ["telegram"], "Judul terlalu panjang"),
    ("Judul", "x" * 3001, ["telegram"], "Isi terlalu panjang"),
    ("Judul", "isi", [], "paling sedikit satu kanal"),
    ("Judul", "kata " * 220, ["whatsapp"], "Terlalu panjang untuk WhatsApp"),
])
def test_bad_content_is_refused_with_a_clear_reason(db_url: str, title: str, body: str, channels: list[str],
                                                   message: str) -> None:
    with session_scope(db_url) as s:
        with pytest.raises(ann.AnnouncementError, match=message):
            ann.create_draft(s, title, body, channels, "editor1", NOW)
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(Announcement)) == 0


def test_unknown_channel_is_refused() -> None:
    with pytest.raises(ann.AnnouncementError, match="Kanal tidak dikenal"):
        ann.parse_channels(["telegram", "sms"])
    assert ann.parse_channels(["web", "whatsapp", "web"]) == ["whatsapp", "web"]


def test_long_text_fits_telegram_but_splits_on_instagram() -> None:
    body = ("Kuota paspor bulan Desember dibuka. " * 40).strip()  # ~1.4k characters
    previews = {p.channel: p for p in ann.preview("Kuota dibuka", body, ["telegram", "instagram", "whatsapp"])}
    assert len(previews["telegram"].chunks) == 1 and not previews["telegram"].warnings
    chunks = previews["instagram"].chunks  # split exactly as channels/meta.py splits (UTF-8 bytes, paragraphs first)
    assert len(chunks) > 1 and all(len(c.encode("utf-8")) <= 1000 for c in chunks)
    assert any(f"{len(chunks)} pesan" in w for w in previews["instagram"].warnings)
    assert previews["whatsapp"].errors  # beyond the 1.024 characters a WhatsApp template carries


def test_preview_applies_each_channels_formatting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_CONTENT_SID_ANNOUNCEMENT", raising=False)
    monkeypatch.delenv("TWILIO_CONTENT_SID_DEFAULT", raising=False)
    previews = {p.channel: p for p in ann.preview("Libur", "Tutup *24 Desember*.", list(ann.CHANNELS))}
    wa = previews["whatsapp"]
    assert wa.text.startswith("📢 *Libur*")
    assert ("24 Desember", "b") in wa.segments[0]
    assert any("Template WhatsApp belum diatur" in w for w in wa.warnings)
    tg = previews["telegram"]
    assert tg.text.startswith("📢 Libur\n") and "*24 Desember*" in tg.text
    assert any("tampil apa adanya" in w for w in tg.warnings)
    assert any("24 jam" in w for w in previews["messenger"].warnings)
    monkeypatch.setenv("TWILIO_CONTENT_SID_ANNOUNCEMENT", "HX123")
    wa = ann.preview("Libur", "Tutup.", ["whatsapp"])[0]
    assert not any("belum diatur" in w for w in wa.warnings)


# ---------------------------------------------------------------------------------------------- status rules

def test_schedule_in_the_past_is_refused_and_changes_nothing(db_url: str) -> None:
    draft = _draft(db_url, ["telegram"])
    with session_scope(db_url) as s:
        with pytest.raises(ann.AnnouncementError, match="sudah lewat"):
            ann.schedule(s, draft, NOW - dt.timedelta(hours=1), "editor1", NOW)
    with session_scope(db_url) as s:
        assert s.get(Announcement, draft).status == "draft"


def test_edit_only_while_draft_or_scheduled_and_cancel_only_before_sending(db_url: str) -> None:
    _subscribe(db_url, "telegram:1")
    draft = _draft(db_url, ["telegram"])
    with session_scope(db_url) as s:
        ann.schedule(s, draft, NOW + dt.timedelta(hours=2), "editor1", NOW)
        ann.update_content(s, draft, "Kantor tutup (ralat)", "Tutup 24-26 Desember.", ["telegram"], "editor2", NOW)
        assert s.get(Announcement, draft).status == "scheduled"
    with session_scope(db_url) as s:
        assert ann.fan_out(s, draft, NOW + dt.timedelta(hours=1)) is None  # not due yet
    with session_scope(db_url) as s:
        assert s.get(Announcement, draft).status == "scheduled"
        assert ann.fan_out(s, draft, NOW + dt.timedelta(hours=2)) == 1
    with session_scope(db_url) as s:
        with pytest.raises(ann.AnnouncementError, match="tidak dapat diubah"):
            ann.update_content(s, draft, "x", "y", ["telegram"], "editor1", NOW)
        with pytest.raises(ann.AnnouncementError, match="tidak dapat diubah"):
            ann.cancel(s, draft, "editor1", NOW)


def test_cancelled_announcement_is_never_sent(db_url: str) -> None:
    _subscribe(db_url, "telegram:1")
    draft = _draft(db_url, ["telegram"])
    with session_scope(db_url) as s:
        ann.send_now(s, draft, "editor1", NOW)
        ann.cancel(s, draft, "editor1", NOW)
    with session_scope(db_url) as s:
        assert ann.due(s, NOW + dt.timedelta(days=1)) == []
        assert ann.fan_out(s, draft, NOW + dt.timedelta(days=1)) is None
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


# ---------------------------------------------------------------------------------------------- fan-out

def test_fan_out_once_per_active_subscriber_spaced_per_channel(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNOUNCEMENT_RATE_WHATSAPP", "30")  # one every 2 s
    _subscribe(db_url, "whatsapp:+6281100000001", "whatsapp:+6281100000002", "whatsapp:+6281100000003",
               "telegram:1", "telegram:2")
    _subscribe(db_url, "telegram:3", lang="en")
    _subscribe(db_url, "messenger:9")  # not targeted
    with session_scope(db_url) as s:
        subs.unsubscribe(s, "telegram:2", NOW)
    draft = _draft(db_url, ["whatsapp", "telegram"])
    with session_scope(db_url) as s:
        ann.send_now(s, draft, "editor1", NOW)
    with session_scope(db_url) as s:
        assert ann.fan_out(s, draft, NOW) == 5
    with session_scope(db_url) as s:
        assert ann.fan_out(s, draft, NOW) is None  # a second worker / a restart: nothing more
        messages = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert sorted(m.sender_id for m in messages) == sorted([
            "whatsapp:+6281100000001", "whatsapp:+6281100000002", "whatsapp:+6281100000003", "telegram:1",
            "telegram:3"])
        assert {m.kind for m in messages} == {"announcement"}
        wa = [ann.clock.to_utc(m.not_before) for m in messages if m.sender_id.startswith("whatsapp")]
        assert [(b - a).total_seconds() for a, b in zip(wa, wa[1:])] == [2.0, 2.0]
        tg = {m.sender_id: m for m in messages if m.sender_id.startswith("telegram")}
        assert "berhenti langganan" in tg["telegram:1"].text and "unsubscribe" in tg["telegram:3"].text
        assert next(m for m in messages if m.sender_id.startswith("whatsapp")).text.startswith("📢 *Kantor tutup*")
        a = s.get(Announcement, draft)
        assert a.status == "sending" and a.recipients == 5


def test_second_announcement_queues_after_the_first_on_the_same_channel(db_url: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNOUNCEMENT_RATE_TELEGRAM", "60")
    _subscribe(db_url, "telegram:1", "telegram:2")
    first, second = _draft(db_url, ["telegram"]), _draft(db_url, ["telegram"], title="Kuota dibuka")
    with session_scope(db_url) as s:
        ann.send_now(s, first, "e", NOW)
        ann.send_now(s, second, "e", NOW)
    with session_scope(db_url) as s:
        ann.fan_out(s, first, NOW)
        ann.fan_out(s, second, NOW)
    with session_scope(db_url) as s:
        times = [ann.clock.to_utc(m.not_before) for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
        assert [(t - times[0]).total_seconds() for t in times] == [0, 1, 2, 3]


def test_opt_out_after_fan_out_cancels_what_is_still_pending(db_url: str) -> None:
    _subscribe(db_url, "telegram:1", "telegram:2")
    draft = _fanned_out(db_url, ["telegram"])
    with session_scope(db_url) as s:
        assert subs.unsubscribe(s, "telegram:2", NOW).changed
    with session_scope(db_url) as s:
        assert [m.sender_id for m in s.scalars(select(OutboxMessage))] == ["telegram:1"]
        counts = ann.delivery_counts(s, [draft])[draft]
        assert counts["total"] == {"sent": 0, "pending": 1, "failed": 0, "cancelled": 1}
        mark_sent(s.scalars(select(OutboxMessage)).one(), NOW)
    with session_scope(db_url) as s:
        assert ann.finish_sent(s, NOW) == 1
        assert s.get(Announcement, draft).status == "sent"


def test_counts_per_channel_and_failures_listed_masked(db_url: str) -> None:
    _subscribe(db_url, "whatsapp:+6281234567890", "telegram:7")
    draft = _fanned_out(db_url, ["whatsapp", "telegram"])
    with session_scope(db_url) as s:
        for m in s.scalars(select(OutboxMessage)):
            if m.sender_id.startswith("whatsapp"):
                m.attempts = 7
                mark_failed(m, "Twilio refused the message to whatsapp:+6281234567890", NOW)
            else:
                mark_sent(m, NOW)
    with session_scope(db_url) as s:
        counts = ann.delivery_counts(s, [draft])[draft]
        assert counts["whatsapp"]["failed"] == 1 and counts["telegram"]["sent"] == 1
        assert counts["total"] == {"sent": 1, "pending": 0, "failed": 1, "cancelled": 0}
        failures = ann.failed_deliveries(s, draft)
        assert len(failures) == 1 and "6281234567890" not in failures[0].recipient + failures[0].error
        assert ann.finish_sent(s, NOW) == 1


def test_no_subscribers_is_sent_at_once(db_url: str) -> None:
    draft = _draft(db_url, ["telegram"])
    with session_scope(db_url) as s:
        ann.send_now(s, draft, "e", NOW)
    with session_scope(db_url) as s:
        assert ann.fan_out(s, draft, NOW) == 0
        assert s.get(Announcement, draft).status == "sent"


def test_erasure_removes_the_subscription_and_pending_announcements(db_url: str) -> None:
    _subscribe(db_url, "telegram:5", "telegram:6")
    draft = _fanned_out(db_url, ["telegram"])
    with session_scope(db_url) as s:
        erase(s, "telegram:5", NOW)
    with session_scope(db_url) as s:
        assert subs.find(s, "telegram:5") is None
        assert [m.sender_id for m in s.scalars(select(OutboxMessage))] == ["telegram:6"]
        assert s.scalar(select(func.count()).select_from(AnnouncementDelivery)) == 2  # counts keep their channel
        assert ann.delivery_counts(s, [draft])[draft]["total"]["cancelled"] == 1


def test_counts_survive_the_retention_purge_of_outbox_rows(db_url: str) -> None:
    _subscribe(db_url, "telegram:1", "telegram:2")
    draft = _fanned_out(db_url, ["telegram"])
    with session_scope(db_url) as s:
        first, second = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        mark_sent(first, NOW)
        second.attempts = 7
        mark_failed(second, "refused", NOW)
    with session_scope(db_url) as s:
        assert ann.finish_sent(s, NOW) == 1
    with session_scope(db_url) as s:  # what worker/retention.py does to old delivered / failed messages
        s.execute(OutboxMessage.__table__.delete())
    with session_scope(db_url) as s:
        assert ann.delivery_counts(s, [draft])[draft]["total"] == {"sent": 1, "pending": 0, "failed": 1,
                                                                   "cancelled": 0}


def test_retention_purges_old_opt_outs_only(db_url: str) -> None:
    _subscribe(db_url, "telegram:1", "telegram:2", "telegram:3")
    with session_scope(db_url) as s:
        subs.unsubscribe(s, "telegram:1", NOW - dt.timedelta(days=400))
        subs.unsubscribe(s, "telegram:2", NOW - dt.timedelta(days=1))
    with session_scope(db_url) as s:
        assert subs.purge_unsubscribed(s, NOW - dt.timedelta(days=90)) == 1
    with session_scope(db_url) as s:
        assert subs.find(s, "telegram:1") is None
        assert subs.find(s, "telegram:2") is not None and subs.is_subscribed(s, "telegram:3")


def test_export_and_erasure_texts_mention_the_subscription(db_url: str) -> None:
    from office.privacy_messages import erase_done_text, export_text, info_text
    from office.privacy_requests import holdings, record_export

    _subscribe(db_url, "telegram:8")
    with session_scope(db_url) as s:
        found = record_export(s, "telegram:8", NOW)
        assert "Langganan pengumuman: aktif sejak Selasa, 1 Desember 2026" in export_text(s, found, "id")
        assert "langganan pengumuman: aktif" in info_text(holdings(s, "telegram:8"), 90, "id")
        result = erase(s, "telegram:8", NOW)
        assert result.announcement_subscription_deleted
        assert "langganan pengumuman dihapus" in erase_done_text(result, "id")
        assert result.request.summary["announcement_subscription_deleted"] is True


@pytest.fixture()
def pg_url(monkeypatch: pytest.MonkeyPatch):
    from office.db import migrate
    from tests.pg import postgres_database

    for url in postgres_database():
        migrate(url)
        yield url


def test_on_postgres_two_workers_fan_out_once_and_opt_out_cancels(pg_url: str) -> None:
    """The same rules on PostgreSQL: the claim is a conditional UPDATE, so a second worker (even in a
    transaction opened before the first committed) writes nothing; an opt-out cancels what waits."""
    _subscribe(pg_url, "telegram:1", "whatsapp:+6281100000009")
    draft = _draft(pg_url, ["telegram", "whatsapp"])
    with session_scope(pg_url) as s:
        ann.send_now(s, draft, "e", NOW)
    with session_scope(pg_url) as first, session_scope(pg_url) as second:
        assert [a.id for a in ann.due(second, NOW)] == [draft]  # both see it due
        assert ann.fan_out(first, draft, NOW) == 2
        first.commit()
        assert ann.fan_out(second, draft, NOW) is None
    with session_scope(pg_url) as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 2
        subs.unsubscribe(s, "telegram:1", NOW)
    with session_scope(pg_url) as s:
        assert [m.sender_id for m in s.scalars(select(OutboxMessage))] == ["whatsapp:+6281100000009"]
        assert ann.delivery_counts(s, [draft])[draft]["total"]["cancelled"] == 1
