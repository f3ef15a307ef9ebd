"""Signed links that cannot do harm: the link alone acknowledges but cannot decline or close; the
recipient signs in and comes back; a crisis acknowledged without contact resumes its pages."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from sqlmodel import col, select

from shared.db import unit_of_work
from shared.links import sign_token
from shared.schema import AuditEvent, Escalation, OutboxEvent
from tests.console.world import build_world
from tests.factories import lead_record, make_classified_lead
from tests.support.auth import ORIGIN, form_token, make_user, open_session, sign_in, use_session

CANNOT_SERVE = {"reason": "out_of_area", "alternative": "988"}


def test_decline_by_link_alone_is_refused_and_sign_in_brings_the_recipient_back(client, db):
    world = build_world()
    lead = world.lead(world.dana, urgency="crisis")
    token = sign_token(lead.reference, world.dana.id)
    page = client.get(f"/console/leads/{lead.reference}", params={"t": token})
    assert "Decline" not in page.text and "Sign in</a> to decline" in page.text
    refused = client.post(
        f"/console/leads/{lead.reference}/decline", data={"t": token, **CANNOT_SERVE}, follow_redirects=False
    )
    assert refused.status_code == 303
    assert lead_record(lead.id).status == "routed"  # nothing happened
    back_to = parse_qs(urlsplit(refused.headers["location"]).query)["next"][0]
    assert back_to == f"/console/leads/{lead.reference}?t={token}"

    make_user("coordinator", email="dana.login@clinic.example", coordinator_id=world.dana.id)
    signed_in = sign_in(client, "dana.login@clinic.example", next_path=back_to)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == back_to
    page = client.get(back_to)
    assert "Record and close" in page.text
    done = client.post(
        f"/console/leads/{lead.reference}/decline",
        data={"t": token, **CANNOT_SERVE, "csrf_token": form_token(page.text)},
        headers={"Origin": ORIGIN},
    )
    assert done.status_code == 200 and "alternative recorded" in done.text
    row = lead_record(lead.id)
    assert row.status == "not_eligible" and row.alternative == {"kind": "988"}
    with unit_of_work() as db_:
        actors = db_.exec(select(AuditEvent.actor).where(AuditEvent.action == "lead.not_eligible")).all()
    assert actors == [f"user:{_user_id('dana.login@clinic.example')}"]  # the person, not the link


def _user_id(email):
    from shared.auth.accounts import by_email

    with unit_of_work() as db_:
        return by_email(db_, email).id


def test_someone_elses_session_cannot_decline_with_the_link(client, db):
    world = build_world()
    lead = world.lead(world.dana)
    token = sign_token(lead.reference, world.dana.id)
    sam_user = make_user("coordinator", email="sam.login@clinic.example", coordinator_id=world.sam.id)
    headers = use_session(client, open_session(sam_user))
    refused = client.post(
        f"/console/leads/{lead.reference}/decline",
        data={"t": token, **CANNOT_SERVE, "csrf_token": headers["X-CSRF-Token"]},
        headers={"Origin": ORIGIN},
    )
    assert refused.status_code == 403 and "sent to someone else" in refused.text
    assert lead_record(lead.id).status == "routed"


def _sweep(now):
    from services.routing.tasks.deadlines import sweep_deadlines_once

    sweep_deadlines_once(now=now)


def _events(kind: str) -> list[dict]:
    with unit_of_work() as db_:
        rows = db_.exec(
            select(OutboxEvent).where(OutboxEvent.event_type == kind).order_by(col(OutboxEvent.id))
        ).all()
    return [r.payload for r in rows]


def test_acknowledging_a_crisis_by_link_starts_a_contact_clock_and_no_contact_resumes_the_pages(client, db):
    from tests.factories import make_coordinator

    from services.routing.tasks.route import route_once

    pat = make_coordinator(name="Pat", email="pat@clinic.example", role="supervisor", specialties=[])
    sam = make_coordinator(name="Sam", email="sam@clinic.example", specialties=["anxiety"])
    dana = make_coordinator(
        name="Dana", email="dana@clinic.example", supervisor_id=pat.id, backup_id=sam.id, on_call=True
    )
    payload = make_classified_lead(urgency="crisis")
    route_once(payload)
    lead = lead_record(payload["lead_id"])
    assert lead.coordinator_id == dana.id
    token = sign_token(lead.reference, dana.id)
    acked = client.post(f"/console/leads/{lead.reference}/acknowledge", data={"t": token})
    assert "acknowledged" in acked.text
    t_ack = lead_record(lead.id).acknowledged_at
    pages_before = len(_events("lead.escalated"))
    _sweep(t_ack + timedelta(minutes=14))  # within CAREROUTE_CRISIS_ACK_CONTACT_SECONDS (900)
    assert lead_record(lead.id).status == "acknowledged" and len(_events("lead.escalated")) == pages_before

    _sweep(t_ack + timedelta(minutes=16))  # nobody recorded contact
    row = lead_record(lead.id)
    assert row.status == "notified" and row.acknowledged_at is None
    escalated = _events("lead.escalated")[pages_before:]
    assert {(e["kind"], e["recipient_coordinator_id"]) for e in escalated} == {
        ("crisis_repeat", str(dana.id)),  # the assignee is paged again
        ("escalation", str(sam.id)),  # and the ladder moves on to the backup
    }
    with unit_of_work() as db_:
        causes = db_.exec(select(Escalation.cause).where(Escalation.kind == "escalation")).all()
        audited = db_.exec(select(AuditEvent.action).where(AuditEvent.lead_id == lead.id)).all()
    assert causes == ["no_contact"]
    assert "lead.contact_clock" in audited and "lead.contact_overdue" in audited
    _sweep(t_ack + timedelta(minutes=22))  # and the pages repeat until someone acts
    assert [e["kind"] for e in _events("lead.escalated")[pages_before:]].count("crisis_repeat") == 2


def test_recording_contact_in_time_stops_the_contact_clock(client, db, make_key):
    from tests.factories import make_coordinator

    from services.routing.tasks.route import route_once

    dana = make_coordinator(name="Dana", email="dana@clinic.example", on_call=True)
    payload = make_classified_lead(urgency="crisis")
    route_once(payload)
    lead = lead_record(payload["lead_id"])
    key = client.post(
        f"/v1/coordinators/{dana.id}/keys", json={"role": "coordinator"}, headers=make_key("admin")
    )
    headers = {"Authorization": f"Bearer {key.json()['key']}"}
    assert client.post(f"/v1/leads/{lead.id}/acknowledge", headers=headers).status_code == 200
    assert (
        client.post(f"/v1/leads/{lead.id}/status", json={"status": "contacted"}, headers=headers).status_code
        == 200
    )
    pages_before = len(_events("lead.escalated"))
    _sweep(lead_record(lead.id).acknowledged_at + timedelta(minutes=30))
    assert lead_record(lead.id).status == "contacted" and len(_events("lead.escalated")) == pages_before
