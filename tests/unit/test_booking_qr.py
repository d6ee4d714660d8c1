"""The booking QR: the PNG really draws the QR symbol of exactly the booking code, the public route
answers only for active bookings and is rate limited, and the kiosk reads what a scanner types."""
from __future__ import annotations

import datetime as dt
import struct
import zlib

import pytest
import segno
from fastapi.testclient import TestClient

from office.booking import bookings as bk
from office.booking.qr import booking_qr, booking_qr_png, booking_qr_url
from office.booking.rules import code_from_scan
from office.db import session_scope
from tests.backoffice_support import create_schema

NOW = dt.datetime(2026, 3, 16, 9, 30)


def decode_png(data: bytes) -> list[list[int]]:
    """Rows of pixel values of a greyscale/palette PNG without interlace (what segno writes), with the
    PNG filters undone: enough to compare the drawing with the QR matrix, no imaging library needed."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    idat = b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if kind == b"IDAT":
            idat += body
        chunks.setdefault(kind, body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert colour in (0, 3) and interlace == 0 and b"IEND" in chunks
    raw = zlib.decompress(idat)
    stride = (width * depth + 7) // 8
    rows, previous, offset = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[offset], bytearray(raw[offset + 1:offset + 1 + stride])
        offset += 1 + stride
        for i in range(stride):
            left = line[i - 1] if i else 0
            up, up_left = previous[i], previous[i - 1] if i else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
        previous = line
        bits = "".join(f"{byte:08b}" for byte in line) if depth == 1 else None
        rows.append([int(bits[x]) for x in range(width)] if bits is not None else list(line[:width]))
    return rows


@pytest.mark.parametrize("code", ["ABC234", "K7M9QX", "ZZZZZZ"])
def test_png_draws_the_qr_of_exactly_the_code(code):
    png = booking_qr_png(code, scale=4)
    pixels = decode_png(png)
    matrix = [list(row) for row in segno.make_qr(code, error="m", boost_error=False).matrix]
    assert [list(r) for r in booking_qr(code).matrix] == matrix
    size = len(matrix) + 2 * 4  # the quiet zone of 4 modules
    assert len(pixels) == len(pixels[0]) == size * 4
    dark = min(min(row) for row in pixels)
    for y, row in enumerate(matrix):
        for x, module in enumerate(row):
            pixel = pixels[(y + 4) * 4 + 1][(x + 4) * 4 + 2]
            assert (pixel == dark) == bool(module), (x, y)
    assert all(p != dark for p in pixels[0])  # the quiet zone is light
    neighbour = code[:-1] + ("2" if code[-1] != "2" else "3")  # one character off draws another symbol
    assert [list(r) for r in segno.make_qr(neighbour, error="m", boost_error=False).matrix] != matrix


def test_payload_is_only_the_code():
    qr = booking_qr("ABC234")
    assert qr.designator.startswith("1")  # version 1: 6 characters, nothing else hidden inside
    assert qr.mode == "alphanumeric"


def test_url_only_with_a_public_base(monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    assert booking_qr_url("ABC234") is None
    monkeypatch.setenv("PUBLIC_BASE_URL", "localhost:8000")  # no scheme: no channel could fetch it
    assert booking_qr_url("ABC234") is None
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://layanan.example.go.id/")
    assert booking_qr_url("ABC234") == "https://layanan.example.go.id/qr/booking/ABC234.png"


@pytest.mark.parametrize("typed,code", [
    ("ABC234", "ABC234"), (" abc234 ", "ABC234"), ("https://layanan.example.go.id/booking/ABC234", "ABC234"),
    ("https://layanan.example.go.id/booking/ABC234/", "ABC234"), ("https://x.example/checkin?kode=ABC234", "ABC234"),
    ("https://x.example/booking/", None), ("ABO123", None), ("", None),
])
def test_code_from_scan(typed, code):
    assert code_from_scan(typed) == code


@pytest.fixture()
def served(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'qr.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "unit-test-secret-key-0123456789")
    monkeypatch.setenv("OFFICE_NOW", NOW.isoformat())
    create_schema(url)
    from backoffice import routes_qr
    from backoffice.app import create_app

    routes_qr.QR_LIMITER.reset()
    with session_scope(url) as s:
        active = bk.book(s, "AMBIL", dt.date(2026, 3, 17), dt.time(10, 0), "Budi", "081234567890", "web:1", now=NOW)
        cancelled = bk.book(s, "BAP", dt.date(2026, 3, 17), dt.time(10, 0), "Ani", "081234567891", "web:2", now=NOW)
        bk.cancel(s, cancelled.booking.code, now=NOW)
        codes = active.booking.code, cancelled.booking.code
    yield TestClient(create_app()), codes
    routes_qr.QR_LIMITER.reset()


def test_route_serves_active_bookings_only(served):
    client, (active, cancelled) = served
    r = client.get(f"/qr/booking/{active}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["cache-control"] == "no-store" and r.content == booking_qr_png(active)
    assert client.get(f"/qr/booking/{active.lower()}.png").status_code == 200
    for path in (f"/qr/booking/{cancelled}.png", "/qr/booking/ZZZZZZ.png", f"/qr/booking/{active}.svg",
                 f"/qr/booking/{active}", "/qr/booking/%3Cscript%3E.png", "/qr/booking/" + "A" * 40 + ".png"):
        r = client.get(path)
        assert r.status_code == 404 and r.text == "Tidak ditemukan.", path
        assert active not in r.text and "Budi" not in r.text


def test_route_is_rate_limited(served):
    client, (active, _) = served
    statuses = [client.get(f"/qr/booking/{active}.png").status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
