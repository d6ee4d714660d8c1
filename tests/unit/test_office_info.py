"""Office profile and the answers built from it (hours, open on a date, address, contacts)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from office.office_info import (
    address_answer,
    contact_answer,
    contact_kind_in,
    hours_answer,
    open_on_answer,
    weekly_hours_text,
)
from office.profile import ProfileError, load_profile, parse_profile

WIB = ZoneInfo("Asia/Jakarta")
PROFILE = load_profile(Path(__file__).resolve().parents[2] / "office" / "profile.yml")


def test_shipped_profile_leaves_unverified_fields_empty() -> None:
    assert "Kotabumi" in PROFILE.name
    assert "Tulang Bawang Barat" in PROFILE.serves
    for field in ("address", "phone", "whatsapp", "email", "instagram"):
        assert getattr(PROFILE, field) == "", f"{field} must stay empty until verified"
    assert PROFILE.website == "https://kotabumi.imigrasi.go.id"


def test_shipped_profile_has_the_2026_holidays() -> None:
    dates = {h.date for h in PROFILE.holidays}
    assert len([h for h in PROFILE.holidays if h.kind == "libur_nasional"]) == 17
    assert len([h for h in PROFILE.holidays if h.kind == "cuti_bersama"]) == 8
    assert dt.date(2026, 3, 23) in dates and dt.date(2026, 12, 24) in dates


def test_weekly_hours_grouped() -> None:
    assert weekly_hours_text(PROFILE) == "- Senin–Jumat: 08.00–16.00\n- Sabtu–Minggu: tutup"
    assert "Monday–Friday: 08.00–16.00" in weekly_hours_text(PROFILE, "en")


def test_hours_today_open_closed_and_holiday() -> None:
    open_now = hours_answer(PROFILE, dt.datetime(2026, 12, 1, 10, 0, tzinfo=WIB))
    assert open_now.startswith("Hari ini (Selasa, 1 Desember 2026) kantor buka pukul 08.00–16.00 WIB dan saat ini sedang buka.")
    assert "dapat berbeda" in open_now  # hours are not verified in the shipped profile
    evening = hours_answer(PROFILE, dt.datetime(2026, 12, 1, 19, 0, tzinfo=WIB))
    assert "saat ini di luar jam layanan" in evening and "Buka kembali: Rabu, 2 Desember 2026 08.00 WIB" in evening
    christmas_eve = hours_answer(PROFILE, dt.datetime(2026, 12, 24, 9, 0, tzinfo=WIB))
    assert "kantor tutup: Cuti bersama Hari Raya Natal" in christmas_eve
    assert "Buka kembali: Senin, 28 Desember 2026 08.00 WIB" in christmas_eve
    sunday_en = hours_answer(PROFILE, dt.datetime(2026, 11, 29, 9, 0, tzinfo=WIB), "en")
    assert sunday_en.startswith("Today (Sunday, 29 November 2026) the office is closed.")


def test_open_on_a_date() -> None:
    today = dt.date(2026, 3, 16)
    assert open_on_answer(PROFILE, dt.date(2026, 3, 17), today).startswith("Ya, Selasa, 17 Maret 2026 kantor buka")
    closed = open_on_answer(PROFILE, dt.date(2026, 3, 23), today)
    assert closed.startswith("Tidak, Senin, 23 Maret 2026 kantor tutup karena cuti bersama")
    assert "Rabu, 25 Maret 2026" in closed
    assert "akhir pekan" in open_on_answer(PROFILE, dt.date(2026, 3, 21 + 7), today)
    assert "sudah lewat" in open_on_answer(PROFILE, dt.date(2026, 3, 1), today)
    unknown_year = open_on_answer(PROFILE, dt.date(2027, 3, 23), dt.date(2026, 11, 29))
    assert "daftar libur tahun 2027 belum dimuat" in unknown_year


def test_contacts_and_address_never_invented() -> None:
    assert contact_kind_in("nomor WA kantor?") == "whatsapp"
    assert contact_kind_in("email nya apa") == "email"
    assert contact_kind_in("ig nya apa min") == "instagram"
    assert contact_kind_in("no telp kantor") == "phone"
    wa = contact_answer(PROFILE, "whatsapp")
    assert "belum saya miliki" in wa and PROFILE.website in wa
    web = contact_answer(PROFILE, "website")
    assert web.endswith(PROFILE.website)
    everything = contact_answer(PROFILE, None)
    assert "Belum terverifikasi: WhatsApp, Telepon, Email, Instagram" in everything
    address = address_answer(PROFILE)
    assert "alamat jalan kantor yang terverifikasi belum saya miliki" in address
    assert "Tulang Bawang Barat" in address


def test_filled_profile_is_used(tmp_path: Path) -> None:
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "office" / "profile.yml").read_text())
    data.update(whatsapp="+62 800-0000-0000", address="Jl. Contoh No. 1")
    profile = parse_profile(data, tmp_path / "p.yml")
    assert contact_answer(profile, "whatsapp") == "WhatsApp Kantor Imigrasi Kotabumi: +62 800-0000-0000"
    assert "Alamat: Jl. Contoh No. 1" in address_answer(profile)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"opening_hours": {"monday": ["16:00-08:00"]}}, "must be before"),
        ({"opening_hours": {"monday": ["8-16"]}}, "not a time like"),
        ({"holidays": [{"name": "x"}]}, "holiday"),
        ({"retention_days": 0}, "retention_days"),
        ({"name": ""}, "'name' is required"),
    ],
)
def test_profile_errors_name_the_field(tmp_path: Path, change: dict, message: str) -> None:
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "office" / "profile.yml").read_text())
    data.update(change)
    with pytest.raises(ProfileError, match=message):
        parse_profile(data, tmp_path / "p.yml")


def test_load_profile_reuses_the_parse_until_the_file_changes(tmp_path: Path) -> None:
    """The parsed profile is cached, yet an edit of the file still applies on the next call."""
    import os

    path = tmp_path / "profile.yml"
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "office" / "profile.yml").read_text())
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    first = load_profile(path)
    assert load_profile(path) is first
    data.update(whatsapp="+62 800-1111-2222")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a later mtime even on coarse clocks
    edited = load_profile(path)
    assert edited is not first
    assert edited.whatsapp == "+62 800-1111-2222" and first.whatsapp == ""
    data.update(name="")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    with pytest.raises(ProfileError, match="'name' is required"):
        load_profile(path)
