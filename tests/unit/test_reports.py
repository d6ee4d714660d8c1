"""Every dashboard figure on a known dataset, compared with numbers worked out by hand (the working is in
the comments). Times are WIB (UTC+7); "now" is Monday 16 March 2026 09.30 WIB; the period is March 2026."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import office.models  # noqa: F401
from office.booking.models import Booking, QueueTicket
from office.complaints.models import Ticket
from office.db import Base, get_engine, session_scope
from office.handoff import LiveSession
from office.kb.answer_log import KbAnswerLog, record_answer
from office.reports.complaints import complaint_report
from office.reports.conversations import conversation_report
from office.reports.knowledge import knowledge_report
from office.reports.period import Period, PeriodError, parse_period
from office.reports.satisfaction import satisfaction_report
from office.reports.visits import visit_report
from office.survey.models import SurveyResponse
from tests.unit.test_ikm import FOUR

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)
MARCH = Period.month(2026, 3)
RASA_EVENTS_DDL = ("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                   "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                   "action_name VARCHAR(255), data TEXT)")


def wib(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    """A WIB clock time, in UTC as the office stores every timestamp."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=WIB).astimezone(dt.timezone.utc)


@pytest.fixture()
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("OFFICE_TZ", "Asia/Jakarta")
    Base.metadata.create_all(get_engine(url))
    return url


# ---- bookings and queue -----------------------------------------------------------------------
def _booking(n: int, day: dt.date, status: str) -> Booking:
    stamp = wib(1, 8)
    return Booking(code=f"BK{n:04d}", service_code="AMBIL", day=day, start=dt.time(9), name="Warga", phone=f"08{n:09d}",
                   status=status, created_at=stamp, updated_at=stamp)


def _ticket(n: int, issued: dt.datetime, status: str, called: dt.datetime | None = None,
            finished: dt.datetime | None = None) -> QueueTicket:
    return QueueTicket(day=issued.astimezone(WIB).date(), line="A", number=n, service_code="AMBIL", source="walkin", status=status,
                       sort_at=issued, issued_at=issued, called_at=called, finished_at=finished)


def test_visits(db_url: str) -> None:
    with session_scope(db_url) as s:
        s.add_all([
            _booking(1, dt.date(2026, 3, 2), "checked_in"),
            _booking(2, dt.date(2026, 3, 2), "active"),      # its day passed, never came: no-show
            _booking(3, dt.date(2026, 3, 3), "cancelled"),
            _booking(4, dt.date(2026, 3, 16), "active"),     # today: still upcoming
            _booking(5, dt.date(2026, 3, 20), "active"),     # upcoming
            _booking(6, dt.date(2026, 4, 1), "active"),      # April: not in the period
            # Monday 2 March: issued 08.10, called 08.30 (wait 20), finished 08.45 (service 15)
            _ticket(1, wib(2, 8, 10), "served", wib(2, 8, 30), wib(2, 8, 45)),
            # Monday 2 March: issued 08.40, called 09.10 (wait 30), finished 09.20 (service 10, call hour 09)
            _ticket(2, wib(2, 8, 40), "served", wib(2, 9, 10), wib(2, 9, 20)),
            # Tuesday 3 March: issued 09.05, called 09.15 (wait 10), did not come: no service time
            _ticket(3, wib(3, 9, 5), "no_show", wib(3, 9, 15), wib(3, 9, 20)),
            _ticket(4, wib(3, 9, 30), "waiting"),             # never called: no times
            _ticket(5, wib(1, 9, 0, month=4), "served", wib(1, 9, 5, month=4), wib(1, 9, 9, month=4)),  # April
        ])
    with session_scope(db_url) as s:
        r = visit_report(s, MARCH, NOW.date())
    assert len(r.days) == 31 and r.bookings == 5
    mar2, mar3, mar16, mar20 = r.days[1], r.days[2], r.days[15], r.days[19]
    assert (mar2.checked_in, mar2.no_show, mar2.cancelled, mar2.upcoming) == (1, 1, 0, 0)
    assert (mar3.cancelled, mar16.upcoming, mar20.upcoming) == (1, 1, 1)
    assert [r.booking_total(k) for k in ("checked_in", "no_show", "cancelled", "upcoming")] == [1, 1, 1, 2]
    assert (r.tickets, r.served, r.queue_no_shows) == (4, 2, 1)
    # waits 20 + 30 + 10 = 60 min over 3 calls = 20; services 15 + 10 = 25 over 2 = 12.5
    assert (r.wait.count, r.wait.mean_minutes) == (3, 20)
    assert (r.service.count, r.service.mean_minutes) == (2, Fraction(25, 2))
    hours = {b.key: b for b in r.by_hour}
    assert list(hours) == [8, 9]
    # 08.00: waits 20 and 30 (mean 25), service 15 (T1 called 08.30); 09.00: wait 10, service 10 (T2 called 09.10)
    assert (hours[8].wait.count, hours[8].wait.mean_minutes, hours[8].service.mean_minutes) == (2, 25, 15)
    assert (hours[9].wait.count, hours[9].wait.mean_minutes, hours[9].service.mean_minutes) == (1, 10, 10)
    days = {b.label: b for b in r.by_weekday}
    assert list(days) == ["Senin", "Selasa", "Rabu", "Kamis", "Jumat"]
    assert (days["Senin"].wait.mean_minutes, days["Senin"].service.mean_minutes) == (25, Fraction(25, 2))
    assert (days["Selasa"].wait.mean_minutes, days["Selasa"].service.mean_minutes) == (10, None)
    assert days["Rabu"].wait.count == 0


