"""The directory and the rules in the database: import (upsert by email) and export (the same
document format as the YAML files), and new versions of the ruleset."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from uuid import UUID

from sqlmodel import Session, col, delete, select

from shared.apikeys import create_api_key
from shared.db import unit_of_work
from shared.schema import (
    Assignment,
    AuditEvent,
    Classification,
    Coordinator,
    Lead,
    LeadState,
    OncallLayer,
    OncallOverride,
    Role,
    RoutingRuleset,
)

from services.routing.adapters.directory_snapshot import current_ruleset
from services.routing.domain.directory import zone
from services.routing.domain.documents import DirectoryDoc, window_bounds
from services.routing.domain.rules import Ruleset, assign_versions


@contextmanager
def directory_uow() -> Iterator[SqlDirectoryStore]:
    """One transaction with the directory store (the CLI's; requests use their DbSession)."""
    with unit_of_work() as session:
        yield SqlDirectoryStore(session)


class SqlDirectoryStore:
    """The `DirectoryStore` port (app/ports.py) on one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def coordinators(self) -> list[Coordinator]:
        return list(self.session.exec(select(Coordinator).order_by(Coordinator.name)).all())

    def coordinator(self, coordinator_id: UUID) -> Coordinator | None:
        return self.session.get(Coordinator, coordinator_id)

    def coordinator_by_email(self, email: str) -> Coordinator | None:
        return self.session.exec(select(Coordinator).where(Coordinator.email == email.lower())).first()

    def known_emails(self) -> set[str]:
        return {c.email.lower() for c in self.session.exec(select(Coordinator)).all()}

    def save(self, row: Coordinator) -> None:
        self.session.add(row)

    def audit(self, actor: str, action: str, detail: dict) -> None:
        self.session.add(AuditEvent(actor=actor, action=action, detail=detail))

    def create_key(self, role: Role, name: str, coordinator_id: UUID) -> str:
        _row, plaintext = create_api_key(self.session, role, name=name, coordinator_id=coordinator_id)
        return plaintext

    def import_directory(
        self, doc: DirectoryDoc, actor: str, deactivate_missing: bool = False, replace_schedule: bool = True
    ) -> dict:
        return import_directory(self.session, doc, actor, deactivate_missing, replace_schedule)

    def export_directory(self) -> dict:
        return export_directory(self.session)

    def store_ruleset(self, ruleset: Ruleset, actor: str) -> Ruleset:
        return store_ruleset(self.session, ruleset, actor)

    def export_ruleset(self) -> dict:
        return export_ruleset(self.session)

    def export_leads_for_replay(self, since: datetime) -> list[dict]:
        return export_leads_for_replay(self.session, since)


def import_directory(
    session: Session,
    doc: DirectoryDoc,
    actor: str = "cli",
    deactivate_missing: bool = False,
    replace_schedule: bool = True,
) -> dict:
    existing = {c.email.lower(): c for c in session.exec(select(Coordinator)).all()}
    created = updated = 0
    rows: dict[str, Coordinator] = {}
    for entry in doc.coordinators:
        email = entry.email.lower()
        row = existing.get(email)
        if row is None:
            row = Coordinator(name=entry.name, email=email)
            created += 1
        else:
            updated += 1
        tz = entry.timezone or doc.timezone
        row.name = entry.name
        row.role = entry.role
        row.specialties = list(entry.specialties)
        row.programs = list(entry.programs)
        row.languages = list(entry.languages)
        row.regions = list(entry.regions)
        row.timezone = tz
        row.working_hours = entry.working_hours()
        row.holidays = [d.isoformat() for d in entry.holidays]
        row.out_of_office = [
            {"start": b.isoformat(), "end": e.isoformat(), "reason": w.reason}
            for w, (b, e) in ((w, window_bounds(w, tz)) for w in entry.out_of_office)
        ]
        row.max_open_leads = entry.capacity.open
        row.max_new_per_day = entry.capacity.per_day
        row.weight = entry.weight
        row.active = entry.active
        row.on_call = entry.on_call
        row.pager_phone = entry.pager_phone
        session.add(row)
        rows[email] = row
    session.flush()
    for entry in doc.coordinators:
        row = rows[entry.email.lower()]
        known = {**existing, **rows}
        row.supervisor_id = known[entry.supervisor.lower()].id if entry.supervisor else None
        row.backup_id = known[entry.backup.lower()].id if entry.backup else None
        session.add(row)
    deactivated = 0
    if deactivate_missing:
        for email, row in existing.items():
            if email not in rows and row.active:
                row.active = False
                session.add(row)
                deactivated += 1
    if not replace_schedule:
        summary = {"created": created, "updated": updated, "deactivated": deactivated}
        session.add(AuditEvent(actor=actor, action="directory.import", detail=summary))
        return summary
    # The schedule is replaced as a whole: the file is the source of truth for it.
    session.exec(delete(OncallOverride))
    session.exec(delete(OncallLayer))
    for position, layer in enumerate(doc.on_call.layers):
        begin, _, end = (layer.between or "").partition("-")
        session.add(
            OncallLayer(
                name=layer.name,
                position=position,
                rotation_start=layer.start,
                shift_hours=layer.shift_hours,
                members=[str(rows[m.lower()].id) for m in layer.members],
                timezone=layer.timezone,
                restrict_days=list(layer.days),
                restrict_start=begin or None,
                restrict_end=end or None,
            )
        )
    for override in doc.on_call.overrides:
        session.add(
            OncallOverride(
                coordinator_id=rows[override.who.lower()].id,
                starts_at=override.start,
                ends_at=override.end,
                reason=override.reason,
            )
        )
    summary = {
        "created": created,
        "updated": updated,
        "deactivated": deactivated,
        "layers": len(doc.on_call.layers),
        "overrides": len(doc.on_call.overrides),
    }
    session.add(AuditEvent(actor=actor, action="directory.import", detail=summary))
    return summary


def _hours_out(working_hours: dict) -> dict:
    return {day: [f"{b}-{e}" for b, e in windows] for day, windows in working_hours.items()}


def _window_out(w: dict, tz: str) -> dict:
    start = datetime.fromisoformat(w["start"]).astimezone(zone(tz))
    end = datetime.fromisoformat(w["end"]).astimezone(zone(tz))
    out = {"start": start.isoformat(), "end": end.isoformat()}
    if w.get("reason"):
        out["reason"] = w["reason"]
    return out


def export_directory(session: Session) -> dict:
    """The directory as a document `import_directory` accepts (round trip)."""
    rows = session.exec(
        select(Coordinator).order_by(col(Coordinator.created_at), col(Coordinator.email))
    ).all()
    by_id = {c.id: c for c in rows}
    coordinators = []
    for c in rows:
        entry: dict = {
            "name": c.name,
            "email": c.email,
            "role": c.role,
            "specialties": list(c.specialties),
            "programs": list(c.programs),
            "languages": list(c.languages),
            "regions": list(c.regions),
            "timezone": c.timezone,
        }
        if c.working_hours:
            entry["hours"] = _hours_out(c.working_hours)
        if c.holidays:
            entry["holidays"] = [date.fromisoformat(d) for d in c.holidays]
        if c.out_of_office:
            entry["out_of_office"] = [_window_out(w, c.timezone) for w in c.out_of_office]
        entry["capacity"] = {
            "open": c.max_open_leads,
            **({"per_day": c.max_new_per_day} if c.max_new_per_day else {}),
        }
        entry["weight"] = c.weight
        entry["active"] = c.active
        if c.on_call:
            entry["on_call"] = True
        if c.pager_phone:
            entry["pager_phone"] = c.pager_phone
        for label, ref in (("supervisor", c.supervisor_id), ("backup", c.backup_id)):
            if ref in by_id:
                entry[label] = by_id[ref].email
        coordinators.append(entry)
    layers = []
    for layer in session.exec(select(OncallLayer).order_by(col(OncallLayer.position))).all():
        out = {
            "name": layer.name,
            "start": layer.rotation_start.isoformat(),
            "shift_hours": layer.shift_hours,
            "members": [by_id[UUID(m)].email for m in layer.members if UUID(m) in by_id],
            "timezone": layer.timezone,
        }
        if layer.restrict_days:
            out["days"] = list(layer.restrict_days)
        if layer.restrict_start or layer.restrict_end:
            out["between"] = f"{layer.restrict_start or '00:00'}-{layer.restrict_end or '24:00'}"
        layers.append(out)
    overrides = [
        {
            "who": by_id[o.coordinator_id].email,
            "start": o.starts_at.isoformat(),
            "end": o.ends_at.isoformat(),
            "reason": o.reason,
        }
        for o in session.exec(select(OncallOverride).order_by(col(OncallOverride.starts_at))).all()
        if o.coordinator_id in by_id
    ]
    return {"coordinators": coordinators, "on_call": {"layers": layers, "overrides": overrides}}


def store_ruleset(session: Session, ruleset: Ruleset, actor: str = "cli") -> Ruleset:
    """A new version; each rule keeps its version unless its content changed."""
    latest = session.exec(
        select(RoutingRuleset).order_by(col(RoutingRuleset.version).desc()).with_for_update()
    ).first()
    previous = Ruleset.model_validate(latest.document) if latest else None
    version = (latest.version if latest else 0) + 1
    stored = assign_versions(ruleset, previous, version)
    session.add(RoutingRuleset(version=version, document=stored.model_dump(mode="json"), actor=actor))
    session.add(
        AuditEvent(
            actor=actor,
            action="rules.import",
            detail={"version": version, "rules": {r.name: r.version for r in stored.rules}},
        )
    )
    return stored


def export_ruleset(session: Session) -> dict:
    return current_ruleset(session).model_dump(mode="json", exclude_none=True)


def export_leads_for_replay(session: Session, since: datetime) -> list[dict]:
    """Leads since `since` as `careroute simulate` lines: routing facts, timings and opaque contact
    keys only (the HMAC prefix), never a name, contact detail or message."""
    rows = session.exec(
        select(Lead, LeadState)
        .outerjoin(LeadState, col(LeadState.lead_id) == col(Lead.id))
        .where(col(Lead.created_at) >= since)
        .order_by(col(Lead.created_at))
    ).all()
    out = []
    for lead, state in rows:
        state = state or LeadState(lead_id=lead.id, status="received")
        c = session.exec(select(Classification).where(Classification.lead_id == lead.id)).first()
        first = session.exec(
            select(Assignment).where(Assignment.lead_id == lead.id).order_by(col(Assignment.step))
        ).first()
        ack = None
        if first is not None and state.acknowledged_at is not None:
            ack = round(max((state.acknowledged_at - first.created_at).total_seconds(), 0) / 60, 1)
        flags = list(c.flags) if c else []
        key = lead.phone_hash or lead.email_hash
        out.append(
            {
                "id": lead.reference,
                "at": lead.created_at.isoformat(),
                "urgency": state.urgency or "urgent",
                "conditions": list(c.conditions) if c else [],
                "primary": c.primary_condition if c else None,
                "veteran": bool(c and c.veteran),
                "language": "es" if "spanish_language" in flags else lead.language,
                "flags": flags,
                "channel": lead.channel,
                "organization": lead.organization,
                "region": lead.region,
                "contact": key[:16] if key else None,
                "ack_after_minutes": ack,
            }
        )
    return out
