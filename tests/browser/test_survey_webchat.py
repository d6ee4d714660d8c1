"""The satisfaction survey in the web-chat widget with a real browser, the real Rasa and action server and
the real worker code: the invitation is pushed into the open widget, the citizen answers with the buttons
(the long answer labels must stay readable on a 360 px phone) and the response is completed."""
from __future__ import annotations

import datetime as dt

import httpx
from playwright.sync_api import expect
from sqlalchemy import select

from office.booking import queue as q
from office.booking.models import QueueTicket
from office.db import session_scope
from office.survey.models import SurveyResponse
from tests.browser.test_webchat_live import _sender, embedding_site  # noqa: F401  (the shared host page)

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB)


def test_survey_invitation_and_buttons_in_the_widget(embedding_site, rasa_server: str,  # noqa: F811
                                                     browser_page, shot, monkeypatch) -> None:
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(embedding_site.url("/"))
    page.get_by_role("button", name="Tanya Asisten").click()
    log = page.get_by_role("log")
    box = page.get_by_label("Tulis pesan")
    box.fill("ambil nomor antrean")
    box.press("Enter")
    expect(log).to_contain_text("Konsultasi", timeout=60_000)
    page.get_by_role("button", name="Konsultasi keimigrasian").last.click()
    expect(log).to_contain_text("Nomor antrean Bapak/Ibu", timeout=60_000)

    sender = _sender(page, embedding_site)
    with session_scope() as s:  # the counter calls and serves the number
        ticket = s.scalar(select(QueueTicket).where(QueueTicket.sender_id == sender))
        ticket.status = "called"
        q.finish(s, ticket.id, "served", now=NOW)
    from worker.delivery import deliver_due
    from worker.survey_jobs import run_survey_jobs

    monkeypatch.setenv("RASA_URL", rasa_server)
    monkeypatch.setenv("OFFICE_NOW", "2026-03-16T10:05:00")
    run_survey_jobs()
    with httpx.Client() as client:
        deliver_due(client, limit=200)
    expect(log).to_contain_text("Bersediakah Bapak/Ibu mengisi Survei Kepuasan Masyarakat", timeout=20_000)
    shot(page, "survey/invite-360x740", full_page=False)

    page.get_by_role("button", name="Isi survei").last.click()
    expect(log).to_contain_text("Pertanyaan 1 dari 9", timeout=60_000)
    for number, answer in enumerate(["Sesuai", "Sangat mudah", "Cepat", "Gratis", "Sesuai", "Kompeten",
                                     "Sangat sopan dan ramah"], start=2):
        page.get_by_role("button", name=answer, exact=True).last.click()
        expect(log).to_contain_text(f"Pertanyaan {number} dari 9", timeout=60_000)
    shot(page, "survey/question8-360x740", full_page=False)
    page.get_by_role("button", name="Ada tetapi tidak berfungsi", exact=True).last.click()
    expect(log).to_contain_text("Pertanyaan 9 dari 9", timeout=60_000)
    page.get_by_role("button", name="Lewati", exact=True).last.click()
    expect(log).to_contain_text("saran atau komentar", timeout=60_000)
    box.fill("Ruang tunggu nyaman, terima kasih.")
    box.press("Enter")
    expect(log).to_contain_text("survei Bapak/Ibu telah kami terima", timeout=60_000)
    shot(page, "survey/thanks-360x740", full_page=False)
    shot(page, "survey/thanks-1280x800", "desktop", full_page=False)
    with session_scope() as s:
        response = s.scalar(select(SurveyResponse).where(SurveyResponse.comment == "Ruang tunggu nyaman, terima kasih."))
        assert response.status == "completed" and response.scores() == [3, 4, 3, 4, 3, 3, 4, 2, None]
    assert page.dialogs == []
