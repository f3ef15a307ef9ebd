"""Notices for notify's task tests: leads with a person's (fake) details, the events that ask for
notices, and what the tests look at afterwards."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import uuid4

from sqlmodel import col, select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.events import AlertRaisedV1, LeadRoutedV1
from shared.schema import Assignment, Coordinator, Lead, LeadContact, LeadState, Notification
from tests.factories import make_coordinator

PATIENT = {
    "name": "Zebulon Canaryfield",
    "phone": "+19495550199",
    "email": "zebulon.canary@example.com",
    "message": "Zebulon has bipolar depression and thoughts of suicide; asking about ketamine",
    "date_of_birth": "1971-03-09",
}
PHI_WORDS = ("zebulon", "canaryfield", "5550199", "1971-03-09", "suicid", "ketamine", "bipolar", "depression")


def make_lead(
    coordinator: Coordinator | None = None,
    *,
    urgency="crisis",
    channel="web",
    status="routed",
    reference=None,
    details=None,
    step=0,
) -> tuple[Lead, Assignment | None]:
    with unit_of_work() as session:
        lead = Lead(reference=reference or f"R-{uuid4().hex[:7].upper()}", channel=channel)
        session.add(lead)
        session.flush()
        session.add(LeadState(lead_id=lead.id, status=status, urgency=urgency))
        session.add(LeadContact(lead_id=lead.id, details=details or {}, **PATIENT))
        assignment = None
        if coordinator is not None:
            assignment = Assignment(lead_id=lead.id, coordinator_id=coordinator.id, step=step, reason="test")
            session.add(assignment)
    return lead, assignment


def urgency_of(lead) -> str:
    with unit_of_work() as session:
        return session.get(LeadState, lead.id).urgency


def routed(lead, assignment, **fields) -> dict:
    event = LeadRoutedV1(
        lead_id=lead.id,
        assignment_id=assignment.id,
        coordinator_id=assignment.coordinator_id,
        urgency=urgency_of(lead),
        acknowledge_by=utcnow() + timedelta(minutes=5),
        **fields,
    )
    return event.model_dump(mode="json")


def rows(**where) -> list[Notification]:
    with unit_of_work() as session:
        query = select(Notification).order_by(col(Notification.created_at))
        for name, value in where.items():
            query = query.where(getattr(Notification, name) == value)
        return list(session.exec(query).all())


def assert_no_phi(mails) -> None:
    sent = json.dumps(mails).lower()
    for word in PHI_WORDS:
        assert word not in sent, word


def to(mail) -> str:
    return mail["personalizations"][0]["to"][0]["email"]


def make_supervisor(**fields) -> Coordinator:
    # Coordinators have roles once the routing engine's directory lands; before, on-call stands in.
    role = {"role": "supervisor"} if hasattr(Coordinator, "role") else {"on_call": True}
    return make_coordinator(**role, **fields)


def alert(**fields) -> dict:
    return AlertRaisedV1(
        alert_id=uuid4(), **{"kind": "coverage_gap", "severity": "critical", **fields}
    ).model_dump(mode="json")
