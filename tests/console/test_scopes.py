"""Deny by default, object by object: each role reads (and acts on) only the leads in its scope,
outside is 404 exactly like a missing lead, and every PHI read is audited with how it was allowed."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import col, select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.schema import AuditEvent, Escalation, ReviewerCopy
from tests.console.world import HARBOR, build_world, client_for
from tests.factories import referral


def _get(app, caller, lead):
    client, headers = client_for(app, caller)
    return client.get(f"/v1/leads/{lead.id}", headers=headers)


def test_coordinator_reads_assigned_ladder_reviewer_and_pool_leads_only(db):
    from careroute.asgi import app

    world = build_world()
    dana = world.caller("coordinator", "session")
    owned = world.lead(world.dana)
    pool = world.lead(None, status="waiting", candidates=[world.sam, world.dana])
    ladder = world.theirs()
    reviewed = world.theirs()
    with unit_of_work() as db_:
        db_.add(
            Escalation(
                lead_id=ladder.id,
                kind="escalation",
                step=1,
                role="backup",
                coordinator_id=world.dana.id,
                cause="timeout",
            )
        )
        db_.add(ReviewerCopy(lead_id=reviewed.id, coordinator_id=world.dana.id, flags=["minor"]))
    for lead in (owned, pool, ladder, reviewed):
        response = _get(app, dana, lead)
        assert response.status_code == 200 and response.json()["contact"]["name"] == "Casey Patient"
    assert _get(app, dana, world.theirs()).status_code == 404
    # The reviewer may look but not act; outside the pool a waiting lead cannot be claimed.
    client, headers = client_for(app, dana)
    assert client.post(f"/v1/leads/{reviewed.id}/acknowledge", headers=headers).status_code == 404
    other_pool = world.lead(None, status="waiting", candidates=[world.sam])
    assert client.post(f"/v1/leads/{other_pool.id}/claim", headers=headers).status_code == 404
    assert client.post(f"/v1/leads/{pool.id}/claim", headers=headers).json()["coordinator_id"] == str(
        world.dana.id
    )


def test_a_coordinator_key_bound_to_nobody_reads_nothing(db, make_key):
    from fastapi.testclient import TestClient

    from careroute.asgi import app

    world = build_world()
    lead = world.lead(world.dana)
    unbound = make_key("coordinator")
    assert TestClient(app).get(f"/v1/leads/{lead.id}", headers=unbound).status_code == 404


def test_call_center_reads_its_own_calls_for_a_limited_time(db):
    from careroute.asgi import app

    world = build_world()
    for kind in ("key", "session"):
        agent = world.caller("call_center", kind)
        fresh = world.mine(agent)
        old = world.mine(agent, created_at=utcnow() - timedelta(hours=25))  # CALL_CENTER_READ_HOURS=24
        assert _get(app, agent, fresh).status_code == 200
        assert _get(app, agent, old).status_code == 404
    other_agent = world.caller("call_center", "session")
    assert _get(app, other_agent, world.mine(world.caller("call_center", "key"))).status_code == 404


def test_provider_reads_its_organizations_referrals_without_contact_and_never_names_another(db):
    from careroute.asgi import app

    world = build_world()
    provider = world.caller("provider", "key")
    client, headers = client_for(app, provider)
    body = referral(referrer={"name": "Dr. Shah", "practice": "Elsewhere Medical", "npi": "1234567893"})
    sent = client.post(
        "/v1/referrals", content=json.dumps(body), headers={**headers, "content-type": "application/json"}
    )
    assert sent.status_code == 202
    read = client.get(sent.json()["status_url"], headers=headers).json()
    assert read["contact"] is None  # status, not PHI
    with unit_of_work() as db_:
        from shared.schema import Lead

        assert db_.get(Lead, sent.json()["lead_id"]).organization == HARBOR  # not the body's practice
    # The same practice's account reads it too; another practice does not.
    assert _get(app, world.caller("provider", "session"), world.mine(provider)).status_code == 200


def test_a_provider_credential_without_an_organization_cannot_refer(client, make_key):
    response = client.post(
        "/v1/referrals",
        content=json.dumps(referral()),
        headers={**make_key("provider"), "content-type": "application/json"},
    )
    assert response.status_code == 403 and response.json()["code"] == "organization_required"


def test_every_phi_read_is_audited_with_who_where_and_how(db):
    from careroute.asgi import app

    world = build_world()
    lead = world.lead(world.dana)
    for caller in (
        world.caller("coordinator", "key"),
        world.caller("coordinator", "session"),
        world.caller("supervisor", "key"),
    ):
        assert _get(app, caller, lead).status_code == 200
    assert _get(app, world.caller("admin", "key"), lead).status_code == 404  # refused: no read
    with unit_of_work() as db_:
        reads = db_.exec(
            select(AuditEvent).where(AuditEvent.action == "lead.read").order_by(col(AuditEvent.id))
        ).all()
    assert [(r.detail["via"], r.detail["role"]) for r in reads] == [
        ("api_key", "coordinator"),
        ("session", "coordinator"),
        ("api_key", "supervisor"),
    ]
    assert all(r.lead_id == lead.id and r.client_ip == "testclient" for r in reads)
    assert reads[1].actor == f"user:{world.caller('coordinator', 'session').user.id}"
    assert "Casey" not in json.dumps([r.detail for r in reads])


def test_a_session_request_without_csrf_token_or_from_another_origin_is_refused(db):
    from careroute.asgi import app

    world = build_world()
    lead = world.lead(world.dana)
    client, headers = client_for(app, world.caller("coordinator", "session"))
    url = f"/v1/leads/{lead.id}/acknowledge"
    assert client.post(url, headers={"Origin": headers["Origin"]}).json()["code"] == "csrf_failed"
    assert client.post(url, headers={**headers, "Origin": "https://evil.example"}).status_code == 403
    assert client.post(url, headers={"X-CSRF-Token": headers["X-CSRF-Token"]}).status_code == 403  # no Origin
    referer = {"X-CSRF-Token": headers["X-CSRF-Token"], "Referer": "http://testserver/console"}
    assert client.post(url, headers=referer).status_code == 200  # same-site Referer without Origin
