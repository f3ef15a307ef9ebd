"""Every kind of notice through its task, the real database and the real sendgrid client against
FakeSendGrid: once only, no PHI, and failures that move the ladder instead of waiting on email."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.events import LeadEscalatedV1, ReferralStatusChangedV1
from shared.schema import Assignment, LeadState, ReferralUpdate
from tests.factories import make_coordinator
from tests.notify.conftest import hand_sent_notices_to_routing, run_task_until_done
from tests.notify.notices import (
    PHI_WORDS,
    alert,
    assert_no_phi,
    make_lead,
    make_supervisor,
    routed,
    rows,
    to,
    urgency_of,
)
from tests.support.fake_sendgrid import RateLimited

# --- lead.routed: new lead, repeat contact, reassignment ---------------------------------------------


@pytest.mark.parametrize(
    ("flags", "kind", "subject"),
    [
        ({}, "lead_assigned", "CRISIS lead"),
        ({"repeat_contact": True}, "repeat_contact", "made contact again"),
        ({"reassigned": True}, "reassignment", "reassigned to you"),
    ],
)
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
    return LeadEscalatedV1(
        lead_id=lead.id,
        step=step,
        recipient_coordinator_id=coordinator.id,
        role=role,
        kind=kind,
        urgency=urgency_of(lead),
        acknowledge_by=utcnow() + timedelta(minutes=5),
        **fields,
    ).model_dump(mode="json")


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
    assert {(r.kind, r.step) for r in rows()} == {
        ("escalation", 1),
        ("crisis_repeat", 2),
        ("crisis_repeat", 3),
    }
    assert_no_phi(mails)
    hand_sent_notices_to_routing()
    with unit_of_work() as session:
        assert session.get(LeadState, lead.id).status == "routed"  # escalations never mark a lead notified


# --- alerts to supervisors ----------------------------------------------------------------------------


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
    assert all(
        "CRITICAL alert: address_bounced" in m["subject"] and lead.reference in m["subject"] for m in mails
    )
    assert "Dana Reyes" in json.dumps(mails)  # whose address to fix
    assert_no_phi(mails)


def test_alert_falls_back_to_on_call_when_there_is_no_supervisor(sendgrid, dana):
    from services.notify.tasks import send_alert

    make_coordinator(name="Oni Call", email="oncall@clinic.example", on_call=True)
    run_task_until_done(send_alert, alert())
    assert [to(m) for m in sendgrid.accepted] == ["oncall@clinic.example"]


def test_one_supervisor_rate_limited_does_not_block_or_duplicate_the_others(sendgrid, dana):
    from shared.retry import RetryLater

    from services.notify.tasks import send_alert

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
    at_eight_utc = datetime(2026, 11, 27, 8, 5, tzinfo=UTC)
    assert due_digests(at_eight_utc) == [(utc.id, "2026-11-27")]


# --- referrers ------------------------------------------------------------------------------------------


REFERRER = {
    "name": "Dr. Priya Shah",
    "practice": "Harbor Psychiatry",
    "npi": "1234567893",
    "email": "priya.shah@harbor.example",
}


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

    lead, _ = make_lead(
        channel="referral", status="not_eligible", urgency=None, details={"referrer": REFERRER}
    )
    run_task_until_done(notify_referrer, referral_event(lead, "rejected", reason="declined_capacity"))
    [mail] = sendgrid.accepted
    assert mail["subject"].endswith(": rejected")
    assert "cannot take new referrals" in json.dumps(mail) and "primary care provider" in json.dumps(mail)


def test_referral_without_referrer_email_is_recorded_but_not_emailed(sendgrid):
    from services.notify.tasks import notify_referrer

    lead, _ = make_lead(
        channel="referral",
        status="received",
        urgency=None,
        details={"referrer": {"name": "Dr. No Email", "practice": "Somewhere"}},
    )
    run_task_until_done(notify_referrer, referral_event(lead, "received"))
    assert sendgrid.requests == 0 and rows() == []
    with unit_of_work() as session:
        assert session.get(ReferralUpdate, (lead.id, "received")) is not None
