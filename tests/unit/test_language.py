from __future__ import annotations

import pytest

from office.language import detect_language


@pytest.mark.parametrize(
    "text, expected",
    [
        ("halo min", "id"),
        ("brp biaya bkin paspor skrg", "id"),
        ("assalamualaikum", "id"),
        ("makasih kak", "id"),
        ("hello", "en"),
        ("how much is an e-passport?", "en"),
        ("how do I extend my VOA", "en"),
        ("p", None),
        ("ok", None),
        ("😀😀", None),
        ("", None),
        ("ADU-2026-000123", None),
    ],
)
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["cek status ADU-2026-000123", "mau booking", "status pengaduan saya"])
def test_indonesian_with_loanwords(text: str) -> None:
    assert detect_language(text) in ("id", None)
