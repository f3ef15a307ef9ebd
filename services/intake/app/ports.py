"""What intake's use cases need from storage (adapters/repository.py implements it)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from shared.caller import Caller
from shared.events import Event
from shared.readmodel.lead_view import LeadView

from services.intake.domain.intake import ConsentGiven, FirstSubmission, Inquiry


class IntakeRepository(Protocol):
    def lock_duplicates(self, dedupe_hash: str) -> None: ...
    def find_recent_duplicate(self, dedupe_hash: str, since: datetime) -> FirstSubmission | None: ...
    def add_consent(self, lead_id: UUID, channel: str, consent: ConsentGiven) -> None: ...
    def try_lock_idempotency(self, scope: str, key: str) -> bool: ...
    def find_idempotency(self, scope: str, key: str) -> tuple[str, dict] | None: ...
    def save_idempotency(
        self, scope: str, key: str, request_hash: str, lead_id: UUID, response: dict
    ) -> None: ...
    def create_lead(
        self,
        inquiry: Inquiry,
        reference: str,
        risk_flag: bool,
        caller: Caller,
        contact_keys: tuple[str | None, str | None],
        region: str | None,
    ) -> UUID: ...
    def add_event(self, event: Event) -> None: ...
    def audit(self, caller: Caller, action: str, lead_id: UUID | None, detail: dict) -> None: ...
    def lead_view(self, lead_id: UUID) -> LeadView | None: ...