# ---- complaints and SLA ------------------------------------------------------------------------
def _complaint(code: str, created: dt.datetime, category: str, unit: str, status: str, fr_due: dt.datetime,
               res_due: dt.datetime, responded: dt.datetime | None = None, closed: dt.datetime | None = None,
               merged_into: int | None = None) -> Ticket:
    return Ticket(code=code, category=category, unit=unit, status=status, description="uji", created_at=created,
                  updated_at=created, first_response_due=fr_due, resolution_due=res_due,
                  first_response_at=responded, closed_at=closed, merged_into_id=merged_into)


def test_complaints_and_sla(db_url: str) -> None:
    llk, tu, kepatuhan = "Seksi Lalu Lintas Keimigrasian", "Tata Usaha", "Unit Kepatuhan Internal"
    with session_scope(db_url) as s:
        c1 = _complaint("ADU-2026-000001", wib(2, 10), "pelayanan_lambat", llk, "selesai", wib(3, 10), wib(9, 10),
                        responded=wib(2, 15), closed=wib(6, 10))               # both on time
        s.add(c1)
        s.flush()
        s.add_all([
            _complaint("ADU-2026-000002", wib(4, 10), "sikap_petugas", tu, "diproses", wib(5, 10), wib(12, 10),
                       responded=wib(6, 9)),                   # reply late; open past 12 Mar: resolution late, overdue
            _complaint("ADU-2026-000003", wib(13, 10), "fasilitas", tu, "baru", wib(16, 8), wib(20, 10)),
            # ^ no reply and due 16 Mar 08.00 passed: first response late, overdue; resolution pending
            _complaint("ADU-2026-000004", wib(16, 8), "informasi", tu, "baru", wib(17, 8), wib(23, 8)),  # pending
            _complaint("ADU-2026-000005", wib(5, 10), "informasi", tu, "selesai", wib(6, 10), wib(12, 10),
                       merged_into=c1.id),                     # merged: not counted
            _complaint("ADU-2026-000006", wib(27, 10, month=2), "lainnya", tu, "baru", wib(28, 10, month=2),
                       wib(6, 10)),                            # February: not counted, but overdue now
            _complaint("ADU-2026-000007", wib(10, 10), "pungli", kepatuhan, "ditolak", wib(11, 10), wib(17, 10),
                       responded=wib(10, 11), closed=wib(11, 9)),  # both on time
        ])
    with session_scope(db_url) as s:
        r = complaint_report(s, MARCH, NOW)
    assert r.total == 5
    assert {c.key: c.count for c in r.by_category} == {"pelayanan_lambat": 1, "sikap_petugas": 1, "fasilitas": 1,
                                                       "informasi": 1, "pungli": 1}
    assert [(c.key, c.count) for c in r.by_unit] == [(tu, 3), (llk, 1), (kepatuhan, 1)]
    assert [(c.key, c.count) for c in r.by_status] == [("baru", 2), ("diproses", 1), ("selesai", 1), ("ditolak", 1)]
    # first response: on time C1, C7; late C2 (replied after due), C3 (due passed, no reply); pending C4
    assert (r.first_response.on_time, r.first_response.late, r.first_response.pending) == (2, 2, 1)
    assert r.first_response.rate == Fraction(1, 2)
    # resolution: on time C1, C7; late C2 (open past 12 Mar); pending C3, C4
    assert (r.resolution.on_time, r.resolution.late, r.resolution.pending) == (2, 1, 2)
    assert r.resolution.rate == Fraction(2, 3)
    # overdue now, oldest deadline first: C6 (28 Feb 10.00 -> 16 Mar 09.30 = 16 days - 30 min = 383.5 h),
    # C2 (resolution 12 Mar 10.00 -> 95.5 h), C3 (first response 16 Mar 08.00 -> 1.5 h)
    assert [(o.code, o.stage, o.hours_late) for o in r.overdue] == [
        ("ADU-2026-000006", "Tanggapan pertama", 383), ("ADU-2026-000002", "Penyelesaian", 95),
        ("ADU-2026-000003", "Tanggapan pertama", 1)]


