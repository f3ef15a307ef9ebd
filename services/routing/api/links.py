"""The page a coordinator's email links to (moved here from intake): check the signed link, show
the lead's state, and let them act on it — acknowledge (which stops the SLA clock), take it over
when it was escalated to them, or decline it (re-routed), or say the clinic cannot serve the person
and record the alternative offered (988, their primary care provider, another service).

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
from shared.models import AuditEvent, Lead, ReviewerCopy

from services.routing.adapters import operations as ops
from services.routing.adapters import repository as repo

router = APIRouter(include_in_schema=False)
REASON_WORDS = {
    "at_capacity": "I am at capacity", "out_of_office": "I am out of office",
    "specialty_mismatch": "Not my specialty", "language_mismatch": "Language needs another coordinator",
    "conflict_of_interest": "Conflict of interest", "other": "Other",
}
CANNOT_SERVE_WORDS = {
    "not_eligible_age": "Not eligible: age", "not_eligible_medical": "Not eligible: medical",
    "out_of_area": "Outside our area", "service_not_offered": "Service not offered",
    "insurance_not_accepted": "Insurance not accepted", "not_eligible_other": "Not eligible: other",
}
ALTERNATIVE_WORDS = {
    "988": "988 Suicide & Crisis Lifeline", "veterans_crisis_line": "Veterans Crisis Line",
    "primary_care": "Their primary care provider", "community_mental_health": "Community mental health center",
    "other_service": "Another service",
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">
<title>{escape(title)} · CareRoute</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1f2933}}
dt{{font-weight:600}}dd{{margin:0 0 .6rem}}button{{font-size:1rem;padding:.6rem 1.2rem}}
form{{margin:1rem 0}}select{{font-size:1rem}}</style></head>
<body><h1>{escape(title)}</h1>{body}</body></html>"""
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _load(session, reference: str, token: str, lock: bool = False):
    """(claim, lead, relation): relation is owner, escalated (told by the ladder) or reviewer."""
    claim = verify_token(token, reference)
    query = select(Lead).where(Lead.reference == reference)
    lead = session.exec(query.with_for_update() if lock else query).first()
    if lead is None:
        raise LinkInvalid("link_invalid")
    who = claim.coordinator_id
    if lead.coordinator_id == who:
        return claim, lead, "owner"
    if lead.status in repo.UNACKNOWLEDGED and who in repo.escalation_recipients(session, lead.id):
        return claim, lead, "escalated"
    if session.get(ReviewerCopy, (lead.id, who)) is not None:
        return claim, lead, "reviewer"
    raise LinkInvalid("link_not_for_you")


def _refused(exc: LinkInvalid) -> HTMLResponse:
    words = {"link_expired": "This link has expired.", "link_not_for_you": "This lead is no longer assigned to you."}
    return _page("Link not valid", f"<p>{escape(words.get(exc.code, 'This link is not valid.'))}</p>", 403)


def _options(words: dict) -> str:
    return "".join(f'<option value="{escape(k)}">{escape(v)}</option>' for k, v in words.items())


@router.get("/console/leads/{reference}", response_class=HTMLResponse)
def open_lead(reference: str, t: str = "") -> HTMLResponse:
    with unit_of_work() as session:
        try:
            claim, lead, relation = _load(session, reference, t)
        except LinkInvalid as exc:
            return _refused(exc)
        session.add(AuditEvent(actor=f"link:{claim.coordinator_id}", action="lead.link_open", lead_id=lead.id))
    base = f"/console/leads/{escape(reference)}"
    token = f'<input type="hidden" name="t" value="{escape(t)}">'
    actions = ""
    if lead.status in repo.UNACKNOWLEDGED and relation in ("owner", "escalated"):
        label = "Acknowledge" if relation == "owner" else "Take this lead"
        actions += f'<form method="post" action="{base}/acknowledge">{token}<button>{label}</button></form>'
    if relation == "owner" and lead.status in repo.OPEN_STATUSES:
        actions += (f'<form method="post" action="{base}/decline">{token}<label>Decline: '
                    f'<select name="reason">{_options(REASON_WORDS)}</select></label> <button>Decline</button></form>'
                    f'<form method="post" action="{base}/decline">{token}<label>The clinic cannot serve them: '
                    f'<select name="reason">{_options(CANNOT_SERVE_WORDS)}</select></label><br><label>Alternative offered: '
                    f'<select name="alternative">{_options(ALTERNATIVE_WORDS)}</select></label> '
                    f'<button>Record and close</button></form>')
    body = (f"<dl><dt>Reference</dt><dd>{escape(lead.reference)}</dd>"
            f"<dt>Priority</dt><dd>{escape((lead.urgency or 'pending').upper())}</dd>"
            f"<dt>Status</dt><dd>{escape(lead.status)}</dd>"
            f"<dt>Received</dt><dd>{lead.created_at:%Y-%m-%d %H:%M} UTC</dd></dl>{actions}"
            "<p>Sign in to the console to see the person's details.</p>")
    return _page(f"Lead {lead.reference}", body)


def _result(reference: str, status: str) -> HTMLResponse:
    return _page(f"Lead {reference}", f"<p>Status: <strong>{escape(status)}</strong>. Thank you.</p>")


@router.post("/console/leads/{reference}/acknowledge", response_class=HTMLResponse)
def acknowledge_lead(reference: str, request: Request, t: str = Form("")) -> HTMLResponse:
    with unit_of_work() as session:
        try:
            claim, lead, relation = _load(session, reference, t, lock=True)
        except LinkInvalid as exc:
            return _refused(exc)
        if relation == "reviewer":
            return _refused(LinkInvalid("link_not_for_you"))
        try:
            status = ops.acknowledge(session, lead, claim.coordinator_id, f"link:{claim.coordinator_id}", utcnow())
        except ops.ActionRefused:
            status = lead.status
    return _result(reference, status)


@router.post("/console/leads/{reference}/decline", response_class=HTMLResponse)
def decline_lead(reference: str, t: str = Form(""), reason: str = Form(""), alternative: str = Form("")) -> HTMLResponse:
    with unit_of_work() as session:
        try:
            claim, lead, relation = _load(session, reference, t, lock=True)
        except LinkInvalid as exc:
            return _refused(exc)
        if relation != "owner":
            return _refused(LinkInvalid("link_not_for_you"))
        try:
            ops.decline(session, lead, claim.coordinator_id, reason,
                        {"kind": alternative} if alternative else None, f"link:{claim.coordinator_id}", utcnow())
        except ops.ActionRefused as exc:
            return _page("Not done", f"<p>{escape(exc.message)}.</p>", exc.status)
        status = "declined — sent to another coordinator" if lead.coordinator_id != claim.coordinator_id \
            else lead.status
        if lead.status == "not_eligible":
            status = "not eligible — alternative recorded"
    return _result(reference, status)
