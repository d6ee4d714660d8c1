"""office/privacy.py helpers for the tracker store: a NIK alone, the numbers a citizen gave (one key for every
spelling), and masking only those, so an office's published contact in an answer stays readable."""
from __future__ import annotations

from office.privacy import mask_nik, mask_numbers, mask_personal_data, number_key, personal_numbers


def test_nik_only() -> None:
    text = "NIK 1801 0123 4567 0001, HP 0812-3456-7890, paspor A1234567"
    assert mask_nik(text) == "NIK [NIK], HP 0812-3456-7890, paspor A1234567"
    assert mask_nik(mask_nik(text)) == mask_nik(text)
    assert mask_personal_data(text) == "NIK [NIK], HP [NOMOR TELEPON], paspor [NOMOR PASPOR]"


def test_keys_join_spellings() -> None:
    assert number_key("0812-3456-7890") == number_key("+62 812 3456 7890") == number_key("6281234567890")
    assert personal_numbers("HP saya 0812-3456-7890, no paspor: X 1234567") == {"081234567890", "X1234567"}
    assert personal_numbers("NIK 1801012345670001") == set()  # a NIK is masked always, never listed
    assert personal_numbers("") == set()


def test_only_the_citizens_numbers_are_masked() -> None:
    mine = personal_numbers("nomor saya 0812-3456-7890, paspor A1234567")
    answer = ("Nomor HP: +6281234567890. Paspor A1234567. Ombudsman: WhatsApp 0821-3737-3737. "
              "NIK 1801012345670001")
    assert mask_numbers(answer, mine) == ("Nomor HP: [NOMOR TELEPON]. Paspor [NOMOR PASPOR]. Ombudsman: WhatsApp "
                                          "0821-3737-3737. NIK [NIK]")
    assert mask_numbers(answer, set()) == answer.replace("1801012345670001", "[NIK]")
