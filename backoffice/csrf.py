"""Cross-site request forgery protection.

Signed-in staff: a random token per session (stored with the session) must come back in the hidden
`csrf_token` field of every form, or in the `X-CSRF-Token` header for fetch/HTMX. The sign-in form
has no session yet, so it uses a double-submit cookie: a random value in a strict cookie that must
equal the hidden field (this stops "log-in CSRF", signing a victim into an attacker's account).
"""
from __future__ import annotations

import hmac
import secrets

from fastapi import Request

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_COOKIE = "bo_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CSRFError(Exception):
    """The token is missing or wrong: answered with a 403 page in Indonesian."""


def _is_form(request: Request) -> bool:
    ctype = request.headers.get("content-type", "").lower()
    return ctype.startswith("application/x-www-form-urlencoded") or ctype.startswith("multipart/form-data")


async def submitted_token(request: Request) -> str:
    """The token the client sent: header first, then the form field ("" when absent)."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if _is_form(request):
        form = await request.form()  # parsed once; Starlette caches it for the route
        value = form.get(CSRF_FIELD)
        if isinstance(value, str):
            return value
    return ""


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison that is False for empty values."""
    if not expected or not given or len(given) > 200:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


async def verify_csrf(request: Request, expected: str) -> None:
    """Raise CSRFError unless the request carries `expected`."""
    if not tokens_match(expected, await submitted_token(request)):
        raise CSRFError()


def new_login_token() -> str:
    """A fresh value for the sign-in form's double-submit cookie."""
    return secrets.token_urlsafe(32)
