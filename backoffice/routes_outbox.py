""""Pengiriman gagal": outbox messages the worker could not deliver (provider or Rasa outage), for
administrators and supervisors, who can send one again once the outage is over."""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from office import audit, clock
from office.db import session_scope
from office.outbox import STUCK_AFTER, requeue, undelivered
from office.privacy import mask_personal_data
from office.settings import get_settings
from office.staff import ADMIN, SUPERVISOR

from backoffice.auth import StaffContext, client_ip, require_roles
from backoffice.forms import RecordId
from backoffice.templating import render

router = APIRouter()
outbox_staff = require_roles(ADMIN, SUPERVISOR)
PAGE = "/staff/outbox"

KIND_LABELS = {
    "officer_reply": "Balasan petugas",
    "reminder": "Pengingat kunjungan",
    "queue_alert": "Pemberitahuan antrean",
    "booking_closure": "Perubahan jadwal (kantor tutup)",
    "complaint_status": "Status pengaduan",
    "handoff": "Obrolan petugas",
    "survey_invite": "Undangan survei",
    "announcement": "Pengumuman",
}
STATUS_LABELS = {"failed": "Gagal", "pending": "Tertunda", "sending": "Sedang dikirim"}


def _rows() -> list[dict[str, object]]:
    with session_scope(get_settings().database_url) as db:
        return [{
            "id": m.id,
            "kind": KIND_LABELS.get(m.kind, m.kind),
            "channel": m.sender_id.split(":", 1)[0] if ":" in m.sender_id else "-",
            "recipient": mask_personal_data(m.sender_id),
            "status": m.status,
            "status_label": STATUS_LABELS.get(m.status, m.status),
            "attempts": m.attempts,
            "last_error": mask_personal_data(m.last_error or ""),
            "created_at": m.created_at,
        } for m in undelivered(db, clock.now())]


@router.get(PAGE)
async def outbox_page(request: Request, staff: StaffContext = Depends(outbox_staff)) -> Response:
    """Failed and long-undelivered messages, newest first."""
    rows = await run_in_threadpool(_rows)
    return render(request, "outbox_failed.html", {
        "rows": rows, "stuck_minutes": int(STUCK_AFTER.total_seconds() // 60),
        "message": request.query_params.get("msg", "")[:300], "error": request.query_params.get("err", "")[:300],
    })


def _requeue(message_id: int, actor: str, ip: str | None) -> bool:
    with session_scope(get_settings().database_url) as db:
        message = requeue(db, message_id, clock.now())
        if message is None:
            return False
        audit.record(db, actor, "outbox_requeued", target=f"outbox:{message_id}",
                     detail={"kind": message.kind, "recipient": mask_personal_data(message.sender_id)}, ip=ip)
        return True


@router.post(PAGE + "/{message_id}/requeue")
async def outbox_requeue(request: Request, message_id: RecordId,
                         staff: StaffContext = Depends(outbox_staff)) -> Response:
    """"Kirim ulang": the worker sends it on its next pass (a few seconds)."""
    if await run_in_threadpool(_requeue, message_id, staff.username, client_ip(request)):
        query = {"msg": f"Pesan #{message_id} dijadwalkan untuk dikirim ulang. Pengirim otomatis akan "
                        "mengirimkannya dalam beberapa detik."}
    else:
        query = {"err": f"Pesan #{message_id} tidak dapat dikirim ulang: pesan sudah terkirim, sedang dikirim, "
                        "atau tidak ada."}
    return RedirectResponse(f"{PAGE}?{urlencode(query)}", status_code=303)
