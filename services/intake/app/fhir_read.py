"""Reading FHIR referrals back: the ServiceRequest, its Task, and Task searches — only the
caller's organization's, decided by shared/auth/policy.py like any lead read (anything else is
404, like a resource that does not exist). Every read is audited (who, which lead, how).

The ServiceRequest comes back as the organization submitted it (contained Patient and notes
included): the one provider read that returns the person's details, so it is audited as a PHI
read. A Task carries no PHI (references, codes, the clinic's reason and alternative)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.auth.policy import ReadAccess, fhir_read_access
from shared.caller import Caller
from shared.schema import FhirReferral
from shared.settings import get_settings

from services.intake.app.fhir_ports import FhirRepository
from services.intake.app.fhir_receive import organization_of
from services.intake.app.ports import IntakeRepository
from services.intake.domain.fhir.outcome import Issue, fhir_error
from services.intake.domain.fhir.render import searchset, service_request_resource
from services.intake.domain.fhir.search import TaskQuery
from services.intake.domain.fhir.task import (
    Clinic,
    TaskFacts,
    TrailStep,
    fhir_instant,
    project,
    task_resource,
)


def _not_found(kind: str):
    return fhir_error(404, [Issue("not-found", None, f"No such {kind}.")], f"No such {kind}")


def _clinic() -> Clinic:
    s = get_settings()
    return Clinic(s.fhir_clinic_name, s.fhir_clinic_identifier_system, s.fhir_clinic_identifier_value)


def _access(
    audit: IntakeRepository, caller: Caller, referral: FhirReferral | None, kind: str, now: datetime
) -> ReadAccess:
    scope = audit.lead_scope(referral.lead_id) if referral is not None else None
    access = fhir_read_access(caller, scope, referral.organization, now) if scope is not None else None
    if access is None:
        raise _not_found(kind)
    return access


def read_service_request(
    repo: FhirRepository, audit: IntakeRepository, caller: Caller, resource_id: UUID, now: datetime
) -> dict:
    organization_of(caller)
    found = repo.service_request(resource_id)
    access = _access(audit, caller, found[1] if found else None, "ServiceRequest", now)
    resource, referral = found
    detail = {"type": "ServiceRequest", "via": access.via, "phi": True}
    audit.audit(caller, "fhir.read", referral.lead_id, detail)
    return service_request_resource(resource.body or {}, resource.id, resource.created_at)


def _tasks(repo: FhirRepository, referrals: list[FhirReferral]) -> list[dict]:
    progress = repo.progress([r.lead_id for r in referrals])
    clinic = _clinic()
    out = []
    for referral in referrals:
        lead = progress.get(referral.lead_id)
        trail = [TrailStep(t.status, t.reason, t.occurred_at) for t in (lead.trail if lead else [])]
        facts = TaskFacts(
            task_id=referral.task_id,
            service_request_id=referral.service_request_id,
            patient_id=referral.patient_id,
            reference=lead.reference if lead else "",
            organization=referral.organization,
            priority=referral.priority,
            created_at=referral.created_at,
        )
        out.append(
            task_resource(
                facts, project(referral.created_at, trail), clinic, lead.alternative if lead else None
            )
        )
    return out


def read_task(
    repo: FhirRepository, audit: IntakeRepository, caller: Caller, task_id: UUID, now: datetime
) -> dict:
    organization_of(caller)
    referral = repo.referral_by_task(task_id)
    access = _access(audit, caller, referral, "Task", now)
    audit.audit(caller, "fhir.read", referral.lead_id, {"type": "Task", "via": access.via, "phi": False})
    return _tasks(repo, [referral])[0]


def search_tasks(
    repo: FhirRepository, audit: IntakeRepository, caller: Caller, query: TaskQuery, base: str
) -> dict:
    # Only the organization's own referrals are searched: the policy's provider scope, in SQL.
    organization = organization_of(caller)
    referrals = repo.referrals_for(organization, query.service_requests, query.after)
    matches = []
    for task in _tasks(repo, referrals):
        updated = task["meta"]["lastUpdated"]
        if query.statuses is not None and task["status"] not in query.statuses:
            continue
        if query.after is not None and updated < fhir_instant(query.after):
            continue
        if query.before is not None and updated >= fhir_instant(query.before):
            continue
        matches.append(task)
    matches.sort(key=lambda t: (t["meta"]["lastUpdated"], t["id"]))
    page = matches[query.offset : query.offset + query.count]
    after = query.offset + query.count
    audit.audit(caller, "fhir.search", None, {"type": "Task", "total": len(matches), "returned": len(page)})
    return searchset(
        base,
        page,
        len(matches),
        query.link(base, query.offset),
        query.link(base, after) if after < len(matches) else None,
    )
