"""Sign-in, sign-out, the staff home page and changing one's own password."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from office import audit
from office.db import session_scope
from office.settings import get_settings
from office.staff import (
    MAX_PASSWORD_LENGTH,
    AccountInactive,
    AccountLocked,
    InvalidCredentials,
    StaffError,
    authenticate,
    change_password,
    end_session,
    get_user,
    normalise_username,
    start_session,
)

from backoffice.auth import (
    SESSION_COOKIE,
    StaffContext,
    clear_session_cookie,
    client_ip,
    current_staff,
    require_roles,
    safe_next,
    set_session_cookie,
)
from backoffice.csrf import LOGIN_COOKIE, new_login_token, submitted_token, tokens_match, verify_csrf
from backoffice.forms import FormError, read_form, text_field
from backoffice.nav import nav_for
from backoffice.templating import greeting, render

router = APIRouter()

#: Messages behind `?ok=` after a redirect: a code, never free text, so nothing is reflected.
OK_MESSAGES = {
    "password_changed": "Kata sandi berhasil diubah.",
    "signed_out": "Anda sudah keluar.",
}


def _login_page(request: Request, error: str = "", username: str = "", status_code: int = 200) -> Response:
    token = new_login_token()
    response = render(
        request,
        "login.html",
        {
            "login_token": token,
            "error": error,
            "username": username,
            "next": safe_next(request.query_params.get("next")),
            "ok": OK_MESSAGES.get(request.query_params.get("ok", "")),
        },
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=get_settings().cookie_secure,
        path="/staff/login",
        max_age=3600,
    )
    return response


@router.get("/staff/login")
async def login_form(request: Request) -> Response:
    """The sign-in form (already signed in: go home)."""
    if await current_staff(request) is not None:
        return RedirectResponse("/staff", status_code=303)
    return _login_page(request)


def _do_login(
    username: str, password: str, ip: str | None, old_token: str | None = None
) -> tuple[str | None, str | None, bool, int]:
    """Authenticate and open a session; returns (token, error, must_change, status).
    A session cookie the browser still carries is ended, so sign-ins do not pile up sessions."""
    name = normalise_username(username)[:64]
    with session_scope(get_settings().database_url) as db:
        try:
            user = authenticate(db, username, password)
        except AccountLocked as exc:
            audit.record(db, name or "-", "login_locked", target=name, ip=ip)
            return None, str(exc), False, 423
        except AccountInactive as exc:
            audit.record(db, name, "login_failed", target=name, detail={"reason": "inactive"}, ip=ip)
            return None, str(exc), False, 403
        except InvalidCredentials as exc:
            audit.record(db, name or "-", "login_failed", target=name, detail={"reason": "invalid"}, ip=ip)
            return None, str(exc), False, 401
        end_session(db, old_token)
        new = start_session(db, user, ip=ip)
        audit.record(db, user.username, "login_ok", target=user.username, ip=ip)
        return new.token, None, bool(user.must_change_password), 303


@router.post("/staff/login")
async def login_submit(request: Request) -> Response:
    """Check the sign-in form; lockout and wrong passwords answer politely, never with a 500."""
    form = await read_form(request)
    if not tokens_match(request.cookies.get(LOGIN_COOKIE), await submitted_token(request)):
        return _login_page(
            request,
            error="Formulir masuk sudah kedaluwarsa. Silakan isi dan kirim ulang.",
            status_code=403,
        )
    try:
        username = text_field(form, "username", "Nama pengguna", 64)
        password = text_field(form, "password", "Kata sandi", MAX_PASSWORD_LENGTH, strip=False)
        next_path = safe_next(text_field(form, "next", "Halaman tujuan", 300))
    except FormError as exc:
        return _login_page(request, error=str(exc), status_code=400)
    if not username or not password:
        return _login_page(request, error="Isi nama pengguna dan kata sandi.", username=username, status_code=400)
    token, error, must_change, status = await run_in_threadpool(
        _do_login, username, password, client_ip(request), request.cookies.get(SESSION_COOKIE)
    )
    if token is None:
        return _login_page(request, error=error or "", username=username, status_code=status)
    target = "/staff/password" if must_change else next_path
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, token)
    response.delete_cookie(LOGIN_COOKIE, path="/staff/login")
    return response


@router.post("/staff/logout")
async def logout(request: Request) -> Response:
    """Sign out (CSRF-checked so another site cannot sign staff out)."""
    staff = await current_staff(request)
    token = request.cookies.get(SESSION_COOKIE)
    if staff is not None:
        await verify_csrf(request, staff.csrf_token)

        def _end() -> None:
            with session_scope(get_settings().database_url) as db:
                end_session(db, token)
                audit.record(db, staff.username, "logout", target=staff.username, ip=client_ip(request))

        await run_in_threadpool(_end)
    response = RedirectResponse("/staff/login?ok=signed_out", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/staff")
def home(request: Request, staff: StaffContext = Depends(require_roles())) -> Response:
    """Greeting, role and the pages this role may open."""
    links = [item for item in nav_for(staff.role) if item.path != "/staff"]
    return render(
        request,
        "home.html",
        {"greeting": greeting(), "links": links, "ok": OK_MESSAGES.get(request.query_params.get("ok", ""))},
    )


@router.get("/staff/password")
def password_form(
    request: Request, staff: StaffContext = Depends(require_roles(allow_pending_password=True))
) -> Response:
    """Change one's own password (forced after a one-time password)."""
    return render(request, "password.html", {"error": ""})


@router.post("/staff/password")
async def password_submit(
    request: Request, staff: StaffContext = Depends(require_roles(allow_pending_password=True))
) -> Response:
    """Apply the change; the other sessions of this account end."""
    form = await read_form(request)
    try:
        current = text_field(form, "current_password", "Kata sandi saat ini", MAX_PASSWORD_LENGTH, strip=False)
        new = text_field(form, "new_password", "Kata sandi baru", MAX_PASSWORD_LENGTH, strip=False)
        confirm = text_field(form, "confirm_password", "Ulangi kata sandi baru", MAX_PASSWORD_LENGTH, strip=False)
        if new != confirm:
            raise FormError("Ulangan kata sandi baru tidak sama.")
    except FormError as exc:
        return render(request, "password.html", {"error": str(exc)}, status_code=400)

    def _change() -> str | None:
        with session_scope(get_settings().database_url) as db:
            user = get_user(db, staff.user_id)
            if user is None:
                return "Akun tidak ditemukan."
            try:
                change_password(db, user, current, new, keep_session_id=staff.session_id)
            except StaffError as exc:
                return str(exc)
            audit.record(db, staff.username, "password_changed", target=staff.username, ip=client_ip(request))
            return None

    error = await run_in_threadpool(_change)
    if error:
        return render(request, "password.html", {"error": error}, status_code=400)
    return RedirectResponse("/staff?ok=password_changed", status_code=303)
