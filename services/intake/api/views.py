"""Shapes the lead read model into the GET /v1/leads/{id} response, by audience."""

from __future__ import annotations

from dataclasses import asdict

from shared.readmodel.lead_view import LeadView


def lead_out(view: LeadView, *, staff: bool) -> dict:
    """Staff in scope see the person's contact details and the text spans behind the
    classification; referrers see neither."""
    classification = asdict(view.classification) if view.classification else None
    if classification is not None and not staff:
        classification["evidence"] = None
    return {
        "id": view.id,
        "reference": view.reference,
        "channel": view.channel,
        "status": view.status,
        "urgency": view.urgency,
        "created_at": view.created_at,
        "classification": classification,
        "assignment": asdict(view.assignment) if view.assignment else None,
        "notifications": [asdict(n) for n in view.notifications],
        "contact": asdict(view.contact) if staff and view.contact else None,
        "consent": asdict(view.consent) if staff and view.consent else None,
        "spam_reason": view.spam_reason if staff else None,
    }
