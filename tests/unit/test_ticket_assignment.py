"""Named-officer assignment of complaint tickets: to an active officer of the ticket's unit only, by
a supervisor or same-unit staff only, reassignable, audited, and the "assigned to me" inbox filter."""
from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

import office.staff as staff
from office import audit
from office.complaints.models import Ticket
from office.complaints.service import ComplaintError, assign_officer, file_ticket, inbox, reassign, unit_officers
from office.db import session_scope
from tests.backoffice_support import cheap_password_hasher, create_schema, csrf_from, login, make_user

WIB = dt.timezone(dt.timedelta(hours=7))
PASSWORD = "kata sandi uji panjang"


@pytest.fixture()
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'assign.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "unit-test-secret-key-0123456789")
    monkeypatch.setenv("OFFICE_NOW", "2026-03-25T13:00:00")
    monkeypatch.setattr(staff, "_hasher", cheap_password_hasher())
    create_schema(url)
    created = dt.datetime(2026, 3, 25, 9, 30, tzinfo=WIB)
    with session_scope(url) as s:
        codes = {"toilet": file_ticket(s, description="Toilet kotor sekali", sender_id="telegram:7", now=created).code,
                 "kursi": file_ticket(s, description="Kursi ruang tunggu rusak", sender_id="telegram:8", now=created).code,
                 "calo": file_ticket(s, description="Ada calo minta uang tambahan", sender_id="whatsapp:+6281",
                                     now=created).code}
    for name, role, unit in (("ani", staff.OFFICER, "Tata Usaha"), ("budi", staff.OFFICER, "Tata Usaha"),
                             ("uki", staff.OFFICER, "Unit Kepatuhan Internal"), ("kakan", staff.SUPERVISOR, None),
                             ("editor", staff.EDITOR, None)):
        make_user(url, name, role, unit=unit, full_name=name.title() + " Petugas", password=PASSWORD)
    with session_scope(url) as s:
        staff.deactivate(s, staff.create_user(s, "lama", "Lama Pensiun", staff.OFFICER, unit="Tata Usaha",
                                              password=PASSWORD).user)
    from backoffice.app import create_app

    return url, TestClient(create_app()), codes


def _ticket(s, code: str) -> Ticket:
    return s.query(Ticket).filter_by(code=code).one()


def test_rules(env) -> None:
    url, _, codes = env
    with session_scope(url) as s:
        toilet = _ticket(s, codes["toilet"])
        assert toilet.unit == "Tata Usaha"
        assert [u.username for u in unit_officers(s, "Tata Usaha")] == ["ani", "budi"]  # active officers only
        with pytest.raises(ComplaintError, match="bukan petugas aktif unit Tata Usaha"):
            assign_officer(s, toilet, "kakan", staff.SUPERVISOR, None, "uki")  # another unit
        with pytest.raises(ComplaintError, match="bukan petugas aktif"):
            assign_officer(s, toilet, "kakan", staff.SUPERVISOR, None, "lama")  # deactivated
        with pytest.raises(ComplaintError, match="Hanya petugas unit ini"):
            assign_officer(s, toilet, "uki", staff.OFFICER, "Unit Kepatuhan Internal", "ani")
        assert assign_officer(s, toilet, "budi", staff.OFFICER, "Tata Usaha", "ani").username == "ani"
        assign_officer(s, toilet, "kakan", staff.SUPERVISOR, None, "budi")
        assert toilet.assigned_to == "budi"
        assert [t.code for t in inbox(s, staff.OFFICER, "Tata Usaha", assigned_to="budi")] == [codes["toilet"]]
        entries = audit.recent(s, action="complaint_assign")
        assert [(e.actor, e.detail) for e in entries] == [("kakan", {"from": "ani", "to": "budi"}),
                                                          ("budi", {"from": None, "to": "ani"})]
        reassign(s, toilet, "kakan", "Unit Kepatuhan Internal")  # another unit: the named officer is cleared
        assert toilet.assigned_to is None


def test_assign_from_the_ticket_page_and_filter_mine(env) -> None:
    url, client, codes = env
    assert login(client, "ani", PASSWORD).status_code == 303
    page = client.get(f"/staff/tickets/{codes['toilet']}").text
    assert "Tugaskan ke petugas" in page and "Belum ditugaskan" in page
    assert '<option value="ani">Ani Petugas (ani) · saya</option>' in page and "uki" not in page.split("officer-select")[1].split("</select>")[0]
    token = csrf_from(page)
    assert client.post(f"/staff/tickets/{codes['toilet']}/assign", data={"officer": "ani"}).status_code == 403  # CSRF
    r = client.post(f"/staff/tickets/{codes['toilet']}/assign", data={"csrf_token": token, "officer": "ani"})
    assert "Petugas yang menangani diperbarui." in r.text and "Ani Petugas (ani)" in r.text.split("assigned-officer")[1][:60]
    r = client.post(f"/staff/tickets/{codes['kursi']}/assign", data={"csrf_token": token, "officer": "uki"})
    assert r.status_code == 400 and "bukan petugas aktif unit Tata Usaha" in r.text
    # another unit's ticket is not even visible to an officer
    assert client.post(f"/staff/tickets/{codes['calo']}/assign", data={"csrf_token": token, "officer": ""}).status_code == 404

    mine = client.get("/staff/tickets?mine=1").text
    assert codes["toilet"] in mine and codes["kursi"] not in mine and "Petugas: ani" in mine
    everything = client.get("/staff/tickets").text
    assert codes["toilet"] in everything and codes["kursi"] in everything

    client.cookies.clear()
    assert login(client, "kakan", PASSWORD).status_code == 303
    token = csrf_from(client.get(f"/staff/tickets/{codes['toilet']}").text)
    r = client.post(f"/staff/tickets/{codes['toilet']}/assign", data={"csrf_token": token, "officer": "budi"})
    assert r.status_code == 200 and "Budi Petugas (budi)" in r.text.split("assigned-officer")[1][:60]
    with session_scope(url) as s:
        assert _ticket(s, codes["toilet"]).assigned_to == "budi"
        assert audit.recent(s, action="complaint_assign")[0].detail == {"from": "ani", "to": "budi"}
    client.cookies.clear()
    assert login(client, "editor", PASSWORD).status_code == 303
    token = csrf_from(client.get("/staff").text)  # the editor's own valid token: refused for the role
    assert client.post(f"/staff/tickets/{codes['toilet']}/assign", data={"csrf_token": token, "officer": ""}).status_code == 403
