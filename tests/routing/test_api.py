"""Routing's HTTP edge: directory and rules admin, lead actions, and the signed link in the email."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from shared.db import unit_of_work
from shared.links import sign_token
from shared.schema import Coordinator, OutboxEvent
from tests.factories import lead_record, make_classified_lead, make_coordinator

LA = ZoneInfo("America/Los_Angeles")


def events(event_type: str) -> list[dict]:
    with unit_of_work() as session:
        rows = session.exec(
            select(OutboxEvent).where(OutboxEvent.event_type == event_type).order_by(col(OutboxEvent.id))
        ).all()
    return [r.payload for r in rows]


def routed_lead(**kw):
    from services.routing.tasks.route import route_once

    payload = make_classified_lead(**kw)
    route_once(payload)
    return lead_record(payload["lead_id"])


def bound_key(client, make_key, coordinator, role="coordinator") -> dict:
    response = client.post(
        f"/v1/coordinators/{coordinator.id}/keys", json={"role": role}, headers=make_key("admin")
    )
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.json()['key']}"}


DIRECTORY = """
coordinators:
  - name: Dana Reyes
    email: dana@clinic.example
    specialties: [ptsd]
    hours: {mon-fri: "09:00-17:00"}
    supervisor: pat@clinic.example
  - {name: Pat Kim, email: pat@clinic.example, role: supervisor}
on_call:
  layers:
    - {name: all, start: "2026-01-05T09:00:00-08:00", members: [dana@clinic.example]}
"""


def test_directory_put_yaml_get_and_field_errors(client, make_key):
    admin = make_key("admin")
    response = client.put(
        "/v1/directory", content=DIRECTORY, headers={**admin, "content-type": "application/yaml"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    exported = client.get("/v1/directory", headers=admin).json()
    dana = next(c for c in exported["coordinators"] if c["email"] == "dana@clinic.example")
    assert dana["supervisor"] == "pat@clinic.example" and dana["hours"]["mon"] == ["09:00-17:00"]
    assert exported["on_call"]["layers"][0]["members"] == ["dana@clinic.example"]
    bad = DIRECTORY.replace('"09:00-17:00"', '"9 to 5"').replace("role: supervisor", "role: boss")
    response = client.put("/v1/directory", content=bad, headers={**admin, "content-type": "application/yaml"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"coordinators[0].hours", "coordinators[1].role"} <= fields
    assert "9 to 5" not in response.text
    assert (
        client.put("/v1/directory", json={"coordinators": []}, headers=make_key("coordinator")).status_code
        == 403
    )


def test_coordinator_admin_create_patch_deactivate(client, make_key):
    admin = make_key("admin")
    body = {
        "name": "Lee Park",
        "email": "lee@clinic.example",
        "specialties": ["ocd"],
        "timezone": "America/New_York",
        "hours": {"mon-fri": "09:00-17:00"},
        "capacity": {"open": 8, "per_day": 4},
        "weight": 0.5,
    }
    created = client.post("/v1/coordinators", json=body, headers=admin)
    assert created.status_code == 201, created.text
    lee = created.json()
    assert (
        lee["max_open_leads"] == 8 and lee["max_new_per_day"] == 4 and lee["timezone"] == "America/New_York"
    )
    assert client.post("/v1/coordinators", json=body, headers=admin).status_code == 409
    bad = client.post(
        "/v1/coordinators", json={**body, "email": "x@clinic.example", "timezone": "Mars/Base"}, headers=admin
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "timezone"
    patched = client.patch(
        f"/v1/coordinators/{lee['id']}", json={"paused": True, "max_open_leads": 3}, headers=admin
    )
    assert patched.json()["paused"] is True and patched.json()["max_open_leads"] == 3
    supervisor = make_key("supervisor")
    assert (
        client.patch(
            f"/v1/coordinators/{lee['id']}", json={"max_open_leads": 30}, headers=supervisor
        ).status_code
        == 403
    )
    assert (
        client.patch(f"/v1/coordinators/{lee['id']}", json={"paused": False}, headers=supervisor).json()[
            "paused"
        ]
        is False
    )
    assert client.delete(f"/v1/coordinators/{lee['id']}", headers=admin).json()["active"] is False


def test_rules_put_bumps_versions_and_routes_with_them(client, make_key):
    admin = make_key("admin")
    rules = """
pools: {everyone: {}}
rules:
  - {name: everyone, route: {pool: everyone, strategy: least_loaded}}
