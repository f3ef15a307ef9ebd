"""What the fault tests share: the pipeline's settings for a test (its own Redis, the SendGrid and
Twilio stand-ins, short sweeper clocks), posting leads, and the outcome checks every fault test
makes — every accepted lead terminal, one assignment, at most the documented number of emails."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime

from sqlmodel import func, select

from shared.db import unit_of_work
from shared.schema import Assignment, LeadState, Notification
from tests.factories import make_coordinator, web_form
from tests.support.fake_sendgrid import FakeSendGrid
from tests.support.fake_twilio import FakeTwilio

ROUTINE = [
    "Depression for years, nothing has worked. Is ketamine an option?",
    "My OCD rituals take hours a day, does Spravato help?",
    "Army vet with PTSD, nightmares every night, VA referred me",
    "Do you take Aetna? Asking about infusions for my depression",
]
CRISIS = "I have a plan to kill myself tonight, I have the pills ready"
# Terminal for these tests: a coordinator has been told (or the lead moved past that).
TOLD = ("notified", "acknowledged", "contacted", "scheduled", "closed", "not_eligible")


def fault_env(
    redis_url: str, sendgrid: FakeSendGrid, twilio: FakeTwilio | None = None, **extra
) -> dict[str, str]:
    env = {
        "CAREROUTE_BROKER_URL": redis_url,
        "CAREROUTE_EMAIL_BACKEND": "sendgrid",
        "CAREROUTE_SENDGRID_API_KEY": sendgrid.api_key,
        "CAREROUTE_SENDGRID_HOST": sendgrid.url,
        "CAREROUTE_SENDGRID_TIMEOUT_SECONDS": "2",
        "CAREROUTE_BROKER_PUBLISH_TIMEOUT_SECONDS": "1",
        # Short clocks so recovery happens within the test: the same code, faster.
        "CAREROUTE_SWEEP_INTERVAL_SECONDS": "1",
        "CAREROUTE_STUCK_CRISIS_SECONDS": "3",
        "CAREROUTE_STUCK_OTHER_SECONDS": "6",
        "CAREROUTE_SMS_BACKEND": "off",
        # A restarted scheduler waits for the killed one's leader lock to expire.
        "CAREROUTE_BEAT_LOCK_TIMEOUT_SECONDS": "6",
    }
    if twilio is not None:
        env.update(twilio.env())
    env.update(extra)
    return env


def seed_coordinators(pager: str | None = "+19495550142") -> None:
    """Capacity for the whole run: these tests are about loss and duplicates, not about waiting."""
    make_coordinator(
        name="Dana Reyes",
        email="dana@clinic.example",
        specialties=["ptsd"],
        programs=["veterans"],
        on_call=True,
        max_open_leads=500,
        pager_phone=pager,
    )
    make_coordinator(
        name="Sam Ortiz", email="sam@clinic.example", specialties=["depression"], max_open_leads=500
    )
    make_coordinator(name="Lee Park", email="lee@clinic.example", specialties=["ocd"], max_open_leads=500)


def post_leads(client, count: int, crisis_every: int = 0, start: int = 0) -> list[str]:
    ids = []
    for i in range(start, start + count):
        crisis = crisis_every and i % crisis_every == 0
        body = web_form(
            name=f"Fault Person {i}",
            phone=None,
            email=f"fault{i}@example.com",
            message=CRISIS if crisis else ROUTINE[i % len(ROUTINE)],
        )
        response = client.post(
            "/v1/inquiries/web", content=json.dumps(body), headers={"content-type": "application/json"}
        )
        assert response.status_code == 202, response.text
        ids.append(response.json()["lead_id"])
    return ids


def told_count() -> int:
    with unit_of_work() as session:
        return session.exec(
            select(func.count()).select_from(LeadState).where(LeadState.status.in_(TOLD))
        ).one()


def crisis_sent_at() -> list[datetime]:
    """When each crisis lead's first email was accepted."""
    with unit_of_work() as session:
        rows = session.exec(
            select(Notification.sent_at)
            .where(Notification.kind == "lead_assigned", Notification.urgency == "crisis")
            .where(Notification.channel == "email")
        ).all()
    return [r for r in rows if r is not None]


def page_key(sms: dict) -> str:
    """One page's identity in what Twilio took: its number and reply code (the signed link in the
    body carries a timestamp, so a resent copy's body differs)."""
    code = re.search(r"Reply ([0-9]{6})", sms["Body"])
    return sms["To"] + ":" + (code.group(1) if code else sms["Body"])


def assert_outcome(sendgrid: FakeSendGrid, leads: int, twilio: FakeTwilio | None = None) -> dict:
    """Every lead told, one assignment per lead and step 0, one email per notification except the
    counted ambiguous resends (at most two), one SMS per crisis page likewise. Returns figures."""
    with unit_of_work() as session:
        states = session.exec(select(LeadState)).all()
        assignments = session.exec(select(Assignment).where(Assignment.step == 0)).all()
        emails = session.exec(
            select(Notification).where(Notification.kind == "lead_assigned", Notification.channel == "email")
        ).all()
        pages = session.exec(select(Notification).where(Notification.channel == "sms")).all()
    assert len(states) == leads and all(s.status in TOLD for s in states), Counter(s.status for s in states)
    per_lead = Counter(a.lead_id for a in assignments)
    assert len(per_lead) == leads and set(per_lead.values()) == {1}
    ids = {str(r.id) for r in emails}
    copies = Counter(
        m["custom_args"]["notification_id"]
        for m in sendgrid.accepted
        if m["custom_args"]["notification_id"] in ids
    )
    assert len(emails) == leads and len(copies) == leads
    assert all(r.status in ("sent", "delivered") for r in emails)
    ambiguous = sum(r.ambiguous_attempts for r in emails)
    duplicates = sum(copies.values()) - leads
    assert duplicates <= ambiguous and max(copies.values()) <= 2
    figures = {"leads": leads, "email_duplicates": duplicates, "ambiguous_sends": ambiguous}
    if twilio is not None:
        sms_copies = Counter(page_key(m) for m in twilio.accepted)
        assert len(pages) == len(sms_copies) and all(p.status in ("sent", "delivered") for p in pages)
        assert max(sms_copies.values(), default=1) <= 2
        figures.update(pages=len(pages), sms_duplicates=sum(sms_copies.values()) - len(sms_copies))
    return figures
