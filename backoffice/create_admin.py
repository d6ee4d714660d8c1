"""Create the first administrator: `python -m backoffice.create_admin [--username admin]
[--full-name "..."] [--reset-password]`.

Why a command and not a default account: no password exists anywhere until this prints one, and it
is a one-time password the administrator must replace at first sign-in. The schema must already
exist (`make migrate`); this command migrates nothing.
"""
from __future__ import annotations

import argparse
import os
import sys

from sqlalchemy.exc import OperationalError, ProgrammingError

from office import audit
from office.db import session_scope
from office.settings import get_settings
from office.staff import ADMIN, StaffError, activate, create_user, get_user_by_username, reset_password


def sign_in_url() -> str:
    """Where the administrator signs in: BACKOFFICE_URL, else localhost on BACKOFFICE_PORT (8000)."""
    base = os.environ.get("BACKOFFICE_URL", "").rstrip("/")
    if not base:
        base = f"http://localhost:{os.environ.get('BACKOFFICE_PORT', '8000')}"
    return f"{base}/staff/login"


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the process exit code (0 ok, 1 database problem, 2 refused)."""
    parser = argparse.ArgumentParser(
        prog="python -m backoffice.create_admin",
        description="Buat akun administrator pertama back-office (mencetak kata sandi sementara).",
    )
    parser.add_argument("--username", default="admin", help="nama pengguna (bawaan: admin)")
    parser.add_argument("--full-name", default="Administrator", help="nama lengkap")
    parser.add_argument(
        "--reset-password",
        action="store_true",
        help="akun sudah ada: buat kata sandi sementara baru, buka kunci dan aktifkan kembali",
    )
    args = parser.parse_args(argv)
    url = get_settings().database_url
    try:
        with session_scope(url) as db:
            existing = get_user_by_username(db, args.username)
            if existing is not None:
                if not args.reset_password:
                    print(
                        f"Akun '{existing.username}' sudah ada; tidak ada yang diubah. "
                        f"Jalankan ulang dengan --reset-password untuk membuat kata sandi sementara baru.",
                        file=sys.stderr,
                    )
                    return 2
                password = reset_password(db, existing)
                activate(db, existing)
                audit.record(db, "cli", "admin_password_reset", target=existing.username)
                username, role = existing.username, existing.role
                action = "Kata sandi diatur ulang"
            else:
                created = create_user(db, args.username, args.full_name, ADMIN)
                audit.record(db, "cli", "admin_created", target=created.user.username, detail={"role": ADMIN})
                password = created.one_time_password or ""
                username, role = created.user.username, ADMIN
                action = "Administrator dibuat"
    except StaffError as exc:
        print(f"Gagal: {exc}", file=sys.stderr)
        return 2
    except (OperationalError, ProgrammingError) as exc:
        print(
            "Gagal membuka tabel akun di basis data. Jalankan migrasi terlebih dahulu (`make migrate`) "
            f"dan periksa DATABASE_URL.\nRincian: {exc.orig}",
            file=sys.stderr,
        )
        return 1
    print(f"{action}: {username} (peran: {role})")
    print(f"Kata sandi sementara: {password}")
    print("Kata sandi ini hanya ditampilkan sekali dan wajib diganti saat pertama kali masuk.")
    print(f"Masuk di: {sign_in_url()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
