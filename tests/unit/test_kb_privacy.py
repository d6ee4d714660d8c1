"""Masking of NIK, passport and phone numbers in stored text."""
from __future__ import annotations

from office.privacy import mask_personal_data


def test_masks_nik_passport_and_phone() -> None:
    text = "NIK saya 1801012345670001, paspor A1234567, hp 0812-3456-7890"
    masked = mask_personal_data(text)
    assert "1801012345670001" not in masked and "[NIK]" in masked
    assert "A1234567" not in masked and "[NOMOR PASPOR]" in masked
    assert "3456" not in masked and "[NOMOR TELEPON]" in masked


def test_masks_grouped_and_international_forms() -> None:
    assert mask_personal_data("nik 1801 0123 4567 0001") == "nik [NIK]"
    assert mask_personal_data("wa +62 812 3456 7890 ya") == "wa [NOMOR TELEPON] ya"
    assert mask_personal_data("nomor paspor: C9876543") == "nomor paspor: [NOMOR PASPOR]"
    assert mask_personal_data("passport number 5AB123456") == "passport number [NOMOR PASPOR]"


def test_keeps_fees_years_and_ordinary_numbers() -> None:
    for text in ("biaya paspor Rp950.000 tahun 2026", "paspor 10 tahun 48 halaman", "antrean nomor 12",
                 "biaya 1000000 rupiah"):
        assert mask_personal_data(text) == text


def test_idempotent() -> None:
    once = mask_personal_data("NIK 1801012345670001 hp 081234567890")
    assert mask_personal_data(once) == once
