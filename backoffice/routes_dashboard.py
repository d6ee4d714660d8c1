"""The evaluation dashboards for the head of office and supervisors (and administrators): IKM, conversations,
knowledge base, bookings and queue, complaints and SLA; each chart exportable as CSV; a printable
monthly report. Figures come from office.reports via backoffice.dashboard_blocks."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.responses import Response

from office import clock
from office.db import session_scope
from office.profile import load_profile
from office.reports.period import Period, PeriodError, parse_month, parse_period, short_date
from office.settings import get_settings
from office.staff import ADMIN, SUPERVISOR

from backoffice.auth import StaffContext, require_roles
from backoffice.dashboard_blocks import Dashboard, block_csv, build_dashboard, cell_text
from backoffice.templating import render

router = APIRouter()
dashboard_roles = require_roles(SUPERVISOR, ADMIN)


def _dashboard(period: Period) -> Dashboard:
    url = get_settings().database_url
    with session_scope(url) as session:
        return build_dashboard(session, period, url=url, now=clock.now())


def _period(request: Request) -> tuple[Period, str]:
    """The requested period, or the current month and a message when the request was not understood."""
    q = request.query_params
    try:
        return parse_period(q.get("bulan"), q.get("dari"), q.get("sampai")), ""
    except PeriodError as exc:
        return parse_period(), f"{exc} Ditampilkan bulan berjalan."


def _query(request: Request) -> str:
    keep = {k: v for k, v in request.query_params.items() if k in ("bulan", "dari", "sampai")}
    return "&".join(f"{k}={v}" for k, v in keep.items() if v)


@router.get("/staff/dashboard")
def dashboard_page(request: Request, staff: StaffContext = Depends(dashboard_roles)) -> Response:
    period, error = _period(request)
    board = _dashboard(period)
    return render(request, "dashboard.html", {
        "board": board, "period": period, "error": error, "query": _query(request) if not error else "",
        "cell": cell_text, "short_date": short_date, "month_value": period.month_key,
        "from_value": period.start.isoformat(), "to_value": period.end.isoformat(),
    }, status_code=400 if error else 200)


@router.get("/staff/dashboard/csv/{key}.csv")
def dashboard_csv(key: str, request: Request, staff: StaffContext = Depends(dashboard_roles)) -> Response:
    """One chart's data as CSV (same period parameters as the page)."""
    q = request.query_params
    try:
        period = parse_period(q.get("bulan"), q.get("dari"), q.get("sampai"))
    except PeriodError as exc:
        return Response(str(exc), status_code=400, media_type="text/plain; charset=utf-8")
    block = _dashboard(period).block(key)
    if block is None:
        raise HTTPException(status_code=404)
    filename = f"{key}_{period.start.isoformat()}_{period.end.isoformat()}.csv"
    return Response(block_csv(block), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


@router.get("/staff/dashboard/report/{month}")
def monthly_report(month: str, request: Request, staff: StaffContext = Depends(dashboard_roles)) -> Response:
    """The printable monthly report (A4): office, IKM with mutu and elements, key figures."""
    try:
        period = parse_month(month)
    except PeriodError:
        raise HTTPException(status_code=404) from None
    board = _dashboard(period)
    return render(request, "dashboard_report.html", {
        "board": board, "period": period, "cell": cell_text, "short_date": short_date, "profile": load_profile(),
        "printed_at": clock.now(),
    })
