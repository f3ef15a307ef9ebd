"""Routing's unit-of-work operations: route, acknowledge, claim, decline, reassign, move a lead's
status, fire an SLA deadline, climb the escalation ladder, check on-call coverage.

Each takes an open session (the caller commits: a task's `unit_of_work()` or a request's), a
locked lead where one is involved, and `now` (so tests and the sweeper control the clock). The
decisions themselves are the pure domain's; this module loads the snapshot, writes the rows and
emits the events through the outbox in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
from datetime import datetime, timedelta, timezone
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from shared.events import (
    AlertRaisedV1, LeadClassifiedV1, LeadEscalatedV1, LeadRoutedV1, ReferralStatusChangedV1,
)
from shared.logging import get_logger
from shared.models import (
    Assignment, AuditEvent, Coordinator, Escalation, Lead, LeadStatus, ReviewerCopy, RoutingAlert,
    SlaDeadline,
)
from shared.outbox import add_event
from shared.settings import get_settings

from services.routing.adapters import repository as repo
from services.routing.domain.directory import Person, out_of_office_until
from services.routing.domain.engine import Decision, LeadFacts, decide
from services.routing.domain.oncall import coverage_gaps, on_call_at
from services.routing.domain.sla import acknowledge_by, next_rung, step_minutes

log = get_logger(__name__)
REPEAT_WINDOW = timedelta(days=30)
URGENCY_RANK = {"routine": 0, "urgent": 1, "crisis": 2}
REROUTE_REASONS = ("at_capacity", "out_of_office", "specialty_mismatch", "language_mismatch",
                   "conflict_of_interest", "other")
CANNOT_SERVE_REASONS = ("not_eligible_age", "not_eligible_medical", "out_of_area", "service_not_offered",
                        "insurance_not_accepted", "not_eligible_other")
ALTERNATIVES = ("988", "veterans_crisis_line", "primary_care", "other_service", "community_mental_health")
ROUTABLE = (LeadStatus.classified.value, LeadStatus.manual_triage.value, LeadStatus.waiting.value)


class ActionRefused(Exception):
    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


# --------------------------------------------------------------------------------------------
# repeat-contact keys


def contact_key(kind: str, value: str | None) -> str | None:
    """HMAC of a normalised phone or email with the secret key: matchable, not reversible."""
    if not value:
        return None
    normal = value.strip().lower() if kind == "email" else "".join(ch for ch in value if ch.isdigit() or ch == "+")
    if not normal:
        return None
    secret = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(secret, f"{kind}:{normal}".encode(), hashlib.sha256).hexdigest()


def _facts(session: Session, lead: Lead) -> LeadFacts:
    c = repo.get_classification(session, lead.id)
    flags = tuple(c.flags) if c else ()
    language = "es" if "spanish_language" in flags else lead.language
    return LeadFacts(
        urgency=lead.urgency or "urgent", conditions=tuple(c.conditions) if c else (),
        primary_condition=c.primary_condition if c else None, veteran=bool(c and c.veteran),
        language=language, flags=flags, channel=lead.channel, organization=lead.organization,
        region=lead.region,
    )


def _find_repeat(session: Session, lead: Lead, now: datetime) -> Lead | None:
    keys = [(col(Lead.phone_hash), lead.phone_hash), (col(Lead.email_hash), lead.email_hash)]
    clauses = [column == value for column, value in keys if value]
    if not clauses:
        return None
    from sqlalchemy import or_

    return session.exec(
        select(Lead).where(or_(*clauses), Lead.id != lead.id, col(Lead.coordinator_id).is_not(None),
                           col(Lead.status).in_(repo.OPEN_STATUSES), col(Lead.created_at) >= now - REPEAT_WINDOW)
        .order_by(col(Lead.created_at))  # the thread's first open lead: every repeat links to it
    ).first()


# --------------------------------------------------------------------------------------------
# routing


def route(session: Session, lead: Lead, now: datetime, *, exclude: set[UUID] = frozenset(),
          kind: str = "route", correlation_id: str | None = None, rng: random.Random | None = None) -> Decision | None:
    """Assign a locked lead (or mark it waiting). Returns the decision (None for a repeat contact)."""
    if kind == "route":
        contact = repo.get_contact(session, lead.id)
        if contact is not None:
            lead.phone_hash = lead.phone_hash or contact_key("phone", contact.phone)
            lead.email_hash = lead.email_hash or contact_key("email", contact.email)
            details = contact.details or {}
            region = details.get("state") or details.get("region")
            if isinstance(region, str) and not lead.region:
                lead.region = region.strip().upper()[:16] or None
    facts = _facts(session, lead)
    repo.lock_coordinators(session)
    people = repo.directory(session, now)
    by_id = {p.id: p for p in people}
    ruleset = repo.current_ruleset(session)

    if kind == "route":
        prior = _find_repeat(session, lead, now)
        owner = by_id.get(prior.coordinator_id) if prior else None
        usable = owner is not None and owner.active and out_of_office_until(owner, now) is None
        if prior is not None and usable:
            return _assign_repeat(session, lead, prior, owner, facts, ruleset, now, correlation_id)

    on_call = on_call_at(repo.schedule(session), by_id, now)
    decision = decide(facts, people, ruleset, now, on_call, rng=rng, exclude=set(exclude))
    if decision.chosen is None:
        lead.status = LeadStatus.waiting.value
        lead.coordinator_id = None
        lead.route_after = decision.wait_until
        lead.waiting_reason = (decision.wait_reason or "")[:200]
        lead.status_changed_at = now
        session.add(lead)
        session.add(AuditEvent(actor="task:routing", action="lead.wait", lead_id=lead.id,
                               detail={"explanation": decision.as_data()}))
        log.info("lead_waiting", lead_id=str(lead.id), rule=decision.rule.name, until=str(decision.wait_until))
        return decision
    if decision.via == "last_resort":
        raise_alert(session, "coverage_gap", f"lead:{lead.id}", "critical", lead_id=lead.id,
                    detail={"reason": "crisis lead found nobody on call"})
    assignment = _assign(session, lead, decision.chosen.id, now, kind=kind if decision.via != "on_call" else "on_call",
                         reason=decision.text, rule=(decision.rule.name, decision.rule.version),
                         explanation=decision.as_data(), reassigned=kind != "route",
                         correlation_id=correlation_id, ruleset=ruleset)
    for reviewer in decision.reviewers:
        if session.get(ReviewerCopy, (lead.id, reviewer.id)) is None:
            session.add(ReviewerCopy(lead_id=lead.id, coordinator_id=reviewer.id, flags=decision.review_flags))
            add_event(session, LeadRoutedV1(
                lead_id=lead.id, assignment_id=assignment.id, coordinator_id=reviewer.id,
                urgency=facts.urgency, step=assignment.step, correlation_id=correlation_id,
            ))
    log.info("lead_routed", lead_id=str(lead.id), coordinator_id=str(decision.chosen.id),
             rule=decision.rule.name, rule_version=decision.rule.version, via=decision.via, pid=os.getpid())
    return decision


def _assign_repeat(session, lead, prior, owner: Person, facts, ruleset, now, correlation_id):
    raised = URGENCY_RANK.get(facts.urgency, 1) > URGENCY_RANK.get(prior.urgency or "routine", 0)
    if raised:
        prior.urgency = facts.urgency
        session.add(prior)
        session.add(AuditEvent(actor="task:routing", action="lead.urgency_raised", lead_id=prior.id,
                               detail={"urgency": facts.urgency, "by_lead": str(lead.id)}))
    lead.repeat_of_id = prior.id
    text = (f"repeat contact of open lead {prior.reference}; same coordinator → {owner.name}"
            + (f"; urgency of {prior.reference} raised to {facts.urgency}" if raised else ""))
    explanation = {"rule": "repeat-contact", "rule_version": None, "via": "repeat", "repeat_of": str(prior.id),
                   "chosen": {"id": str(owner.id), "name": owner.name}, "urgency_raised": raised, "text": text}
    _assign(session, lead, owner.id, now, kind="repeat", reason=text, rule=("repeat-contact", None),
            explanation=explanation, repeat=True, correlation_id=correlation_id, ruleset=ruleset)
    log.info("lead_routed_repeat", lead_id=str(lead.id), repeat_of=str(prior.id), coordinator_id=str(owner.id),
             urgency_raised=raised)
    return None


def _assign(session: Session, lead: Lead, coordinator_id: UUID, now: datetime, *, kind: str, reason: str,
            rule: tuple, explanation: dict, reassigned: bool = False, repeat: bool = False,
            correlation_id: str | None = None, ruleset=None, acknowledged: bool = False) -> Assignment:
    ruleset = ruleset or repo.current_ruleset(session)
    step = repo.next_step(session, lead.id)
    assignment = Assignment(lead_id=lead.id, coordinator_id=coordinator_id, step=step, reason=reason[:500],
                            kind=kind, rule_name=rule[0], rule_version=rule[1], explanation=explanation,
                            created_at=now)
    session.add(assignment)
    coordinator = session.get(Coordinator, coordinator_id)
    coordinator.last_assigned_at = now
    session.add(coordinator)
    _cancel_deadlines(session, lead.id, now)
    lead.coordinator_id = coordinator_id
    lead.escalation_step = 0
    lead.route_after = None
    lead.waiting_reason = None
    lead.status_changed_at = now
    urgency = lead.urgency or "urgent"
    due = acknowledge_by(urgency, now, ruleset.sla)
    if acknowledged:
        lead.status = LeadStatus.acknowledged.value
        lead.acknowledged_at = now
    else:
        lead.status = LeadStatus.routed.value
        _add_deadline(session, lead.id, "acknowledge", step * 1000, coordinator_id, due)
        if urgency == "crisis":
            minutes = ruleset.escalation.crisis_repeat_minutes
            _add_deadline(session, lead.id, "crisis_repeat", step * 1000 + 1, coordinator_id,
                          now + timedelta(minutes=minutes))
    session.add(lead)
    session.add(AuditEvent(actor="task:routing", action=f"lead.{kind}", lead_id=lead.id,
                           detail={"coordinator_id": str(coordinator_id), "step": step, "rule": rule[0],
                                   "rule_version": rule[1]}))
    session.flush()
    if not acknowledged:
        add_event(session, LeadRoutedV1(
            lead_id=lead.id, assignment_id=assignment.id, coordinator_id=coordinator_id, urgency=urgency,
            step=step, acknowledge_by=due, repeat_contact=repeat, reassigned=reassigned,
            correlation_id=correlation_id,
        ))
    return assignment


def _add_deadline(session, lead_id, kind, step, coordinator_id, due) -> None:
    existing = session.exec(select(SlaDeadline).where(SlaDeadline.lead_id == lead_id, SlaDeadline.kind == kind,
                                                      SlaDeadline.step == step)).first()
    if existing is None:
        session.add(SlaDeadline(lead_id=lead_id, kind=kind, step=step, coordinator_id=coordinator_id, due_at=due))


def _cancel_deadlines(session, lead_id, now, kind: str | None = None) -> None:
    for deadline in repo.pending_deadlines(session, lead_id):
        if kind is None or deadline.kind == kind:
            deadline.status = "cancelled"
            deadline.fired_at = now
            session.add(deadline)


# --------------------------------------------------------------------------------------------
# lead actions


def _referral_event(session, lead: Lead, status: str, reason: str | None = None) -> None:
    if lead.channel == "referral":
        add_event(session, ReferralStatusChangedV1(lead_id=lead.id, status=status, reason=reason))


def acknowledge(session: Session, lead: Lead, coordinator_id: UUID | None, actor: str, now: datetime) -> str:
    """Stops the SLA clock. By someone other than the assignee (a backup from an escalation email),
    it is a claim: the lead moves to them."""
    if lead.status not in repo.UNACKNOWLEDGED:
        if lead.status == LeadStatus.acknowledged.value:
            return lead.status  # twice is once
        raise ActionRefused("not_acknowledgeable", f"A {lead.status} lead cannot be acknowledged")
    if coordinator_id is not None and coordinator_id != lead.coordinator_id:
        return claim(session, lead, coordinator_id, actor, now)
    owner = session.get(Coordinator, lead.coordinator_id) if lead.coordinator_id else None
    if owner is not None:
        owner.consecutive_timeouts = 0
        session.add(owner)
    lead.status = LeadStatus.acknowledged.value
    lead.acknowledged_at = now
    lead.status_changed_at = now
    session.add(lead)
    _cancel_deadlines(session, lead.id, now)
    session.add(AuditEvent(actor=actor, action="lead.acknowledge", lead_id=lead.id))
    _referral_event(session, lead, "accepted")
    return lead.status


def _active_coordinator(session: Session, coordinator_id: UUID) -> Coordinator:
    coordinator = session.get(Coordinator, coordinator_id)
    if coordinator is None or not coordinator.active:
        raise ActionRefused("no_such_coordinator", "That coordinator is not active", 422)
    return coordinator


def claim(session: Session, lead: Lead, coordinator_id: UUID, actor: str, now: datetime) -> str:
    allowed = repo.UNACKNOWLEDGED + (LeadStatus.waiting.value,)
    if lead.status not in allowed:
        raise ActionRefused("not_claimable", f"A {lead.status} lead cannot be claimed")
    coordinator = _active_coordinator(session, coordinator_id)
    text = f"claimed by {coordinator.name}"
    _assign(session, lead, coordinator_id, now, kind="claim", reason=text, rule=("claim", None),
            explanation={"via": "claim", "chosen": {"id": str(coordinator_id), "name": coordinator.name},
                         "text": text}, acknowledged=True)
    session.add(AuditEvent(actor=actor, action="lead.acknowledge", lead_id=lead.id, detail={"claim": True}))
    _referral_event(session, lead, "accepted")
    return lead.status


def decline(session: Session, lead: Lead, coordinator_id: UUID | None, reason: str, alternative: dict | None,
            actor: str, now: datetime) -> str:
    if reason in CANNOT_SERVE_REASONS:
        if not alternative or alternative.get("kind") not in ALTERNATIVES:
            raise ActionRefused("alternative_required",
                                "A lead the clinic cannot serve must be offered an alternative", 422)
        if lead.status in [s.value for s in (LeadStatus.scheduled, LeadStatus.not_eligible, LeadStatus.closed)]:
            raise ActionRefused("closed", f"A {lead.status} lead cannot be declined")
        lead.status = LeadStatus.not_eligible.value
        lead.outcome_reason = reason
        lead.alternative = alternative
        lead.status_changed_at = now
        session.add(lead)
        _cancel_deadlines(session, lead.id, now)
        session.add(AuditEvent(actor=actor, action="lead.not_eligible", lead_id=lead.id,
                               detail={"reason": reason, "alternative": alternative.get("kind")}))
        _referral_event(session, lead, "rejected", reason)
        return lead.status
    if reason not in REROUTE_REASONS:
        raise ActionRefused("unknown_reason", "Unknown decline reason", 422)
    if lead.status not in repo.OPEN_STATUSES:
        raise ActionRefused("not_declinable", f"A {lead.status} lead cannot be declined")
    decliner = coordinator_id or lead.coordinator_id
    session.add(AuditEvent(actor=actor, action="lead.decline", lead_id=lead.id,
                           detail={"coordinator_id": str(decliner), "reason": reason}))
    session.flush()
    declined = {UUID(a.detail["coordinator_id"]) for a in session.exec(
        select(AuditEvent).where(AuditEvent.lead_id == lead.id, AuditEvent.action == "lead.decline")).all()
        if a.detail.get("coordinator_id") not in (None, "None")}
    route(session, lead, now, exclude=declined, kind="reroute")
    return lead.status


def reassign(session: Session, lead: Lead, coordinator_id: UUID, actor: str, now: datetime) -> str:
    if lead.status not in repo.OPEN_STATUSES + (LeadStatus.waiting.value,):
        raise ActionRefused("not_reassignable", f"A {lead.status} lead cannot be reassigned")
    coordinator = _active_coordinator(session, coordinator_id)
    text = f"reassigned to {coordinator.name}"
    _assign(session, lead, coordinator_id, now, kind="reassign", reason=text, rule=("reassign", None),
            explanation={"via": "reassign", "chosen": {"id": str(coordinator_id), "name": coordinator.name},
                         "by": actor, "text": text}, reassigned=True)
    session.add(AuditEvent(actor=actor, action="lead.reassign_request", lead_id=lead.id,
                           detail={"coordinator_id": str(coordinator_id)}))
    return lead.status


TRANSITIONS = {
    "contacted": (LeadStatus.acknowledged.value,),
    "scheduled": (LeadStatus.acknowledged.value, LeadStatus.contacted.value),
    "not_eligible": (LeadStatus.acknowledged.value, LeadStatus.contacted.value),
    "closed": (LeadStatus.acknowledged.value, LeadStatus.contacted.value, LeadStatus.scheduled.value),
}
CLOSE_REASONS = ("first_visit_completed", "no_response", "patient_withdrew", "duplicate", "other")


def set_status(session: Session, lead: Lead, status: str, reason: str | None, alternative: dict | None,
               actor: str, now: datetime) -> str:
    if status not in TRANSITIONS:
        raise ActionRefused("unknown_status", "Status must be contacted, scheduled, not_eligible or closed", 422)
    if lead.status == status:
        return status
    if lead.status not in TRANSITIONS[status]:
        raise ActionRefused("bad_transition", f"A {lead.status} lead cannot become {status}")
    if status == "not_eligible":
        return decline(session, lead, None, reason if reason in CANNOT_SERVE_REASONS else "not_eligible_other",
                       alternative, actor, now)
    if status == "closed" and reason is not None and reason not in CLOSE_REASONS:
        raise ActionRefused("unknown_reason", "Unknown close reason", 422)
    lead.status = status
    lead.outcome_reason = reason if status == "closed" else lead.outcome_reason
    lead.status_changed_at = now
    session.add(lead)
    session.add(AuditEvent(actor=actor, action=f"lead.{status}", lead_id=lead.id, detail={"reason": reason}))
    if status == "scheduled":
        _referral_event(session, lead, "in-progress", "scheduled")
    elif status == "closed" and reason == "first_visit_completed":
        _referral_event(session, lead, "completed", reason)
    return status


# --------------------------------------------------------------------------------------------
# escalation


def _people(session: Session, now: datetime) -> tuple[list[Person], dict[UUID, Person]]:
    people = repo.directory(session, now)
    return people, {p.id: p for p in people}


def advance_ladder(session: Session, lead: Lead, now: datetime, cause: str) -> Escalation | None:
    ruleset = repo.current_ruleset(session)
    _people_list, by_id = _people(session, now)
    owner = by_id.get(lead.coordinator_id) if lead.coordinator_id else None
    on_call = [o.person for o in on_call_at(repo.schedule(session), by_id, now)]
    rung = next_rung(lead.escalation_step, owner, by_id, on_call, now, ruleset.escalation,
                     already=repo.escalation_recipients(session, lead.id))
    _cancel_deadlines(session, lead.id, now, kind="acknowledge")
    urgency = lead.urgency or "urgent"
    if rung is None:
        raise_alert(session, "ladder_exhausted", f"lead:{lead.id}",
                    "critical" if urgency in ("crisis", "urgent") else "warning", lead_id=lead.id,
                    coordinator_id=lead.coordinator_id)
        log.error("escalation_ladder_exhausted", lead_id=str(lead.id))
        return None
    due = now + timedelta(minutes=step_minutes(urgency, ruleset.escalation))
    latest = repo.latest_assignment(session, lead.id)
    base = latest.step if latest else 0
    row = Escalation(lead_id=lead.id, kind="escalation", step=base * 100 + rung.step, role=rung.role,
                     coordinator_id=rung.person.id, cause=cause, created_at=now)
    session.add(row)
    lead.escalation_step = rung.step
    session.add(lead)
    _add_deadline(session, lead.id, "acknowledge", base * 1000 + 100 + rung.step, rung.person.id, due)
    session.add(AuditEvent(actor="task:routing", action="lead.escalate", lead_id=lead.id,
                           detail={"step": rung.step, "role": rung.role, "coordinator_id": str(rung.person.id),
                                   "cause": cause}))
    add_event(session, LeadEscalatedV1(lead_id=lead.id, step=row.step, recipient_coordinator_id=rung.person.id,
                                       role=rung.role, kind="escalation", urgency=urgency, acknowledge_by=due))
    log.warning("lead_escalated", lead_id=str(lead.id), step=rung.step, role=rung.role, cause=cause)
    return row


def _count_timeout(session: Session, lead: Lead, now: datetime) -> None:
    owner = session.get(Coordinator, lead.coordinator_id) if lead.coordinator_id else None
    if owner is None:
        return
    ruleset = repo.current_ruleset(session)
    owner.consecutive_timeouts += 1
    if owner.consecutive_timeouts >= ruleset.escalation.pause_after_timeouts and not owner.paused:
        owner.paused = True
        raise_alert(session, "coordinator_paused", f"coordinator:{owner.id}:{lead.id}", "warning",
                    coordinator_id=owner.id, lead_id=lead.id,
                    detail={"supervisor_id": str(owner.supervisor_id) if owner.supervisor_id else None,
                            "timeouts": owner.consecutive_timeouts})
        log.warning("coordinator_paused", coordinator_id=str(owner.id), timeouts=owner.consecutive_timeouts)
    session.add(owner)


def fire_deadline(session: Session, deadline_id: UUID, now: datetime) -> str:
    # Lock order everywhere: lead, then coordinators / deadlines (so the sweeper and an
    # acknowledgement of the same lead never wait on each other in a cycle).
    lead_id = session.exec(select(SlaDeadline.lead_id).where(SlaDeadline.id == deadline_id)).first()
    if lead_id is None:
        return "gone"
    lead = repo.lock_lead(session, lead_id)
    deadline = session.exec(select(SlaDeadline).where(SlaDeadline.id == deadline_id).with_for_update()).first()
    if deadline is None or deadline.status != "pending":
        return "gone"
    deadline.status = "fired"
    deadline.fired_at = now
    session.add(deadline)
    if lead is None or lead.status not in repo.UNACKNOWLEDGED:
        deadline.status = "cancelled"
        return "cancelled"
    if deadline.kind == "crisis_repeat":
        ruleset = repo.current_ruleset(session)
        number = deadline.step % 1000
        nxt = now + timedelta(minutes=ruleset.escalation.crisis_repeat_minutes)
        step = (deadline.step // 1000) * 100 + number
        session.add(Escalation(lead_id=lead.id, kind="crisis_repeat", step=step, role="assignee",
                               coordinator_id=lead.coordinator_id, cause="timeout", created_at=now))
        add_event(session, LeadEscalatedV1(lead_id=lead.id, step=step, recipient_coordinator_id=lead.coordinator_id,
                                           role="assignee", kind="crisis_repeat", urgency="crisis",
                                           acknowledge_by=nxt))
        _add_deadline(session, lead.id, "crisis_repeat", deadline.step + 1, lead.coordinator_id, nxt)
        log.warning("crisis_page_repeated", lead_id=str(lead.id), page=number)
        return "crisis_repeat"
    if deadline.step % 1000 < 100:  # the assignee's own clock ran out
        _count_timeout(session, lead, now)
    advance_ladder(session, lead, now, cause="timeout")
    return "escalated"


def notification_failed(session: Session, lead: Lead, recipient_id: UUID | None, now: datetime) -> str:
    """An email to the person currently holding the lead failed for good: move the ladder on now."""
    if lead.status not in repo.UNACKNOWLEDGED:
        return "ignored"
    if lead.escalation_step == 0:
        current = lead.coordinator_id
    else:
        last = session.exec(select(Escalation).where(Escalation.lead_id == lead.id, Escalation.kind == "escalation")
                            .order_by(col(Escalation.created_at).desc(), col(Escalation.step).desc())).first()
        current = last.coordinator_id if last else None
    if recipient_id is not None and recipient_id != current:
        return "ignored"
    advance_ladder(session, lead, now, cause="notification_failed")
    return "escalated"


# --------------------------------------------------------------------------------------------
# alerts and coverage


def raise_alert(session: Session, kind: str, dedup_key: str, severity: str, *, coordinator_id=None, lead_id=None,
                detail: dict | None = None) -> RoutingAlert | None:
    existing = session.exec(select(RoutingAlert).where(RoutingAlert.kind == kind,
                                                       RoutingAlert.dedup_key == dedup_key)).first()
    if existing is not None:
        return None
    row = RoutingAlert(kind=kind, dedup_key=dedup_key[:200], severity=severity, coordinator_id=coordinator_id,
                       lead_id=lead_id, detail=detail or {})
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None  # raised concurrently by another process
    add_event(session, AlertRaisedV1(alert_id=row.id, kind=kind, severity=severity, lead_id=lead_id,
                                     coordinator_id=coordinator_id))
    log.warning("alert_raised", kind=kind, alert_id=str(row.id), severity=severity)
    return row


def check_coverage(session: Session, now: datetime, horizon: timedelta = timedelta(days=14)):
    _people_list, by_id = _people(session, now)
    gaps = coverage_gaps(repo.schedule(session), by_id, now, horizon)
    for gap in gaps:  # UTC, so the dedup key does not depend on whose offset a boundary came from
        gap.start, gap.end = gap.start.astimezone(timezone.utc), gap.end.astimezone(timezone.utc)
    open_alerts = session.exec(select(RoutingAlert).where(RoutingAlert.kind == "coverage_gap",
                                                          col(RoutingAlert.resolved_at).is_(None),
                                                          col(RoutingAlert.dedup_key).startswith("gap:"))).all()
    keys = {f"gap:{g.start.isoformat()}/{g.end.isoformat()}" for g in gaps}
    for alert in open_alerts:
        if alert.dedup_key not in keys:
            alert.resolved_at = now
            session.add(alert)
    for gap in gaps:
        raise_alert(session, "coverage_gap", f"gap:{gap.start.isoformat()}/{gap.end.isoformat()}", "critical",
                    detail={"start": gap.start.isoformat(), "end": gap.end.isoformat()})
    return gaps


def redispatch_waiting(session: Session, now: datetime, limit: int = 200) -> int:
    """Waiting leads whose time has come go back to routing (through the outbox, on their lane)."""
    due = session.exec(select(Lead).where(Lead.status == LeadStatus.waiting.value, col(Lead.route_after) <= now)
                       .order_by(col(Lead.route_after)).limit(limit).with_for_update(skip_locked=True)).all()
    for lead in due:
        classification = repo.get_classification(session, lead.id)
        add_event(session, LeadClassifiedV1(
            lead_id=lead.id, urgency=lead.urgency or "urgent",
            classifier_version=classification.classifier_version if classification else "unknown",
        ))
        lead.route_after = now + timedelta(minutes=5)  # route_lead sets the real next time
        session.add(lead)
    return len(due)
