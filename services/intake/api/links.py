"""The page a coordinator's email links to: check the signed link, show the lead's state, and
let them acknowledge it (which stops the SLA clock).

The link alone shows no PHI: whoever holds an email may not be the coordinator. Details need a
signed-in console session (the console is its own issue).
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlmodel import select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.links import LinkInvalid, verify_token
from shared.models import Assignment, AuditEvent, Lead, LeadStatus

router = APIRouter(include_in_schema=False)
ACKNOWLEDGEABLE = (LeadStatus.routed.value, LeadStatus.notified.value)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">
<title>{escape(title)} · CareRoute</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1f2933}}
dt{{font-weight:600}}dd{{margin:0 0 .6rem}}button{{font-size:1rem;padding:.6rem 1.2rem}}</style></head>
<body><h1>{escape(title)}</h1>{body}</body></html>"""
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _load(session, reference: str, token: str):
    claim = verify_token(token, reference)
    lead = session.exec(select(Lead).where(Lead.reference == reference)).first()
    if lead is None:
        raise LinkInvalid("link_invalid")
    assigned = session.exec(
        select(Assignment).where(Assignment.lead_id == lead.id, Assignment.coordinator_id == claim.coordinator_id)
    ).first()
    if assigned is None:
        raise LinkInvalid("link_not_for_you")
    return claim, lead


def _refused(exc: LinkInvalid) -> HTMLResponse:
    words = {"link_expired": "This link has expired.", "link_not_for_you": "This lead is no longer assigned to you."}
    return _page("Link not valid", f"<p>{escape(words.get(exc.code, 'This link is not valid.'))}</p>", 403)


@router.get("/console/leads/{reference}", response_class=HTMLResponse)
def open_lead(reference: str, t: str = "") -> HTMLResponse:
    with unit_of_work() as session:
        try:
            claim, lead = _load(session, reference, t)
        except LinkInvalid as exc:
            return _refused(exc)
        session.add(AuditEvent(actor=f"link:{claim.coordinator_id}", action="lead.link_open", lead_id=lead.id))
    button = ""
    if lead.status in ACKNOWLEDGEABLE:
        button = (f'<form method="post" action="/console/leads/{escape(reference)}/acknowledge">'
                  f'<input type="hidden" name="t" value="{escape(t)}"><button>Acknowledge</button></form>')
    body = (f"<dl><dt>Reference</dt><dd>{escape(lead.reference)}</dd>"
            f"<dt>Priority</dt><dd>{escape((lead.urgency or 'pending').upper())}</dd>"
            f"<dt>Status</dt><dd>{escape(lead.status)}</dd>"
            f"<dt>Received</dt><dd>{lead.created_at:%Y-%m-%d %H:%M} UTC</dd></dl>{button}"
            "<p>Sign in to the console to see the person's details.</p>")
    return _page(f"Lead {lead.reference}", body)


@router.post("/console/leads/{reference}/acknowledge", response_class=HTMLResponse)
def acknowledge_lead(reference: str, request: Request, t: str = Form("")) -> HTMLResponse:
    with unit_of_work() as session:
        try:
            claim, lead = _load(session, reference, t)
        except LinkInvalid as exc:
            return _refused(exc)
        lead = session.exec(select(Lead).where(Lead.id == lead.id).with_for_update()).one()
        if lead.status in ACKNOWLEDGEABLE:
            lead.status = LeadStatus.acknowledged.value
            lead.status_changed_at = utcnow()
            session.add(lead)
            session.add(AuditEvent(actor=f"link:{claim.coordinator_id}", action="lead.acknowledge",
                                   lead_id=lead.id, client_ip=request.client.host if request.client else None))
        status = lead.status
    return _page(f"Lead {reference}", f"<p>Status: <strong>{escape(status)}</strong>. Thank you.</p>")
