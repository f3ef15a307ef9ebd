"""The triage safety net the whole way: API → outbox → relay → a real Celery worker (classify,
route, notify) → the real sendgrid client → a local /v3/mail/send — then a person's decision
through the API and its effect on the SLA, the pages and the emails. Real processes, PostgreSQL
and Redis; no eager mode."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from shared.db import unit_of_work
from shared.schema import Assignment, LeadState, SlaDeadline
from tests.e2e.test_pipeline import sendgrid_env
from tests.factories import make_coordinator, web_form
from tests.support.fake_sendgrid import FakeSendGrid
from tests.support.pipeline import Pipeline
from tests.support.servers import wait_for

pytestmark = pytest.mark.e2e

# Intake's screen fires on "meds"; the classifier reads no risk in it: a possible crisis.
MEDS = "Ximena here. Low mood for years and I keep forgetting my meds. Do you offer ketamine infusions?"
ANEURYSM = (
    "Depressed for years, three antidepressants failed. I had a brain aneurysm clipped in 2015. Spravato?"
)


def _state(lead_id: str) -> LeadState | None:
    with unit_of_work() as session:
        return session.get(LeadState, lead_id)


def _pending(lead_id: str) -> dict[str, SlaDeadline]:
    with unit_of_work() as session:
        rows = session.exec(
            select(SlaDeadline).where(SlaDeadline.lead_id == lead_id, SlaDeadline.status == "pending")
        ).all()
    return {d.kind: d for d in rows}


def _routed_at(lead_id: str):
    with unit_of_work() as session:
        return session.exec(select(Assignment).where(Assignment.lead_id == lead_id)).first().created_at


def _key(client, make_key, coordinator=None, role="supervisor") -> dict:
    if coordinator is None:
        return make_key(role)
    response = client.post(
        f"/v1/coordinators/{coordinator.id}/keys", json={"role": "coordinator"}, headers=make_key("admin")
    )
    return {"Authorization": f"Bearer {response.json()['key']}"}


def _post(client, message: str) -> dict:
    response = client.post(
        "/v1/inquiries/web",
        content=json.dumps(web_form(message=message, name="Ximena Safetynet")),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 202
    return response.json()


def test_possible_crisis_rides_the_crisis_lane_until_a_person_downgrades_it(client, make_key, tmp_path):
    dana = make_coordinator(name="Dana Reyes", email="dana@clinic.example", on_call=True)
    with FakeSendGrid() as fake, Pipeline(tmp_path, sendgrid_env(fake)):
        accepted = _post(client, MEDS)
        lead_id, reference = accepted["lead_id"], accepted["reference"]
        wait_for(lambda: (_state(lead_id) and _state(lead_id).status) == "notified", 90, what="lead notified")
        [mail] = fake.wait_for_accepted(1)
        assert mail["subject"] == f"[CareRoute] POSSIBLE CRISIS lead {reference} — confirm or downgrade now"
        assert mail["personalizations"][0]["to"][0]["email"] == dana.email
        body = json.dumps(mail)
        assert "Ximena" not in body and "meds" not in body.lower() and "ketamine" not in body.lower()

        supervisor = _key(client, make_key)
        view = client.get(f"/v1/leads/{lead_id}", headers=supervisor).json()
        assert view["possible_crisis"] is True and view["urgency"] == "crisis"
        assert view["classification"]["urgency"] == "routine"  # the classifier's own reading, kept
        assert view["crisis_check"]["reasons"] == ["screen_disagreement"]
        timers = _pending(lead_id)
        assert timers["acknowledge"].due_at == _routed_at(lead_id) + timedelta(minutes=5)
        assert "crisis_repeat" in timers

        dana_key = _key(client, make_key, dana)
        assert client.post(f"/v1/leads/{lead_id}/acknowledge", headers=dana_key).status_code == 409
        decided = client.post(
            f"/v1/leads/{lead_id}/crisis-check",
            json={
                "decision": "downgrade",
                "urgency": "urgent",
                "reason": "no_current_risk_in_contact",
                "note": "Ximena only forgot her medication; no thoughts of harm",
            },
            headers=supervisor,
        )
        assert decided.status_code == 200, decided.text
        timers = _pending(lead_id)
        assert set(timers) == {"acknowledge"}  # the crisis pages stopped
        assert timers["acknowledge"].due_at > _routed_at(lead_id) + timedelta(minutes=55)  # the urgent SLA
        stand_down = fake.wait_for_accepted(2, timeout=60)[1]
        assert (
            stand_down["subject"]
            == f"[CareRoute] Lead {reference} downgraded to Urgent — crisis pages stopped"
        )
        assert "Ximena" not in json.dumps(stand_down) and "medication" not in json.dumps(stand_down)

    view = client.get(f"/v1/leads/{lead_id}", headers=supervisor).json()
    assert view["possible_crisis"] is False and view["urgency"] == "urgent"
    decision = view["crisis_check"]["decision"]
    assert decision["decision"] == "downgraded" and decision["reason"] == "no_current_risk_in_contact"
    assert decision["decided_by"].startswith("key:") and decision["decided_at"]
    assert (
        client.post(f"/v1/leads/{lead_id}/acknowledge", headers=dana_key).json()["status"] == "acknowledged"
    )


def test_contraindication_lead_routes_copies_a_clinician_and_the_review_is_stored(client, make_key, tmp_path):
    dana = make_coordinator(name="Dana Reyes", email="dana@clinic.example")
    kim = make_coordinator(
        name="Kim Reviewer", email="kim@clinic.example", role="clinical_reviewer", specialties=[]
    )
    rules = {
        "pools": {"everyone": {}, "clinical_reviewers": {"roles": ["clinical_reviewer"]}},
        "rules": [{"name": "everyone", "route": {"pool": "everyone"}}],
        "review": {"flags": ["pregnant"], "pool": "clinical_reviewers"},
    }
    assert client.put("/v1/routing/rules", json=rules, headers=make_key("admin")).status_code == 200
    with FakeSendGrid() as fake, Pipeline(tmp_path, sendgrid_env(fake)):
        lead_id = _post(client, ANEURYSM)["lead_id"]
        wait_for(lambda: (_state(lead_id) and _state(lead_id).status) == "notified", 90, what="lead notified")
        mails = fake.wait_for_accepted(2, timeout=60)
        assert {m["personalizations"][0]["to"][0]["email"] for m in mails} == {dana.email, kim.email}
        for mail in mails:
            assert "aneurysm" not in json.dumps(mail).lower()

    view = client.get(f"/v1/leads/{lead_id}", headers=make_key("supervisor")).json()
    assert view["status"] == "notified" and view["assignment"]["coordinator_name"] == "Dana Reyes"
    assert view["classification"]["contraindications"] == ["aneurysmal_vascular_disease"]
    assert view["clinical_review"]["state"] == "pending" and view["possible_crisis"] is False
    kim_key = _key(client, make_key, kim)
    reviewed = client.post(
        f"/v1/leads/{lead_id}/clinical-review",
        json={
            "decision": "not_suitable",
            "reason": "label_contraindication",
            "note": "no vascular clearance",
        },
        headers=kim_key,
    )
    assert reviewed.status_code == 200, reviewed.text
    view = client.get(f"/v1/leads/{lead_id}", headers=kim_key).json()
    [decision] = view["clinical_review"]["decisions"]
    assert view["clinical_review"]["state"] == "not_suitable"
    assert (decision["decision"], decision["reason"], decision["coordinator_id"]) == (
        "not_suitable",
        "label_contraindication",
        str(kim.id),
    )
    assert view["status"] == "notified"  # the review never rejects or closes the lead
