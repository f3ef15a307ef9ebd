"""The inbox: one row per (consumer, event) handled, so a redelivered event is handled once."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from shared.schema import InboxClaim


def claim(session: Session, consumer: str, event_id: UUID) -> bool:
    """True for the first claim of this event by this consumer (in this transaction)."""
    if session.get(InboxClaim, (consumer, event_id)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(InboxClaim(consumer=consumer, event_id=event_id))
    except IntegrityError:
        return False  # claimed concurrently
    return True
