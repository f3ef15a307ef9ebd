"""Events are the contract between services.

Payloads carry ids and codes only — never a name, phone, email or message — because they travel
through the broker (Redis keeps them in clear text). `event_id` is each consumer's idempotency
key. Adding an optional field keeps the version; any other change is a new V2 beside V1.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

from shared import tasks
from shared.clock import utcnow


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: datetime = Field(default_factory=utcnow)
    correlation_id: str | None = None  # the request id that started the chain, for log tracing

    task_name: ClassVar[str]

    def queue(self) -> str:
        return tasks.ROUTING_QUEUE


def _lane(is_crisis: bool, normal: str) -> str:
    return tasks.CRISIS_QUEUE if is_crisis else normal


class LeadReceivedV1(Event):
    type: Literal["lead.received"] = "lead.received"
    lead_id: UUID
    channel: Literal["web", "phone", "referral"]
    risk_flag: bool = False  # intake's quick screen saw risk words: take the crisis lane

    task_name: ClassVar[str] = tasks.CLASSIFY_LEAD

    def queue(self) -> str:
        return _lane(self.risk_flag, tasks.ROUTING_QUEUE)


class LeadClassifiedV1(Event):
    type: Literal["lead.classified"] = "lead.classified"
    lead_id: UUID
    urgency: Literal["crisis", "urgent", "routine"]
    classifier_version: str
    manual_triage: bool = False

    task_name: ClassVar[str] = tasks.ROUTE_LEAD

    def queue(self) -> str:
        return _lane(self.urgency == "crisis", tasks.ROUTING_QUEUE)


class LeadRoutedV1(Event):
    type: Literal["lead.routed"] = "lead.routed"
    lead_id: UUID
    assignment_id: UUID
    coordinator_id: UUID
    urgency: Literal["crisis", "urgent", "routine"]
    step: int = 0
    acknowledge_by: datetime | None = None  # the SLA deadline the email states

    task_name: ClassVar[str] = tasks.SEND_NOTIFICATION

    def queue(self) -> str:
        return _lane(self.urgency == "crisis", tasks.NOTIFY_QUEUE)


EVENT_TYPES: dict[str, type[Event]] = {
    "lead.received": LeadReceivedV1,
    "lead.classified": LeadClassifiedV1,
    "lead.routed": LeadRoutedV1,
}


def parse_event(payload: dict) -> Event:
    return EVENT_TYPES[payload["type"]].model_validate(payload)
