"""GET /referrals/{reference}/status?t=…: the page a referrer's email links to (app/status_page.py)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from shared.http.deps import DbSession, client_ip, signed_link
from shared.http.pages import render_page

from services.notify.adapters.repository import SqlNotifyRepository
from services.notify.app.status_page import referral_status
from services.notify.domain.compose import format_utc
from services.notify.domain.status_link import StatusLinkInvalid

router = APIRouter(
    include_in_schema=False,
    dependencies=[Depends(signed_link("the referrer's emailed link names one referral"))],
)
TEMPLATES = Path(__file__).resolve().parent / "templates"
HEADERS = {"X-Robots-Tag": "noindex"}
REFUSALS = {"link_expired": "This link has expired. Your clinic contact can send a new one."}


@router.get("/referrals/{reference}/status", response_class=HTMLResponse)
def status_page(reference: str, request: Request, session: DbSession, t: str = "") -> HTMLResponse:
    try:
        status = referral_status(SqlNotifyRepository(session), reference, t, client_ip(request))
    except StatusLinkInvalid as exc:
        return render_page(
            TEMPLATES,
            "referral_refused.html",
            403,
            HEADERS,
            title="Link not valid",
            message=REFUSALS.get(exc.code, "This link is not valid."),
        )
    return render_page(
        TEMPLATES,
        "referral_status.html",
        200,
        HEADERS,
        title="Referral status",
        status=status,
        format_utc=format_utc,
    )
