"""Who is asking: the session cookie, the signed-in staff member, and `require_roles`.

Every staff route depends on `require_roles(...)`; it loads the session (sliding expiry), checks the
CSRF token on state-changing methods, sends people with a one-time password to change it first,
and refuses roles the route does not list.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable
from urllib.parse import quote

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from office.db import session_scope
from office.settings import get_settings
from office.staff import ROLE_LABELS, resolve_session

from backoffice.csrf import SAFE_METHODS, verify_csrf

SESSION_COOKIE = "bo_session"
FORBIDDEN_MESSAGE = "Anda tidak memiliki akses ke halaman ini. Hubungi administrator bila Anda memerlukannya."


@dataclass(frozen=True)
class StaffContext:
    """A plain snapshot of the signed-in staff member (no ORM object escapes the DB session)."""

    user_id: int
    username: str
    full_name: str
    role: str
    unit: str | None
    must_change_password: bool
    session_id: int
    csrf_token: str

    @property
    def role_label(self) -> str:
        """The role in Indonesian."""
        return ROLE_LABELS.get(self.role, self.role)


class LoginRequired(Exception):
    """No valid session: pages redirect to the sign-in form, fetch/HTMX calls get 401."""

    def __init__(self, next_path: str = "/staff") -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PasswordChangeRequired(Exception):
    """Signed in with a one-time password: only the password page is open."""


def client_ip(request: Request) -> str | None:
    """The peer address (uvicorn --proxy-headers puts the real client here behind a proxy)."""
    return request.client.host if request.client else None


def login_url(next_path: str) -> str:
    """The sign-in URL that comes back to `next_path` afterwards."""
    if next_path and next_path != "/staff":
        return f"/staff/login?next={quote(next_path, safe='/')}"
    return "/staff/login"


def safe_next(value: str | None) -> str:
    """Only same-site staff paths are accepted as a redirect target (no open redirect)."""
    if (
        value
        and value.startswith("/staff")
        and not value.startswith("//")
        and "\\" not in value
        and len(value) <= 300
        and not value.startswith("/staff/login")
        and not value.startswith("/staff/logout")
    ):
        return value
    return "/staff"


def _load(token: str | None) -> StaffContext | None:
    if not token:
        return None
    with session_scope(get_settings().database_url) as db:
        session = resolve_session(db, token)
        if session is None:
            return None
        user = session.user
        return StaffContext(
            user_id=user.id,
            username=user.username,
            full_name=user.full_name,
            role=user.role,
            unit=user.unit,
            must_change_password=bool(user.must_change_password),
            session_id=session.id,
            csrf_token=session.csrf_token,
        )


async def current_staff(request: Request) -> StaffContext | None:
    """The signed-in staff member of this request, or None (also stored on request.state.staff)."""
    cached = getattr(request.state, "staff", None)
    if cached is not None:
        return cached
    staff = await run_in_threadpool(_load, request.cookies.get(SESSION_COOKIE))
    request.state.staff = staff
    return staff


def require_roles(
    *roles: str, allow_pending_password: bool = False
) -> Callable[[Request], Awaitable[StaffContext]]:
    """Dependency for a staff route open to `roles` (none given: any signed-in role).

    Order matters: unauthenticated first (redirect to sign-in), then CSRF for POST/PUT/PATCH/DELETE
    (403), then the forced password change, then the role (403)."""

    async def dependency(request: Request) -> StaffContext:
        staff = await current_staff(request)
        if staff is None:
            path = request.url.path
            if request.method in SAFE_METHODS and request.url.query:
                path = f"{path}?{request.url.query}"
            raise LoginRequired(path)
        if request.method not in SAFE_METHODS:
            await verify_csrf(request, staff.csrf_token)
        if staff.must_change_password and not allow_pending_password:
            raise PasswordChangeRequired()
        if roles and staff.role not in roles:
            raise HTTPException(status_code=403, detail=FORBIDDEN_MESSAGE)
        return staff

    return dependency


def set_session_cookie(response: Response, token: str) -> None:
    """The session cookie: HttpOnly (no script reads it), SameSite=Lax, Secure behind HTTPS."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    """Remove the session cookie from the browser."""
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=get_settings().cookie_secure
    )
