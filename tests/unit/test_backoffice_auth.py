"""Sign-in, sessions, CSRF, headers and error pages of the back-office, through real HTTP requests."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

import office.staff as staff
from office import audit
from office.db import session_scope
from tests.backoffice_support import cheap_password_hasher, create_schema, csrf_from, login, make_user


@pytest.fixture()
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'bo.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "unit-test-secret-key-0123456789")
    monkeypatch.setenv("STAFF_MAX_LOGIN_FAILURES", "5")
    monkeypatch.setenv("STAFF_LOCKOUT_MINUTES", "15")
    monkeypatch.setenv("STAFF_SESSION_MINUTES", "60")
    monkeypatch.setattr(staff, "_hasher", cheap_password_hasher())
    create_schema(url)
    from backoffice.app import create_app

    client = TestClient(create_app())
    return url, client


def test_login_ok_sets_a_safe_cookie_and_audits(env):
    url, client = env
    password = make_user(url, "admin", staff.ADMIN, full_name="Ibu Admin")
    response = login(client, "admin", password)
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    cookie = response.headers["set-cookie"]
    assert "bo_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie
    home = client.get("/staff")
    assert home.status_code == 200
    assert "Ibu Admin" in home.text and "Administrator" in home.text
    with session_scope(url) as db:
        assert [e.action for e in audit.recent(db)] == ["login_ok"]


def test_cookie_secure_when_configured(env, monkeypatch):
    url, http_client = env
    monkeypatch.setenv("COOKIE_SECURE", "1")
    client = TestClient(http_client.app, base_url="https://testserver")  # browsers send Secure cookies over HTTPS only
    password = make_user(url, "admin", staff.ADMIN)
    page = client.get("/staff/login")
    assert "Secure" in page.headers["set-cookie"]
    response = client.post(
        "/staff/login",
        data={"csrf_token": csrf_from(page.text), "username": "admin", "password": password},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


def test_login_failure_is_polite_and_audited(env):
    url, client = env
    make_user(url, "admin", staff.ADMIN)
    response = login(client, "admin", "salah sekali")
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in response.text
    unknown = login(client, "siapa", "salah sekali")
    assert unknown.status_code == 401 and "Nama pengguna atau kata sandi salah." in unknown.text
    assert "bo_session" not in client.cookies
    with session_scope(url) as db:
        actions = [(e.action, e.target) for e in audit.recent(db)]
    assert actions == [("login_failed", "siapa"), ("login_failed", "admin")]


def test_lockout_after_five_wrong_passwords(env):
    url, client = env
    password = make_user(url, "admin", staff.ADMIN)
    for _ in range(4):
        assert login(client, "admin", "salah sekali").status_code == 401
    fifth = login(client, "admin", "salah sekali")
    assert fifth.status_code == 423
    assert "Akun dikunci sementara" in fifth.text and "coba lagi dalam 15 menit" in fifth.text
    right = login(client, "admin", password)
    assert right.status_code == 423  # still locked
    with session_scope(url) as db:
        assert audit.recent(db, action="login_locked")


def test_login_form_requires_its_csrf_cookie(env):
    url, client = env
    password = make_user(url, "admin", staff.ADMIN)
    response = client.post(
        "/staff/login", data={"username": "admin", "password": password, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "kedaluwarsa" in response.text
    assert "bo_session" not in client.cookies


def test_unauthenticated_pages_redirect_to_login_with_next(env):
    _, client = env
    response = client.get("/staff/users", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login?next=/staff/users"
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/login"


def test_next_parameter_is_followed_but_never_off_site(env):
    url, client = env
    password = make_user(url, "admin", staff.ADMIN)
    assert login(client, "admin", password, next_path="/staff/audit").headers["location"] == "/staff/audit"
    client.cookies.clear()
    for evil in ("https://evil.example/", "//evil.example", "/\\evil.example", "/staff/logout"):
        client.cookies.clear()
        assert login(client, "admin", password, next_path=evil).headers["location"] == "/staff"


def test_session_expires_after_idle_minutes(env, monkeypatch):
    url, client = env
    password = make_user(url, "admin", staff.ADMIN)
    login(client, "admin", password)
    start = datetime.now(timezone.utc).replace(tzinfo=None)
    monkeypatch.setattr(staff, "_utcnow", lambda: start + timedelta(minutes=50))
    assert client.get("/staff", follow_redirects=False).status_code == 200  # slides to +110
    monkeypatch.setattr(staff, "_utcnow", lambda: start + timedelta(minutes=105))
    assert client.get("/staff", follow_redirects=False).status_code == 200
    monkeypatch.setattr(staff, "_utcnow", lambda: start + timedelta(minutes=170))
    response = client.get("/staff", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


def test_state_changing_requests_need_the_session_csrf_token(env):
    url, client = env
    password = make_user(url, "admin", staff.ADMIN)
    login(client, "admin", password)
    data = {"username": "budi", "full_name": "Budi", "role": "counter", "unit": ""}
    for token in (None, "", "salah", "x" * 500):
        payload = dict(data, **({} if token is None else {"csrf_token": token}))
        response = client.post("/staff/users", data=payload)
        assert response.status_code == 403
        assert "token keamanan tidak cocok" in response.text
    bad_header = client.post("/staff/users", data=data, headers={"X-CSRF-Token": "salah"})
    assert bad_header.status_code == 403
    with session_scope(url) as db:
        assert staff.get_user_by_username(db, "budi") is None
    token = csrf_from(client.get("/staff/users").text)
    assert client.post("/staff/users", data=data, headers={"X-CSRF-Token": token}).status_code == 200
    with session_scope(url) as db:
        assert staff.get_user_by_username(db, "budi") is not None


def test_every_post_route_under_staff_checks_csrf(env):
    """A new staff route that forgets `require_roles` (and so CSRF) fails this test."""
    url, client = env
    password = make_user(url, "admin", staff.ADMIN)
    login(client, "admin", password)
    with session_scope(url) as db:
        user_id = staff.get_user_by_username(db, "admin").id
    def walk(routes):  # FastAPI >= 0.14x nests included routers
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                yield from walk(inner.routes)
            else:
                yield route

    posts = []
    for route in walk(client.app.router.routes):
        methods = getattr(route, "methods", set()) or set()
        path = getattr(route, "path", "")
        if "POST" in methods and path.startswith("/staff") and path != "/staff/login":
            posts.append(path.replace("{user_id}", str(user_id)))
    assert len(posts) >= 7
    for path in posts:
        response = client.post(path, data={"role": "counter"}, follow_redirects=False)
        assert response.status_code == 403, path
    with session_scope(url) as db:
        admin = staff.get_user_by_username(db, "admin")
        assert admin.role == staff.ADMIN and admin.is_active


def test_logout_ends_session_and_is_audited(env):
    url, client = env
    password = make_user(url, "admin", staff.ADMIN)
    login(client, "admin", password)
    old_cookie = client.cookies.get("bo_session")
    token = csrf_from(client.get("/staff").text)
    response = client.post("/staff/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/login?ok=signed_out"
    client.cookies.set("bo_session", old_cookie)  # a copied cookie is dead too
    assert client.get("/staff", follow_redirects=False).status_code == 303
    with session_scope(url) as db:
        assert audit.recent(db)[0].action == "logout"


def test_one_time_password_forces_a_change_first(env):
    url, client = env
    otp = make_user(url, "loket1", staff.COUNTER, password="sementara-12345", must_change=True)
    response = login(client, "loket1", otp)
    assert response.headers["location"] == "/staff/password"
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/password"
    page = client.get("/staff/password")
    assert "kata sandi sementara" in page.text
    token = csrf_from(page.text)
    mismatch = client.post("/staff/password", data={
        "csrf_token": token, "current_password": otp, "new_password": "kopi pagi kotabumi",
        "confirm_password": "kopi siang"})
    assert mismatch.status_code == 400 and "tidak sama" in mismatch.text
    weak = client.post("/staff/password", data={
        "csrf_token": token, "current_password": otp, "new_password": "loket1", "confirm_password": "loket1"})
    assert weak.status_code == 400 and "minimal 10" in weak.text
    ok = client.post("/staff/password", data={
        "csrf_token": token, "current_password": otp, "new_password": "kopi pagi kotabumi",
        "confirm_password": "kopi pagi kotabumi"}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/staff?ok=password_changed"
    assert "Kata sandi berhasil diubah." in client.get("/staff?ok=password_changed").text
    with session_scope(url) as db:
        assert audit.recent(db, action="password_changed")[0].actor == "loket1"
        assert "kopi" not in str([e.detail for e in audit.recent(db)])


def test_security_headers_on_pages(env):
    _, client = env
    for path in ("/staff/login", "/", "/tidak-ada"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"]
        assert "<script>" not in response.text  # every script is an external file
    assert client.get("/staff/login").headers["cache-control"] == "no-store"


def test_error_pages_are_indonesian(env):
    _, client = env
    missing = client.get("/staff/tidak-ada-halaman")
    assert missing.status_code == 404 and "Halaman tidak ditemukan" in missing.text
    assert client.get("/tidak-ada").status_code == 404
    wrong_method = client.delete("/staff/login")
    assert wrong_method.status_code == 405 and "tidak diizinkan" in wrong_method.text


def test_internal_error_page_is_indonesian(env):
    _, client = env
    app = client.app

    @app.get("/staff/boom-test")
    def boom() -> None:
        raise RuntimeError("boom")

    response = TestClient(app, raise_server_exceptions=False).get("/staff/boom-test")
    assert response.status_code == 500 and "Terjadi kesalahan" in response.text
    assert "boom" not in response.text


def test_healthz(env, monkeypatch):
    _, client = env
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}
    monkeypatch.setenv("DATABASE_URL", "sqlite:////nonexistent-dir/x.db")
    down = client.get("/healthz")
    assert down.status_code == 503 and down.json()["database"] == "unreachable"


def test_refuses_to_start_without_secret_key(tmp_path):
    code = "import backoffice.app"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(__import__("office").__path__[0] + "/.."),
             "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": ""},
    )
    assert result.returncode == 1
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_signing_in_again_ends_the_previous_session(env):
    url, client = env
    password = make_user(url, "admin", staff.ADMIN)
    login(client, "admin", password)
    first = client.cookies.get("bo_session")
    client.cookies.clear()
    client.cookies.set("bo_session", first)
    # the login form is only reachable when the session is gone, so post it directly with a fresh form token
    page = TestClient(client.app).get("/staff/login")
    client.cookies.set("bo_login_csrf", page.cookies.get("bo_login_csrf"), path="/staff/login")
    response = client.post("/staff/login", data={
        "csrf_token": csrf_from(page.text), "username": "admin", "password": password}, follow_redirects=False)
    assert response.status_code == 303
    with session_scope(url) as db:
        assert staff.resolve_session(db, first) is None
        assert db.query(staff.StaffSession).count() == 1


def test_signed_in_404_keeps_the_menu(env):
    url, client = env
    password = make_user(url, "admin", staff.ADMIN)
    login(client, "admin", password)
    response = client.get("/staff/salah-ketik")
    assert response.status_code == 404
    assert 'aria-label="Menu utama"' in response.text and "Kembali ke beranda" in response.text


def test_hsts_only_behind_https(env, monkeypatch):
    _, client = env
    assert "strict-transport-security" not in client.get("/staff/login").headers
    monkeypatch.setenv("COOKIE_SECURE", "1")
    assert client.get("/staff/login").headers["strict-transport-security"].startswith("max-age=")
