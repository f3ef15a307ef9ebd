"""GET /metrics: the pipeline's figures from stored rows (real PostgreSQL) and the broker (real Redis)."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared import tasks
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.schema import (
    Assignment,
    AuditEvent,
    Classification,
    Escalation,
    Lead,
    LeadContact,
    LeadState,
    Notification,
    SlaDeadline,
)
from tests.factories import make_coordinator

PERSON = {"name": "Zelda Quimby-Metrics", "message": "Marker phrase wombat-lighthouse, PTSD"}


def _samples(text: str) -> dict:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _lead(
    *,
    channel="web",
    urgency="routine",
    status="contacted",
    stages=(5.0, 20.0, 3.0, 600.0, 1200.0),
    canary=False,
    spam_reason=None,
    created_minutes_ago=60,
    coordinator=None,
) -> Lead:
    """A lead that went received -> classified -> routed -> accepted -> acknowledged -> contacted, each
    stage taking the seconds given (None: it has not got there)."""
    coordinator = coordinator or make_coordinator(email=f"c{uuid4().hex[:8]}@clinic.example")
    at = utcnow() - timedelta(minutes=created_minutes_ago)
    marks = [at]
    for seconds in stages:
        marks.append(None if seconds is None or marks[-1] is None else marks[-1] + timedelta(seconds=seconds))
    received, classified, routed, accepted, acknowledged, contacted = marks
    with unit_of_work() as session:
        lead = Lead(
            reference=f"R-{uuid4().hex[:7].upper()}",
            channel=channel,
            created_at=received,
            canary=canary,
            spam_reason=spam_reason,
        )
        session.add(lead)
        session.flush()
        session.add(LeadContact(lead_id=lead.id, name=PERSON["name"], message=PERSON["message"]))
        session.add(LeadState(lead_id=lead.id, status=status, urgency=urgency, acknowledged_at=acknowledged))
        if classified:
            session.add(
                Classification(
                    lead_id=lead.id, urgency=urgency, classifier_version="t", created_at=classified
                )
            )
        if routed:
            session.add(
                Assignment(lead_id=lead.id, coordinator_id=coordinator.id, reason="r", created_at=routed)
            )
        if accepted:
            session.add(
                Notification(
                    lead_id=lead.id,
                    recipient=coordinator.email,
                    kind="lead_assigned",
                    status="sent",
                    sent_at=accepted,
                    urgency=urgency,
                    backend="outbox",
                    accept_seconds=stages[2],
                )
            )
        if contacted:
            session.add(AuditEvent(actor="test", action="lead.contacted", lead_id=lead.id, at=contacted))
    return lead


def test_metrics_show_each_stage_the_counts_and_the_debt_without_canaries_or_phi(client):
    coordinator = make_coordinator(email="metrics-coordinator@clinic.example")
    _lead(channel="web", urgency="crisis", stages=(2.0, 3.0, 1.0, 100.0, 400.0), coordinator=coordinator)
    _lead(channel="phone", urgency="routine", coordinator=coordinator)
    _lead(
        channel="web",
        urgency="routine",
        spam_reason="honeypot",
        stages=(4.0, None, None, None, None),
        status="spam_review",
        coordinator=coordinator,
    )
    # Waiting: classified 20 minutes ago, not yet notified (the oldest real debt).
    waiting = _lead(
        channel="referral",
        urgency="urgent",
        status="classified",
        created_minutes_ago=20,
        stages=(10.0, None, None, None, None),
        coordinator=coordinator,
    )
    # A canary: in every stage and long overdue, yet in no figure.
    canary = _lead(
        channel="web",
        urgency="routine",
        canary=True,
        status="classified",
        created_minutes_ago=600,
        stages=(1.0, 1.0, 1.0, 1.0, 1.0),
        coordinator=coordinator,
    )
    now = utcnow()
    with unit_of_work() as session:
        for lead_id, status in ((waiting.id, "fired"), (waiting.id, "cancelled"), (canary.id, "fired")):
            session.add(
                SlaDeadline(
                    lead_id=lead_id,
                    kind="acknowledge",
                    step=0 if status == "fired" else 1,
                    due_at=now,
                    status=status,
                )
            )
        session.add(
            Escalation(
                lead_id=waiting.id,
                kind="escalation",
                step=1,
                role="backup",
                coordinator_id=coordinator.id,
                cause="timeout",
            )
        )
        session.add(
            Escalation(
                lead_id=canary.id,
                kind="escalation",
                step=1,
                role="backup",
                coordinator_id=coordinator.id,
                cause="timeout",
            )
        )

    text = client.get("/metrics").text
    samples = _samples(text)

    received = {k[1]: v for k, v in samples.items() if k[0] == "careroute_leads_received_total"}
    assert received == {
        (("channel", "web"), ("urgency", "crisis")): 1,
        (("channel", "phone"), ("urgency", "routine")): 1,
        (("channel", "web"), ("urgency", "routine")): 1,  # the spam one; not the canary
        (("channel", "referral"), ("urgency", "urgent")): 1,
    }
    assert samples[("careroute_leads_spam_flagged_total", (("reason", "honeypot"),))] == 1

    def stage(name, urgency, suffix, le=None):
        labels = {"stage": name, "urgency": urgency} | ({"le": le} if le else {})
        return samples[(f"careroute_lead_stage_seconds_{suffix}", tuple(sorted(labels.items())))]

    assert stage("received_to_classified", "routine", "count") == 2  # phone 5 s, spam 4 s
    assert stage("received_to_classified", "routine", "sum") == pytest.approx(9.0, abs=0.01)
    assert stage("received_to_classified", "urgent", "sum") == pytest.approx(10.0, abs=0.01)
    assert stage("classified_to_routed", "crisis", "sum") == pytest.approx(3.0, abs=0.01)
    assert stage("routed_to_email_accepted", "crisis", "bucket", "1.0") == 1
    assert stage("email_accepted_to_acknowledged", "routine", "bucket", "300.0") == 0
    assert stage("email_accepted_to_acknowledged", "routine", "bucket", "900.0") == 1
    assert stage("acknowledged_to_contacted", "crisis", "sum") == pytest.approx(400.0, abs=0.01)
    assert stage("acknowledged_to_contacted", "routine", "count") == 1

    oldest = samples[("careroute_oldest_unnotified_lead_seconds", (("urgency", "urgent"),))]
    assert 20 * 60 - 5 <= oldest <= 20 * 60 + 120  # the waiting lead, not the 10-hour-old canary
    assert samples[("careroute_oldest_unnotified_lead_seconds", (("urgency", "routine"),))] == 0
    sla = {k[1]: v for k, v in samples.items() if k[0] == "careroute_sla_deadlines_total"}
    assert sla == {
        (("kind", "acknowledge"), ("outcome", "missed"), ("urgency", "urgent")): 1,
        (("kind", "acknowledge"), ("outcome", "met"), ("urgency", "urgent")): 1,
    }
    assert (
        samples[
            (
                "careroute_escalations_total",
                (("cause", "timeout"), ("kind", "escalation"), ("role", "backup")),
            )
        ]
        == 1
    )
    # notify's figures leave the canary's email out too: two real coordinator emails, not three.
    sent = samples[("careroute_notify_notifications", (("kind", "lead_assigned"), ("status", "sent")))]
    assert sent == 2
    for marker in (*PERSON.values(), "@", "R-", str(canary.id)):
        assert marker not in text


def test_queue_depth_counts_what_waits_in_each_lane(client):
    from shared.celery import get_celery
    from shared.metrics import queue_depths

    before = queue_depths()
    assert set(before) == set(tasks.ALL_QUEUES) and None not in before.values()
    with get_celery().connection_for_write() as conn:
        for _ in range(3):
            # An unknown task name: nothing in this test consumes the queue, and nothing could run it.
            get_celery().send_task(
                "ops.metrics_probe", args=[], queue=tasks.MAINTENANCE_QUEUE, connection=conn
            )
    samples = _samples(client.get("/metrics").text)
    depth = samples[("careroute_queue_depth", (("queue", tasks.MAINTENANCE_QUEUE),))]
    assert depth == before[tasks.MAINTENANCE_QUEUE] + 3
    assert samples[("careroute_broker_up", ())] == 1
    with get_celery().connection_for_write() as conn:  # leave the lane as it was
        conn.default_channel.queue_purge(tasks.MAINTENANCE_QUEUE)
