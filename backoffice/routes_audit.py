"""The audit trail for administrators and supervisors, filterable by actor and action."""
from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from office import audit
from office.db import session_scope
from office.settings import get_settings
from office.staff import ADMIN, SUPERVISOR

from backoffice.auth import StaffContext, require_roles
from backoffice.templating import render

router = APIRouter()

#: Indonesian names of the action codes staff see most.
ACTION_LABELS = {
    "login_ok": "Masuk berhasil",
    "login_failed": "Masuk gagal",
    "login_locked": "Akun dikunci",
    "logout": "Keluar",
    "password_changed": "Kata sandi diubah",
    "user_created": "Akun dibuat",
    "user_role_changed": "Peran/unit diubah",
    "user_password_reset": "Kata sandi diatur ulang",
    "user_deactivated": "Akun dinonaktifkan",
    "user_activated": "Akun diaktifkan",
    "admin_created": "Admin dibuat (CLI)",
    "admin_password_reset": "Sandi admin diatur ulang (CLI)",
    "complaint_filed": "Pengaduan masuk",
    "complaint_reply": "Balasan ke warga",
    "complaint_note": "Catatan internal",
    "complaint_status": "Status pengaduan diubah",
    "complaint_reassign": "Pengaduan dialihkan ke unit",
    "complaint_assign": "Pengaduan ditugaskan ke petugas",
    "complaint_merge": "Pengaduan digabungkan",
    "complaint_escalated": "Pengaduan dieskalasi",
    "complaint_citizen_message": "Tambahan info dari warga",
    "complaint_evidence_download": "Bukti diunduh",
    "handoff_requested": "Warga minta bicara dengan petugas",
    "handoff_taken": "Obrolan langsung diambil petugas",
    "handoff_closed": "Obrolan langsung selesai",
    "queue_check_in": "Check-in booking",
    "holiday_add": "Hari libur ditambah",
    "holiday_edit": "Hari libur diubah",
    "holiday_remove": "Hari libur dihapus",
    "holiday_reset": "Hari libur dikembalikan ke bawaan",
    "outbox_requeued": "Pesan dikirim ulang",
    "privacy_erase": "Data warga dihapus atas permintaan",
    "outreach_event_created": "Layanan keliling/sosialisasi diterbitkan",
    "outreach_event_updated": "Layanan keliling/sosialisasi diubah",
    "outreach_event_closed": "Daftar layanan keliling ditutup",
    "outreach_event_cancelled": "Layanan keliling/sosialisasi dibatalkan",
    "outreach_check_in": "Check-in peserta layanan keliling",
    "outreach_check_in_undone": "Check-in peserta dibatalkan",
    "visit_request_accepted": "Permohonan kunjungan diterima",
    "visit_request_declined": "Permohonan kunjungan ditolak",
    "announcement_created": "Pengumuman dibuat",
    "announcement_edited": "Pengumuman diubah",
    "announcement_scheduled": "Pengumuman dijadwalkan",
    "announcement_send_now": "Pengumuman dikirim sekarang",
    "announcement_unscheduled": "Pengumuman dikembalikan ke draf",
    "announcement_cancelled": "Pengumuman dibatalkan",
}


def format_detail(detail: object) -> str:
    """`key: value · key: value`, easier to scan than raw JSON; nested values stay JSON."""
    if not detail:
        return ""
    if not isinstance(detail, dict):
        return json.dumps(detail, ensure_ascii=False)
    parts = []
    for key, value in sorted(detail.items()):
        if value is None:
            shown = "-"
        elif isinstance(value, (str, int, float, bool)):
            shown = str(value)
        else:
            shown = json.dumps(value, ensure_ascii=False, sort_keys=True)
        parts.append(f"{key}: {shown}")
    return " · ".join(parts)


@router.get("/staff/audit")
def audit_page(request: Request, staff: StaffContext = Depends(require_roles(ADMIN, SUPERVISOR))) -> Response:
    """Newest 200 entries matching the filters."""
    actor = request.query_params.get("actor", "").strip()[:64]
    action = request.query_params.get("action", "").strip()[:64]
    with session_scope(get_settings().database_url) as db:
        entries = audit.recent(db, limit=200, actor=actor or None, action=action or None)
        actions = audit.known_actions(db)
        rows = [
            {
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "action_label": ACTION_LABELS.get(e.action, e.action),
                "target": e.target or "",
                "detail": format_detail(e.detail),
                "ip": e.ip or "",
            }
            for e in entries
        ]
    return render(
        request,
        "audit.html",
        {
            "rows": rows,
            "actor": actor,
            "action": action,
            "actions": [(a, ACTION_LABELS.get(a, a)) for a in actions],
        },
    )
