"""Pengumuman: staff write an announcement, preview it per channel, schedule it or send it now, cancel
it before it goes out, and follow its delivery (sent / pending / failed per channel). The rules live in
office/outreach/announcements.py; the worker sends (worker/announcement_jobs.py)."""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from office import audit, clock
from office.db import session_scope
from office.outreach import announcements as rules
from office.outreach.subscriptions import active_counts
from office.settings import get_settings
from office.staff import ADMIN, EDITOR, SUPERVISOR

from backoffice.auth import StaffContext, client_ip, require_roles
from backoffice.forms import FormError, RecordId, read_form, text_field
from backoffice.templating import render

router = APIRouter()
announcement_staff = require_roles(EDITOR, SUPERVISOR, ADMIN)
PAGE = "/staff/announcements"
OUTBOX_ROLES = (ADMIN, SUPERVISOR)  # who may open /staff/outbox (backoffice/routes_outbox.py)


def _url() -> str:
    return get_settings().database_url


def _subscribers() -> dict[str, Any]:
    with session_scope(_url()) as db:
        counts = active_counts(db)
    rows = [{"channel": c, "label": rules.CHANNEL_LABELS[c], "count": counts.get(c, 0)} for c in rules.CHANNELS]
    return {"subscribers": rows, "subscriber_total": sum(counts.get(c, 0) for c in rules.CHANNELS)}


def _list_context() -> dict[str, Any]:
    with session_scope(_url()) as db:
        items = rules.recent(db)
        counts = rules.delivery_counts(db, [a.id for a in items])
        rows = [{"id": a.id, "title": a.title, "status": a.status, "status_label": rules.STATUS_LABELS[a.status],
                 "channels": [rules.CHANNEL_LABELS[c] for c in rules.channels_of(a)],
                 "scheduled_for": a.scheduled_for, "sent_at": a.sent_at, "created_by": a.created_by,
                 "recipients": a.recipients, "counts": counts[a.id]["total"]} for a in items]
    return {"rows": rows, **_subscribers()}


@router.get(PAGE)
async def announcements_page(request: Request, staff: StaffContext = Depends(announcement_staff)) -> Response:
    ctx = await run_in_threadpool(_list_context)
    ctx.update(message=request.query_params.get("msg", "")[:300], error=request.query_params.get("err", "")[:300])
    return render(request, "announcements.html", ctx)


def _form_values(form: Any) -> tuple[str, str, list[str]]:
    title = text_field(form, "title", "Judul", rules.TITLE_MAX * 2)
    body = text_field(form, "body", "Isi", rules.BODY_MAX * 2)
    channels = [v for v in form.getlist("channels") if isinstance(v, str)]
    return title, body, rules.parse_channels(channels)


def _editor_context(values: dict[str, Any], show_preview: bool) -> dict[str, Any]:
    """The write/edit form with its values and, when asked (or for a saved announcement), the preview."""
    ctx: dict[str, Any] = {"values": values, "all_channels": [(c, rules.CHANNEL_LABELS[c]) for c in rules.CHANNELS],
                           "title_max": rules.TITLE_MAX, "body_max": rules.BODY_MAX, "previews": []}
    if show_preview and values["title"].strip() and values["body"].strip() and values["channels"]:
        ctx["previews"] = rules.preview(" ".join(values["title"].split()), values["body"].strip(), values["channels"])
    ctx.update(_subscribers())
    return ctx


@router.get(PAGE + "/new")
async def new_page(request: Request, staff: StaffContext = Depends(announcement_staff)) -> Response:
    values = {"title": "", "body": "", "channels": list(rules.CHANNELS)}
    ctx = await run_in_threadpool(_editor_context, values, False)
    ctx.update(announcement=None, message="", error="")
    return render(request, "announcement_detail.html", ctx)


def _create(title: str, body: str, channels: list[str], actor: str, ip: str | None) -> int:
    with session_scope(_url()) as db:
        announcement = rules.create_draft(db, title, body, channels, actor)
        audit.record(db, actor, "announcement_created", target=f"announcement:{announcement.id}",
                     detail={"title": announcement.title, "channels": announcement.channels}, ip=ip)
        return announcement.id


@router.post(PAGE + "/new")
async def new_submit(request: Request, staff: StaffContext = Depends(announcement_staff)) -> Response:
    form = await read_form(request)
    raw = {"title": str(form.get("title", ""))[:1000], "body": str(form.get("body", ""))[:10000],
           "channels": [c for c in form.getlist("channels") if c in rules.CHANNELS]}
    error = ""
    try:
        title, body, channels = _form_values(form)
        if form.get("op") != "preview":
            new_id = await run_in_threadpool(_create, title, body, channels, staff.username, client_ip(request))
            return RedirectResponse(f"{PAGE}/{new_id}?" + urlencode({"msg": "Draf pengumuman disimpan."}),
                                    status_code=303)
    except (FormError, rules.AnnouncementError) as exc:
        error = f"Tidak tersimpan: {exc}"
    ctx = await run_in_threadpool(_editor_context, raw, True)
    ctx.update(announcement=None, message="", error=error)
    return render(request, "announcement_detail.html", ctx, status_code=400 if error else 200)


