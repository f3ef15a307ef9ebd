"""What the console's lead page shows beyond the lead view (shared/readmodel/lead_view.py): the
intake facts, the routing decisions with their explanations, escalations and deadlines, the audit
trail with actors named, notes and call attempts. Read-only queries across owners; notes and call
attempts are PHI (their text), the rest names staff and codes only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlmodel import Session, col, select

from shared.schema import (
    ApiKey,
    Assignment,
    AuditEvent,
    CallAttempt,
    Coordinator,
    Escalation,
    Lead,
    LeadNote,
    LeadState,
    ReviewerCopy,
    SlaDeadline,
    StaffUser,
)

AUDIT_ROWS = 200


@dataclass(frozen=True)
class Decision:
    step: int
    kind: str
    coordinator: str
    reason: str
    rule: str | None
    explanation: dict | None
    at: datetime


@dataclass(frozen=True)
class EscalationRow:
    step: int
    kind: str
    role: str
    coordinator: str
    cause: str
    at: datetime


@dataclass(frozen=True)
class DeadlineRow:
    kind: str
    step: int
    due_at: datetime
    status: str


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor: str  # in words: a person's name, a key's name, "the system"
    action: str
    client_ip: str | None
    detail: dict


@dataclass(frozen=True)
class NoteRow:
    author: str
    body: str  # PHI
    at: datetime


@dataclass(frozen=True)
class CallRow:
    author: str
    outcome: str
    note: str | None  # PHI
    at: datetime


@dataclass(frozen=True)
class LeadPage:
    owner: str | None  # the coordinator who holds the lead now
    risk_flag: bool
    language: str | None
    repeat_of: str | None  # the earlier lead's reference
    outcome_reason: str | None
    alternative: dict | None
    waiting_reason: str | None
    acknowledged_at: datetime | None
    reviewers: list[str]
    decisions: list[Decision]
    escalations: list[EscalationRow]
    deadlines: list[DeadlineRow]
    audit: list[AuditRow]
    notes: list[NoteRow]
    calls: list[CallRow]


def load_lead_page(session: Session, lead_id: UUID) -> LeadPage | None:
    lead = session.get(Lead, lead_id)
    if lead is None:
        return None
    state = session.get(LeadState, lead_id)
    names = _coordinator_names(session)
    repeat_of = None
    if state is not None and state.repeat_of_id is not None:
        earlier = session.get(Lead, state.repeat_of_id)
        repeat_of = earlier.reference if earlier else None
    reviewers = session.exec(select(ReviewerCopy.coordinator_id).where(ReviewerCopy.lead_id == lead_id)).all()
    return LeadPage(
        owner=names.get(state.coordinator_id) if state and state.coordinator_id else None,
        risk_flag=lead.risk_flag,
        language=lead.language,
        repeat_of=repeat_of,
        outcome_reason=state.outcome_reason if state else None,
        alternative=state.alternative if state else None,
        waiting_reason=state.waiting_reason if state else None,
        acknowledged_at=state.acknowledged_at if state else None,
        reviewers=[names.get(r, "?") for r in reviewers],
        decisions=_decisions(session, lead_id, names),
        escalations=_escalations(session, lead_id, names),
        deadlines=[
            DeadlineRow(d.kind, d.step, d.due_at, d.status)
            for d in session.exec(
                select(SlaDeadline).where(SlaDeadline.lead_id == lead_id).order_by(col(SlaDeadline.due_at))
            ).all()
        ],
        audit=audit_trail(session, lead_id, names),
        notes=[
            NoteRow(n.author, n.body, n.created_at)
            for n in session.exec(
                select(LeadNote).where(LeadNote.lead_id == lead_id).order_by(col(LeadNote.created_at))
            ).all()
        ],
        calls=[
            CallRow(c.author, c.outcome, c.note, c.created_at)
            for c in session.exec(
                select(CallAttempt)
                .where(CallAttempt.lead_id == lead_id)
                .order_by(col(CallAttempt.created_at))
            ).all()
        ],
    )


def _coordinator_names(session: Session) -> dict[UUID, str]:
    return dict(session.exec(select(Coordinator.id, Coordinator.name)).all())


def _decisions(session: Session, lead_id: UUID, names: dict[UUID, str]) -> list[Decision]:
    rows = session.exec(
        select(Assignment).where(Assignment.lead_id == lead_id).order_by(col(Assignment.step))
    ).all()
    return [
        Decision(
            step=a.step,
            kind=a.kind,
            coordinator=names.get(a.coordinator_id, "?"),
            reason=a.reason,
            rule=f"{a.rule_name} v{a.rule_version}" if a.rule_name and a.rule_version else a.rule_name,
            explanation=a.explanation,
            at=a.created_at,
        )
        for a in rows
    ]


def _escalations(session: Session, lead_id: UUID, names: dict[UUID, str]) -> list[EscalationRow]:
    rows = session.exec(
        select(Escalation).where(Escalation.lead_id == lead_id).order_by(col(Escalation.created_at))
    ).all()
    return [
        EscalationRow(e.step, e.kind, e.role, names.get(e.coordinator_id, "?"), e.cause, e.created_at)
        for e in rows
    ]


def audit_trail(
    session: Session, lead_id: UUID | None, names: dict[UUID, str] | None = None, limit: int = AUDIT_ROWS
) -> list[AuditRow]:
    statement = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    if lead_id is not None:
        statement = statement.where(AuditEvent.lead_id == lead_id)
    return name_actors(session, list(session.exec(statement).all()), names)


def name_actors(
    session: Session, events: list[AuditEvent], names: dict[UUID, str] | None = None
) -> list[AuditRow]:
    """Audit rows with each actor in words: "user:<id>" → the staff member's name, "key:<id>" →
    the key's name, "link:<coordinator>" → the coordinator (by the email's link)."""
    names = names if names is not None else _coordinator_names(session)
    wanted: dict[str, set[UUID]] = {"user": set(), "key": set()}
    for event in events:
        kind, _, value = event.actor.partition(":")
        if kind in wanted:
            parsed = _uuid(value)
            if parsed:
                wanted[kind].add(parsed)
    users = (
        dict(
            session.exec(
                select(StaffUser.id, StaffUser.display_name).where(col(StaffUser.id).in_(wanted["user"]))
            ).all()
        )
        if wanted["user"]
        else {}
    )
    keys = (
        dict(session.exec(select(ApiKey.id, ApiKey.name).where(col(ApiKey.id).in_(wanted["key"]))).all())
        if wanted["key"]
        else {}
    )
    out = []
    for event in events:
        out.append(
            AuditRow(
                event.at,
                _actor_words(event.actor, users, keys, names),
                event.action,
                event.client_ip,
                event.detail or {},
            )
        )
    return out


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def _actor_words(actor: str, users: dict, keys: dict, names: dict) -> str:
    kind, _, value = actor.partition(":")
    ident = _uuid(value)
    if kind == "user" and ident in users:
        return users[ident]
    if kind == "key" and ident in keys:
        return f"API key {keys[ident] or value[:8]}"
    if kind == "link" and ident in names:
        return f"{names[ident]} (email link)"
    if kind == "task":
        return f"system ({value})"
    return actor
