"""The coordinator's desk: their queue, one lead's page, notes and call attempts.

Who sees what is shared/auth/policy.py's, exactly as for the API: a coordinator's queue holds the
leads they may read (assigned to them, escalated to them, copied to them as a reviewer, waiting in
a pool they belong to); a supervisor's, every lead of the clinic. A lead outside the reader's scope
is, for them, absent (404). Every opening of a lead page reads PHI and is audited; notes and call
attempts are written here (the console owns them) and audited without their text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.auth import policy
from shared.auth.policy import ReadAccess, Relation
from shared.caller import Caller
from shared.errors import DomainError
from shared.readmodel.lead_page import LeadPage
from shared.readmodel.lead_view import LeadView
from shared.readmodel.queue import QueueQuery, QueueRow
from shared.schema import AuditEvent, CallAttempt, LeadNote, LeadStatus, Role
from shared.settings import get_settings

from services.console.app.ports import LeadDesk
from services.console.domain.evidence import Piece, highlight, structured
from services.console.domain.notes import check_outcome, clean_note
from services.console.domain.queue import Filters, sort_key

DESK_ROLES = (Role.coordinator, Role.supervisor)
RELATION_WORDS = {
    Relation.owner: "yours",
    Relation.ladder: "escalated to you",
    Relation.reviewer: "review copy",
    Relation.pool: "your pool",
}
CLAIMABLE = (LeadStatus.waiting, LeadStatus.routed, LeadStatus.notified)


def not_found() -> DomainError:
    return DomainError("not_found", 404, "No such lead")


@dataclass(frozen=True)
class QueueItem:
    row: QueueRow
    relation: str  # in words: "yours", "escalated to you", ... ("" for a supervisor)


def queue(desk: LeadDesk, caller: Caller, filters: Filters) -> list[QueueItem]:
    """The caller's queue, most urgent first, then the nearest deadline, then the oldest."""
    coordinator = None
    if caller.role == Role.supervisor and filters.coordinator:
        try:
            coordinator = UUID(filters.coordinator)
        except ValueError:
            coordinator = None
    rows = desk.queue(
        QueueQuery(
            statuses=filters.statuses(),
            urgency=filters.urgency,
            channel=filters.channel,
            coordinator_id=coordinator,
        )
    )
    items = []
    for row in rows:
        if caller.role == Role.supervisor and policy.supervises(caller, row.scope):
            items.append(QueueItem(row, ""))
            continue
        found = policy.relation(caller.coordinator_id, row.scope) if caller.role == Role.coordinator else None
        if found is not None:
            items.append(QueueItem(row, RELATION_WORDS[found]))
    items.sort(key=lambda i: sort_key(i.row.urgency, i.row.due_at, i.row.created_at))
    return items


@dataclass(frozen=True)
class LeadScreen:
    view: LeadView
    page: LeadPage
    access: ReadAccess
    message: list[Piece]  # the person's text, evidence marked
    other_evidence: list[dict]
    may_act: bool
    may_claim: bool
    may_reassign: bool
    relation: str
    may_review: bool = False  # the copied clinical reviewer or a supervisor (clinical review)


def _scoped(desk: LeadDesk, caller: Caller, reference: str, now: datetime):
    lead_id = desk.lead_id_of(reference)
    scope = desk.lead_scope(lead_id) if lead_id else None
    access = None
    if scope is not None and caller.role in DESK_ROLES:
        access = policy.read_access(
            caller, scope, now, call_center_hours=get_settings().call_center_read_hours, break_glass=False
        )
    if scope is None or access is None or not access.phi:
        raise not_found()
    return scope, access


def open_lead(
    desk: LeadDesk, caller: Caller, reference: str, now: datetime, client_ip: str | None
) -> LeadScreen:
    """The lead page's content. Raises 404 outside the caller's scope. Audited as a PHI read."""
    scope, access = _scoped(desk, caller, reference, now)
    view, page = desk.lead_view(scope.lead_id), desk.lead_page(scope.lead_id)
    if view is None or page is None:
        raise not_found()
    desk.add(
        AuditEvent(
            actor=caller.actor,
            action="lead.read",
            lead_id=scope.lead_id,
            client_ip=client_ip,
            detail={"role": caller.role, "via": access.via, "phi": True, "page": "console.lead"},
        )
    )
    evidence = view.classification.evidence if view.classification else []
    text = view.contact.message if view.contact else ""
    found = policy.relation(caller.coordinator_id, scope) if caller.role == Role.coordinator else None
    return LeadScreen(
        view=view,
        page=page,
        access=access,
        message=highlight(text, evidence),
        other_evidence=structured(evidence),
        may_act=policy.may_act(caller, scope),
        may_claim=policy.may_act(caller, scope, claim=True) and scope.status in CLAIMABLE,
        may_reassign=caller.role == Role.supervisor,
        relation=RELATION_WORDS.get(found, "") if found else "",
        may_review=policy.may_review(caller, scope),
    )


def _author(caller: Caller, name: str) -> str:
    return name or caller.actor


def add_note(
    desk: LeadDesk,
    caller: Caller,
    author: str,
    reference: str,
    body: str,
    now: datetime,
    client_ip: str | None,
) -> None:
    """Anyone who may read the lead may note on it. Raises NoteRefused or 404."""
    scope, _ = _scoped(desk, caller, reference, now)
    text = clean_note(body)
    desk.add(
        LeadNote(
            lead_id=scope.lead_id,
            actor=caller.actor,
            author=_author(caller, author),
            body=text,
            created_at=now,
        )
    )
    desk.add(
        AuditEvent(
            actor=caller.actor, action="lead.note", lead_id=scope.lead_id, client_ip=client_ip, detail={}
        )
    )


def log_call(
    desk: LeadDesk,
    caller: Caller,
    author: str,
    reference: str,
    outcome: str,
    note: str,
    now: datetime,
    client_ip: str | None,
) -> None:
    """A call (or text, or email) to the person and how it went. Raises NoteRefused or 404."""
    scope, _ = _scoped(desk, caller, reference, now)
    code = check_outcome(outcome)
    text = clean_note(note, required=False)
    desk.add(
        CallAttempt(
            lead_id=scope.lead_id,
            actor=caller.actor,
            author=_author(caller, author),
            outcome=code,
            note=text,
            created_at=now,
        )
    )
    desk.add(
        AuditEvent(
            actor=caller.actor,
            action="lead.call_attempt",
            lead_id=scope.lead_id,
            client_ip=client_ip,
            detail={"outcome": code.value},
        )
    )