# ---- knowledge base ------------------------------------------------------------------------------
def test_knowledge_figures(db_url: str) -> None:
    day = dt.date(2026, 3, 5)
    for _ in range(3):
        record_answer("answered", channel="whatsapp", language="id", topic="paspor_baru", article_id="paspor-baru-id",
                      day=day, url=db_url)
    record_answer("answered", channel="web", language="en", topic="biaya", article_id="biaya-en", day=day, url=db_url)
    record_answer("chosen", channel="web", language="id", topic="biaya", article_id="biaya-id", day=day, url=db_url)
    record_answer("clarified", channel="web", language="id", day=day, url=db_url)
    record_answer("clarified", channel="telegram", language="id", day=day, url=db_url)
    record_answer("declined", channel="telegram", language="id", day=day, url=db_url)
    record_answer("answered", channel="web", language="id", topic="paspor_baru", day=dt.date(2026, 4, 1), url=db_url)
    with pytest.raises(ValueError):
        record_answer("guessed", channel="web", language="id", url=db_url)
    with session_scope(db_url) as s:
        assert s.query(KbAnswerLog).count() == 9
        r = knowledge_report(s, MARCH)
    assert r.outcomes == {"answered": 4, "clarified": 2, "chosen": 1, "declined": 1}
    # questions typed = 4 answered + 2 clarified + 1 declined = 7; answered = 4 + min(1 chosen, 2) = 5
    assert (r.questions, r.answered, r.answered_share) == (7, 5, Fraction(5, 7))
    # topics: paspor_baru 3 (April's is outside), biaya 1 answered + 1 chosen = 2
    assert [(t.topic, t.count) for t in r.topics] == [("paspor_baru", 3), ("biaya", 2)]
    assert r.topics[0].label == "Paspor baru"  # no article in this database: the readable key


# ---- conversations (Rasa's tracker table) --------------------------------------------------------
def _event(conn, sender: str, at: dt.datetime, type_name: str = "user", intent: str | None = "greet") -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                      "VALUES (:s, :t, :ts, :i, NULL, :d)"),
                 {"s": sender, "t": type_name, "ts": at.timestamp(), "i": intent if type_name == "user" else None,
                  "d": json.dumps({"event": type_name})})


