"""Every kind of notice through its task, the real database and the real sendgrid client against
FakeSendGrid: once only, no PHI, and failures that move the ladder instead of waiting on email."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from sqlmodel import col, select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.events import AlertRaisedV1, LeadEscalatedV1, LeadRoutedV1, ReferralStatusChangedV1
from shared.schema import Assignment, Coordinator, Lead, LeadContact, LeadState, Notification, ReferralUpdate
from tests.factories import make_coordinator
from tests.notify.conftest import hand_sent_notices_to_routing, outbox_events, run_task_until_done
from tests.support.fake_sendgrid import ClientError, Hang, HtmlTooLarge, RateLimited, ServerError

PATIENT = {"name": "Zebulon Canaryfield", "phone": "+19495550199", "email": "zebulon.canary@example.com",
           "message": "Zebulon has bipolar depression and thoughts of suicide; asking about ketamine",
           "date_of_birth": "1971-03-09"}
PHI_WORDS = ("zebulon", "canaryfield", "5550199", "1971-03-09", "suicid", "ketamine", "bipolar", "depression")


def make_lead(coordinator: Coordinator | None = None, *, urgency="crisis", channel="web", status="routed",
              reference=None, details=None, step=0) -> tuple[Lead, Assignment | None]:
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
    event = LeadRoutedV1(lead_id=lead.id, assignment_id=assignment.id, coordinator_id=assignment.coordinator_id,
                         urgency=urgency_of(lead), acknowledge_by=utcnow() + timedelta(minutes=5), **fields)
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


@pytest.fixture
def dana(db):
    return make_coordinator(name="Dana Reyes", email="dana@clinic.example")


# --- lead.routed: new lead, repeat contact, reassignment ---------------------------------------------


@pytest.mark.parametrize(("flags", "kind", "subject"), [
    ({}, "lead_assigned", "CRISIS lead"),
    ({"repeat_contact": True}, "repeat_contact", "made contact again"),
    ({"reassigned": True}, "reassignment", "reassigned to you"),
])
def test_routed_event_sends_the_kind_it_asks_for_once(sendgrid, dana, flags, kind, subject):
    from services.notify.tasks import send_notification

    lead, assignment = make_lead(dana)
    payload = routed(lead, assignment, **flags)
    run_task_until_done(send_notification, payload)
    run_task_until_done(send_notification, payload)  # the duplicate task
    [mail] = sendgrid.accepted
    assert subject in mail["subject"] and lead.reference in mail["subject"]
    [row] = rows()
    assert row.kind == kind and row.status == "sent" and row.backend == "sendgrid"
    assert row.coordinator_id == dana.id and row.urgency == "crisis"
    assert_no_phi(sendgrid.accepted)


def test_routed_to_accepted_delay_is_measured_per_notification(sendgrid, dana):
    from services.notify.tasks import send_notification

    lead, assignment = make_lead(dana)
    payload = routed(lead, assignment, occurred_at=utcnow() - timedelta(seconds=30))
    run_task_until_done(send_notification, payload)
    [row] = rows()
    assert row.triggered_at is not None and 30 <= row.accept_seconds < 60


# --- escalation steps and crisis repeat pages ---------------------------------------------------------


def escalated(lead, coordinator, *, step=1, kind="escalation", role="backup", **fields) -> dict:
    return LeadEscalatedV1(lead_id=lead.id, step=step, recipient_coordinator_id=coordinator.id, role=role, kind=kind,
                           urgency=urgency_of(lead), acknowledge_by=utcnow() + timedelta(minutes=5),
                           **fields).model_dump(mode="json")


def test_escalation_step_and_crisis_repeat_pages_are_each_sent_once(sendgrid, dana):
    from services.notify.tasks import send_escalation

    backup = make_coordinator(name="Sam Backup", email="sam@clinic.example")
    lead, _ = make_lead(dana)
    step1 = escalated(lead, backup, step=1)
    page2 = escalated(lead, dana, step=2, kind="crisis_repeat", role="assignee")
    page3 = escalated(lead, dana, step=3, kind="crisis_repeat", role="assignee")
    for payload in (step1, step1, page2, page2, page3):
        run_task_until_done(send_escalation, payload)
    mails = sendgrid.accepted
    assert [to(m) for m in mails] == ["sam@clinic.example", "dana@clinic.example", "dana@clinic.example"]
    assert "Escalation step 1" in mails[0]["subject"]
    assert "still not acknowledged" in mails[1]["subject"] and "page 2" in mails[1]["subject"]
    assert {(r.kind, r.step) for r in rows()} == {("escalation", 1), ("crisis_repeat", 2), ("crisis_repeat", 3)}
    assert_no_phi(mails)
    hand_sent_notices_to_routing()
    with unit_of_work() as session:
        assert session.get(LeadState, lead.id).status == "routed"  # escalations never mark a lead notified


# --- alerts to supervisors ----------------------------------------------------------------------------


def make_supervisor(**fields) -> Coordinator:
    # Coordinators have roles once the routing engine's directory lands; before, on-call stands in.
    role = {"role": "supervisor"} if hasattr(Coordinator, "role") else {"on_call": True}
    return make_coordinator(**role, **fields)


def alert(**fields) -> dict:
    return AlertRaisedV1(alert_id=uuid4(), **{"kind": "coverage_gap", "severity": "critical", **fields}).model_dump(
        mode="json")


def test_alert_reaches_every_active_supervisor_once_without_phi(sendgrid, dana):
    from services.notify.tasks import send_alert

    make_supervisor(name="Pat Supervisor", email="pat@clinic.example")
    make_supervisor(name="Kim Supervisor", email="kim@clinic.example")
    make_supervisor(name="Old Supervisor", email="old@clinic.example", active=False)
    lead, _ = make_lead(dana)
    payload = alert(kind="address_bounced", lead_id=str(lead.id), coordinator_id=str(dana.id))
    run_task_until_done(send_alert, payload)
    run_task_until_done(send_alert, payload)
    mails = sendgrid.accepted
    assert sorted(to(m) for m in mails) == ["kim@clinic.example", "pat@clinic.example"]
    assert all("CRITICAL alert: address_bounced" in m["subject"] and lead.reference in m["subject"] for m in mails)
    assert "Dana Reyes" in json.dumps(mails)  # whose address to fix
    assert_no_phi(mails)


def test_alert_falls_back_to_on_call_when_there_is_no_supervisor(sendgrid, dana):
    from services.notify.tasks import send_alert

    make_coordinator(name="Oni Call", email="oncall@clinic.example", on_call=True)
    run_task_until_done(send_alert, alert())
    assert [to(m) for m in sendgrid.accepted] == ["oncall@clinic.example"]


def test_one_supervisor_rate_limited_does_not_block_or_duplicate_the_others(sendgrid, dana):
    from services.notify.tasks import send_alert
    from shared.retry import RetryLater

    make_supervisor(name="Pat Supervisor", email="pat@clinic.example")
    make_supervisor(name="Kim Supervisor", email="kim@clinic.example")
    payload = alert()
    sendgrid.enqueue(RateLimited(reset_in=7))
    with pytest.raises(RetryLater) as retry:
        send_alert(payload)
    assert 6 <= retry.value.delay <= 13  # the provider's reset, plus jitter
    assert len(sendgrid.accepted) == 1
    run_task_until_done(send_alert, payload)
    assert sorted(to(m) for m in sendgrid.accepted) == ["kim@clinic.example", "pat@clinic.example"]


# --- daily digest -------------------------------------------------------------------------------------


def test_daily_digest_lists_open_leads_once_a_day_and_skips_empty_ones(sendgrid, dana):
    from services.notify.tasks import send_digest

    idle = make_coordinator(name="Idle Coordinator", email="idle@clinic.example")
    first, _ = make_lead(dana, urgency="urgent")
    second, _ = make_lead(dana, urgency="routine", status="acknowledged")
    moved, _ = make_lead(dana, urgency="routine")
    with unit_of_work() as session:  # reassigned away from Dana: not hers any more
        session.add(Assignment(lead_id=moved.id, coordinator_id=idle.id, step=1, reason="reassigned"))
    make_lead(dana, status="closed")
    today = utcnow().date().isoformat()
    for _ in range(2):
        run_task_until_done(send_digest, str(dana.id), today)
    run_task_until_done(send_digest, str(dana.id), "2030-01-02")  # the next day: a new digest
    [mail, next_day] = [m for m in sendgrid.accepted if to(m) == "dana@clinic.example"]
    body = json.dumps(mail)
    assert "Daily digest: 2 open leads" in mail["subject"]
    assert first.reference in body and second.reference in body and moved.reference not in body
    assert next_day["subject"] == mail["subject"]
    assert_no_phi(sendgrid.accepted)
    run_task_until_done(send_digest, str(idle.id), today)  # only the reassigned lead is Idle's now
    [idle_mail] = [m for m in sendgrid.accepted if to(m) == "idle@clinic.example"]
    assert moved.reference in json.dumps(idle_mail) and "1 open lead" in idle_mail["subject"]
    nobody = make_coordinator(name="Nobody Waiting", email="nobody@clinic.example")
    run_task_until_done(send_digest, str(nobody.id), today)
    assert all(to(m) != "nobody@clinic.example" for m in sendgrid.accepted)  # no empty digests


def test_digests_are_due_at_each_coordinators_local_digest_hour(db):
    from services.notify.tasks.digest import due_digests

    utc = make_coordinator(name="Utc Person", email="utc@clinic.example", timezone="UTC")
    make_coordinator(name="Tokyo Person", email="tokyo@clinic.example", timezone="Asia/Tokyo")
    make_coordinator(name="Away Person", email="away@clinic.example", timezone="UTC", active=False)
    at_eight_utc = datetime(2026, 11, 27, 8, 5, tzinfo=timezone.utc)
    assert due_digests(at_eight_utc) == [(utc.id, "2026-11-27")]


# --- referrers ------------------------------------------------------------------------------------------


REFERRER = {"name": "Dr. Priya Shah", "practice": "Harbor Psychiatry", "npi": "1234567893",
            "email": "priya.shah@harbor.example"}


def referral_event(lead, status, **fields) -> dict:
    return ReferralStatusChangedV1(lead_id=lead.id, status=status, **fields).model_dump(mode="json")


def test_referrer_gets_an_acknowledgement_then_each_status_once(sendgrid, client):
    from services.notify.tasks import notify_referrer

    lead, _ = make_lead(channel="referral", status="received", urgency=None, details={"referrer": REFERRER})
    for status in ("received", "received", "accepted", "in-progress", "accepted", "completed"):
        run_task_until_done(notify_referrer, referral_event(lead, status))
    mails = sendgrid.accepted
    assert [m["subject"] for m in mails] == [
        f"[CareRoute] Referral {lead.reference} received",
        f"[CareRoute] Referral {lead.reference}: accepted",
        f"[CareRoute] Referral {lead.reference}: in-progress",
        f"[CareRoute] Referral {lead.reference}: completed",
    ]
    assert {to(m) for m in mails} == {"priya.shah@harbor.example"}
    assert_no_phi(mails)
    with unit_of_work() as session:
        statuses = {u.status for u in session.exec(select(ReferralUpdate)).all()}
    assert statuses == {"received", "accepted", "in-progress", "completed"}
    # The link in the email opens the status page: reference, status word, dates; nothing else.
    text = next(c["value"] for c in mails[-1]["content"] if c["type"] == "text/plain")
    link = next(line for line in text.splitlines() if "/status?t=" in line).strip()
    parts = urlsplit(link)
    page = client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200 and lead.reference in page.text and "completed" in page.text
    for word in PHI_WORDS + ("priya", "harbor", "shah"):
        assert word not in page.text.lower()


def test_declined_referral_says_why_with_an_alternative(sendgrid):
    from services.notify.tasks import notify_referrer

    lead, _ = make_lead(channel="referral", status="not_eligible", urgency=None, details={"referrer": REFERRER})
    run_task_until_done(notify_referrer, referral_event(lead, "rejected", reason="declined_capacity"))
    [mail] = sendgrid.accepted
    assert mail["subject"].endswith(": rejected")
    assert "cannot take new referrals" in json.dumps(mail) and "primary care provider" in json.dumps(mail)


def test_referral_without_referrer_email_is_recorded_but_not_emailed(sendgrid):
    from services.notify.tasks import notify_referrer

    lead, _ = make_lead(channel="referral", status="received", urgency=None,
                        details={"referrer": {"name": "Dr. No Email", "practice": "Somewhere"}})
    run_task_until_done(notify_referrer, referral_event(lead, "received"))
    assert sendgrid.requests == 0 and rows() == []
    with unit_of_work() as session:
        assert session.get(ReferralUpdate, (lead.id, "received")) is not None


# --- failures: no retry storm, the ladder moves, the console hears -------------------------------------


@pytest.mark.parametrize("behaviour", [ClientError(400), ClientError(401), ClientError(403), HtmlTooLarge()])
def test_permanent_failure_is_one_request_then_routing_and_a_supervisor_are_told(sendgrid, dana, behaviour):
    from services.notify.tasks import send_notification

    lead, assignment = make_lead(dana, urgency="urgent")
    sendgrid.enqueue(behaviour)
    run_task_until_done(send_notification, routed(lead, assignment))
    run_task_until_done(send_notification, routed(lead, assignment))  # a redelivery changes nothing
    assert sendgrid.requests == 1
    [row] = rows()
    assert row.status == "failed" and row.failure_reported_at is not None
    [failed] = outbox_events("notification.failed")
    assert failed["notification_id"] == str(row.id) and failed["lead_id"] == str(lead.id)
    assert failed["recipient_coordinator_id"] == str(dana.id) and failed["urgency"] == "urgent"
    [raised] = outbox_events("alert.raised")
    assert raised["kind"] == "email_failed" and raised["severity"] == "warning"


def test_an_alert_email_that_fails_raises_no_alert_about_itself(sendgrid):
    from services.notify.tasks import send_alert

    make_supervisor(name="Pat Supervisor", email="pat@clinic.example")
    sendgrid.enqueue(ClientError(401))
    run_task_until_done(send_alert, alert())
    assert [r.status for r in rows()] == ["failed"]
    assert outbox_events("alert.raised") == [] and outbox_events("notification.failed") == []


def test_server_errors_back_off_exponentially_and_rate_limits_wait_for_the_reset(sendgrid, dana):
    from services.notify.tasks import send_notification
    from shared.retry import RetryLater

    lead, assignment = make_lead(dana, urgency="routine")
    payload = routed(lead, assignment)
    sendgrid.enqueue(ServerError(503), RateLimited(reset_in=40))
    with pytest.raises(RetryLater) as first:
        send_notification(payload)
    assert 1 <= first.value.delay <= 2  # attempt 1: 2 s with equal jitter
    with pytest.raises(RetryLater) as second:
        send_notification(payload)
    assert 39 <= second.value.delay <= 46  # X-RateLimit-Reset, plus jitter
    send_notification(payload)
    [row] = rows()
    assert row.status == "sent" and row.attempts == 3 and len(sendgrid.accepted) == 1


def test_a_hung_provider_times_out_and_the_resend_is_counted_ambiguous(sendgrid, dana):
    from services.notify.tasks import send_notification

    lead, assignment = make_lead(dana)
    sendgrid.enqueue(Hang(seconds=3, accept=True))  # took it, never answered within the 1 s timeout
    assert run_task_until_done(send_notification, routed(lead, assignment)) == 2
    [row] = rows()
    assert row.status == "sent" and row.ambiguous_attempts == 1 and len(sendgrid.accepted) == 2


def test_routine_notice_gives_up_after_its_retries_and_moves_the_ladder(sendgrid, dana):
    from services.notify.tasks import send_notification

    lead, assignment = make_lead(dana, urgency="routine")
    sendgrid.enqueue(ServerError(502))
    send_notification.apply(args=[routed(lead, assignment)], retries=10)  # the 11th try
    [row] = rows()
    assert row.status == "failed" and row.last_error == "retries_exhausted:provider_502"
    assert [e["reason"] for e in outbox_events("notification.failed")] == ["retries_exhausted:provider_502"]


def test_crisis_email_failing_past_its_deadline_raises_a_critical_alarm_once_and_keeps_trying(sendgrid, dana):
    from services.notify.tasks import send_notification
    from shared.retry import RetryLater

    lead, assignment = make_lead(dana, urgency="crisis")
    payload = routed(lead, assignment, occurred_at=utcnow() - timedelta(minutes=3))  # deadline: 2 min
    sendgrid.enqueue(ServerError(503), ServerError(500))
    for _ in range(2):
        with pytest.raises(RetryLater) as retry:
            send_notification(payload)
        assert retry.value.unlimited  # a crisis notice never stops trying
    [alarm] = outbox_events("alert.raised")
    assert alarm["kind"] == "crisis_email_overdue" and alarm["severity"] == "critical"
    assert alarm["lead_id"] == str(lead.id)
    [failed] = outbox_events("notification.failed")
    assert failed["reason"] == "crisis_email_overdue" and failed["urgency"] == "crisis"
    send_notification(payload)
    assert len(sendgrid.accepted) == 1 and rows()[0].status == "sent"
