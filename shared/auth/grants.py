"""Break-the-glass: an admin reads one lead's PHI for a limited time, with a typed reason.

The grant is a row (who, which lead, why, until when); the caller's use case audits it and tells a
supervisor (`alert.raised`, kind `break_glass`). Reads under a grant are audited as `break_glass`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlmodel import Session, col, select

from shared.caller import Caller
from shared.schema import BreakGlassGrant
from shared.settings import get_settings

ALERT_KIND = "break_glass"


def grant(db: Session, caller: Caller, lead_id: UUID, reason: str, now: datetime) -> BreakGlassGrant:
    row = BreakGlassGrant(
        lead_id=lead_id,
        actor=caller.actor,
        reason=reason,
        granted_at=now,
        expires_at=now + timedelta(seconds=get_settings().break_glass_seconds),
    )
    db.add(row)
    return row


def live_grant(db: Session, caller: Caller, lead_id: UUID, now: datetime) -> BreakGlassGrant | None:
    return db.exec(
        select(BreakGlassGrant)
        .where(
            BreakGlassGrant.lead_id == lead_id,
            BreakGlassGrant.actor == caller.actor,
            col(BreakGlassGrant.expires_at) > now,
        )
        .order_by(col(BreakGlassGrant.expires_at).desc())
    ).first()
