"""Read-only figures of the whole pipeline for /metrics, computed from stored rows at scrape time.

Every API process answers the same numbers from the database (no per-process counters to merge),
and a restart loses nothing. Canary leads (`lead.canary`) are left out of every figure: they are
the pipeline testing itself, and their own health is reported apart (shared/canary.py).
Figures only: labels are codes (channel, urgency, stage, kind), never an id or anything a person
wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, or_
from sqlmodel import Session, col, select

from shared.clock import as_utc, utcnow
from shared.schema import (
    PIPELINE_STATUSES,
    Assignment,
    AuditEvent,
    Classification,
    Escalation,
    Lead,
    LeadState,
    LeadStatus,
    Notification,
    SlaDeadline,
)

# Seconds per stage: a crisis lead ought to be in the first buckets, a routine one within hours.
BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0, 4 * 3600.0, 24 * 3600.0)
# The coordinator's first email about a new lead (not digests, alerts or referrer notices).
FIRST_EMAIL_KINDS = ("lead_assigned", "repeat_contact")
NO_URGENCY = "none"  # a lead routing has not classified yet


@dataclass
class StageHistogram:
    stage: str
    urgency: str
    buckets: list[int]  # cumulative counts for BUCKETS, then the total
    total: int
    sum_seconds: float


@dataclass
class PipelineFigures:
    received: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, urgency)
    spam: dict[str, int] = field(default_factory=dict)  # spam_reason
    stages: list[StageHistogram] = field(default_factory=list)
    oldest_unnotified_seconds: dict[str, float] = field(default_factory=dict)  # urgency
    sla: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (kind, urgency, outcome)
    escalations: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (kind, role, cause)


def seconds_between(session: Session, start, end):
    """`end - start` in seconds, in SQL: timestamptz on PostgreSQL, UTC text on SQLite."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def _real_leads(query):
    return query.where(col(Lead.canary).is_(False))


def _urgency():
    # Grouped raw (a bound default inside coalesce differs between SELECT and GROUP BY on
    # PostgreSQL); a lead with no state yet comes back as None and is named NO_URGENCY below.
    return col(LeadState.urgency)


def _name(urgency: str | None) -> str:
    return urgency or NO_URGENCY


def _stage_sources(session: Session) -> dict[str, tuple]:
    """Each stage as (start, end, FROM clause joins) over one row per real lead."""
    first_route = (
        select(Assignment.lead_id, func.min(Assignment.created_at).label("at"))
        .group_by(Assignment.lead_id)
        .subquery()
    )
    first_email = (
        select(Notification.lead_id, func.min(Notification.sent_at).label("at"))
        .where(col(Notification.kind).in_(FIRST_EMAIL_KINDS), col(Notification.sent_at).is_not(None))
        .group_by(Notification.lead_id)
        .subquery()
    )
    first_contact = (
        select(AuditEvent.lead_id, func.min(AuditEvent.at).label("at"))
        .where(AuditEvent.action == f"lead.{LeadStatus.contacted.value}")
        .group_by(AuditEvent.lead_id)
        .subquery()
    )
    return {
        "received_to_classified": (Lead.created_at, Classification.created_at, [Classification]),
        "classified_to_routed": (Classification.created_at, first_route.c.at, [Classification, first_route]),
        "routed_to_email_accepted": (first_route.c.at, first_email.c.at, [first_route, first_email]),
        "email_accepted_to_acknowledged": (first_email.c.at, LeadState.acknowledged_at, [first_email]),
        "acknowledged_to_contacted": (LeadState.acknowledged_at, first_contact.c.at, [first_contact]),
    }


def _stage_histograms(session: Session) -> list[StageHistogram]:
    result = []
    for stage, (start, end, joins) in _stage_sources(session).items():
        seconds = seconds_between(session, start, end)
        query = select(
            _urgency(),
            *[func.sum(case((seconds <= bound, 1), else_=0)) for bound in BUCKETS],
            func.count(),
            func.sum(seconds),
        ).select_from(Lead)
        query = query.outerjoin(LeadState, col(LeadState.lead_id) == col(Lead.id))
        for joined in joins:
            key = joined.c.lead_id if hasattr(joined, "c") else joined.lead_id
            query = query.join(joined, key == col(Lead.id))
        query = _real_leads(query).where(start.is_not(None), end.is_not(None)).group_by(_urgency())
        for urgency, *rest in session.exec(query).all():
            counts, total, total_sum = rest[:-2], int(rest[-2]), float(rest[-1] or 0.0)
            buckets = [int(n or 0) for n in counts]
            result.append(StageHistogram(stage, _name(urgency), buckets, total, max(total_sum, 0.0)))
    return result


def pipeline_figures(session: Session) -> PipelineFigures:
    figures = PipelineFigures()
    urgency = _urgency()
    rows = session.exec(
        _real_leads(
            select(Lead.channel, urgency, func.count())
            .select_from(Lead)
            .outerjoin(LeadState, col(LeadState.lead_id) == col(Lead.id))
        ).group_by(Lead.channel, urgency)
    ).all()
    figures.received = {(channel, _name(urg)): int(n) for channel, urg, n in rows}
    rows = session.exec(
        _real_leads(select(Lead.spam_reason, func.count()))
        .where(col(Lead.spam_reason).is_not(None))
        .group_by(Lead.spam_reason)
    ).all()
    figures.spam = {reason: int(n) for reason, n in rows}
    figures.stages = _stage_histograms(session)

    # Not yet notified: received (no state row yet) or any pipeline status before `notified`.
    status = func.coalesce(LeadState.status, LeadStatus.received.value)
    rows = session.exec(
        _real_leads(
            select(urgency, func.min(Lead.created_at))
            .select_from(Lead)
            .outerjoin(LeadState, col(LeadState.lead_id) == col(Lead.id))
        )
        .where(status.in_([s.value for s in PIPELINE_STATUSES]))
        .group_by(urgency)
    ).all()
    now = utcnow()
    figures.oldest_unnotified_seconds = {
        _name(urg): (now - as_utc(at)).total_seconds() for urg, at in rows if at
    }

    # A deadline fired is a missed SLA; one cancelled (the lead was acknowledged or contacted in
    # time) was met. Pending ones are not decided yet.
    outcome = case((SlaDeadline.status == "fired", "missed"), else_="met")
    rows = session.exec(
        _real_leads(
            select(SlaDeadline.kind, urgency, outcome, func.count())
            .select_from(SlaDeadline)
            .join(Lead, col(Lead.id) == col(SlaDeadline.lead_id))
            .outerjoin(LeadState, col(LeadState.lead_id) == col(Lead.id))
        )
        .where(or_(SlaDeadline.status == "fired", SlaDeadline.status == "cancelled"))
        .group_by(SlaDeadline.kind, urgency, outcome)
    ).all()
    figures.sla = {(kind, _name(urg), out): int(n) for kind, urg, out, n in rows}
    rows = session.exec(
        _real_leads(
            select(Escalation.kind, Escalation.role, Escalation.cause, func.count())
            .select_from(Escalation)
            .join(Lead, col(Lead.id) == col(Escalation.lead_id))
        ).group_by(Escalation.kind, Escalation.role, Escalation.cause)
    ).all()
    figures.escalations = {(kind, role, cause): int(n) for kind, role, cause, n in rows}
    return figures