"""
    first = client.put(
        "/v1/routing/rules", content=rules, headers={**admin, "content-type": "application/yaml"}
    )
    assert first.json() == {"version": 1, "rules": [{"name": "everyone", "version": 1}]}
    second = client.put(
        "/v1/routing/rules",
        content=rules.replace("least_loaded", "round_robin"),
        headers={**admin, "content-type": "application/yaml"},
    )
    assert second.json()["rules"] == [{"name": "everyone", "version": 2}]
    make_coordinator(name="Sam", email="sam@clinic.example")
    lead = routed_lead()
    history = client.get(f"/v1/leads/{lead.id}/routing", headers=admin).json()
    assert history["assignments"][0]["rule"] == "everyone" and history["assignments"][0]["rule_version"] == 2
    bad = client.put(
        "/v1/routing/rules",
        json={"rules": [{"name": "x", "when": {"urgency": ["crisis"]}, "route": {"pool": "nowhere"}}]},
        headers=admin,
    )
    assert bad.status_code == 422 and "unknown pool" in bad.text


def test_acknowledge_by_the_assignee_stops_the_clock_and_accepts_a_referral(client, make_key):
    sam = make_coordinator(name="Sam", email="sam@clinic.example")
    lee = make_coordinator(name="Lee", email="lee@clinic.example", specialties=["ocd"])
    lead = routed_lead(channel="referral", organization="Harbor Psychiatry")
    assert lead.coordinator_id == sam.id
    assert (
        client.post(f"/v1/leads/{lead.id}/acknowledge", headers=bound_key(client, make_key, lee)).status_code
        == 404
    )
    sam_key = bound_key(client, make_key, sam)
    response = client.post(f"/v1/leads/{lead.id}/acknowledge", headers=sam_key)
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    assert client.post(f"/v1/leads/{lead.id}/acknowledge", headers=sam_key).json()["status"] == "acknowledged"
    assert [e["status"] for e in events("referral.status_changed")] == ["accepted"]
    history = client.get(f"/v1/leads/{lead.id}/routing", headers=sam_key).json()
    assert {d["status"] for d in history["deadlines"]} == {"cancelled"}


def test_decline_reroutes_to_someone_else_and_cannot_serve_sends_an_alternative(client, make_key):
    sam = make_coordinator(name="Sam", email="sam@clinic.example")
    riley = make_coordinator(name="Riley", email="riley@clinic.example")
    lead = routed_lead(channel="referral")
    first = lead.coordinator_id
    key = bound_key(client, make_key, sam if first == sam.id else riley)
    response = client.post(
        f"/v1/leads/{lead.id}/decline", json={"reason": "conflict_of_interest"}, headers=key
    )
    assert response.status_code == 200, response.text
    second = response.json()["coordinator_id"]
    assert second != str(first) and response.json()["status"] == "routed"
    assert events("lead.routed")[-1]["reassigned"] is True
    # Declined by the second too: nobody left who has not declined -> waits rather than bouncing back.
    other_key = bound_key(client, make_key, sam if second == str(sam.id) else riley)
    again = client.post(f"/v1/leads/{lead.id}/decline", json={"reason": "at_capacity"}, headers=other_key)
    assert again.json()["status"] == "waiting"
    # The clinic cannot serve: an alternative is required and sent back to the referrer as a code.
    supervisor = make_key("supervisor")
    missing = client.post(f"/v1/leads/{lead.id}/decline", json={"reason": "out_of_area"}, headers=supervisor)
    assert missing.status_code == 422
    done = client.post(
        f"/v1/leads/{lead.id}/decline",
        json={"reason": "out_of_area", "alternative": {"kind": "primary_care"}},
        headers=supervisor,
    )
    assert done.json()["status"] == "not_eligible"
    assert events("referral.status_changed")[-1] == {
        **events("referral.status_changed")[-1],
        "status": "rejected",
        "reason": "out_of_area",
    }
    row = lead_record(lead.id)
    assert row.alternative == {"kind": "primary_care"} and row.outcome_reason == "out_of_area"


def test_reassign_and_status_lifecycle_emit_referral_updates(client, make_key):
    sam = make_coordinator(name="Sam", email="sam@clinic.example")
    riley = make_coordinator(name="Riley", email="riley@clinic.example")
    lead = routed_lead(channel="referral")
    target = riley if lead.coordinator_id == sam.id else sam
    assert (
        client.post(
            f"/v1/leads/{lead.id}/reassign",
            json={"coordinator_id": str(target.id)},
            headers=bound_key(client, make_key, target),
        ).status_code
        == 403
    )
    moved = client.post(
        f"/v1/leads/{lead.id}/reassign",
        json={"coordinator_id": str(target.id)},
        headers=make_key("supervisor"),
    )
    assert moved.json()["coordinator_id"] == str(target.id)
    routed = events("lead.routed")[-1]
    assert routed["coordinator_id"] == str(target.id) and routed["reassigned"] is True and routed["step"] == 1
    key = bound_key(client, make_key, target)
    assert (
        client.post(f"/v1/leads/{lead.id}/status", json={"status": "scheduled"}, headers=key).status_code
        == 409
    )
    client.post(f"/v1/leads/{lead.id}/acknowledge", headers=key)
    for status in ("contacted", "scheduled"):
        assert (
            client.post(f"/v1/leads/{lead.id}/status", json={"status": status}, headers=key).json()["status"]
            == status
        )
    closed = client.post(
        f"/v1/leads/{lead.id}/status",
        json={"status": "closed", "reason": "first_visit_completed"},
        headers=key,
    )
    assert closed.json()["status"] == "closed"
    assert [(e["status"], e["reason"]) for e in events("referral.status_changed")] == [
        ("accepted", None),
        ("in-progress", "scheduled"),
        ("completed", "first_visit_completed"),
    ]


def test_claim_by_an_escalation_recipient_takes_the_lead(client, make_key):
    from services.routing.tasks.deadlines import sweep_deadlines_once

    pat = make_coordinator(name="Pat", email="pat@clinic.example", role="supervisor", specialties=[])
    sam = make_coordinator(name="Sam", email="sam@clinic.example", specialties=["anxiety"])
    dana = make_coordinator(name="Dana", email="dana@clinic.example", supervisor_id=pat.id, backup_id=sam.id)
    lead = routed_lead(urgency="urgent")
    assert lead.coordinator_id == dana.id
    sweep_deadlines_once(now=lead.created_at + timedelta(hours=2))
    response = client.post(f"/v1/leads/{lead.id}/claim", headers=bound_key(client, make_key, sam))
    assert response.json() == {
        "lead_id": str(lead.id),
        "status": "acknowledged",
        "coordinator_id": str(sam.id),
    }


def test_signed_link_acknowledges_and_escalation_link_takes_over(client):
    from services.routing.tasks.deadlines import sweep_deadlines_once

    pat = make_coordinator(name="Pat", email="pat@clinic.example", role="supervisor", specialties=[])
    sam = make_coordinator(name="Sam", email="sam@clinic.example", specialties=["anxiety"])
    dana = make_coordinator(name="Dana", email="dana@clinic.example", supervisor_id=pat.id, backup_id=sam.id)
    lead = routed_lead(urgency="urgent")
    page = client.get(f"/console/leads/{lead.reference}", params={"t": sign_token(lead.reference, dana.id)})
    assert page.status_code == 200 and "Acknowledge" in page.text
    assert "Decline" not in page.text and "Sign in</a> to decline" in page.text  # the link alone
    assert (
        client.get(
            f"/console/leads/{lead.reference}", params={"t": sign_token(lead.reference, sam.id)}
        ).status_code
        == 403
    )  # not told yet
    sweep_deadlines_once(now=lead.created_at + timedelta(minutes=61))
    sam_page = client.get(
        f"/console/leads/{lead.reference}", params={"t": sign_token(lead.reference, sam.id)}
    )
    assert "Take this lead" in sam_page.text
    taken = client.post(
        f"/console/leads/{lead.reference}/acknowledge", data={"t": sign_token(lead.reference, sam.id)}
    )
    assert "acknowledged" in taken.text
    assert lead_record(lead.id).coordinator_id == sam.id
    stale = client.post(
        f"/console/leads/{lead.reference}/acknowledge", data={"t": sign_token(lead.reference, dana.id)}
    )
    assert stale.status_code == 403


def test_on_call_endpoint_reports_gaps(client, make_key):
    admin = make_key("admin")
    client.put("/v1/directory", content=DIRECTORY, headers={**admin, "content-type": "application/yaml"})
    with unit_of_work() as session:
        dana = session.exec(select(Coordinator).where(Coordinator.email == "dana@clinic.example")).one()
        dana.out_of_office = [
            {
                "start": datetime(2030, 1, 1, tzinfo=LA).isoformat(),
                "end": datetime(2030, 1, 2, tzinfo=LA).isoformat(),
            }
        ]
        session.add(dana)
    body = client.get("/v1/oncall", headers=admin).json()
    assert body["covered"] is True and body["now"][0]["name"] == "Dana Reyes"
