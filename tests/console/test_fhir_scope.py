"""FHIR reads go through the same access policy as lead reads (shared/auth/policy.py): a provider
key or SMART token sees its organization's ServiceRequests and Tasks only, another practice's are
404 and absent from searches, a console session does not open the FHIR routes, a SMART token opens
nothing outside them, and every FHIR read is audited with how it was allowed."""

from __future__ import annotations

from sqlmodel import col, select

from shared.auth.policy import fhir_read_access, referral_organization
from shared.caller import Caller, CallerKind
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.enums import Role
from shared.readmodel.lead_scope import load_lead_scope
from shared.schema import AuditEvent
from tests.console.world import ELSEWHERE, HARBOR, build_world, client_for


def test_a_smart_token_reads_and_searches_only_its_organizations_referrals(db):
    from careroute.asgi import app

    world = build_world()
    ours, theirs = world.fhir_referral(HARBOR), world.fhir_referral(ELSEWHERE)
    client, headers = client_for(app, world.caller("provider", "smart"))
    assert client.get(f"/fhir/r4/Task/{ours.task_id}", headers=headers).status_code == 200
    sr = client.get(f"/fhir/r4/ServiceRequest/{ours.service_request_id}", headers=headers)
    assert sr.status_code == 200
    missing = client.get(f"/fhir/r4/Task/{theirs.task_id}", headers=headers)
    assert missing.status_code == 404 and missing.json()["issue"][0]["code"] == "not-found"
    other_sr = client.get(f"/fhir/r4/ServiceRequest/{theirs.service_request_id}", headers=headers)
    assert other_sr.status_code == 404
    found = client.get("/fhir/r4/Task", headers=headers).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [str(ours.task_id)]

    with unit_of_work() as session:
        reads = session.exec(
            select(AuditEvent).where(AuditEvent.action == "fhir.read").order_by(col(AuditEvent.id))
        ).all()
    assert [(r.detail["type"], r.detail["via"], r.detail["phi"]) for r in reads] == [
        ("Task", "smart_client", False),
        ("ServiceRequest", "smart_client", True),
    ]
    assert all(r.actor.startswith("smart:") and r.lead_id == ours.lead_id for r in reads)


def test_a_provider_session_is_not_a_fhir_credential_and_a_token_opens_no_v1_route(db):
    from careroute.asgi import app

    world = build_world()
    ours = world.fhir_referral(HARBOR)
    client, headers = client_for(app, world.caller("provider", "session"))
    refused = client.get(f"/fhir/r4/Task/{ours.task_id}", headers=headers)
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert refused.json()["issue"][0]["code"] == "login"
    assert client.get(f"/v1/leads/{ours.lead_id}", headers=headers).status_code == 200  # the same lead

    client, headers = client_for(app, world.caller("provider", "smart"))
    lead = client.get(f"/v1/leads/{ours.lead_id}", headers=headers)
    assert lead.status_code == 403 and lead.json()["code"] == "insufficient_scope"


def test_the_policy_wants_the_lead_and_the_fhir_record_in_the_callers_organization(db):
    world = build_world()
    referral = world.fhir_referral(HARBOR)
    with unit_of_work() as session:
        scope = load_lead_scope(session, referral.lead_id)
    harbor = Caller(CallerKind.smart_client, role=Role.provider, organization=HARBOR)
    elsewhere = Caller(CallerKind.api_key, role=Role.provider, organization=ELSEWHERE)
    staff = Caller(CallerKind.session, role=Role.supervisor, organization=HARBOR)
    now = utcnow()
    access = fhir_read_access(harbor, scope, HARBOR, now)
    assert access is not None and access.via == "smart_client" and access.phi is False
    assert fhir_read_access(elsewhere, scope, HARBOR, now) is None
    assert fhir_read_access(harbor, scope, ELSEWHERE, now) is None  # the FHIR record disagrees
    assert fhir_read_access(staff, scope, HARBOR, now) is None  # FHIR is for providers
    assert referral_organization(Caller(CallerKind.api_key, role=Role.provider)) is None
    assert referral_organization(staff) is None
