"""The data-protection page (UU 27/2022) for the officer in charge: citizens' requests about their own
data, how long each kind of data is kept, when the retention purge last ran and what is held now, and the
consents citizens gave before a form collected their data (per purpose: in force, withdrawn).

Read-only, and without personal data: requests show only their kind, times and counts (the sender is a
hash in the table and is not shown at all).
"""
from __future__ import annotations

import os

from fastapi import APIRouter, Depends, Request
from sqlalchemy import create_engine
from starlette.responses import Response

from office import consent, privacy_requests, retention
from office.db import normalise_url, session_scope
from office.profile import load_profile
from office.settings import get_settings
from office.staff import ADMIN, SUPERVISOR

from backoffice.auth import StaffContext, require_roles
from backoffice.templating import render

router = APIRouter()

KIND_LABELS = {"export": "Salinan data", "erase": "Penghapusan"}
SUMMARY_LABELS = {
    "bookings": "booking", "complaints": "pengaduan", "survey_invitations": "undangan survei",
    "bookings_cancelled": "booking dibatalkan", "bookings_anonymised": "booking dianonimkan",
    "complaints_anonymised": "pengaduan dianonimkan", "complaints_kept_open": "pengaduan berjalan disimpan",
    "survey_invitations_deleted": "undangan survei dihapus", "outbox_messages_deleted": "pesan keluar dihapus",
    "handoff_sessions": "chat dengan petugas", "handoff_sessions_erased": "chat dengan petugas dihapus",
    "consents": "persetujuan", "consents_withdrawn": "persetujuan ditarik",
    "announcement_subscription": "langganan pengumuman",
    "announcement_subscription_deleted": "langganan pengumuman dihapus",
    "outreach_registrations": "pendaftaran layanan keliling/sosialisasi",
    "outreach_registrations_deleted": "pendaftaran layanan keliling/sosialisasi dihapus",
    "visit_requests": "permohonan kunjungan",
    "outreach_visit_requests_deleted": "permohonan kunjungan dihapus",
}
REMOVED_LABELS = {
    "events": "peristiwa percakapan", "outbox_messages": "pesan keluar", "bookings_anonymised": "booking dianonimkan",
    "survey_invitation": "undangan survei", "unanswered_questions": "pertanyaan tak terjawab",
    "complaint_tickets": "pengaduan", "evidence_files": "berkas bukti",
    "announcement_subscriptions": "langganan pengumuman (berhenti)",
    "outreach_registrations": "pendaftaran layanan keliling/sosialisasi",
    "outreach_members": "peserta terdaftar", "outreach_visit_requests": "permohonan kunjungan",
}


def _summary(values: dict | None, labels: dict[str, str]) -> str:
    return " · ".join(f"{labels.get(k, k)}: {v}" for k, v in (values or {}).items())


@router.get("/staff/data-protection")
def data_protection_page(request: Request,
                         staff: StaffContext = Depends(require_roles(ADMIN, SUPERVISOR))) -> Response:
    profile = load_profile()
    tracker_url = os.environ.get("TRACKER_STORE_URL")
    engine = create_engine(normalise_url(tracker_url)) if tracker_url else None
    try:
        with session_scope(get_settings().database_url) as db:
            requests = [{
                "kind": KIND_LABELS.get(r.kind, r.kind),
                "requested_at": r.requested_at,
                "done_at": r.done_at,
                "conversation": {"pending": "menunggu", "done": "dihapus", "none": "-"}.get(r.tracker_status, ""),
                "tracker_done_at": r.tracker_done_at,
                "last_error": r.last_error or "",
                "summary": _summary({k: v for k, v in (r.summary or {}).items() if k != "conversation"},
                                    SUMMARY_LABELS),
            } for r in privacy_requests.recent(db)]
            run = retention.last_run(db)
            last = {"ran_at": run.ran_at, "removed": _summary(run.removed, REMOVED_LABELS)} if run else None
            counts = retention.row_counts(db, engine)
            consents = consent.counts_per_purpose(db)
    finally:
        if engine is not None:
            engine.dispose()
    kinds = [{"label": s.label, "days": s.days, "from_default": s.from_default, "count": counts.get(s.kind)}
             for s in retention.settings_of(profile)]
    return render(request, "data_protection.html",
                  {"requests": requests, "kinds": kinds, "last_run": last, "default_days": profile.retention_days,
                   "consents": consents})
