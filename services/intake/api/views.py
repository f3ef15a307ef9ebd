"""Shapes the lead read model into the GET /v1/leads/{id} response, by audience."""

from __future__ import annotations


def lead_out(view, *, staff: bool) -> dict:
    lead, classification, assignment_row, notifications, contact = view
    body = {
        "id": lead.id,
        "reference": lead.reference,
        "channel": lead.channel,
        "status": lead.status,
        "urgency": lead.urgency,
        "created_at": lead.created_at,
        "classification": None,
        "assignment": None,
        "notifications": [
            {"id": n.id, "kind": n.kind, "step": n.step, "status": n.status,
             "attempts": n.attempts, "sent_at": n.sent_at}
            for n in notifications
        ],
        "contact": None,
    }
    if classification is not None:
        body["classification"] = {
            "conditions": classification.conditions,
            "primary_condition": classification.primary_condition,
            "urgency": classification.urgency,
            "veteran": classification.veteran,
            "flags": classification.flags,
            "evidence": classification.evidence if staff else None,
            "classifier_version": classification.classifier_version,
            "manual_triage": classification.manual_triage,
        }
    if assignment_row is not None:
        assignment, coordinator = assignment_row
        body["assignment"] = {
            "coordinator_id": coordinator.id,
            "coordinator_name": coordinator.name,
            "step": assignment.step,
            "reason": assignment.reason,
            "assigned_at": assignment.created_at,
        }
    if staff and contact is not None:
        body["contact"] = {
            "name": contact.name, "phone": contact.phone, "email": contact.email,
            "message": contact.message, "date_of_birth": contact.date_of_birth,
            "preferred_contact_method": contact.preferred_contact_method,
            "preferred_contact_time": contact.preferred_contact_time,
        }
    return body
