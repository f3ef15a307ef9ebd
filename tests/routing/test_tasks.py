"""Routing tasks against the real database: idempotent, and never dropping a lead."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import func, select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.schema import Assignment, Classification, Lead, LeadContact, LeadState, OutboxEvent
from tests.factories import make_coordinator, web_form


@pytest.fixture
def received_lead(client):
    def make(**form):
        response = client.post(
            "/v1/inquiries/web",
            content=json.dumps(web_form(**form)),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 202
        with unit_of_work() as session:
            event = session.exec(select(OutboxEvent).order_by(OutboxEvent.id.desc())).first()
        return event.payload

    return make


def last_event(event_type: str) -> dict:
    with unit_of_work() as session:
        return (
            session.exec(
                select(OutboxEvent)
                .where(OutboxEvent.event_type == event_type)
                .order_by(OutboxEvent.id.desc())
            )
            .first()
            .payload
        )


def count(model) -> int:
    with unit_of_work() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_classify_twice_gives_one_classification_and_one_event(received_lead):
    from services.routing.tasks import classify_lead

    payload = received_lead()
    classify_lead(payload)
    classify_lead(payload)
    assert count(Classification) == 1
    with unit_of_work() as session:
        lead = session.exec(select(LeadState)).one()
        classification = session.exec(select(Classification)).one()
        events = session.exec(select(OutboxEvent).where(OutboxEvent.event_type == "lead.classified")).all()
    assert lead.status == "classified" and lead.urgency == classification.urgency
    assert "depression" in classification.conditions
    assert classification.classifier_version and classification.evidence
    assert len(events) == 1


def test_crisis_text_is_classified_crisis_and_takes_the_crisis_lane(received_lead):
    from services.routing.tasks import classify_lead

    classify_lead(received_lead(message="I bought a gun and I plan to kill myself tonight"))
    event = last_event("lead.classified")
    assert event["urgency"] == "crisis"
    with unit_of_work() as session:
        assert (
            session.exec(select(OutboxEvent).where(OutboxEvent.event_type == "lead.classified")).one().queue
            == "crisis"
        )


def test_route_twice_gives_one_assignment(received_lead):
    from services.routing.tasks import classify_lead, route_lead

    make_coordinator(name="Sam", email="sam@clinic.example", specialties=["depression"])
    classify_lead(received_lead())
    classified = last_event("lead.classified")
    route_lead(classified)
    route_lead(classified)
    assert count(Assignment) == 1
    routed = last_event("lead.routed")
    assert routed["step"] == 0 and routed["acknowledge_by"]
    with unit_of_work() as session:
        assert session.exec(select(LeadState)).one().status == "routed"
        assert "least loaded → Sam" in session.exec(select(Assignment)).one().reason


def test_poison_lead_goes_to_manual_triage_as_urgent(received_lead):
    """A lead whose stored structured data makes the classifier raise on every attempt."""
    from shared.retry import RetryLater

    from services.routing.tasks import classify_lead

    payload = received_lead()
    with unit_of_work() as session:
        contact = session.exec(select(LeadContact)).one()
        contact.details = {"phq9_item9": "not-a-number", "cssrs": "garbage"}  # corrupt data
        session.add(contact)
    attempts = 0
    for _ in range(10):
        attempts += 1
        try:
            classify_lead(payload)
            break
        except RetryLater:  # a worker would run it again after the delay
            continue
    with unit_of_work() as session:
        lead = session.exec(select(LeadState)).one()
        classification = session.exec(select(Classification)).one()
    assert lead.status == "manual_triage" and lead.urgency == "urgent"
    assert classification.manual_triage and classification.evidence[0]["source"] == "manual_triage"
    assert lead.classify_attempts == 5 == attempts
    assert last_event("lead.classified")["manual_triage"] is True


def test_sweeper_redispatches_stuck_leads_crisis_first(received_lead):
    from services.routing.tasks.sweep import sweep_once

    received_lead()
    received_lead(message="I have pills saved up and a plan to end my life")
    with unit_of_work() as session:  # received 90 s ago: past crisis, not routine
        for lead in session.exec(select(Lead)).all():
            lead.created_at = utcnow() - timedelta(seconds=90)
            session.add(lead)
    before = count(OutboxEvent)
    assert sweep_once() == 1
    with unit_of_work() as session:
        state = session.exec(select(LeadState).where(LeadState.dispatch_count == 1)).one()
        swept = session.get(Lead, state.lead_id)
        newest = session.exec(select(OutboxEvent).order_by(OutboxEvent.id.desc())).first()
    assert swept.risk_flag and newest.queue == "crisis" and count(OutboxEvent) == before + 1
    assert sweep_once() == 0  # just redispatched: not again until the threshold passes
    later = utcnow() + timedelta(seconds=400)
    assert sweep_once(now=later) == 2
