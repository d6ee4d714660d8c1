"""Masking of personal data in text we store or log (UU 27/2022 on personal data protection).

Why: citizens sometimes type their NIK, passport number or phone number into the chat. What the bot
could not answer is stored for KB editors, and logs are read by staff; neither needs those numbers.
"""
from __future__ import annotations

import re

# NIK: 16 digits, possibly written in groups ("1801 0123 4567 0001", "1801-0123-...").
_NIK_RE = re.compile(r"(?<!\d)(?:\d[ .-]?){15}\d(?!\d)")
# Indonesian passport numbers: one or two letters then 6-8 digits (A1234567, X 1234567, AB123456).
# Foreign passports: 1-2 letters + 6-9 digits likewise; mixed 9-char alphanumerics are covered by the
# keyword rule below.
_PASSPORT_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,2}[ -]?\d{6,8}(?![A-Za-z0-9])")
_PASSPORT_KEYWORD_RE = re.compile(
    r"(?i)\b(paspor|pasport|passport|no\.?\s*paspor|nomor\s+paspor|passport\s+(?:no|number))"
    r"(\s*(?:no\.?|nomor|number|#|:)?\s*[:#]?\s*)([A-Za-z0-9]{6,10})\b")
# Phone numbers: +62 / 62 / 08 prefixes with 8-13 further digits, separators allowed.
_PHONE_RE = re.compile(r"(?<![\w+])(?:\+?62|0)[ .-]?8(?:[ .-]?\d){7,11}(?!\d)")
# Other international numbers written with a leading +.
_INTL_PHONE_RE = re.compile(r"(?<![\w+])\+(?:[ .-]?\d){8,14}(?!\d)")


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def mask_nik(text: str) -> str:
    """Only the NIK replaced by "[NIK]": for text a conversation still needs (a phone number the booking form
    asked for), where a NIK never is. Idempotent."""
    if not text:
        return text
    return _NIK_RE.sub(lambda m: "[NIK]" if len(_digits(m.group(0))) == 16 else m.group(0), text)


def mask_personal_data(text: str) -> str:
    """Replace NIK, passport and phone numbers with placeholders, keeping the rest of the sentence:
    "[NIK]", "[NOMOR PASPOR]", "[NOMOR TELEPON]". Safe to call on any text (idempotent)."""
    if not text:
        return text
    text = _PHONE_RE.sub("[NOMOR TELEPON]", text)
    text = _INTL_PHONE_RE.sub("[NOMOR TELEPON]", text)
    text = mask_nik(text)

    def _kw(m: re.Match[str]) -> str:
        value = m.group(3)
        if not re.search(r"\d", value) or value.isdigit() and len(value) < 6:
            return m.group(0)
        return f"{m.group(1)}{m.group(2)}[NOMOR PASPOR]"

    text = _PASSPORT_KEYWORD_RE.sub(_kw, text)
    text = _PASSPORT_RE.sub("[NOMOR PASPOR]", text)
    return text


def number_key(value: str) -> str:
    """One spelling of a phone or passport number, to compare "0812-3456-7890" with "+6281234567890"."""
    key = re.sub(r"[^0-9A-Za-z]", "", value).upper()
    return "0" + key[2:] if key.startswith("62") else key


def personal_numbers(text: str) -> set[str]:
    """Keys (number_key) of the phone and passport numbers in `text`; a NIK is not listed, it is always masked."""
    if not text:
        return set()
    found = {number_key(m.group(0)) for rx in (_PHONE_RE, _INTL_PHONE_RE, _PASSPORT_RE) for m in rx.finditer(text)}
    found |= {number_key(m.group(3)) for m in _PASSPORT_KEYWORD_RE.finditer(text) if re.search(r"\d", m.group(3))}
    return found


def mask_numbers(text: str, keys: set[str]) -> str:
    """Mask the NIK, and only those phone and passport numbers whose key is in `keys` (numbers a citizen gave),
    leaving others (the office's published contacts in an answer) as they are."""
    if not text:
        return text
    text = mask_nik(text)
    if not keys:
        return text

    def sub(label: str):  # type: ignore[no-untyped-def]
        return lambda m: label if number_key(m.group(0)) in keys else m.group(0)

    text = _PHONE_RE.sub(sub("[NOMOR TELEPON]"), text)
    text = _INTL_PHONE_RE.sub(sub("[NOMOR TELEPON]"), text)
    text = _PASSPORT_KEYWORD_RE.sub(
        lambda m: f"{m.group(1)}{m.group(2)}[NOMOR PASPOR]" if number_key(m.group(3)) in keys else m.group(0), text)
    return _PASSPORT_RE.sub(sub("[NOMOR PASPOR]"), text)
