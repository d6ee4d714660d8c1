"""Domain rules of staff accounts and sessions (office/staff.py) and the audit trail (office/audit.py)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

import office.staff as staff
from office import audit
from office.db import session_scope
from tests.backoffice_support import cheap_password_hasher, create_schema

T0 = datetime(2026, 12, 7, 2, 0, 0)  # naive UTC = Senin, 7 Desember 2026 09.00 WIB


@pytest.fixture()
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'staff.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("STAFF_MAX_LOGIN_FAILURES", "5")
    monkeypatch.setenv("STAFF_LOCKOUT_MINUTES", "15")
    monkeypatch.setenv("STAFF_SESSION_MINUTES", "480")
    monkeypatch.setattr(staff, "_hasher", cheap_password_hasher())
    create_schema(url)
    with session_scope(url) as session:
        yield session


def test_create_user_generates_one_time_password_and_hashes_it(db):
    created = staff.create_user(db, "Budi.S", "Budi Santoso", staff.OFFICER, unit="Pengaduan", now=T0)
    user = created.user
    assert created.one_time_password and len(created.one_time_password) >= 16
    assert user.username == "budi.s"  # usernames are case-insensitive
    assert user.must_change_password is True
    assert user.password_hash.startswith("$argon2id$")
    assert created.one_time_password not in user.password_hash
    assert staff.verify_password(user.password_hash, created.one_time_password)
    # a second account gets a different password
    other = staff.create_user(db, "sari", "Sari", staff.COUNTER)
    assert other.one_time_password != created.one_time_password


def test_create_user_with_given_password_still_forces_change(db):
    created = staff.create_user(db, "editor1", "Editor Satu", staff.EDITOR, password="kalimat panjang sekali")
    assert created.one_time_password is None
    assert created.user.must_change_password is True


@pytest.mark.parametrize(
    "username, role, unit, message",
    [
        ("ab", staff.COUNTER, None, "Nama pengguna"),
        ("bad name", staff.COUNTER, None, "Nama pengguna"),
        ("<script>", staff.COUNTER, None, "Nama pengguna"),
        ("petugas1", "root", None, "Peran tidak dikenal"),
        ("petugas1", staff.OFFICER, None, "unit"),
        ("petugas1", staff.OFFICER, "   ", "unit"),
    ],
)
def test_create_user_rejects_bad_input(db, username, role, unit, message):
    with pytest.raises(staff.StaffError, match=message):
        staff.create_user(db, username, "Nama", role, unit=unit)


def test_create_user_rejects_duplicate_and_weak_given_password(db):
    staff.create_user(db, "admin", "Admin", staff.ADMIN)
    with pytest.raises(staff.StaffError, match="sudah dipakai"):
        staff.create_user(db, "ADMIN", "Admin Dua", staff.ADMIN)
    with pytest.raises(staff.WeakPassword):
        staff.create_user(db, "pendek", "Pendek", staff.COUNTER, password="123")


def test_authenticate_ok_resets_failures_and_records_login_time(db):
    otp = staff.create_user(db, "admin", "Admin", staff.ADMIN).one_time_password
    with pytest.raises(staff.InvalidCredentials):
        staff.authenticate(db, "admin", "salah", now=T0)
    user = staff.authenticate(db, "ADMIN", otp, now=T0)
    assert user.failed_logins == 0
    assert user.last_login_at == T0


def test_lockout_after_max_failures_and_release_after_lockout_minutes(db):
    otp = staff.create_user(db, "admin", "Admin", staff.ADMIN).one_time_password
    for _ in range(4):
        with pytest.raises(staff.InvalidCredentials):
            staff.authenticate(db, "admin", "salah-salah", now=T0)
    with pytest.raises(staff.AccountLocked) as locked:
        staff.authenticate(db, "admin", "salah-salah", now=T0)
    assert locked.value.minutes == 15
    assert "coba lagi dalam 15 menit" in str(locked.value)
    # even the right password is refused while locked, with the remaining minutes
    with pytest.raises(staff.AccountLocked) as still:
        staff.authenticate(db, "admin", otp, now=T0 + timedelta(minutes=10))
    assert still.value.minutes == 5
    assert staff.authenticate(db, "admin", otp, now=T0 + timedelta(minutes=16)).username == "admin"


def test_lockout_threshold_comes_from_settings(db, monkeypatch):
    monkeypatch.setenv("STAFF_MAX_LOGIN_FAILURES", "2")
    staff.create_user(db, "admin", "Admin", staff.ADMIN)
    with pytest.raises(staff.InvalidCredentials):
        staff.authenticate(db, "admin", "x", now=T0)
    with pytest.raises(staff.AccountLocked):
        staff.authenticate(db, "admin", "x", now=T0)


def test_unknown_user_costs_a_hash_verification(db, monkeypatch):
    calls = []
    real = staff.verify_password
    monkeypatch.setattr(staff, "verify_password", lambda h, p: calls.append(h) or real(h, p))
    with pytest.raises(staff.InvalidCredentials) as exc:
        staff.authenticate(db, "tidak-ada", "apa saja", now=T0)
    assert len(calls) == 1 and calls[0].startswith("$argon2")
    assert str(exc.value) == str(staff.InvalidCredentials())  # same message as a wrong password


def test_inactive_user_cannot_sign_in(db):
    staff.create_user(db, "admin", "Admin", staff.ADMIN)
    created = staff.create_user(db, "loket1", "Loket", staff.COUNTER)
    staff.deactivate(db, created.user)
    with pytest.raises(staff.AccountInactive):
        staff.authenticate(db, "loket1", created.one_time_password, now=T0)


def test_session_stores_only_a_hash_and_slides(db, monkeypatch):
    user = staff.create_user(db, "admin", "Admin", staff.ADMIN).user
    new = staff.start_session(db, user, ip="10.0.0.1", now=T0)
    stored = db.scalar(select(staff.StaffSession))
    assert stored.token_hash != new.token and len(stored.token_hash) == 64
    assert new.token not in (stored.csrf_token, stored.token_hash)
    assert stored.expires_at == T0 + timedelta(minutes=480)
    # used after 7 hours: still valid, and the expiry moves forward
    later = T0 + timedelta(hours=7)
    assert staff.resolve_session(db, new.token, now=later) is not None
    assert stored.expires_at == later + timedelta(minutes=480)
    # 8 hours + 1 minute of silence: gone
    assert staff.resolve_session(db, new.token, now=later + timedelta(minutes=481)) is None
    assert db.scalar(select(staff.StaffSession)) is None
    assert staff.resolve_session(db, "x" * 500) is None
    assert staff.resolve_session(db, None) is None


def test_end_session_and_deactivation_end_sessions(db):
    staff.create_user(db, "admin", "Admin", staff.ADMIN)
    user = staff.create_user(db, "loket1", "Loket", staff.COUNTER).user
    a = staff.start_session(db, user, now=T0)
    b = staff.start_session(db, user, now=T0)
    assert staff.end_session(db, a.token) is not None
    assert staff.resolve_session(db, a.token, now=T0) is None
    assert staff.resolve_session(db, b.token, now=T0) is not None
    staff.deactivate(db, user)
    assert staff.resolve_session(db, b.token, now=T0) is None


def test_change_password_rules(db):
    created = staff.create_user(db, "petugas.satu", "Petugas", staff.COUNTER)
    user, otp = created.user, created.one_time_password
    keep = staff.start_session(db, user, now=T0)
    other = staff.start_session(db, user, now=T0)
    with pytest.raises(staff.StaffError, match="saat ini salah"):
        staff.change_password(db, user, "salah", "kata sandi baru yang panjang")
    with pytest.raises(staff.WeakPassword, match="minimal 10"):
        staff.change_password(db, user, otp, "pendek")
    with pytest.raises(staff.WeakPassword, match="nama pengguna"):
        staff.change_password(db, user, otp, "Petugas.Satu")
    with pytest.raises(staff.WeakPassword, match="berbeda"):
        staff.change_password(db, user, otp, otp)
    staff.change_password(db, user, otp, "kopi pagi di kotabumi", keep_session_id=keep.session.id)
    assert user.must_change_password is False
    assert staff.authenticate(db, "petugas.satu", "kopi pagi di kotabumi", now=T0)
    assert staff.resolve_session(db, keep.token, now=T0) is not None
    assert staff.resolve_session(db, other.token, now=T0) is None


def test_reset_password_issues_new_otp_unlocks_and_signs_out(db):
    created = staff.create_user(db, "loket1", "Loket", staff.COUNTER)
    user = created.user
    session = staff.start_session(db, user, now=T0)
    user.locked_until = T0 + timedelta(minutes=10)
    new_otp = staff.reset_password(db, user)
    assert new_otp != created.one_time_password
    assert user.must_change_password is True and user.locked_until is None
    assert staff.resolve_session(db, session.token, now=T0) is None
    with pytest.raises(staff.InvalidCredentials):
        staff.authenticate(db, "loket1", created.one_time_password, now=T0)
    assert staff.authenticate(db, "loket1", new_otp, now=T0)


def test_last_active_admin_is_protected(db):
    admin = staff.create_user(db, "admin", "Admin", staff.ADMIN).user
    with pytest.raises(staff.LastAdminError):
        staff.set_role(db, admin, staff.SUPERVISOR)
    with pytest.raises(staff.LastAdminError):
        staff.deactivate(db, admin)
    second = staff.create_user(db, "admin2", "Admin Dua", staff.ADMIN).user
    staff.set_role(db, second, staff.OFFICER, "Pengaduan")
    assert second.role == staff.OFFICER and second.unit == "Pengaduan"
    with pytest.raises(staff.StaffError, match="unit"):
        staff.set_role(db, second, staff.OFFICER, None)
    staff.set_role(db, second, staff.ADMIN)
    staff.deactivate(db, admin)  # another admin remains
    assert admin.is_active is False
    staff.activate(db, admin)
    assert admin.is_active is True


def test_audit_record_drops_secrets_and_filters(db):
    audit.record(
        db, "admin", "user_created", target="budi",
        detail={"role": "officer", "password": "rahasia", "nested": {"new_password": "x", "unit": "A"}},
        ip="10.0.0.1", now=T0,
    )
    audit.record(db, "budi", "login_ok", target="budi", now=T0 + timedelta(minutes=1))
    entries = audit.recent(db)
    assert [e.action for e in entries] == ["login_ok", "user_created"]
    created = entries[1]
    assert created.detail == {"role": "officer", "nested": {"unit": "A"}}
    assert "rahasia" not in str(created.detail)
    assert [e.action for e in audit.recent(db, actor="ADMIN")] == ["user_created"]
    assert [e.actor for e in audit.recent(db, action="login_ok")] == ["budi"]
    assert audit.known_actions(db) == ["login_ok", "user_created"]
