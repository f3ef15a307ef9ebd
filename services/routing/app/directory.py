"""Directory administration: coordinators, their keys, the directory and rules documents.

Admins change things; supervisors read, unpause and set out of office.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.caller import Caller
from shared.errors import DomainError, FieldProblem, validation_error
from shared.schema import Coordinator, Role

from services.routing.app.ports import DirectoryStore
from services.routing.domain.documents import CoordinatorDoc, DirectoryDoc
from services.routing.domain.rules import Ruleset

SUPERVISOR_FIELDS = frozenset({"paused", "out_of_office"})


def list_coordinators(store: DirectoryStore) -> list[Coordinator]:
    return store.coordinators()


def get_coordinator(store: DirectoryStore, coordinator_id: UUID) -> Coordinator:
    row = store.coordinator(coordinator_id)
    if row is None:
        raise DomainError("not_found", 404, "No such coordinator")
    return row


def create_coordinator(store: DirectoryStore, caller: Caller, entry: CoordinatorDoc) -> Coordinator:
    existing = store.known_emails()
    if entry.email.lower() in existing:
        raise DomainError(
            "conflict",
            409,
            "A coordinator with this email exists",
            detail="Use PATCH /v1/coordinators/{id} or PUT /v1/directory.",
        )
    for label in ("supervisor", "backup"):
        ref = getattr(entry, label)
        if ref and ref.lower() not in existing:
            raise validation_error([FieldProblem(label, "unknown", "Not a coordinator in the directory.")])
    doc = DirectoryDoc.model_construct(timezone=entry.timezone or "America/Los_Angeles", coordinators=[entry])
    store.import_directory(doc, actor=caller.actor, replace_schedule=False)
    return store.coordinator_by_email(entry.email)


def update_coordinator(
    store: DirectoryStore, caller: Caller, coordinator_id: UUID, changes: dict
) -> Coordinator:
    if caller.role == Role.supervisor and set(changes) - SUPERVISOR_FIELDS:
        raise DomainError("forbidden", 403, "Supervisors may only unpause and set out of office")
    row = get_coordinator(store, coordinator_id)
    if "out_of_office" in changes:
        changes["out_of_office"] = _out_of_office_windows(changes["out_of_office"])
    for key, value in changes.items():
        setattr(row, key, value)
    if changes.get("paused") is False:
        row.consecutive_timeouts = 0
    store.save(row)
    store.audit(
        caller.actor, "coordinator.update", {"coordinator_id": str(row.id), "fields": sorted(changes)}
    )
    return row


def _out_of_office_windows(windows: list[dict]) -> list[dict]:
    out = []
    for i, w in enumerate(windows):
        try:
            start, end = datetime.fromisoformat(w["start"]), datetime.fromisoformat(w["end"])
            valid = bool(start.tzinfo and end.tzinfo and end > start)
        except (KeyError, TypeError, ValueError):
            valid = False
        if not valid:
            raise validation_error(
                [
                    FieldProblem(
                        f"out_of_office.{i}",
                        "invalid",
                        "Give start and end as ISO date-times with offsets, end after start.",
                    )
                ]
            )
        out.append(
            {"start": start.isoformat(), "end": end.isoformat(), "reason": str(w.get("reason", ""))[:120]}
        )
    return out


def deactivate_coordinator(store: DirectoryStore, caller: Caller, coordinator_id: UUID) -> Coordinator:
    """Assignments keep pointing at the row; their open leads stay until reassigned."""
    row = get_coordinator(store, coordinator_id)
    row.active = False
    store.save(row)
    store.audit(caller.actor, "coordinator.deactivate", {"coordinator_id": str(row.id)})
    return row


def create_key(store: DirectoryStore, caller: Caller, coordinator_id: UUID, role: Role) -> str:
    """A coordinator or supervisor key that acts as this coordinator (its plaintext, shown once)."""
    row = get_coordinator(store, coordinator_id)
    plaintext = store.create_key(role, name=row.email, coordinator_id=row.id)
    store.audit(caller.actor, "apikey.create", {"coordinator_id": str(row.id), "role": role})
    return plaintext


def import_directory(
    store: DirectoryStore, actor: str, doc: DirectoryDoc, deactivate_missing: bool = False
) -> dict:
    """Coordinators upserted by email; the on-call schedule replaced by the document's."""
    return store.import_directory(doc, actor=actor, deactivate_missing=deactivate_missing)


def export_directory(store: DirectoryStore) -> dict:
    """The directory as a document `import_directory` accepts (round trip)."""
    return store.export_directory()


def import_rules(store: DirectoryStore, actor: str, ruleset: Ruleset) -> Ruleset:
    """A new version; each rule keeps its version unless its content changed."""
    return store.store_ruleset(ruleset, actor=actor)


def export_rules(store: DirectoryStore) -> dict:
    return store.export_ruleset()


def export_leads(store: DirectoryStore, since: datetime) -> list[dict]:
    """Past leads as `careroute simulate` lines: codes, times and opaque contact keys, no PHI."""
    return store.export_leads_for_replay(since)
