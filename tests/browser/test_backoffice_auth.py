"""Staff sign-in in a real browser: one-time password, forced change, create an officer, sign out."""
from __future__ import annotations

import re

from playwright.sync_api import expect



def test_admin_first_sign_in_creates_officer_and_signs_out(backoffice_server, browser_page, shot):
    page = browser_page
    base = backoffice_server.base_url
    otp = backoffice_server.create_admin("--username", "admin", "--full-name", "Ibu Kepala Tata Usaha")

    page.goto(f"{base}/staff/users")  # not signed in: sent to the sign-in form
    expect(page).to_have_url(re.compile(r"/staff/login\?next=/staff/users$"))
    expect(page.get_by_role("heading", name="Masuk petugas")).to_be_visible()
    shot(page, "login-1280x800", "desktop")
    shot(page, "login-360x740", "phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_label("Nama pengguna").fill("admin")
    page.get_by_label("Kata sandi").fill("salah sekali")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("alert")).to_have_text("Nama pengguna atau kata sandi salah.")

    page.get_by_label("Kata sandi").fill(otp)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(f"{base}/staff/password")
    expect(page.get_by_text("Anda masuk dengan kata sandi sementara")).to_be_visible()
    page.goto(f"{base}/staff/users")  # nothing else opens before the change
    expect(page).to_have_url(f"{base}/staff/password")

    page.get_by_label("Kata sandi saat ini").fill(otp)
    page.get_by_label("Kata sandi baru", exact=True).fill("kopi pagi di kotabumi")
    page.get_by_label("Ulangi kata sandi baru").fill("kopi pagi di kotabumi")
    page.get_by_role("button", name="Simpan kata sandi baru").click()
    expect(page.get_by_role("status")).to_have_text("Kata sandi berhasil diubah.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ibu Kepala Tata Usaha")

    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name="Pengguna").click()
    expect(page).to_have_url(f"{base}/staff/users")
    page.get_by_text("Tambah akun petugas").click()
    create = page.locator("form[action='/staff/users']")
    create.get_by_label("Nama pengguna").fill("budi.pengaduan")
    create.get_by_label("Nama lengkap").fill("Budi Santoso")
    create.get_by_label("Peran").select_option("officer")
    create.get_by_label("Unit kerja").fill("Seksi Lalu Lintas Keimigrasian")
    create.get_by_role("button", name="Buat akun").click()
    officer_otp = page.locator("#one-time-password").inner_text()
    assert re.fullmatch(r"[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}", officer_otp)
    expect(page.get_by_text("Budi Santoso", exact=True)).to_be_visible()
    shot(page, "users-1280x800", "desktop")
    shot(page, "users-360x740", "phone")

    page.get_by_role("link", name="Jejak audit").click()
    expect(page.locator("tbody")).to_contain_text("Akun dibuat")
    expect(page.locator("tbody")).to_contain_text("Masuk gagal")
    shot(page, "audit-1280x800", "desktop")
    shot(page, "audit-360x740", "phone")
    page.get_by_role("link", name="Beranda").click()
    shot(page, "home-360x740", "phone")

    page.get_by_role("button", name="Keluar").click()
    expect(page).to_have_url(f"{base}/staff/login?ok=signed_out")
    expect(page.get_by_text("Anda sudah keluar.")).to_be_visible()
    page.goto(f"{base}/staff")
    expect(page).to_have_url(re.compile(r"/staff/login$"))

    # the officer's one-time password works once, and only leads to the password page
    page.get_by_label("Nama pengguna").fill("budi.pengaduan")
    page.get_by_label("Kata sandi").fill(officer_otp)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(f"{base}/staff/password")
    assert page.dialogs == []
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
