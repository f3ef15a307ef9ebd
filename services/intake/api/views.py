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
        # The triage safety net: "possible crisis — confirm" and the clinician's review. The notes
        # and who decided are for staff; a referrer sees the states only.
        "possible_crisis": view.crisis_check is not None and view.crisis_check.state == "pending",
        "crisis_check": _decided(asdict(view.crisis_check), staff) if view.crisis_check else None,
        "clinical_review": _decided(asdict(view.clinical_review), staff) if view.clinical_review else None,
    }


def _decided(part: dict, staff: bool) -> dict:
    if not staff:
        for decision in [part.get("decision"), *part.get("decisions", [])]:
            if decision:
                decision.update(note=None, decided_by=None, coordinator_id=None)
    return part