def _detail_context(announcement_id: int, staff_role: str) -> dict[str, Any] | None:
    with session_scope(_url()) as db:
        announcement = db.get(rules.Announcement, announcement_id)
        if announcement is None:
            return None
        counts = rules.delivery_counts(db, [announcement.id])[announcement.id]
        failures = rules.failed_deliveries(db, announcement.id)
        channels = rules.channels_of(announcement)
        info = {"id": announcement.id, "title": announcement.title, "status": announcement.status,
                "status_label": rules.STATUS_LABELS[announcement.status],
                "editable": announcement.status in rules.EDITABLE, "scheduled_for": announcement.scheduled_for,
                "sent_at": announcement.sent_at, "cancelled_at": announcement.cancelled_at,
                "created_by": announcement.created_by, "created_at": announcement.created_at,
                "updated_by": announcement.updated_by, "recipients": announcement.recipients,
                "channel_labels": [rules.CHANNEL_LABELS[c] for c in channels]}
        values = {"title": announcement.title, "body": announcement.body, "channels": channels}
    ctx = _editor_context(values, True)
    by_channel = [{"label": rules.CHANNEL_LABELS.get(c, c), **counts.get(c, dict.fromkeys(rules.STATES, 0))}
                  for c in rules.CHANNELS if c in counts]
    default_when = (clock.now() + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    ctx.update(announcement=info, totals=counts["total"], by_channel=by_channel,
               failures=[{"channel": rules.CHANNEL_LABELS.get(f.channel, f.channel), "recipient": f.recipient,
                          "attempts": f.attempts, "error": f.error} for f in failures],
               outbox_link=staff_role in OUTBOX_ROLES,
               default_when=default_when.strftime("%Y-%m-%dT%H:%M"),
               min_when=clock.now().strftime("%Y-%m-%dT%H:%M"))
    return ctx


@router.get(PAGE + "/{announcement_id}")
async def detail_page(request: Request, announcement_id: RecordId,
                      staff: StaffContext = Depends(announcement_staff)) -> Response:
    ctx = await run_in_threadpool(_detail_context, announcement_id, staff.role)
    if ctx is None:
        return RedirectResponse(PAGE + "?" + urlencode({"err": "Pengumuman tidak ditemukan."}), status_code=303)
    ctx.update(message=request.query_params.get("msg", "")[:300], error=request.query_params.get("err", "")[:300])
    return render(request, "announcement_detail.html", ctx)


def _parse_when(value: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise rules.AnnouncementError("Waktu kirim tidak valid. Pilih tanggal dan jam.") from None
    return when if when.tzinfo else when.replace(tzinfo=clock.office_tz())


def _apply(announcement_id: int, op: str, form: Any, actor: str, ip: str | None) -> str:
    """Carry out one staff action; returns the message to show. AnnouncementError/FormError when refused."""
    with session_scope(_url()) as db:
        if op == "edit":
            title, body, channels = _form_values(form)
            a = rules.update_content(db, announcement_id, title, body, channels, actor)
            action, detail, done = "announcement_edited", {"title": a.title, "channels": a.channels}, "Perubahan disimpan."
        elif op == "schedule":
            when = _parse_when(text_field(form, "when", "Waktu kirim", 40))
            a = rules.schedule(db, announcement_id, when, actor)
            action, detail = "announcement_scheduled", {"scheduled_for": when.isoformat()}
            done = "Pengumuman dijadwalkan."
        elif op == "send-now":
            a = rules.send_now(db, announcement_id, actor)
            action, detail = "announcement_send_now", {}
            done = "Pengumuman segera dikirim oleh worker (dalam beberapa detik)."
        elif op == "unschedule":
            a = rules.unschedule(db, announcement_id, actor)
            action, detail, done = "announcement_unscheduled", {}, "Jadwal dibatalkan; pengumuman kembali menjadi draf."
        elif op == "cancel":
            a = rules.cancel(db, announcement_id, actor)
            action, detail, done = "announcement_cancelled", {}, "Pengumuman dibatalkan dan tidak akan dikirim."
        else:
            raise rules.AnnouncementError("Tindakan tidak dikenal.")
        audit.record(db, actor, action, target=f"announcement:{announcement_id}", detail=detail or None, ip=ip)
    return done


@router.post(PAGE + "/{announcement_id}/{op}")
async def detail_action(request: Request, announcement_id: RecordId, op: str,
                        staff: StaffContext = Depends(announcement_staff)) -> Response:
    form = await read_form(request)
    target = f"{PAGE}/{announcement_id}"
    if op == "edit" and form.get("do") == "preview":
        # preview unsaved changes: the form again, with its values and their preview; nothing is saved
        ctx = await run_in_threadpool(_detail_context, announcement_id, staff.role)
        if ctx is None:
            return RedirectResponse(PAGE + "?" + urlencode({"err": "Pengumuman tidak ditemukan."}), status_code=303)
        raw = {"title": str(form.get("title", ""))[:1000], "body": str(form.get("body", ""))[:10000],
               "channels": [c for c in form.getlist("channels") if c in rules.CHANNELS]}
        ctx.update(await run_in_threadpool(_editor_context, raw, True))
        ctx.update(message="Pratinjau perubahan (belum disimpan).", error="")
        return render(request, "announcement_detail.html", ctx)
    try:
        done = await run_in_threadpool(_apply, announcement_id, op, form, staff.username, client_ip(request))
    except (FormError, rules.AnnouncementError) as exc:
        ctx = await run_in_threadpool(_detail_context, announcement_id, staff.role) if op == "edit" else None
        if ctx is not None and ctx["announcement"]["editable"]:
            # keep what the editor typed, with the reason beside it; nothing was saved
            raw = {"title": str(form.get("title", ""))[:1000], "body": str(form.get("body", ""))[:10000],
                   "channels": [c for c in form.getlist("channels") if c in rules.CHANNELS]}
            ctx.update(await run_in_threadpool(_editor_context, raw, True))
            ctx.update(message="", error=f"Tidak tersimpan: {exc}")
            return render(request, "announcement_detail.html", ctx, status_code=400)
        return RedirectResponse(target + "?" + urlencode({"err": f"Tidak dapat diproses: {exc}"}), status_code=303)
    return RedirectResponse(target + "?" + urlencode({"msg": done}), status_code=303)
