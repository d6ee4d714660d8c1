"""Live chat with citizens who asked for an officer: the queue, taking a conversation, writing to
the citizen (through the outbox, the worker and Rasa) and handing it back to the assistant.

Both pages update by themselves (static/live_chat.js polls the small JSON routes below every few
seconds): an officer must see a citizen's new message without reloading, or the citizen waits."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response

from office import handoff
from office.db import session_scope
from office.settings import get_settings
from office.staff import ADMIN, OFFICER, SUPERVISOR

from backoffice.auth import StaffContext, require_roles
from backoffice.forms import Cursor, FormError, RecordId, read_form, text_field
from backoffice.templating import format_datetime_id, render

router = APIRouter()
live_roles = require_roles(OFFICER, SUPERVISOR, ADMIN)
STATE_TEXT = {handoff.WAITING: "Menunggu", handoff.ACTIVE: "Aktif", handoff.CLOSED: "Selesai"}
WHO = {"citizen": "Warga", "officer": "Petugas", "system": "Sistem"}


def _channel(sender_id: str) -> str:
    return sender_id.split(":", 1)[0] if ":" in sender_id else "web"


NO_STORE = {"Cache-Control": "no-store"}


def _queue_rows() -> list[dict]:
    with session_scope(get_settings().database_url) as db:
        return [{"id": s.id, "state": STATE_TEXT[s.status], "status": s.status, "officer": s.officer or "-",
                 "channel": _channel(s.sender_id), "created_at": format_datetime_id(s.created_at),
                 "count": len(s.messages),
                 "last": next((m.text for m in reversed(s.messages) if m.author_kind == "citizen"), "")[:140]}
                for s in handoff.live_queue(db)]


@router.get("/staff/live")
def live_queue(request: Request, staff: StaffContext = Depends(live_roles)) -> Response:
    return render(request, "live_queue.html", {"rows": _queue_rows()})


@router.get("/staff/live.json")
def live_queue_json(staff: StaffContext = Depends(live_roles)) -> Response:
    """The open sessions, for the queue page's polling."""
    return JSONResponse({"rows": _queue_rows()}, headers=NO_STORE)


def _message(m: handoff.LiveMessage) -> dict:
    return {"id": m.id, "kind": m.author_kind, "who": WHO.get(m.author_kind, m.author_kind), "author": m.author or "",
            "text": m.text, "at": format_datetime_id(m.created_at)}


def _page(request: Request, staff: StaffContext, live_id: int, error: str = "", status_code: int = 200) -> Response:
    with session_scope(get_settings().database_url) as db:
        live = db.get(handoff.LiveSession, live_id)
        if live is None:
            raise HTTPException(status_code=404)
        return render(request, "live_session.html", {
            "s": live, "state": STATE_TEXT[live.status], "channel": _channel(live.sender_id),
            "mine": live.status == handoff.ACTIVE and live.officer == staff.username,
            "messages": [_message(m) for m in live.messages],
            "last_id": live.messages[-1].id if live.messages else 0,
            "error": error}, status_code=status_code)


@router.get("/staff/live/{live_id}/messages.json")
def live_messages_json(live_id: RecordId, after: Cursor = 0, staff: StaffContext = Depends(live_roles)) -> Response:
    """Messages after `after` (an id) and the session's state, for the conversation page's polling."""
    with session_scope(get_settings().database_url) as db:
        live = db.get(handoff.LiveSession, live_id)
        if live is None:
            raise HTTPException(status_code=404)
        return JSONResponse({"status": live.status, "state": STATE_TEXT[live.status], "officer": live.officer or "",
                             "messages": [_message(m) for m in live.messages if m.id > after]}, headers=NO_STORE)


@router.get("/staff/live/{live_id}")
def live_page(live_id: RecordId, request: Request, staff: StaffContext = Depends(live_roles)) -> Response:
    return _page(request, staff, live_id)


async def _act(request: Request, staff: StaffContext, live_id: int, action: str) -> Response:
    form = await read_form(request)
    try:
        text = text_field(form, "text", "Pesan", handoff.MAX_TEXT) if action == "send" else ""
    except FormError as exc:
        return await run_in_threadpool(lambda: _page(request, staff, live_id, str(exc), 400))

    def _run() -> None:
        with session_scope(get_settings().database_url) as db:
            live = db.get(handoff.LiveSession, live_id)
            if live is None:
                raise HTTPException(status_code=404)
            if action == "take":
                handoff.take(db, live, staff.username)
            elif action == "send":
                handoff.officer_message(db, live, staff.username, text)
            else:
                if live.officer not in (None, staff.username) and staff.role == OFFICER:
                    raise handoff.HandoffError(f"Percakapan ini ditangani {live.officer}.")
                handoff.hand_back(db, live, staff.username)

    try:
        await run_in_threadpool(_run)
    except handoff.HandoffError as exc:
        return await run_in_threadpool(lambda: _page(request, staff, live_id, str(exc), 400))
    return RedirectResponse(f"/staff/live/{live_id}", status_code=303)


@router.post("/staff/live/{live_id}/take")
async def live_take(live_id: RecordId, request: Request, staff: StaffContext = Depends(live_roles)) -> Response:
    return await _act(request, staff, live_id, "take")


@router.post("/staff/live/{live_id}/send")
async def live_send(live_id: RecordId, request: Request, staff: StaffContext = Depends(live_roles)) -> Response:
    return await _act(request, staff, live_id, "send")


@router.post("/staff/live/{live_id}/return")
async def live_return(live_id: RecordId, request: Request, staff: StaffContext = Depends(live_roles)) -> Response:
    return await _act(request, staff, live_id, "return")
