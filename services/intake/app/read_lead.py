"""Reading a lead (GET /v1/leads/{id}): deny by default, scoped by shared/auth/policy.py, and
every read audited (who, which lead, when, from where, and how: key, session or break-the-glass).

Outside the caller's scope looks exactly like a lead that does not exist (404). Providers read
their organization's referrals without the person's contact details or text spans; an admin reads
a lead only under a live break-the-glass grant.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.auth.policy import ReadAccess, read_access
from shared.caller import Caller
from shared.errors import DomainError
from shared.readmodel.lead_view import LeadView
from shared.schema import Role
from shared.settings import get_settings

from services.intake.app.ports import IntakeRepository

READERS = (Role.coordinator, Role.call_center, Role.supervisor, Role.provider, Role.admin)


def read_lead(
    repo: IntakeRepository, caller: Caller, lead_id: UUID, now: datetime
) -> tuple[LeadView, ReadAccess]:
    scope = repo.lead_scope(lead_id)
    access = None
    if scope is not None:
        glass = caller.role == Role.admin and repo.has_live_grant(caller, lead_id, now)
        access = read_access(
            caller, scope, now, call_center_hours=get_settings().call_center_read_hours, break_glass=glass
        )
    view = repo.lead_view(lead_id) if access is not None else None
    if view is None or access is None:
        raise DomainError("not_found", 404, "No such lead")
    repo.audit(caller, "lead.read", lead_id, {"role": caller.role, "via": access.via, "phi": access.phi})
    return view, access
