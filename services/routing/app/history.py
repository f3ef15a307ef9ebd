"""How a lead was routed: every decision with its rule version and explanation (no PHI)."""

from __future__ import annotations

from uuid import UUID

from shared.auth.policy import may_read_routing
from shared.caller import Caller
from shared.schema import LeadStatus

from services.routing.app.actions import not_found
from services.routing.app.ports import RoutingRepository


def routing_history(repo: RoutingRepository, caller: Caller, lead_id: UUID) -> dict:
    held = repo.read(lead_id)
    scope = repo.lead_scope(lead_id) if held is not None else None
    if held is None or scope is None or not may_read_routing(caller, scope):
        raise not_found()
    lead, state = held
    waiting = state.status == LeadStatus.waiting
    return {
        "lead_id": str(lead.id),
        "status": state.status,
        "urgency": state.urgency,
        "coordinator_id": str(state.coordinator_id) if state.coordinator_id else None,
        "waiting": {"until": state.route_after, "reason": state.waiting_reason} if waiting else None,
        "repeat_of": str(state.repeat_of_id) if state.repeat_of_id else None,
        "outcome": {"reason": state.outcome_reason, "alternative": state.alternative}
        if state.outcome_reason
        else None,
        "assignments": [
            {
                "step": a.step,
                "kind": a.kind,
                "coordinator_id": str(a.coordinator_id),
                "rule": a.rule_name,
                "rule_version": a.rule_version,
                "reason": a.reason,
                "explanation": a.explanation,
                "at": a.created_at,
            }
            for a in repo.assignments(lead_id)
        ],
        "escalations": [
            {
                "step": e.step,
                "kind": e.kind,
                "role": e.role,
                "coordinator_id": str(e.coordinator_id),
                "cause": e.cause,
                "at": e.created_at,
            }
            for e in repo.escalations(lead_id)
        ],
        "deadlines": [
            {"kind": d.kind, "step": d.step, "due_at": d.due_at, "status": d.status}
            for d in repo.deadlines(lead_id)
        ],
        "reviewers": [
            {"coordinator_id": str(r.coordinator_id), "flags": r.flags} for r in repo.reviewer_copies(lead_id)
        ],
    }
