"""The booking code as a QR image, for check-in at the kiosk.

Why the QR holds only the code: a kiosk's QR scanner acts as a keyboard and types what it reads plus
Enter into the code field, so the code alone (6 characters, a small QR version 1 symbol that any
phone screen shows sharply) is all the kiosk needs, and the image tells nothing beyond what the
citizen already has in the chat. The kiosk also accepts a URL ending in the code.
"""
from __future__ import annotations

import io

import segno

from office.settings import get_settings

QR_PATH = "/qr/booking/{code}.png"


def booking_qr(code: str) -> segno.QRCode:
    """The QR symbol of a booking code (error correction M: survives a scratched phone screen)."""
    return segno.make_qr(code, error="m", boost_error=False)


def booking_qr_png(code: str, scale: int = 10) -> bytes:
    """PNG bytes of the booking code's QR (segno writes PNG itself; WhatsApp, Telegram and Meta
    accept PNG but not SVG)."""
    buffer = io.BytesIO()
    booking_qr(code).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def booking_qr_url(code: str) -> str | None:
    """The public address of the booking's QR image, or None when PUBLIC_BASE_URL is not set
    (the chat then shows the code as text only, rather than a link no channel can fetch)."""
    base = get_settings().public_base_url
    if not base.startswith(("http://", "https://")):
        return None
    return base + QR_PATH.format(code=code)