def test_conversations_and_handoff_rate(db_url: str, tmp_path: Path) -> None:
    tracker = create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    with tracker.begin() as conn:
        conn.execute(text(RASA_EVENTS_DDL))
        _event(conn, "whatsapp:+62811", wib(2, 10))
        _event(conn, "whatsapp:+62811", wib(2, 10, 5), intent="ask_procedure")  # same conversation
        _event(conn, "whatsapp:+62811", wib(2, 10, 6), type_name="bot")         # the bot's reply: not counted
        _event(conn, "whatsapp:+62811", wib(3, 9))                                # next day: a new conversation
        _event(conn, "telegram:42", wib(2, 11))
        _event(conn, "telegram:42", wib(2, 11, 2), intent="request_officer")     # asked for an officer
        _event(conn, "web:abc", wib(2, 23, 30))                                   # 16.30 UTC, still 2 March WIB
        _event(conn, "web:def", wib(1, 6, 30))                                    # 28 Feb UTC, 1 March WIB
        _event(conn, "web:old", wib(28, 23, month=2))                             # February WIB: outside
        _event(conn, "web:ext", wib(2, 12), intent="EXTERNAL_office_message")    # pushed by the office: not a chat
        _event(conn, "rest-tester", wib(3, 14))                                   # REST channel, no prefix
    with session_scope(db_url) as s:
        s.add_all([LiveSession(sender_id="web:abc", status="selesai", created_at=wib(2, 23, 40),
                               last_activity_at=wib(2, 23, 50)),
                   LiveSession(sender_id="messenger:99", status="selesai", created_at=wib(4, 10),
                               last_activity_at=wib(4, 10, 5))])
    with session_scope(db_url) as s:
        r = conversation_report(s, MARCH, tracker)
    assert r.available
    assert r.channels == ("whatsapp", "telegram", "web", "messenger", "rest")
    d = dt.date
    assert r.counts == {(d(2026, 3, 1), "web"): 1, (d(2026, 3, 2), "whatsapp"): 1, (d(2026, 3, 2), "telegram"): 1,
                        (d(2026, 3, 2), "web"): 1, (d(2026, 3, 3), "whatsapp"): 1, (d(2026, 3, 3), "rest"): 1,
                        (d(2026, 3, 4), "messenger"): 1}
    assert r.total == 7 and r.day_total(d(2026, 3, 2)) == 3
    # hand-offs: telegram (intent), web:abc (live session), messenger (live session only) = 3 of 7
    assert r.handoffs == {(d(2026, 3, 2), "telegram"): 1, (d(2026, 3, 2), "web"): 1, (d(2026, 3, 4), "messenger"): 1}
    assert r.handoff_rate == Fraction(3, 7)
    with session_scope(db_url) as s:  # without a tracker store: the live sessions still count, and it says why
        empty = conversation_report(s, MARCH, create_engine(f"sqlite:///{tmp_path / 'none.db'}"))
    assert empty.total == 2 and "belum berisi" in empty.note


# ---- satisfaction -------------------------------------------------------------------------------
def test_satisfaction_report(db_url: str) -> None:
    def response(day: dt.date, scores: list[int | None], comment: str | None = None, channel: str = "whatsapp"):
        row = SurveyResponse(event_kind="visit", service_code="AMBIL", channel=channel, status="completed",
                             period_day=day, comment=comment, started_at=wib(1, 8), position=9)
        for i, score in enumerate(scores, 1):
            setattr(row, f"u{i}", score)
        return row

    with session_scope(db_url) as s:
        from office.booking.catalogue import ensure_seeded

        ensure_seeded(s)
        s.add_all([response(dt.date(2026, 3, 2), FOUR[0], "Petugas ramah <b>sekali</b>"),
                   response(dt.date(2026, 3, 3), FOUR[1]), response(dt.date(2026, 3, 9), FOUR[2], "  "),
                   response(dt.date(2026, 3, 10), FOUR[3], "Antrean agak lama", channel="telegram"),
                   response(dt.date(2026, 1, 15), [4] * 9)])
    with session_scope(db_url) as s:
        r = satisfaction_report(s, MARCH, target_sample=10)
    assert r.overall.converted_display() == Decimal("83.80") and r.overall.mutu == "B" and r.overall.below_target
    assert [m.label for m in r.months][-3:] == ["Jan 2026", "Feb 2026", "Mar 2026"] and len(r.months) == 12
    assert [m.result.converted_display() for m in r.months][-3:] == [Decimal("100.00"), None, Decimal("83.80")]
    assert [(g.label, g.result.responses) for g in r.by_service] == [("Pengambilan paspor", 4)]
    assert [(g.key, g.result.responses) for g in r.by_channel] == [("telegram", 1), ("whatsapp", 3)]
    assert [c.text for c in r.comments] == ["Antrean agak lama", "Petugas ramah <b>sekali</b>"]


# ---- periods ------------------------------------------------------------------------------------
def test_periods() -> None:
    assert parse_period("2026-03") == MARCH and MARCH.label == "Maret 2026" and MARCH.is_month
    assert parse_period(None, "2026-03-01", "2026-03-15").label == "1 Mar 2026 – 15 Mar 2026"
    assert parse_period(today=dt.date(2026, 3, 16)) == MARCH
    start, after = MARCH.utc_bounds()
    assert start == dt.datetime(2026, 2, 28, 17, tzinfo=dt.timezone.utc)
    assert after == dt.datetime(2026, 3, 31, 17, tzinfo=dt.timezone.utc)
    for bad in (("2026-13", None, None), ("maret", None, None), (None, "2026-03-10", "2026-03-01"),
                (None, "2026-03-01", None), (None, "2024-01-01", "2026-01-01")):
        with pytest.raises(PeriodError):
            parse_period(*bad)
