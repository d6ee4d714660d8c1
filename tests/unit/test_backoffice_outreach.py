"""Outreach staff pages over HTTP: roles on every route, CSRF on every form, citizen text escaped,
bad input answered on the form with nothing saved, and each action in the audit trail."""
from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import office.staff as staff
from office.audit import AuditEntry
from office.db import session_scope
from office.outreach.event_models import OutreachEvent, RegistrationMember, VisitRequest
from tests.backoffice_support import cheap_password_hasher, create_schema, csrf_from, login, make_user
from tests.outreach_support import make_event, make_visit_request, register_directly

NOW = "2026-11-30T10:00:00"
TODAY = dt.date(2026, 11, 30)


@pytest.fixture()
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'bo.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "unit-test-secret-key-0123456789")
    monkeypatch.setenv("OFFICE_NOW", NOW)
    monkeypatch.setattr(staff, "_hasher", cheap_password_hasher())
    create_schema(url)
    from backoffice.app import create_app

    return url, TestClient(create_app())


def _signed_in(env, role):
    url, client = env
    password = make_user(url, f"u-{role}", role, unit="Pengaduan" if role == staff.OFFICER else None)
    assert login(client, f"u-{role}", password).status_code == 303
    return url, client


def _seed(url):
    with session_scope(url) as s:
        event = make_event(s, TODAY, title="Keliling <b>Tumijajar</b>")
        register_directly(s, event, "telegram:1", "<script>alert(1)</script>", [("Siti <i>Aminah</i>", dt.date(1990, 1, 2))])
        request = make_visit_request(s, organisation="SMA <img src=x onerror=alert(1)>")
        member = s.scalars(select(RegistrationMember.id)).one()
        return event.id, member, request.id


@pytest.mark.parametrize("role,view,plan", [("counter", 200, 403), ("supervisor", 200, 200), ("admin", 200, 200),
                                            ("officer", 403, 403), ("editor", 403, 403)])
def test_roles_on_every_page(env, role, view, plan):
    url, client = _signed_in(env, role)
    event_id, member_id, request_id = _seed(url)
    for path in ("/staff/outreach", f"/staff/outreach/{event_id}", f"/staff/outreach/{event_id}/print"):
        assert client.get(path).status_code == view, path
    for path in ("/staff/outreach/new", f"/staff/outreach/{event_id}/edit", "/staff/outreach/requests"):
        assert client.get(path).status_code == plan, path
    token = csrf_from(client.get("/staff/password").text)
    for path in (f"/staff/outreach/{event_id}/close", f"/staff/outreach/{event_id}/cancel",
                 f"/staff/outreach/requests/{request_id}/decide", "/staff/outreach/new"):
        assert client.post(path, data={"csrf_token": token}, follow_redirects=False).status_code in (
            (403,) if plan == 403 else (303, 400)), path
    status = client.post(f"/staff/outreach/{event_id}/members/{member_id}/check-in", data={"csrf_token": token},
                         follow_redirects=False).status_code
    assert status == (303 if view == 200 else 403)


def test_signed_out_goes_to_login_and_forms_need_csrf(env):
    url, client = env
    event_id, member_id, _ = _seed(url)
    assert client.get("/staff/outreach", follow_redirects=False).headers["location"].startswith("/staff/login")
    url, client = _signed_in(env, "admin")
    assert client.post(f"/staff/outreach/{event_id}/members/{member_id}/check-in").status_code == 403
    assert client.post(f"/staff/outreach/{event_id}/cancel", data={"reason": "Banjir besar"}).status_code == 403
    with session_scope(url) as s:
        assert s.get(OutreachEvent, event_id).status == "published"
        assert s.get(RegistrationMember, member_id).checked_in_at is None


def test_citizen_text_is_escaped(env):
    url, client = _signed_in(env, "admin")
    event_id, _, _ = _seed(url)
    for path in (f"/staff/outreach/{event_id}", f"/staff/outreach/{event_id}/print", "/staff/outreach/requests",
                 "/staff/outreach"):
        html = client.get(path).text
        assert "<script>alert(1)" not in html and "<img src=x" not in html and "<i>Aminah" not in html, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/staff/outreach/{event_id}").text


def test_bad_form_is_answered_and_nothing_saved_then_create_edit_are_audited(env):
    url, client = _signed_in(env, "admin")
    page = client.get("/staff/outreach/new?kind=service_day")
    assert "Penggantian paspor habis masa berlaku atau halaman penuh" in page.text
    form = {"csrf_token": csrf_from(page.text), "kind": "service_day", "title": "Keliling Way Kenanga",
            "place": "Balai Desa Indraloka", "kecamatan": "Way Kenanga", "kabupaten": "Tulang Bawang Barat",
            "day": "2026-11-01", "start_time": "14:00", "end_time": "09:00", "quota": "0",
            "services": "Paspor baru", "description": ""}
    bad = client.post("/staff/outreach/new", data=form)
    assert bad.status_code == 400
    for needle in ("Tanggal sudah lewat", "Jam selesai harus sesudah jam mulai", "Kuota minimal 1"):
        assert needle in bad.text
    assert 'value="Balai Desa Indraloka"' in bad.text  # what was typed is kept
    with session_scope(url) as s:
        assert s.scalars(select(OutreachEvent)).all() == []
    form.update(day="2026-12-14", start_time="09:00", end_time="14:00", quota="30")
    done = client.post("/staff/outreach/new", data=form, follow_redirects=False)
    assert done.status_code == 303
    event_id = int(done.headers["location"].split("/")[3].split("?")[0])
    form.update(quota="35")
    assert client.post(f"/staff/outreach/{event_id}/edit", data=form, follow_redirects=False).status_code == 303
    with session_scope(url) as s:
        assert s.get(OutreachEvent, event_id).quota == 35
        actions = [a for a in s.scalars(select(AuditEntry.action).order_by(AuditEntry.id))]
        assert actions[-2:] == ["outreach_event_created", "outreach_event_updated"]


def test_unknown_ids_are_404_not_errors(env):
    _, client = _signed_in(env, "admin")
    for path in ("/staff/outreach/999", "/staff/outreach/abc", "/staff/outreach/99999999999", "/staff/outreach/999/edit"):
        assert client.get(path).status_code == 404, path


def test_decide_twice_changes_nothing(env):
    url, client = _signed_in(env, "supervisor")
    _, _, request_id = _seed(url)
    token = csrf_from(client.get("/staff/outreach/requests").text)
    first = client.post(f"/staff/outreach/requests/{request_id}/decide",
                        data={"csrf_token": token, "decision": "decline", "note": "Tim penuh bulan ini"})
    assert "ditolak; pemohon diberi tahu lewat chat" in first.text
    second = client.post(f"/staff/outreach/requests/{request_id}/decide",
                         data={"csrf_token": token, "decision": "accept", "note": ""})
    assert "sudah diputuskan sebelumnya" in second.text
    with session_scope(url) as s:
        assert s.get(VisitRequest, request_id).status == "declined"
        assert [a for a in s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("visit_request%")))] == [
            "visit_request_declined"]
