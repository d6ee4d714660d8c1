"""Public QR images of booking codes (/qr/booking/<code>.png), fetched by the chat channels
(WhatsApp, Telegram, Meta download the image from this address) and by the web chat.

Only an active booking's code answers; anything else is a bare 404, so the route cannot be used to
learn anything about a booking beyond the code the caller already typed. A per-IP limit stops
anyone from trying codes in bulk.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from office.booking.bookings import find_booking
from office.booking.qr import booking_qr_png
from office.booking.rules import clean_code
from office.db import session_scope
from office.settings import get_settings

from backoffice.auth import client_ip
from backoffice.ratelimit import SlidingWindowLimiter

router = APIRouter()
# A channel fetches each image once or twice; 30 a minute per address is plenty for a shared NAT.
QR_LIMITER = SlidingWindowLimiter(limit=30, window=60.0)


def _png_for_active(code: str) -> bytes | None:
    with session_scope(get_settings().database_url) as db:
        booking = find_booking(db, code)
        if booking is None or booking.status != "active":
            return None
        return booking_qr_png(booking.code)


@router.get("/qr/booking/{name}")
async def booking_qr(request: Request, name: str) -> Response:
    if not QR_LIMITER.hit(client_ip(request) or "-"):
        return Response("Terlalu banyak permintaan.", status_code=429, media_type="text/plain",
                        headers={"Retry-After": str(QR_LIMITER.retry_after(client_ip(request) or "-"))})
    code = clean_code(name[:-4]) if name.endswith(".png") and len(name) <= 24 else None
    png = await run_in_threadpool(_png_for_active, code) if code else None
    if png is None:
        return Response("Tidak ditemukan.", status_code=404, media_type="text/plain")
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
