"""Break-the-glass: an admin, who otherwise reads no lead, opens one lead's PHI for a limited time
with a typed reason. The grant is audited and a supervisor is told at once (`alert.raised`, kind
`break_glass`, emailed by notify without PHI); every read under it is audited as `break_glass`."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlmodel import Session

from shared.auth.grants import ALERT_KIND, grant
from shared.caller import Caller
from shared.errors import DomainError, FieldProblem, validation_error
from shared.events import AlertRaisedV1
from shared.logging import get_logger
from shared.outbox import add_event
from shared.schema import AuditEvent, Lead
from shared.settings import get_settings

log = get_logger(__name__)


def break_glass(
    db: Session, caller: Caller, lead_id: UUID, reason: str, client_ip: str | None, now: datetime
) -> dict:
    reason = " ".join(reason.split())
    shortest = get_settings().break_glass_min_reason
    if len(reason) < shortest:
        raise validation_error(
            [FieldProblem("reason", "too_short", f"Say why in at least {shortest} characters.")]
        )
    if db.get(Lead, lead_id) is None:
        raise DomainError("not_found", 404, "No such lead")
    row = grant(db, caller, lead_id, reason, now)
    db.add(
        AuditEvent(
            actor=caller.actor,
            action="lead.break_glass",
            lead_id=lead_id,
            client_ip=client_ip,
            detail={"grant_id": str(row.id), "expires_at": row.expires_at.isoformat(), "via": "break_glass"},
        )
    )
    add_event(db, AlertRaisedV1(alert_id=row.id, kind=ALERT_KIND, severity="warning", lead_id=lead_id))
    log.warning("break_glass", lead_id=str(lead_id), grant_id=str(row.id))
    return {"grant_id": str(row.id), "lead_id": str(lead_id), "expires_at": row.expires_at.isoformat()}
