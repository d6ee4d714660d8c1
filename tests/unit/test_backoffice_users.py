"""Account administration, the role matrix, escaping, the audit page, bad input and create_admin."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

import office.staff as staff
from office import audit
from office.db import session_scope
from backoffice import create_admin
from tests.backoffice_support import cheap_password_hasher, create_schema, csrf_from, login, make_user


@pytest.fixture()
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'bo.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "unit-test-secret-key-0123456789")
    monkeypatch.setattr(staff, "_hasher", cheap_password_hasher())
    create_schema(url)
    from backoffice.app import create_app

    return url, TestClient(create_app())


@pytest.fixture()
def admin(env):
    url, client = env
    password = make_user(url, "admin", staff.ADMIN, full_name="Ibu Admin")
    assert login(client, "admin", password).status_code == 303
    return url, client


def _user(url, username):
    with session_scope(url) as db:
        user = staff.get_user_by_username(db, username)
        return None if user is None else (user.id, user.role, user.unit, user.is_active, user.must_change_password)


# role -> expected status per page (200 open, 403 refused)
MATRIX = {
    "/staff": {"admin": 200, "supervisor": 200, "officer": 200, "counter": 200, "editor": 200},
    "/staff/password": {"admin": 200, "supervisor": 200, "officer": 200, "counter": 200, "editor": 200},
    "/staff/users": {"admin": 200, "supervisor": 403, "officer": 403, "counter": 403, "editor": 403},
    "/staff/audit": {"admin": 200, "supervisor": 200, "officer": 403, "counter": 403, "editor": 403},
}


@pytest.mark.parametrize("role", staff.ROLES)
def test_role_matrix(env, role):
    url, client = env
    password = make_user(url, f"user-{role}", role, unit="Pengaduan" if role == staff.OFFICER else None)
    login(client, f"user-{role}", password)
    home = client.get("/staff").text
    for path, expected in MATRIX.items():
        response = client.get(path, follow_redirects=False)
        assert response.status_code == expected[role], (role, path)
        if expected[role] == 403:
            assert "Anda tidak memiliki akses" in response.text
            assert f'href="{path}"' not in home  # the menu hides what the role cannot open
        elif path != "/staff":
            assert f'href="{path}"' in home
    # writing needs admin even with a valid CSRF token
    token = csrf_from(home)
    response = client.post("/staff/users", data={"csrf_token": token, "username": "baru", "full_name": "Baru", "role": "admin"})
    assert response.status_code == (200 if role == staff.ADMIN else 403)
    assert (_user(url, "baru") is not None) == (role == staff.ADMIN)


def test_create_user_shows_one_time_password_once(admin):
    url, client = admin
    token = csrf_from(client.get("/staff/users").text)
    response = client.post("/staff/users", data={
        "csrf_token": token, "username": "Budi", "full_name": "Budi Santoso", "role": "officer", "unit": "Seksi Lalu Lintas"})
    assert response.status_code == 200
    match = re.search(r'id="one-time-password">([^<]+)<', response.text)
    assert match, "one-time password shown"
    otp = match.group(1)
    assert "satu kali" in response.text
    # it works once for sign-in, forcing the change
    other = TestClient(client.app)
    assert login(other, "budi", otp).headers["location"] == "/staff/password"
    # never shown again
    assert otp not in client.get("/staff/users").text
    assert _user(url, "budi")[1:] == ("officer", "Seksi Lalu Lintas", True, True)
    with session_scope(url) as db:
        entry = audit.recent(db, action="user_created")[0]
        assert entry.actor == "admin" and entry.target == "budi"
        assert entry.detail["unit"] == "Seksi Lalu Lintas" and otp not in str(entry.detail)


def test_create_user_errors_are_shown_on_the_form(admin):
    url, client = admin
    token = csrf_from(client.get("/staff/users").text)
    response = client.post("/staff/users", data={
        "csrf_token": token, "username": "petugas2", "full_name": "Petugas Dua", "role": "officer", "unit": ""})
    assert response.status_code == 400 and "harus memiliki unit" in response.text
    assert 'value="petugas2"' in response.text  # the form keeps what was typed
    dup = client.post("/staff/users", data={"csrf_token": token, "username": "admin", "full_name": "X", "role": "admin"})
    assert dup.status_code == 400 and "sudah dipakai" in dup.text


def test_full_name_with_script_is_escaped(admin):
    url, client = admin
    make_user(url, "jahil", staff.COUNTER, full_name='<script>alert("x")</script>')
    page = client.get("/staff/users")
    assert page.status_code == 200
    assert '<script>alert("x")</script>' not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    # and in the audit trail
    token = csrf_from(page.text)
    client.post("/staff/users", data={"csrf_token": token, "username": "jahil2",
                                      "full_name": "<img src=x onerror=alert(1)>", "role": "editor"})
    audit_page = client.get("/staff/audit").text
    assert "<img src=x" not in audit_page and "&lt;img src=x onerror=alert(1)&gt;" in audit_page


def test_change_role_reset_deactivate_activate(admin):
    url, client = admin
    make_user(url, "sari", staff.COUNTER)
    user_id = _user(url, "sari")[0]
    token = csrf_from(client.get("/staff/users").text)

    r = client.post(f"/staff/users/{user_id}/role", data={"csrf_token": token, "role": "officer", "unit": "Pengaduan"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff/users?ok=role"
    assert _user(url, "sari")[1:3] == ("officer", "Pengaduan")
    assert "Peran dan unit berhasil diubah." in client.get(r.headers["location"]).text

    r = client.post(f"/staff/users/{user_id}/reset-password", data={"csrf_token": token})
    otp = re.search(r'id="one-time-password">([^<]+)<', r.text).group(1)
    assert _user(url, "sari")[4] is True
    other = TestClient(client.app)
    assert login(other, "sari", otp).headers["location"] == "/staff/password"

    r = client.post(f"/staff/users/{user_id}/deactivate", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert _user(url, "sari")[3] is False
    assert other.get("/staff/password", follow_redirects=False).status_code == 303  # signed out
    assert login(other, "sari", otp).status_code == 403

    client.post(f"/staff/users/{user_id}/activate", data={"csrf_token": token})
    assert _user(url, "sari")[3] is True
    with session_scope(url) as db:
        actions = [e.action for e in audit.recent(db, actor="admin")]
    for code in ("user_role_changed", "user_password_reset", "user_deactivated", "user_activated"):
        assert code in actions


def test_locked_account_is_marked_and_reset_unlocks(admin):
    url, client = admin
    password = make_user(url, "sari", staff.COUNTER)
    other = TestClient(client.app)
    for _ in range(5):
        login(other, "sari", "salah sekali")
    page = client.get("/staff/users").text
    assert "Terkunci sampai" in page
    assert login(other, "sari", password).status_code == 423
    token = csrf_from(page)
    client.post(f"/staff/users/{_user(url, 'sari')[0]}/reset-password", data={"csrf_token": token})
    assert "Terkunci sampai" not in client.get("/staff/users").text


def test_admin_cannot_lock_the_office_out(admin):
    url, client = admin
    admin_id = _user(url, "admin")[0]
    token = csrf_from(client.get("/staff/users").text)
    r = client.post(f"/staff/users/{admin_id}/role", data={"csrf_token": token, "role": "editor"})
    assert r.status_code == 400 and "minimal satu administrator" in r.text
    r = client.post(f"/staff/users/{admin_id}/deactivate", data={"csrf_token": token})
    assert r.status_code == 400 and "akun Anda sendiri" in r.text
    assert _user(url, "admin")[1] == "admin" and _user(url, "admin")[3] is True


def test_audit_page_filters(admin):
    url, client = admin
    make_user(url, "sari", staff.SUPERVISOR)
    TestClient(client.app).get("/")  # unrelated traffic
    login(TestClient(client.app), "sari", "salah sekali")
    page = client.get("/staff/audit")
    assert "Masuk gagal" in page.text and "Masuk berhasil" in page.text
    only_failed = client.get("/staff/audit", params={"action": "login_failed"}).text
    assert "Masuk gagal" in only_failed and "Masuk berhasil</span>" not in only_failed
    only_sari = client.get("/staff/audit", params={"actor": "SARI"}).text
    assert "Masuk gagal" in only_sari and 'class="mono">admin</td>' not in only_sari
    assert 'class="mono">admin</td>' in page.text


BAD_REQUESTS = [
    ("post", "/staff/users", {"data": {"username": "x" * 100_000}}),
    ("post", "/staff/users", {"content": b"\xff\xfe\x00garbage", "headers": {"content-type": "application/x-www-form-urlencoded"}}),
    ("post", "/staff/users", {"content": b"--zz\r\nbroken", "headers": {"content-type": "multipart/form-data; boundary=zz"}}),
    ("post", "/staff/users", {"content": b"{}", "headers": {"content-type": "application/json"}}),
    ("post", "/staff/users/abc/role", {"data": {"role": "admin"}}),
    ("post", "/staff/users/99999999999999999999999/role", {"data": {"role": "admin"}}),
    ("post", "/staff/users/123456/deactivate", {"data": {}}),
    ("post", "/staff/login", {"data": {"username": "a" * 5000, "password": "b"}}),
    ("post", "/staff/login", {"files": {"username": ("a.txt", b"file")}}),
    ("post", "/staff/password", {"data": {"new_password": "x" * 10_000}}),
    ("get", "/staff/audit", {"params": {"actor": "x" * 5000, "action": "'; drop table"}}),
    ("get", "/staff/login", {"params": {"next": "x" * 5000}}),
    ("post", "/chat/send", {"content": b"not json", "headers": {"content-type": "application/json"}}),
    ("post", "/chat/send", {"json": {"message": ["list"]}}),
    ("post", "/chat/send", {"json": ["not", "a", "dict"]}),
    ("post", "/chat/send", {"json": {"message": "x" * 200_000}}),
]


@pytest.mark.parametrize("method, path, kwargs", BAD_REQUESTS)
def test_bad_input_never_500(admin, method, path, kwargs):
    url, client = admin
    token = csrf_from(client.get("/staff").text)
    headers = dict(kwargs.pop("headers", {}), **{"X-CSRF-Token": token})
    safe = TestClient(client.app, raise_server_exceptions=False, cookies=dict(client.cookies))
    response = getattr(safe, method)(path, headers=headers, **kwargs)
    assert response.status_code < 500, response.text[:300]


def test_create_admin_command(env, capsys):
    url, _ = env
    assert create_admin.main(["--username", "kepala", "--full-name", "Kepala Kantor"]) == 0
    out = capsys.readouterr().out
    otp = re.search(r"Kata sandi sementara: (\S+)", out).group(1)
    assert "Masuk di: http://localhost:8000/staff/login" in out
    with session_scope(url) as db:
        user = staff.authenticate(db, "kepala", otp)
        assert user.role == staff.ADMIN and user.must_change_password and user.full_name == "Kepala Kantor"
    # exists: refused, nothing changes
    assert create_admin.main(["--username", "kepala"]) == 2
    assert "sudah ada" in capsys.readouterr().err
    with session_scope(url) as db:
        assert staff.authenticate(db, "kepala", otp)
    # explicit reset: a new one-time password, the old one dies
    assert create_admin.main(["--username", "kepala", "--reset-password"]) == 0
    new_otp = re.search(r"Kata sandi sementara: (\S+)", capsys.readouterr().out).group(1)
    assert new_otp != otp
    with session_scope(url) as db:
        with pytest.raises(staff.InvalidCredentials):
            staff.authenticate(db, "kepala", otp)
        assert staff.authenticate(db, "kepala", new_otp)
        assert [e.action for e in audit.recent(db, actor="cli")] == ["admin_password_reset", "admin_created"]


def test_create_admin_without_schema_explains(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("BACKOFFICE_URL", "https://layanan.example.go.id")
    assert create_admin.main([]) == 1
    assert "make migrate" in capsys.readouterr().err
    assert create_admin.sign_in_url() == "https://layanan.example.go.id/staff/login"
