"""The Task a referrer polls: a projection of the referral's status trail, never stored.

requested (submitted) → received → accepted / rejected (with statusReason and the alternative
offered as `output`) → in-progress → completed. The trail is one row per status reached
(notify's `referral_update`, from `referral.status_changed` events); the latest status by
progress wins, so events handled out of order never move a Task backwards. Each status reached is
a new version: `meta.versionId` is 1 + the statuses reached and `lastUpdated` the last one's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from services.intake.domain.fhir.codes import (
    ALTERNATIVE_DISPLAY,
    ALTERNATIVE_SYSTEM,
    CAREROUTE,
    REASON_DISPLAY,
    REASON_SYSTEM,
    REFERENCE_SYSTEM,
    TASK_PROGRESS,
)

OUTPUT_SYSTEM = f"{CAREROUTE}/CodeSystem/task-output"
REASONED = ("rejected", "in-progress", "completed")


@dataclass(frozen=True)
class TrailStep:
    status: str  # a FHIR Task status word
    reason: str | None
    occurred_at: datetime


@dataclass(frozen=True)
class TaskState:
    status: str
    reason: str | None
    version: int
    last_updated: datetime
    started: datetime | None
    ended: datetime | None


@dataclass(frozen=True)
class TaskFacts:
    """What the Task says besides its status: fixed when the referral was taken in."""

    task_id: UUID
    service_request_id: UUID
    patient_id: UUID | None
    reference: str
    organization: str
    priority: str | None
    created_at: datetime


@dataclass(frozen=True)
class Clinic:
    name: str
    identifier_system: str
    identifier_value: str


def fhir_instant(value: datetime) -> str:
    """Microseconds kept: a client polling `_lastUpdated=gt<this>` must not see it again."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def project(created_at: datetime, trail: list[TrailStep]) -> TaskState:
    reached = {step.status: step for step in trail if step.status in TASK_PROGRESS}
    status = max(reached, key=TASK_PROGRESS.index, default="requested")
    current = reached.get(status)
    times = [step.occurred_at for step in reached.values()]
    started = reached.get("in-progress") or reached.get("accepted")
    ended = reached.get(status) if status in ("rejected", "completed") else None
    return TaskState(
        status=status,
        reason=current.reason if current and status in REASONED else None,
        version=1 + len(reached),
        last_updated=max([created_at, *times]),
        started=started.occurred_at if started else None,
        ended=ended.occurred_at if ended else None,
    )


def _alternative_output(alternative: dict | None) -> list[dict]:
    kind = (alternative or {}).get("kind")
    if kind not in ALTERNATIVE_DISPLAY:
        return []
    value: dict = {
        "coding": [{"system": ALTERNATIVE_SYSTEM, "code": kind, "display": ALTERNATIVE_DISPLAY[kind]}]
    }
    service = (alternative or {}).get("service")
    if isinstance(service, str) and service.strip():
        value["text"] = service.strip()[:120]
    output_type = {
        "coding": [{"system": OUTPUT_SYSTEM, "code": "alternative-offered", "display": "Alternative offered"}]
    }
    return [{"type": output_type, "valueCodeableConcept": value}]


def task_resource(facts: TaskFacts, state: TaskState, clinic: Clinic, alternative: dict | None) -> dict:
    service_request = {"reference": f"ServiceRequest/{facts.service_request_id}"}
    task: dict = {
        "resourceType": "Task",
        "id": str(facts.task_id),
        "meta": {"versionId": str(state.version), "lastUpdated": fhir_instant(state.last_updated)},
        "identifier": [{"system": REFERENCE_SYSTEM, "value": facts.reference}],
        "basedOn": [service_request],
        "status": state.status,
        "intent": "order",
        "focus": service_request,
        "authoredOn": fhir_instant(facts.created_at),
        "lastModified": fhir_instant(state.last_updated),
        "requester": {"display": facts.organization},
        "owner": {
            "identifier": {"system": clinic.identifier_system, "value": clinic.identifier_value},
            "display": clinic.name,
        },
    }
    if facts.priority:
        task["priority"] = facts.priority
    if facts.patient_id:
        task["for"] = {"reference": f"Patient/{facts.patient_id}"}
    if state.reason:
        display = REASON_DISPLAY.get(state.reason, state.reason.replace("_", " "))
        task["statusReason"] = {
            "coding": [{"system": REASON_SYSTEM, "code": state.reason, "display": display}],
            "text": display,
        }
    if state.started or state.ended:
        period = {}
        if state.started:
            period["start"] = fhir_instant(state.started)
        if state.ended:
            period["end"] = fhir_instant(state.ended)
        task["executionPeriod"] = period
    if state.status == "rejected":
        output = _alternative_output(alternative)
        if output:
            task["output"] = output
            task["note"] = [
                {"text": f"Alternative offered: {output[0]['valueCodeableConcept']['coding'][0]['display']}."}
            ]
    return task
