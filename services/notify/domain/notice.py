"""What makes a notice unique, and what a webhook batch did: plain values the use cases and the
repository pass between them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class NoticeKey:
    """What makes a notification unique: (lead, recipient, kind, step), or (subject, recipient, kind)."""

    kind: str
    recipient: str
    lead_id: UUID | None = None
    step: int = 0
    subject_key: str | None = None
    coordinator_id: UUID | None = None
    assignment_id: UUID | None = None
    urgency: str | None = None
    triggered_at: datetime | None = None
    channel: str = "email"  # or "sms": a page to a pager phone (recipient is the number)


@dataclass
class WebhookOutcome:
    stored: int = 0
    duplicates: int = 0
    unknown: int = 0
    changed: int = 0
    failures: list[tuple[Any, str]] | None = None
