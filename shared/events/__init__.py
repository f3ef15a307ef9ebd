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
        return tasks.ROUTE_QUEUE


def _lane(is_crisis: bool, normal: str) -> str:
    return tasks.CRISIS_QUEUE if is_crisis else normal


class LeadReceivedV1(Event):
    type: Literal["lead.received"] = "lead.received"
    lead_id: UUID
    channel: Literal["web", "phone", "referral"]
    risk_flag: bool = False  # intake's quick screen saw risk words: take the crisis lane

    task_name: ClassVar[str] = tasks.CLASSIFY_LEAD

    def queue(self) -> str:
        return _lane(self.risk_flag, tasks.CLASSIFY_QUEUE)


class LeadClassifiedV1(Event):
    type: Literal["lead.classified"] = "lead.classified"
    lead_id: UUID
    urgency: Literal["crisis", "urgent", "routine"]
    classifier_version: str
    manual_triage: bool = False
    possible_crisis: bool = False  # on the crisis lane until a person confirms or downgrades it

    task_name: ClassVar[str] = tasks.ROUTE_LEAD

    def queue(self) -> str:
        return _lane(self.urgency == "crisis", tasks.ROUTE_QUEUE)


class LeadRoutedV1(Event):
    type: Literal["lead.routed"] = "lead.routed"
    lead_id: UUID
    assignment_id: UUID
    coordinator_id: UUID
    urgency: Literal["crisis", "urgent", "routine"]
    step: int = 0
    acknowledge_by: datetime | None = None  # the SLA deadline the email states
    repeat_contact: bool = False  # a new inquiry linked to this open lead: tell the coordinator
    reassigned: bool = False  # the lead moved to this coordinator from someone else
    possible_crisis: bool = False  # "possible crisis — confirm": the email says so (no PHI)

    task_name: ClassVar[str] = tasks.SEND_NOTIFICATION

    def queue(self) -> str:
        return _lane(self.urgency == "crisis", tasks.NOTIFY_QUEUE)


class LeadEscalatedV1(Event):
    """Nobody acknowledged in time: the ladder's next person is told (or a crisis page repeats)."""

    type: Literal["lead.escalated"] = "lead.escalated"
    lead_id: UUID
    step: int  # ladder step; the notification's unique key uses it
    recipient_coordinator_id: UUID
    role: Literal["assignee", "backup", "supervisor", "on_call"]
    kind: Literal["escalation", "crisis_repeat"] = "escalation"
    urgency: Literal["crisis", "urgent", "routine"]
    acknowledge_by: datetime | None = None

    task_name: ClassVar[str] = tasks.SEND_ESCALATION

    def queue(self) -> str:
        return _lane(self.urgency == "crisis", tasks.NOTIFY_QUEUE)


class AlertRaisedV1(Event):
    """Something a supervisor must fix: a coverage gap, a bouncing address, a paused coordinator."""

    type: Literal["alert.raised"] = "alert.raised"
    alert_id: UUID
    kind: str  # a short code, e.g. "coverage_gap", "address_bounced", "coordinator_paused"
    severity: Literal["info", "warning", "critical"] = "warning"
    lead_id: UUID | None = None
    coordinator_id: UUID | None = None

    task_name: ClassVar[str] = tasks.SEND_ALERT

    def queue(self) -> str:
        return _lane(self.severity == "critical", tasks.NOTIFY_QUEUE)


class NotificationFailedV1(Event):
    """An email bounced, was dropped, or failed for good: routing moves the ladder on."""

    type: Literal["notification.failed"] = "notification.failed"
    notification_id: UUID
    lead_id: UUID
    step: int
    recipient_coordinator_id: UUID | None = None
    reason: str  # a short code: "bounced", "dropped", "rejected_400", ...
    urgency: Literal["crisis", "urgent", "routine"] | None = None

    task_name: ClassVar[str] = tasks.HANDLE_NOTIFICATION_FAILURE

    def queue(self) -> str:
        return _lane(self.urgency == "crisis", tasks.ROUTE_QUEUE)


