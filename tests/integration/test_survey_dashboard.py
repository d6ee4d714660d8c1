"""A survey answered in chat shows up in the IKM figure and its mutu on the supervisors' dashboard.

The citizen is served at the counter, the worker invites them, they answer all nine elements by typing the
digits and skip the comment; the dashboard for March 2026 then counts one more respondent and shows the IKM
and mutu computed from every completed response of the month (other tests of the session add theirs)."""
from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from backoffice.dashboard_blocks import cell_text
from office.db import session_scope
from office.survey.ikm import ikm_for_period
from tests.backoffice_support import login, make_user
from tests.conftest import texts
from tests.integration.test_survey_flow import _run_worker, _served_visit

pytestmark = pytest.mark.integration
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def _march() -> tuple[int, str | None, str | None]:
    with session_scope() as s:
        result = ikm_for_period(s, *MARCH)
        value = result.converted_display()
        return result.responses, (cell_text(value) if value is not None else None), result.mutu


def test_a_survey_answered_in_chat_reaches_the_ikm_on_the_dashboard(
        chat, rasa_server: str, live_backoffice: str, office_env: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    before, _, _ = _march()
    sender = f"telegram:{uuid.uuid4().int % 10**9}"
    _served_visit(chat, sender)
    _run_worker(rasa_server, monkeypatch)
    reply = chat(sender, "/survey_start")
    assert "Pertanyaan 1 dari 9" in texts(reply)
    for number, score in enumerate(["4", "3", "4", "4", "3", "4", "4", "3", "4"], start=1):
        reply = chat(sender, score)
        assert ("Pertanyaan %d dari 9" % (number + 1) if number < 9 else "saran atau komentar") in texts(reply)
    assert "survei Bapak/Ibu telah kami terima" in texts(chat(sender, "Tidak ada komentar"))

    responses, figure, mutu = _march()
    assert responses == before + 1 and figure is not None and mutu in "ABCD"
    username = f"kepala{uuid.uuid4().hex[:6]}"
    password = make_user(office_env["DATABASE_URL"], username, "supervisor")
    with httpx.Client(base_url=live_backoffice, timeout=30) as client:
        assert login(client, username, password).status_code in (302, 303)
        page = client.get("/staff/dashboard", params={"bulan": "2026-03"})
        assert page.status_code == 200
        html = page.text
    assert f'<span class="ikm-value">{figure}</span>' in html
    assert f"Mutu {mutu}" in html and f"{responses} responden" in html
