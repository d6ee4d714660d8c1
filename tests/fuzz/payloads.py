"""Hypothesis strategies for malformed input, shared by the fuzz tests of the webhooks and staff forms.

Every strategy yields something a broken client, a scanner or an attacker sends: wrong types, missing
or unknown fields, huge strings, NUL bytes and control characters, invalid UTF-8, deep JSON nesting,
duplicate keys, negative/huge/non-finite numbers, and bodies whose content type lies. The tests assert
the servers answer every one of them with a 2xx/3xx/4xx (never 5xx) and change no record.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

HUGE = 70_000  # over the back-office's 64 KiB body limit and Rasa's message limits

# text a person could never have typed in a form field, mixed with ordinary junk
odd_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "So", "Lo"]), max_size=60),
    st.sampled_from(["", " ", "\x00", "a\x00b", "null", "None", "undefined", "NaN", "-1", "0", "1e309",
                     "99999999999999999999999999", "-9223372036854775809", "true", "[]", "{}", "<script>",
                     "' OR 1=1 --", "../../etc/passwd", "%00", "\ud7ff\ufeff\u202e", "ADU-2026-0000001",
                     "2026-02-30", "25:61", "\r\n\r\n", "=" * 10]),
    st.integers(min_value=1, max_value=20_000).map(lambda n: "x" * n),
)
odd_number = st.one_of(st.integers(min_value=-(2**70), max_value=2**70),
                       st.floats(allow_nan=True, allow_infinity=True))
odd_scalar = st.one_of(odd_text, odd_number, st.booleans(), st.none())
odd_json_value = st.recursive(odd_scalar, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                  st.dictionaries(odd_text, inner, max_size=4)),
                              max_leaves=12)


def invalid_utf8() -> st.SearchStrategy[bytes]:
    """Bytes that are not UTF-8 (a lone continuation byte, an overlong form, a cut sequence)."""
    return st.tuples(st.binary(max_size=20), st.sampled_from([b"\x80", b"\xc0\xaf", b"\xe2\x82", b"\xff\xfe", b"\xed\xa0\x80"]),
                     st.binary(max_size=20)).map(lambda parts: b"".join(parts))


def deep_json() -> st.SearchStrategy[bytes]:
    """Nesting far past any sane depth (Python's json recursion limit is about 1,000)."""
    return st.tuples(st.integers(min_value=50, max_value=50_000), st.sampled_from(["[", '{"a":'])).map(
        lambda t: (t[1] * t[0] + "1" + ("]" if t[1] == "[" else "}") * t[0]).encode())


def duplicate_keys() -> st.SearchStrategy[bytes]:
    return st.tuples(odd_text, st.lists(odd_scalar, min_size=2, max_size=4)).map(
        lambda t: ("{" + ",".join(f"{json.dumps(t[0])}:{json.dumps(v)}" for v in t[1]) + "}").encode())


def form_bytes(fields: dict[str, Any]) -> bytes:
    """URL-encode a form whose values may be bytes (invalid UTF-8 travels percent-encoded)."""
    parts = []
    for key, value in fields.items():
        raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
        parts.append(quote_from_bytes(key.encode("utf-8", "surrogatepass")) + "=" + quote_from_bytes(raw))
    return "&".join(parts).encode()


def raw_bodies() -> st.SearchStrategy[bytes]:
    """Bodies that are broken as a whole, whatever the endpoint expects."""
    return st.one_of(
        st.binary(max_size=300), invalid_utf8(), deep_json(), duplicate_keys(),
        st.just(b""), st.just(b"\x00" * 64), st.just(b"a=" + b"x" * HUGE), st.just(b"[" * 100_000),
        odd_json_value.map(lambda v: json.dumps(v, allow_nan=True).encode()),
        st.just(b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb"),  # multipart cut short
        st.just(b"%zz=%%&==&&a=%ff%fe"),
    )


CONTENT_TYPES = st.sampled_from([
    None, "application/x-www-form-urlencoded", "application/json", "text/plain", "multipart/form-data",
    "multipart/form-data; boundary=x", "application/xml", "application/x-www-form-urlencoded; charset=latin-1",
    "application/json; charset=utf-16", "*/*", "\x7f", "",
])


@st.composite
def form_request(draw: st.DrawFn, field_names: list[str]) -> tuple[bytes, str | None]:
    """(body, content type): a form with wrong values for known and unknown fields, or a broken body
    under a random content type."""
    if draw(st.integers(0, 3)) == 0:
        return draw(raw_bodies()), draw(CONTENT_TYPES)
    names = draw(st.lists(st.sampled_from(field_names + ["csrf_token", "unknown", ""]), max_size=6, unique=True))
    value = st.one_of(odd_text, odd_number.map(str), invalid_utf8())
    fields = {name: draw(value) for name in names}
    ctype = draw(st.sampled_from(["application/x-www-form-urlencoded", "application/x-www-form-urlencoded",
                                  "application/json", "text/plain", None]))
    body = form_bytes(fields)
    if ctype == "application/json" and draw(st.booleans()):
        body = json.dumps({k: (v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in fields.items()}).encode()
    return body, ctype
