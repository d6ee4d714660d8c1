"""A small month of office activity (March 2026) for the dashboard page and browser tests, built from the
same row helpers as tests/unit/test_reports.py (whose figures are checked by hand there)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, text

from office.booking.catalogue import ensure_seeded
from office.db import session_scope
from office.kb.answer_log import record_answer
from office.survey.models import SurveyResponse
from tests.unit.test_ikm import FOUR
from tests.unit.test_reports import RASA_EVENTS_DDL, _booking, _complaint, _event, _ticket, wib

XSS_COMMENT = "<script>alert('ikm')</script> Pelayanan cepat"


def seed_month(url: str, tracker_url: str) -> None:
    """Bookings, queue numbers, complaints, knowledge answers, survey responses and Rasa events."""
    with session_scope(url) as s:
        ensure_seeded(s)
        for n in range(1, 13):
            day = dt.date(2026, 3, 2 + (n % 10))
            s.add(_booking(100 + n, day, ("checked_in", "active", "cancelled")[n % 3]))
        for n in range(1, 9):
            issued = wib(2 + n % 4, 8 + n % 3, 5 * n)
            s.add(_ticket(n, issued, "served", issued + dt.timedelta(minutes=6 * n),
                          issued + dt.timedelta(minutes=6 * n + 10 + n)))
        s.add(_complaint("ADU-2026-000101", wib(2, 10), "pelayanan_lambat", "Seksi Lalu Lintas Keimigrasian",
                         "selesai", wib(3, 10), wib(9, 10), responded=wib(2, 15), closed=wib(6, 10)))
        s.add(_complaint("ADU-2026-000102", wib(4, 10), "sikap_petugas", "Tata Usaha", "diproses", wib(5, 10),
                         wib(12, 10), responded=wib(6, 9)))
        s.add(_complaint("ADU-2026-000103", wib(13, 10), "fasilitas", "Tata Usaha", "baru", wib(16, 8), wib(20, 10)))
        for i, scores in enumerate(FOUR):
            row = SurveyResponse(event_kind="visit", service_code="AMBIL", channel=("whatsapp", "web")[i % 2],
                                 status="completed", period_day=dt.date(2026, 3, 2 + i), started_at=wib(2, 8),
                                 position=9, comment=XSS_COMMENT if i == 0 else None)
            for k, score in enumerate(scores, 1):
                setattr(row, f"u{k}", score)
            s.add(row)
    for topic, count in (("paspor_baru", 5), ("biaya_paspor", 3), ("jam_layanan", 2)):
        for _ in range(count):
            record_answer("answered", channel="whatsapp", language="id", topic=topic, day=dt.date(2026, 3, 5), url=url)
    record_answer("declined", channel="web", language="id", day=dt.date(2026, 3, 6), url=url)
    engine = create_engine(tracker_url)
    with engine.begin() as conn:
        conn.execute(text(RASA_EVENTS_DDL))
        for day in range(1, 16):
            for k in range(day % 4 + 1):
                _event(conn, f"whatsapp:+6281{day:02d}{k}", wib(day, 9))
            _event(conn, f"web:{day}", wib(day, 10), intent="request_officer" if day % 5 == 0 else "greet")
            _event(conn, f"telegram:{day}", wib(day, 11))
    engine.dispose()
