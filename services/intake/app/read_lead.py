"""Reading a lead (GET /v1/leads/{id}): who may see it, and every read audited.

Staff see everything; a provider sees only its own referrals (by practice, or by the key that
sent it) and never the person's contact details or text spans. Outside a provider's scope looks
exactly like a lead that does not exist.
"""

from __future__ import annotations

from uuid import UUID

from shared.caller import Caller
from shared.errors import DomainError
from shared.readmodel.lead_view import LeadView
from shared.schema import Channel, Role

from services.intake.app.ports import IntakeRepository

STAFF = frozenset({Role.coordinator, Role.call_center, Role.supervisor, Role.admin})
READERS = STAFF | {Role.provider}


def read_lead(repo: IntakeRepository, caller: Caller, lead_id: UUID) -> LeadView:
    view = repo.lead_view(lead_id)
    if view is None or not may_see(caller, view):
        raise DomainError("not_found", 404, "No such lead")
    repo.audit(caller, "lead.read", lead_id, {"role": caller.role})
    return view


def may_see(caller: Caller, view: LeadView) -> bool:
    if caller.role != Role.provider:
        return True
    if view.channel != Channel.referral:
        return False
    if caller.organization and view.organization:
        return caller.organization == view.organization
    return view.submitted_by_key_id == caller.id
