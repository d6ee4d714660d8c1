"""The back-office FastAPI application: `create_app()` and `app` for `uvicorn backoffice.app:app`.

Environment (see office/settings.py): SECRET_KEY (required, at least 16 characters; signs the
web-chat session tokens), DATABASE_URL, RASA_URL, STAFF_SESSION_MINUTES, STAFF_MAX_LOGIN_FAILURES,
STAFF_LOCKOUT_MINUTES, COOKIE_SECURE=1 behind HTTPS, OFFICE_TZ, WEBCHAT_ALLOWED_ORIGINS (the
sites that may embed the web-chat widget, comma-separated).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from office.db import get_engine
from office.settings import get_settings

from backoffice import routes_audit, routes_auth, routes_chat, routes_handoff, routes_queue, routes_tickets, routes_users
from backoffice import routes_kb
from backoffice import routes_dashboard
from backoffice import routes_holidays, routes_qr
from backoffice import routes_privacy
from backoffice import routes_outbox
from backoffice import routes_announcements
from backoffice import routes_outreach
from backoffice.auth import LoginRequired, PasswordChangeRequired, clear_session_cookie, current_staff, login_url
from backoffice.csrf import CSRFError
from backoffice.templating import render
from backoffice.webchat_access import WebchatCorsMiddleware

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 64 * 1024  # forms and chat messages are small; anything larger is refused early

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cross-origin-opener-policy": "same-origin",
}

ERROR_TEXT: dict[int, tuple[str, str]] = {
    400: ("Permintaan tidak valid", "Isian yang dikirim tidak dapat diproses. Periksa kembali lalu coba lagi."),
    401: ("Perlu masuk", "Silakan masuk terlebih dahulu."),
    403: ("Akses ditolak", "Anda tidak memiliki akses ke halaman ini."),
    404: ("Halaman tidak ditemukan", "Halaman yang Anda cari tidak ada atau sudah dipindahkan."),
    405: ("Metode tidak diizinkan", "Alamat ini tidak dapat dibuka dengan cara tersebut."),
    413: ("Kiriman terlalu besar", "Data yang dikirim terlalu besar. Persingkat isian lalu coba lagi."),
    415: ("Format tidak didukung", "Format data yang dikirim tidak didukung."),
    429: ("Terlalu banyak permintaan", "Mohon tunggu sebentar, lalu coba lagi."),
    500: ("Terjadi kesalahan", "Maaf, terjadi kesalahan pada sistem. Silakan coba lagi; bila berulang, hubungi administrator."),
}
CSRF_MESSAGE = "Formulir sudah kedaluwarsa atau tidak sah (token keamanan tidak cocok). Muat ulang halaman, lalu kirim kembali."


class ConfigError(RuntimeError):
    """The app cannot start with this configuration; the message says what to set."""


class SecurityHeadersMiddleware:
    """Adds the security headers to every response, and `Cache-Control: no-store` to staff pages
    (a shared computer must not show a signed-out officer's pages from cache)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        staff_path = scope.get("path", "").startswith("/staff")
        hsts = get_settings().cookie_secure  # behind HTTPS: tell browsers to stay on HTTPS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])]
                present = {k.lower() for k, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if hsts and b"strict-transport-security" not in present:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                if staff_path and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    """The request body passed MAX_BODY_BYTES."""


class BodyLimitMiddleware:
    """Refuses bodies over `limit` bytes (declared or streamed) with 413 before anything parses them."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.limit
                except ValueError:
                    too_big = True
                if too_big:
                    await _too_large(scope, receive, send)
                    return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(status_code=413)
            return message

        await self.app(scope, limited_receive, send)


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    if scope.get("path", "").startswith("/chat/"):
        response: Response = JSONResponse({"error": routes_chat.MSG_TOO_LONG}, status_code=413)
    else:
        title, text_ = ERROR_TEXT[413]
        response = Response(
            f"<!doctype html><html lang=\"id\"><meta charset=\"utf-8\"><title>{title}</title>"
            f"<h1>{title}</h1><p>{text_}</p></html>",
            status_code=413,
            media_type="text/html",
        )
    await response(scope, receive, send)


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return (
        path.startswith("/chat/")
        or path == "/healthz"
        or "application/json" in request.headers.get("accept", "")
        or request.headers.get("hx-request") == "true"
    )


def error_response(request: Request, status: int, message: str | None = None) -> Response:
    """An error in Indonesian: a page for browsers, JSON for the chat API and fetch calls."""
    title, default = ERROR_TEXT.get(status, ERROR_TEXT[500] if status >= 500 else ERROR_TEXT[400])
    text_ = message or default
    if _wants_json(request):
        return JSONResponse({"error": text_}, status_code=status)
    try:
        return render(request, "error.html", {"status": status, "title": title, "message": text_}, status_code=status)
    except Exception:  # the error page itself must never fail
        log.exception("error page failed")
        return Response(f"{status} {title}", status_code=status, media_type="text/plain")


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": "Sesi Anda sudah berakhir. Silakan masuk kembali."}, status_code=401)
        response = RedirectResponse(login_url(exc.next_path), status_code=303)
        if request.cookies.get("bo_session"):
            clear_session_cookie(response)
        return response

    @app.exception_handler(PasswordChangeRequired)
    async def _password_change(request: Request, exc: PasswordChangeRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": "Ganti kata sandi sementara Anda terlebih dahulu."}, status_code=403)
        return RedirectResponse("/staff/password", status_code=303)

    @app.exception_handler(CSRFError)
    async def _csrf(request: Request, exc: CSRFError) -> Response:
        return error_response(request, 403, CSRF_MESSAGE)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/staff") and exc.status_code == 404:
            try:  # a signed-in officer who mistyped an address keeps the menu
                await current_staff(request)
            except Exception:
                log.warning("could not load the session for an error page", exc_info=True)
        message = exc.detail if exc.status_code == 403 and isinstance(exc.detail, str) and exc.detail != "Forbidden" else None
        response = error_response(request, exc.status_code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        # Path parameters such as /staff/users/abc/role: the address is wrong, not the server.
        return error_response(request, 404 if request.method in ("GET", "HEAD") else 400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500)


def create_app() -> FastAPI:
    """Build the app. Refuses to start without SECRET_KEY (it signs the web-chat cookie; a
    default would let anyone forge a citizen's conversation id)."""
    settings = get_settings()
    secret = settings.secret_key
    if not secret or len(secret) < 16:
        raise ConfigError(
            "SECRET_KEY is not set (or shorter than 16 characters). Set it in the environment or .env, "
            "for example: export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    app = FastAPI(
        title="Back-office Kantor Imigrasi",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.secret_key = secret
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(WebchatCorsMiddleware)  # outside the body limit: a 413 still reaches the widget
    app.add_middleware(SecurityHeadersMiddleware)  # added last = outermost: also covers 413s
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for module in (routes_chat, routes_auth, routes_users, routes_audit, routes_tickets, routes_queue, routes_handoff):
        app.include_router(module.router)
    app.include_router(routes_kb.router)
    app.include_router(routes_dashboard.router)
    app.include_router(routes_holidays.router)
    app.include_router(routes_qr.router)
    app.include_router(routes_privacy.router)
    app.include_router(routes_outbox.router)
    app.include_router(routes_outreach.router)
    app.include_router(routes_announcements.router)

    @app.get("/healthz")
    async def healthz() -> Response:
        """Liveness and database reachability, for the process runner and monitoring."""

        def _ping() -> bool:
            try:
                with get_engine(get_settings().database_url).connect() as conn:
                    conn.execute(text("SELECT 1"))
                return True
            except Exception:
                log.warning("health check: database unreachable", exc_info=True)
                return False

        ok = await run_in_threadpool(_ping)
        body: dict[str, Any] = {"status": "ok" if ok else "degraded", "database": "ok" if ok else "unreachable"}
        return JSONResponse(body, status_code=200 if ok else 503)

    _install_handlers(app)
    return app


try:
    app = create_app()
except ConfigError as _exc:  # uvicorn prints this line and exits, instead of a traceback
    raise SystemExit(f"backoffice: cannot start: {_exc}") from None
