"""The delivery reconciler, the referrer's status page and /metrics, on the real database."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.schema import Lead, LeadContact, LeadState, Notification, ReferralUpdate
from tests.factories import make_coordinator
from tests.notify.conftest import outbox_events


@pytest.fixture
def webhook_configured(db, monkeypatch):
    from shared.settings import reset_settings_cache

    monkeypatch.setenv("CAREROUTE_SENDGRID_WEBHOOK_PUBLIC_KEY", "configured")
    reset_settings_cache()
    yield
    reset_settings_cache()


def sent_notification(
    *,
    urgency,
    sent_minutes_ago,
    status="sent",
    backend="sendgrid",
    kind="lead_assigned",
    triggered_minutes_ago=None,
    accept_seconds=None,
) -> Notification:
    coordinator = make_coordinator(name="Dana Reyes", email=f"dana{uuid4().hex[:6]}@clinic.example")
    now = utcnow()
    with unit_of_work() as session:
        lead = Lead(reference=f"R-{uuid4().hex[:7].upper()}", channel="web")
        session.add(lead)
        session.flush()
        session.add(LeadState(lead_id=lead.id, status="notified", urgency=urgency))
        row = Notification(
            lead_id=lead.id,
            recipient=coordinator.email,
            kind=kind,
            status=status,
            urgency=urgency,
            coordinator_id=coordinator.id,
            backend=backend,
            sent_at=now - timedelta(minutes=sent_minutes_ago) if sent_minutes_ago is not None else None,
            triggered_at=now - timedelta(minutes=triggered_minutes_ago or sent_minutes_ago or 0),
            accept_seconds=accept_seconds,
        )
        session.add(row)
    return row


def reload(row) -> Notification:
    with unit_of_work() as session:
        return session.get(Notification, row.id)


# --- reconciler -----------------------------------------------------------------------------------------


def test_crisis_email_with_no_delivery_event_after_ten_minutes_moves_the_ladder_once(webhook_configured):
    from services.notify.tasks.reconcile import reconcile_once

    late_crisis = sent_notification(urgency="crisis", sent_minutes_ago=11)
    fresh_crisis = sent_notification(urgency="crisis", sent_minutes_ago=3)
    late_routine = sent_notification(urgency="routine", sent_minutes_ago=11)  # an hour for non-crisis
    delivered = sent_notification(urgency="crisis", sent_minutes_ago=30, status="delivered")
    by_smtp = sent_notification(urgency="crisis", sent_minutes_ago=30, backend="smtp")  # no events from SMTP
    assert reconcile_once()["overdue"] == 1
    assert reconcile_once()["overdue"] == 0  # flagged once
    assert reload(late_crisis).overdue_at is not None and reload(late_crisis).status == "sent"
    for row in (fresh_crisis, late_routine, delivered, by_smtp):
        assert reload(row).overdue_at is None
    [failed] = outbox_events("notification.failed")
    assert failed["reason"] == "no_delivery_event" and failed["notification_id"] == str(late_crisis.id)
    assert (
        reconcile_once(utcnow() + timedelta(hours=1))["overdue"] == 2
    )  # an hour on: the routine and the fresh one


def test_without_the_webhook_configured_nothing_is_declared_undelivered(db):
    from services.notify.tasks.reconcile import reconcile_once

    sent_notification(urgency="crisis", sent_minutes_ago=60)
    assert reconcile_once()["overdue"] == 0 and outbox_events() == []


def test_a_crisis_email_still_unsent_past_its_deadline_raises_the_alarm_even_with_no_task_left(db):
    from services.notify.tasks.reconcile import reconcile_once

    stuck = sent_notification(
        urgency="crisis", sent_minutes_ago=None, status="pending", triggered_minutes_ago=5
    )
    sent_notification(urgency="urgent", sent_minutes_ago=None, status="pending", triggered_minutes_ago=5)
    assert reconcile_once()["crisis_unsent"] == 1
    assert reconcile_once()["crisis_unsent"] == 0
    [alarm] = outbox_events("alert.raised")
    assert alarm["kind"] == "crisis_email_overdue" and alarm["severity"] == "critical"
    assert [e["notification_id"] for e in outbox_events("notification.failed")] == [str(stuck.id)]


def test_a_notice_whose_retries_were_lost_fails_visibly_after_its_retry_budget(db):
    """Its retry message vanished with a broker restart: nothing would ever send it."""
    from services.notify.domain.policy import NEVER_SENT_AFTER
    from services.notify.tasks.reconcile import reconcile_once

    stuck = sent_notification(
        urgency="urgent", sent_minutes_ago=None, status="pending", triggered_minutes_ago=1
    )
    assert reconcile_once()["never_sent"] == 0  # still within what its own retries could cover
    later = utcnow() + NEVER_SENT_AFTER + timedelta(minutes=1)
    assert reconcile_once(later)["never_sent"] == 1
    assert reload(stuck).status == "failed" and reload(stuck).last_error == "never_sent"
    assert [e["notification_id"] for e in outbox_events("notification.failed")] == [str(stuck.id)]
    assert [a["kind"] for a in outbox_events("alert.raised")] == ["email_failed"]
    assert reconcile_once(later)["never_sent"] == 0


def test_a_late_delivery_event_still_lands_after_the_overdue_flag(webhook_configured):
    from services.notify.adapters.repository import SqlNotifyRepository
    from services.notify.domain.webhook import DeliveryEvent
    from services.notify.tasks.reconcile import reconcile_once

    row = sent_notification(urgency="crisis", sent_minutes_ago=15)
    reconcile_once()
    with unit_of_work() as session:
        SqlNotifyRepository(session).apply_delivery_events(
            [DeliveryEvent(str(row.id), "delivered", "ev-late", utcnow(), None)]
        )
    assert reload(row).status == "delivered" and reload(row).overdue_at is not None


# --- referral status page -------------------------------------------------------------------------------


def make_referral() -> Lead:
    with unit_of_work() as session:
        lead = Lead(reference=f"R-{uuid4().hex[:7].upper()}", channel="referral")
        session.add(lead)
        session.flush()
        session.add(LeadState(lead_id=lead.id, status="scheduled"))
        session.add(
            LeadContact(
                lead_id=lead.id,
                name="Jordan Referred",
                phone="+19495550177",
                message="MDD, recurrent, severe (F33.2). Requesting Spravato evaluation.",
                date_of_birth="1985-04-12",
                details={"referrer": {"name": "Dr. Priya Shah", "email": "priya@harbor.example"}},
            )
        )
        session.add(
            ReferralUpdate(lead_id=lead.id, status="received", occurred_at=utcnow() - timedelta(days=2))
        )
        session.add(
            ReferralUpdate(lead_id=lead.id, status="accepted", occurred_at=utcnow() - timedelta(days=1))
        )
    return lead


def page_path(lead: Lead, **overrides) -> str:
    from services.notify.domain.status_link import sign_status_token

    secret = overrides.get("secret", "test-secret-key")
    return f"/referrals/{lead.reference}/status?t={sign_status_token(secret, lead.reference, lead.id)}"


def test_status_page_shows_reference_status_word_and_dates_only(client):
    lead = make_referral()
    page = client.get(page_path(lead))
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert lead.reference in page.text and "accepted" in page.text and "received" in page.text
    lowered = page.text.lower()
    for secret in (
        "jordan",
        "referred",
        "5550177",
        "1985-04-12",
        "f33.2",
        "spravato",
        "mdd",
        "priya",
        "harbor",
    ):
        assert secret not in lowered


def test_status_page_refuses_forged_foreign_and_missing_tokens(client):
    lead = make_referral()
    other = make_referral()
    assert client.get(page_path(lead, secret="someone-else")).status_code == 403
    good = page_path(lead).split("?t=")[1]
    assert client.get(f"/referrals/{other.reference}/status?t={good}").status_code == 403
    assert client.get(f"/referrals/{lead.reference}/status").status_code == 403
    assert client.get(f"/referrals/{lead.reference}/status?t={good[:-3]}abc").status_code == 403


# --- metrics --------------------------------------------------------------------------------------------


def test_metrics_export_the_routed_to_accepted_histogram_from_the_database(client):
    sent_notification(urgency="crisis", sent_minutes_ago=1, accept_seconds=0.8)
    sent_notification(urgency="crisis", sent_minutes_ago=1, accept_seconds=3.5)
    sent_notification(urgency="routine", sent_minutes_ago=1, accept_seconds=45.0, status="delivered")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    from prometheus_client.parser import text_string_to_metric_families

    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    name = "careroute_notify_routed_to_accepted_seconds"
    crisis = (("backend", "sendgrid"), ("kind", "lead_assigned"), ("urgency", "crisis"))

    def bucket(le: str) -> float:
        return samples[(f"{name}_bucket", tuple(sorted(crisis + (("le", le),))))]

    assert (bucket("0.5"), bucket("1.0"), bucket("5.0"), bucket("+Inf")) == (0, 1, 2, 2)
    assert samples[(f"{name}_count", crisis)] == 2 and samples[(f"{name}_sum", crisis)] == pytest.approx(4.3)
    assert (
        samples[("careroute_notify_notifications", (("kind", "lead_assigned"), ("status", "delivered")))] == 1
    )
    assert ("careroute_notify_ambiguous_attempts_total", (("kind", "lead_assigned"),)) in samples
    assert "@" not in text and "R-" not in text  # no addresses, no references
