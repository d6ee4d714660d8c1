"""Account administration (administrators only): list, create, change role/unit, reset password,
deactivate and activate. Every change is audited; a one-time password is shown exactly once."""
from __future__ import annotations

from typing import Any, Callable

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from office import audit
from office.db import session_scope
from office.settings import get_settings
from office.staff import (
    ADMIN,
    MAX_FULL_NAME,
    MAX_UNIT,
    ROLE_LABELS,
    ROLES,
    StaffError,
    StaffUser,
    activate,
    create_user,
    deactivate,
    get_user,
    list_units,
    list_users,
    reset_password,
    set_role,
    utcnow,
)

from backoffice.auth import StaffContext, client_ip, require_roles
from backoffice.forms import FormError, RecordId, read_form, text_field
from backoffice.templating import render

router = APIRouter()
admin_only = require_roles(ADMIN)

OK_MESSAGES = {
    "role": "Peran dan unit berhasil diubah.",
    "deactivated": "Akun dinonaktifkan. Semua sesinya telah diakhiri.",
    "activated": "Akun diaktifkan kembali.",
}


def _page_context(db: Session) -> dict[str, Any]:
    return {
        "users": list_users(db),
        "units": list_units(db),
        "roles": ROLES,
        "role_labels": ROLE_LABELS,
        "now": utcnow(),
    }


def _users_page(
    request: Request,
    status_code: int = 200,
    error: str = "",
    created: dict[str, str] | None = None,
    form_values: dict[str, str] | None = None,
    ok: str | None = None,
) -> Response:
    with session_scope(get_settings().database_url) as db:
        ctx = _page_context(db)
        response = render(
            request,
            "users.html",
            {
                **ctx,
                "error": error,
                "created": created,
                "form": form_values or {},
                "ok": ok,
            },
            status_code=status_code,
        )
    return response


@router.get("/staff/users")
def users_page(request: Request, staff: StaffContext = Depends(admin_only)) -> Response:
    """Every account with its actions."""
    return _users_page(request, ok=OK_MESSAGES.get(request.query_params.get("ok", "")))


@router.post("/staff/users")
async def users_create(request: Request, staff: StaffContext = Depends(admin_only)) -> Response:
    """Create an account; the response shows its one-time password once (it is stored hashed)."""
    form = await read_form(request)
    values: dict[str, str] = {}
    try:
        values = {
            "username": text_field(form, "username", "Nama pengguna", 32),
            "full_name": text_field(form, "full_name", "Nama lengkap", MAX_FULL_NAME),
            "role": text_field(form, "role", "Peran", 16),
            "unit": text_field(form, "unit", "Unit", MAX_UNIT),
        }
    except FormError as exc:
        return await run_in_threadpool(lambda: _users_page(request, 400, error=str(exc)))

    def _create() -> tuple[dict[str, str] | None, str]:
        with session_scope(get_settings().database_url) as db:
            try:
                created = create_user(
                    db, values["username"], values["full_name"], values["role"], values["unit"] or None
                )
            except StaffError as exc:
                return None, str(exc)
            user = created.user
            audit.record(
                db,
                staff.username,
                "user_created",
                target=user.username,
                detail={"role": user.role, "unit": user.unit, "full_name": user.full_name},
                ip=client_ip(request),
            )
            return {
                "username": user.username,
                "full_name": user.full_name,
                "password": created.one_time_password or "",
                "reason": "Akun baru dibuat.",
            }, ""

    created, error = await run_in_threadpool(_create)
    if created is None:
        return await run_in_threadpool(lambda: _users_page(request, 400, error=error, form_values=values))
    return await run_in_threadpool(lambda: _users_page(request, 200, created=created))


async def _user_action(
    request: Request,
    staff: StaffContext,
    user_id: int,
    action: Callable[[Session, StaffUser, Any], dict[str, Any] | None],
    audit_action: str,
    ok_code: str | None,
) -> Response:
    """Load the target user, run `action` in one transaction, audit it, and answer."""
    form = await read_form(request)
    try:
        payload = {
            "role": text_field(form, "role", "Peran", 16),
            "unit": text_field(form, "unit", "Unit", MAX_UNIT),
        }
    except FormError as exc:
        return await run_in_threadpool(lambda: _users_page(request, 400, error=str(exc)))

    def _run() -> tuple[int, str, dict[str, Any] | None]:
        with session_scope(get_settings().database_url) as db:
            user = get_user(db, user_id) if 0 < user_id < 2**31 else None
            if user is None:
                return 404, "Akun tidak ditemukan.", None
            try:
                result = action(db, user, payload) or {}
            except StaffError as exc:
                db.rollback()
                return 400, str(exc), None
            audit.record(
                db,
                staff.username,
                audit_action,
                target=user.username,
                detail=result.get("audit"),
                ip=client_ip(request),
            )
            return 200, "", result

    status, error, result = await run_in_threadpool(_run)
    if status != 200:
        return await run_in_threadpool(lambda: _users_page(request, status, error=error))
    if result and result.get("created"):
        return await run_in_threadpool(lambda: _users_page(request, 200, created=result["created"]))
    return RedirectResponse(f"/staff/users?ok={ok_code}", status_code=303)


@router.post("/staff/users/{user_id}/role")
async def users_set_role(user_id: RecordId, request: Request, staff: StaffContext = Depends(admin_only)) -> Response:
    """Change role and unit."""

    def action(db: Session, user: StaffUser, payload: dict[str, str]) -> dict[str, Any]:
        before = {"role": user.role, "unit": user.unit}
        set_role(db, user, payload["role"], payload["unit"] or None)
        return {"audit": {"before": before, "after": {"role": user.role, "unit": user.unit}}}

    return await _user_action(request, staff, user_id, action, "user_role_changed", "role")


@router.post("/staff/users/{user_id}/reset-password")
async def users_reset_password(
    user_id: RecordId, request: Request, staff: StaffContext = Depends(admin_only)
) -> Response:
    """Issue a new one-time password (shown once) and sign the user out everywhere."""

    def action(db: Session, user: StaffUser, payload: dict[str, str]) -> dict[str, Any]:
        one_time = reset_password(db, user)
        return {
            "created": {
                "username": user.username,
                "full_name": user.full_name,
                "password": one_time,
                "reason": "Kata sandi diatur ulang.",
            }
        }

    return await _user_action(request, staff, user_id, action, "user_password_reset", None)


@router.post("/staff/users/{user_id}/deactivate")
async def users_deactivate(user_id: RecordId, request: Request, staff: StaffContext = Depends(admin_only)) -> Response:
    """Stop the account from signing in (it stays for the audit trail)."""

    def action(db: Session, user: StaffUser, payload: dict[str, str]) -> None:
        if user.id == staff.user_id:
            raise StaffError("Anda tidak dapat menonaktifkan akun Anda sendiri.")
        deactivate(db, user)
        return None

    return await _user_action(request, staff, user_id, action, "user_deactivated", "deactivated")


@router.post("/staff/users/{user_id}/activate")
async def users_activate(user_id: RecordId, request: Request, staff: StaffContext = Depends(admin_only)) -> Response:
    """Let a deactivated account sign in again."""

    def action(db: Session, user: StaffUser, payload: dict[str, str]) -> None:
        activate(db, user)
        return None

    return await _user_action(request, staff, user_id, action, "user_activated", "activated")
