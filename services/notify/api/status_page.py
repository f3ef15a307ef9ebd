"""GET /referrals/{reference}/status?t=…: the page a referrer's email links to.

The signed token (services/notify/domain/status_link.py) opens this one referral's page and
nothing else. It shows the reference, the FHIR Task status word and dates — no PHI, no reason
text, nothing about the person referred — so a forwarded email reveals nothing more than itself.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlmodel import select

from shared.db import unit_of_work
from shared.models import AuditEvent, Lead
from shared.settings import get_settings

from services.notify.adapters import repository as repo
from services.notify.domain.compose import format_utc
from services.notify.domain.status_link import StatusLinkInvalid, verify_status_token

router = APIRouter(include_in_schema=False)
_TERMINAL = ("rejected", "completed")


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex"><title>{escape(title)} · CareRoute</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1f2933}}
th,td{{text-align:left;padding:.2rem 1rem .2rem 0}}</style></head>
<body><h1>{escape(title)}</h1>{body}</body></html>"""
    return HTMLResponse(html, status_code=status,
                        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex",
                                 "Referrer-Policy": "no-referrer"})


def status_view(reference: str, token: str, client_ip: str | None) -> HTMLResponse:
    settings = get_settings()
    try:
        lead_id = verify_status_token(settings.secret_key.get_secret_value(), token, reference,
                                      settings.referral_link_ttl_seconds)
    except StatusLinkInvalid as exc:
        words = {"link_expired": "This link has expired. Your clinic contact can send a new one."}
        return _page("Link not valid", f"<p>{escape(words.get(exc.code, 'This link is not valid.'))}</p>", 403)
    with unit_of_work() as session:
        lead = session.exec(select(Lead).where(Lead.reference == reference)).first()
        if lead is None or lead.id != lead_id or lead.channel != "referral":
            return _page("Link not valid", "<p>This link is not valid.</p>", 403)
        updates = repo.referral_updates(session, lead.id)
        history = [(u.status, u.occurred_at) for u in updates] or [("received", lead.created_at)]
        session.add(AuditEvent(actor="link:referrer", action="referral.status_view", lead_id=lead.id,
                               client_ip=client_ip))
        created = lead.created_at
    terminal = [h for h in history if h[0] in _TERMINAL]
    current = (terminal or history)[-1][0]  # a late "in-progress" never hides "completed"
    rows = "".join(f"<tr><td>{escape(word)}</td><td>{escape(format_utc(at))}</td></tr>" for word, at in history)
    body = (f"<dl><dt>Reference</dt><dd><strong>{escape(reference)}</strong></dd>"
            f"<dt>Status</dt><dd><strong>{escape(current)}</strong></dd>"
            f"<dt>Received</dt><dd>{escape(format_utc(created))}</dd></dl>"
            f"<table><thead><tr><th>Status</th><th>Since</th></tr></thead><tbody>{rows}</tbody></table>")
    return _page("Referral status", body)


@router.get("/referrals/{reference}/status", response_class=HTMLResponse)
async def referral_status(reference: str, request: Request, t: str = "") -> HTMLResponse:
    client_ip = request.client.host if request.client else None
    return await run_in_threadpool(status_view, reference, t, client_ip)
