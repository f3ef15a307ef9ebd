"""Classify a received lead and hand it on as `lead.classified`.

Idempotent by the lead's status (only a `received` lead is classified, under a row lock), so a
redelivered or duplicated task does nothing. A lead intake flagged for spam review is classified
too (so a crisis is still seen) and then held in `spam_review` unless it is a crisis. Each attempt is counted in its own transaction before
the classifier runs (`start`), so even an attempt that kills the process counts; past the limit
the lead goes to manual triage as urgent (crisis if the intake screen saw risk) instead of
waiting forever (`finish` with no result).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.events import LeadClassifiedV1
from shared.logging import get_logger
from shared.retry import RetryLater, backoff
from shared.schema import Classification, ClinicalReview, CrisisCheck, LeadStatus, Urgency
from shared.tasks import CLASSIFY_LEAD

from services.routing.app.ports import RoutingRepository
from services.routing.domain.safety import possible_crisis_reasons
from services.routing.domain.triage_input import build_triage_input
from services.triage import TriageResult, classify

log = get_logger(__name__)
ACTOR = f"task:{CLASSIFY_LEAD}"
MAX_CLASSIFY_DELAY = 60.0


@dataclass(frozen=True)
class Job:
    """What one attempt needs, read in the counting transaction."""

    lead_id: UUID
    attempt: int
    text: str
    channel: str
    details: dict
    risk_flag: bool


def start(repo: RoutingRepository, lead_id: UUID) -> Job | None:
    """Count this attempt; None when the lead is gone or no longer `received`."""
    held = repo.lock(lead_id)
    if held is None or held[1].status != LeadStatus.received:
        log.info("classify_skipped", reason="not_received" if held else "no_such_lead")
        return None
    lead, state = held
    state.classify_attempts += 1
    repo.add(state)
    contact = repo.contact(lead.id)
    details = dict(contact.details) if contact else {}
    details.setdefault("message_date", lead.created_at.date().isoformat())
    return Job(
        lead_id=lead.id,
        attempt=state.classify_attempts,
        text=contact.message if contact else "",
        channel=lead.channel,
        details=details,
        risk_flag=lead.risk_flag,
    )


def run(job: Job, max_attempts: int) -> TriageResult | None:
    """The classifier's answer; None once the attempts are used up. A failure with attempts left
    asks for a retry (RetryLater): the counter in the database, not Celery's, decides when to stop."""
    if job.attempt > max_attempts:
        return None
    try:
        return classify(build_triage_input(job.text, job.channel, job.details))
    except Exception as exc:
        log.warning("classify_failed", attempt=job.attempt, error=type(exc).__name__)
        if job.attempt < max_attempts:
            raise RetryLater(
                backoff(job.attempt - 1, cap=MAX_CLASSIFY_DELAY), unlimited=True, reason="classify_failed"
            ) from None
        return None


def held_for_spam_review(spam_reason: str | None, urgency: str) -> bool:
    return bool(spam_reason) and urgency != Urgency.crisis


def finish(
    repo: RoutingRepository, job: Job, result: TriageResult | None, now: datetime, correlation_id: str | None
) -> Classification | None:
    held = repo.lock(job.lead_id)
    if held is None or held[1].status != LeadStatus.received:
        return None  # a duplicate finished first
    lead, state = held
    if result is not None:
        classification = Classification(
            lead_id=lead.id,
            conditions=result.conditions,
            primary_condition=result.primary_condition,
            urgency=result.urgency,
            veteran=result.veteran,
            flags=result.flags,
            evidence=result.evidence,
            classifier_version=result.version,
            contraindications=list(result.contraindications),
            warnings=list(result.warnings),
        )
        reasons = possible_crisis_reasons(
            result.urgency, result.possible_crisis, job.risk_flag, result.evidence
        )
        if reasons:
            # Never routine, never waiting: the crisis lane until a person confirms or downgrades.
            classification.possible_crisis = True
            classification.possible_crisis_reasons = reasons
            state.crisis_check = CrisisCheck.pending
        if classification.contraindications or classification.warnings:
            state.clinical_review = ClinicalReview.pending  # a clinician looks; nobody is rejected
        state.status = LeadStatus.classified
    else:
        # Never dropped: a person triages it, and until then it is treated as urgent (or a
        # crisis, when the intake screen saw risk words).
        classification = Classification(
            lead_id=lead.id,
            conditions=[],
            primary_condition=None,
            urgency=Urgency.crisis if job.risk_flag else Urgency.urgent,
            evidence=[
                {
                    "label": "urgency",
                    "source": "manual_triage",
                    "note": f"no classification after {job.attempt} attempts; a person must triage",
                }
            ],
            classifier_version="manual-triage",
            manual_triage=True,
        )
        state.status = LeadStatus.manual_triage
        log.error("lead_needs_manual_triage", attempts=job.attempt)
    # The lane: the classifier's urgency, or crisis while a possible crisis awaits a person.
    state.urgency = Urgency.crisis if classification.possible_crisis else classification.urgency
    state.status_changed_at = now
    repo.add(classification)
    audit = {"urgency": state.urgency, "version": classification.classifier_version}
    if classification.possible_crisis:
        audit |= {
            "possible_crisis": classification.possible_crisis_reasons,
            "classifier_urgency": classification.urgency,
        }
    if state.clinical_review:
        audit["clinical_review"] = state.clinical_review  # the codes stay on the classification
    if held_for_spam_review(lead.spam_reason, state.urgency):
        # Not routed, not emailed: it waits for a person to review it (counted in supervisors'
        # digests). A crisis is never held: it is routed below, spam flag or not.
        state.status = LeadStatus.spam_review
        repo.add(state)
        repo.audit(ACTOR, "lead.classify", lead.id, {**audit, "spam_review": lead.spam_reason})
        log.info("lead_held_for_spam_review", reason=lead.spam_reason, urgency=classification.urgency)
        return classification
    repo.add(state)
    if lead.spam_reason:
        audit["spam_flag_overridden"] = lead.spam_reason
    repo.audit(ACTOR, "lead.classify", lead.id, audit)
    repo.emit(
        LeadClassifiedV1(
            lead_id=lead.id,
            urgency=state.urgency,
            classifier_version=classification.classifier_version,
            manual_triage=classification.manual_triage,
            possible_crisis=classification.possible_crisis,
            correlation_id=correlation_id,
        )
    )
    log.info(
        "lead_classified",
        urgency=state.urgency,
        manual_triage=classification.manual_triage,
        possible_crisis=classification.possible_crisis,
        clinical_review=bool(state.clinical_review),
    )
    return classification