class NotificationSentV1(Event):
    """The email provider accepted a coordinator's notice about a lead: routing moves the lead
    routed → notified. Written in the transaction that marks the notification sent."""

    type: Literal["notification.sent"] = "notification.sent"
    notification_id: UUID
    lead_id: UUID
    kind: str  # a notice kind code, e.g. "lead_assigned", "escalation"
    step: int = 0
    coordinator_id: UUID | None = None
    urgency: Literal["crisis", "urgent", "routine"] | None = None

    task_name: ClassVar[str] = tasks.RECORD_NOTIFICATION_SENT

    def queue(self) -> str:
        return _lane(self.urgency == "crisis", tasks.ROUTE_QUEUE)


class PageAcknowledgedV1(Event):
    """The person an SMS page went to replied with its code: routing acknowledges the lead as
    them (as the page's signed link would)."""

    type: Literal["page.acknowledged"] = "page.acknowledged"
    notification_id: UUID
    lead_id: UUID
    coordinator_id: UUID
    urgency: Literal["crisis", "urgent", "routine"] | None = None

    task_name: ClassVar[str] = tasks.ACKNOWLEDGE_PAGE

    def queue(self) -> str:
        return _lane(self.urgency == "crisis", tasks.ROUTE_QUEUE)


class ReferralStatusChangedV1(Event):
    """A referral moved in a way its referrer cares about, in FHIR Task status words."""

    type: Literal["referral.status_changed"] = "referral.status_changed"
    lead_id: UUID
    status: Literal["received", "accepted", "rejected", "in-progress", "completed"]
    reason: str | None = None  # a code, e.g. "not_eligible", "declined_capacity" — never free text

    task_name: ClassVar[str] = tasks.NOTIFY_REFERRER

    def queue(self) -> str:
        return tasks.NOTIFY_QUEUE


class LeadCrisisConfirmedV1(Event):
    """A person confirmed a possible crisis: it is a crisis (its pages go on until acknowledged).
    Those already told about the lead hear it is real."""

    type: Literal["lead.crisis_confirmed"] = "lead.crisis_confirmed"
    lead_id: UUID
    urgency: Literal["crisis", "urgent", "routine"] = "crisis"
    reason: str  # a code (services/routing/domain/safety.py), never the note
    recipient_coordinator_ids: list[UUID] = Field(default_factory=list)  # told before, not the decider

    task_name: ClassVar[str] = tasks.SEND_CRISIS_CHECK

    def queue(self) -> str:
        return tasks.CRISIS_QUEUE


class LeadCrisisDowngradedV1(Event):
    """A person downgraded a possible crisis to urgent or routine: its crisis pages stopped. Those
    already paged about it hear they may stand down."""

    type: Literal["lead.crisis_downgraded"] = "lead.crisis_downgraded"
    lead_id: UUID
    urgency: Literal["urgent", "routine"]
    reason: str
    recipient_coordinator_ids: list[UUID] = Field(default_factory=list)

    task_name: ClassVar[str] = tasks.SEND_CRISIS_CHECK

    def queue(self) -> str:
        return tasks.NOTIFY_QUEUE


EVENT_TYPES: dict[str, type[Event]] = {
    "lead.received": LeadReceivedV1,
    "lead.classified": LeadClassifiedV1,
    "lead.routed": LeadRoutedV1,
    "lead.escalated": LeadEscalatedV1,
    "alert.raised": AlertRaisedV1,
    "notification.failed": NotificationFailedV1,
    "notification.sent": NotificationSentV1,
    "referral.status_changed": ReferralStatusChangedV1,
    "lead.crisis_confirmed": LeadCrisisConfirmedV1,
    "lead.crisis_downgraded": LeadCrisisDowngradedV1,
    "page.acknowledged": PageAcknowledgedV1,
}


def parse_event(payload: dict) -> Event:
    return EVENT_TYPES[payload["type"]].model_validate(payload)
