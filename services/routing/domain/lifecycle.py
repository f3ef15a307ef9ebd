"""A lead's life in routing: which status allows which action, and the codes a coordinator gives.

Pure rules: the use cases (app/actions.py) ask these before they write anything.
"""

from __future__ import annotations

from enum import StrEnum

from shared.enums import OPEN_STATUSES, TERMINAL_STATUSES, LeadStatus, Urgency
from shared.errors import DomainError

# Routed but nobody has acknowledged yet: the SLA clock runs and the ladder may climb.
UNACKNOWLEDGED = (LeadStatus.routed, LeadStatus.notified)
# Waiting for a routing decision (route_lead acts only on these).
ROUTABLE = (LeadStatus.classified, LeadStatus.manual_triage, LeadStatus.waiting)
CLAIMABLE = (*UNACKNOWLEDGED, LeadStatus.waiting)
REASSIGNABLE = (*OPEN_STATUSES, LeadStatus.waiting)
URGENCY_RANK = {Urgency.routine: 0, Urgency.urgent: 1, Urgency.crisis: 2}


class RerouteReason(StrEnum):
    """A coordinator declines: the lead goes to someone else."""

    at_capacity = "at_capacity"
    out_of_office = "out_of_office"
    specialty_mismatch = "specialty_mismatch"
    language_mismatch = "language_mismatch"
    conflict_of_interest = "conflict_of_interest"
    other = "other"


class CannotServeReason(StrEnum):
    """The clinic cannot serve the person: the lead closes as not eligible, with an alternative."""

    not_eligible_age = "not_eligible_age"
    not_eligible_medical = "not_eligible_medical"
    out_of_area = "out_of_area"
    service_not_offered = "service_not_offered"
    insurance_not_accepted = "insurance_not_accepted"
    not_eligible_other = "not_eligible_other"


class Alternative(StrEnum):
    """Where a person the clinic cannot serve was pointed instead."""

    crisis_988 = "988"
    veterans_crisis_line = "veterans_crisis_line"
    primary_care = "primary_care"
    other_service = "other_service"
    community_mental_health = "community_mental_health"


class CloseReason(StrEnum):
    first_visit_completed = "first_visit_completed"
    no_response = "no_response"
    patient_withdrew = "patient_withdrew"
    duplicate = "duplicate"
    other = "other"


# Where a coordinator may move a lead with POST /status, and from which statuses.
TRANSITIONS = {
    LeadStatus.contacted: (LeadStatus.acknowledged,),
    LeadStatus.scheduled: (LeadStatus.acknowledged, LeadStatus.contacted),
    LeadStatus.not_eligible: (LeadStatus.acknowledged, LeadStatus.contacted),
    LeadStatus.closed: (LeadStatus.acknowledged, LeadStatus.contacted, LeadStatus.scheduled),
}


class ActionRefused(DomainError):
    """The lead's status (or the request) does not allow this action."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(code, status, message)

    @property
    def message(self) -> str:
        return self.title


def is_reroute(reason: str) -> bool:
    return reason in {r.value for r in RerouteReason}


def is_cannot_serve(reason: str) -> bool:
    return reason in {r.value for r in CannotServeReason}


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS:
        raise ActionRefused(
            "unknown_status", "Status must be contacted, scheduled, not_eligible or closed", 422
        )
    if current not in TRANSITIONS[LeadStatus(target)]:
        raise ActionRefused("bad_transition", f"A {current} lead cannot become {target}")


def is_terminal(status: str) -> bool:
    return status in TERMINAL_STATUSES


def raises_urgency(new: str, old: str | None) -> bool:
    """A repeat contact raises the open lead's urgency when it is more urgent."""
    return URGENCY_RANK.get(new, 1) > URGENCY_RANK.get(old or Urgency.routine, 0)
