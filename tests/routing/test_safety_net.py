"""The triage safety net against the real database, API to outbox: a possible crisis rides the
crisis lane until a named person confirms or downgrades it (never a link); contraindications go to
clinician review and the lead still routes; every decision is stored with who, when and why."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import pytest
from sqlmodel import select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.links import sign_token
from shared.schema import (
    AuditEvent,
    Classification,
    ClinicalReviewDecision,
    CrisisCheckDecision,
    Lead,
    LeadState,
    OutboxEvent,
    ReviewerCopy,
    SlaDeadline,
)
from tests.factories import make_coordinator, referral, web_form
from tests.support.phi import raw_database_text

MEDS = "Low mood for years and I keep forgetting my meds. Do you offer ketamine infusions?"
ANEURYSM = (
    "Depressed for years, three antidepressants failed. I had a brain aneurysm clipped in 2015. Spravato?"
)
NOTE = "Spoke with Ana Example: forgot her medication, no thoughts of harming herself"


def bound_key(client, make_key, coordinator, role="coordinator") -> dict:
    response = client.post(
        f"/v1/coordinators/{coordinator.id}/keys", json={"role": role}, headers=make_key("admin")
    )
    return {"Authorization": f"Bearer {response.json()['key']}"}


def classified(client, message: str | None, possible_crisis: bool | None = None, *, referral=None) -> UUID:
    """A web inquiry (or a referral) through the API, classified the way the task does it
    (optionally with the classifier's own disagreement flag set, as the rules + learned model
    classifier sets it)."""
    from services.routing.adapters.repository import routing_uow
    from services.routing.app import classify

    path, body, headers = "/v1/inquiries/web", web_form(message=message), {}
    if referral is not None:
        path, body, headers = "/v1/referrals", referral, referral_key()
    response = client.post(
        path, content=json.dumps(body), headers={"content-type": "application/json", **headers}
    )
    assert response.status_code == 202, response.text
    lead_id = UUID(response.json()["lead_id"])
    with routing_uow() as repo:
        job = classify.start(repo, lead_id)
    result = classify.run(job, 3)
    if possible_crisis is not None:
        result = replace(result, possible_crisis=possible_crisis)
    with routing_uow() as repo:
        classify.finish(repo, job, result, utcnow(), None)
    return lead_id


def referral_key() -> dict:
    from shared.apikeys import create_api_key
    from shared.schema import Role

    with unit_of_work() as session:
        _row, key = create_api_key(session, Role.provider, name="harbor", organization="Harbor Psychiatry")
    return {"Authorization": f"Bearer {key}"}


def route(lead_id: UUID, now=None) -> None:
    from services.routing.tasks.route import route_once

    route_once(event("lead.classified", lead_id), now=now)


def event(event_type: str, lead_id: UUID) -> dict:
    with unit_of_work() as session:
        rows = session.exec(
            select(OutboxEvent).where(OutboxEvent.event_type == event_type).order_by(OutboxEvent.id.desc())
        ).all()
    return next(r.payload for r in rows if r.payload["lead_id"] == str(lead_id))


def state(lead_id: UUID) -> LeadState:
    with unit_of_work() as session:
        return session.get(LeadState, lead_id)


def pending(lead_id: UUID) -> dict[str, SlaDeadline]:
    with unit_of_work() as session:
        rows = session.exec(
            select(SlaDeadline).where(SlaDeadline.lead_id == lead_id, SlaDeadline.status == "pending")
        ).all()
    return {d.kind: d for d in rows}


@pytest.fixture
def dana(db):
    return make_coordinator(name="Dana Reyes", email="dana@clinic.example", on_call=True)


def test_screen_risk_the_classifier_did_not_read_goes_on_the_crisis_lane_marked(client, make_key, dana):
    lead_id = classified(client, MEDS)
    with unit_of_work() as session:
        c = session.exec(select(Classification).where(Classification.lead_id == lead_id)).one()
    assert c.urgency == "routine"  # what the classifier said stays on record
    assert c.possible_crisis and c.possible_crisis_reasons == ["screen_disagreement"]
    assert state(lead_id).urgency == "crisis" and state(lead_id).crisis_check == "pending"
    classified_event = event("lead.classified", lead_id)
    assert classified_event["urgency"] == "crisis" and classified_event["possible_crisis"] is True

    routed_at = utcnow()
    route(lead_id, now=routed_at)
    routed = event("lead.routed", lead_id)
    assert routed["urgency"] == "crisis" and routed["possible_crisis"] is True
    timers = pending(lead_id)
    assert timers["acknowledge"].due_at == routed_at + timedelta(minutes=5)  # the crisis SLA
    assert "crisis_repeat" in timers  # and its pages

    view = client.get(f"/v1/leads/{lead_id}", headers=make_key("supervisor")).json()
    assert view["possible_crisis"] is True and view["urgency"] == "crisis"
    assert view["crisis_check"]["state"] == "pending"
    assert view["crisis_check"]["reasons"] == ["screen_disagreement"]
    assert view["crisis_check"]["classifier_urgency"] == "routine"


def test_classifier_disagreement_is_a_possible_crisis_even_when_it_reads_routine(client, dana):
    lead_id = classified(client, "Years of depression, nothing has worked. Is ketamine an option?", True)
    assert state(lead_id).urgency == "crisis" and state(lead_id).crisis_check == "pending"
    with unit_of_work() as session:
        c = session.exec(select(Classification).where(Classification.lead_id == lead_id)).one()
    assert c.possible_crisis_reasons == ["classifier_disagreement"]


def test_plain_leads_are_not_possible_crises(client, dana):
    lead_id = classified(client, "Years of depression, nothing has worked. Is ketamine an option?")
    assert state(lead_id).crisis_check is None and state(lead_id).urgency == "routine"


def test_acknowledging_waits_for_a_decision_and_the_email_link_cannot_decide(client, make_key, dana):
    lead_id = classified(client, MEDS)
    route(lead_id)
    key = bound_key(client, make_key, dana)
    refused = client.post(f"/v1/leads/{lead_id}/acknowledge", headers=key)
    assert refused.status_code == 409 and refused.json()["code"] == "crisis_check_pending"

    reference = state_reference(lead_id)
    token = sign_token(reference, dana.id)
    page = client.get(f"/console/leads/{reference}", params={"t": token})
    assert "POSSIBLE CRISIS" in page.text and "confirm or downgrade" in page.text
    assert 'action="/console/leads/' + reference + '/acknowledge"' not in page.text
    client.post(f"/console/leads/{reference}/acknowledge", data={"t": token})
    assert state(lead_id).status != "acknowledged" and "crisis_repeat" in pending(lead_id)  # pages go on
    # The link's token is no credential for the API.
    as_bearer = client.post(
        f"/v1/leads/{lead_id}/crisis-check",
        json={"decision": "downgrade", "urgency": "routine", "reason": "other", "note": "x"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert as_bearer.status_code == 401 and state(lead_id).crisis_check == "pending"


def state_reference(lead_id: UUID) -> str:
    with unit_of_work() as session:
        return session.get(Lead, lead_id).reference


def test_confirm_records_who_and_why_and_keeps_the_crisis_pages(client, make_key, dana):
    lead_id = classified(client, MEDS)
    route(lead_id)
    key = bound_key(client, make_key, dana)
    response = client.post(
        f"/v1/leads/{lead_id}/crisis-check",
        json={
            "decision": "confirm",
            "reason": "risk_confirmed_in_contact",
            "note": "stockpiling, told me so",
        },
        headers=key,
    )
    assert response.status_code == 200, response.text
    assert response.json()["crisis_check"] == "confirmed" and response.json()["urgency"] == "crisis"
    assert {"acknowledge", "crisis_repeat"} <= set(pending(lead_id))  # until someone acknowledges
    with unit_of_work() as session:
        row = session.exec(select(CrisisCheckDecision).where(CrisisCheckDecision.lead_id == lead_id)).one()
        audit = session.exec(
            select(AuditEvent).where(
                AuditEvent.lead_id == lead_id, AuditEvent.action == "lead.crisis_confirmed"
            )
        ).one()
    assert (row.decision, row.reason, row.coordinator_id) == (
        "confirmed",
        "risk_confirmed_in_contact",
        dana.id,
    )
    assert row.actor.startswith("key:") and row.actor == audit.actor and row.decided_at
    assert event("lead.crisis_confirmed", lead_id)["reason"] == "risk_confirmed_in_contact"
    again = client.post(
        f"/v1/leads/{lead_id}/crisis-check",
        json={"decision": "downgrade", "urgency": "routine", "reason": "other", "note": "changed my mind"},
        headers=key,
    )
    assert again.status_code == 409 and again.json()["code"] == "crisis_check_decided"
    # Now it can be acknowledged, and the crisis contact clock starts as for any crisis.
    assert client.post(f"/v1/leads/{lead_id}/acknowledge", headers=key).json()["status"] == "acknowledged"
    assert "contact" in pending(lead_id)


def test_downgrade_stops_the_pages_restarts_the_clock_and_keeps_the_note_encrypted(client, make_key, dana):
    lead_id = classified(client, MEDS)
    route(lead_id)
    supervisor = make_key("supervisor")
    before = utcnow()
    response = client.post(
        f"/v1/leads/{lead_id}/crisis-check",
        json={
            "decision": "downgrade",
            "urgency": "urgent",
            "reason": "no_current_risk_in_contact",
            "note": NOTE,
        },
        headers=supervisor,
    )
    assert response.status_code == 200, response.text
    assert state(lead_id).urgency == "urgent" and state(lead_id).crisis_check == "downgraded"
    timers = pending(lead_id)
    assert set(timers) == {"acknowledge"}  # no more crisis pages
    assert before + timedelta(minutes=59) < timers["acknowledge"].due_at <= utcnow() + timedelta(minutes=60)
    downgraded = event("lead.crisis_downgraded", lead_id)
    assert downgraded["urgency"] == "urgent" and downgraded["recipient_coordinator_ids"] == [str(dana.id)]
    assert "note" not in json.dumps(downgraded) and "forgot" not in json.dumps(downgraded)

    view = client.get(f"/v1/leads/{lead_id}", headers=supervisor).json()
    decision = view["crisis_check"]["decision"]
    assert view["possible_crisis"] is False and view["urgency"] == "urgent"
    assert decision["decision"] == "downgraded" and decision["urgency_after"] == "urgent"
    assert decision["note"] == NOTE and decision["decided_by"].startswith("key:")
    assert "forgot her medication" not in raw_database_text()  # the note is PHI: encrypted at rest


def test_a_downgrade_never_goes_below_a_screener_and_says_which_field(client, make_key, dana):
    lead_id = classified(client, None, referral=referral(screeners={"phq9_total": 19, "phq9_item9": 1}))
    route(lead_id)
    with unit_of_work() as session:
        c = session.exec(select(Classification).where(Classification.lead_id == lead_id)).one()
    # The screener says urgent, the text alone reads routine: a possible crisis, floored at urgent.
    assert c.urgency == "urgent" and c.possible_crisis_reasons == ["structured_disagreement"]
    assert state(lead_id).urgency == "crisis"
    refused = client.post(
        f"/v1/leads/{lead_id}/crisis-check",
        json={"decision": "downgrade", "urgency": "routine", "reason": "other", "note": "fine"},
        headers=make_key("supervisor"),
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "urgency"
    assert state(lead_id).crisis_check == "pending"
    missing = client.post(
        f"/v1/leads/{lead_id}/crisis-check",
        json={"decision": "downgrade", "reason": "other"},
        headers=make_key("supervisor"),
    )
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {"urgency", "note"}


def test_contraindication_goes_to_clinician_review_still_routes_and_the_review_is_stored(
    client, make_key, dana
):
    reviewer = make_coordinator(
        name="Dr. Kim Reviewer", email="kim@clinic.example", role="clinical_reviewer", specialties=[]
    )
    rules = {
        "pools": {"everyone": {}, "clinical_reviewers": {"roles": ["clinical_reviewer"]}},
        "rules": [{"name": "everyone", "route": {"pool": "everyone"}}],
        "review": {"flags": ["pregnant"], "pool": "clinical_reviewers"},
    }
    assert client.put("/v1/routing/rules", json=rules, headers=make_key("admin")).status_code == 200
    lead_id = classified(client, ANEURYSM)
    with unit_of_work() as session:
        c = session.exec(select(Classification).where(Classification.lead_id == lead_id)).one()
    assert c.contraindications == ["aneurysmal_vascular_disease"] and c.warnings == []
    assert "cardiovascular_risk" in c.flags  # the policy flag scores as before
    assert state(lead_id).clinical_review == "pending"
    route(lead_id)
    assert state(lead_id).status == "routed" and state(lead_id).coordinator_id == dana.id  # never rejected
    with unit_of_work() as session:
        copy = session.exec(select(ReviewerCopy).where(ReviewerCopy.lead_id == lead_id)).one()
    assert copy.coordinator_id == reviewer.id and "contraindication:aneurysmal_vascular_disease" in copy.flags

    owner_key = bound_key(client, make_key, dana)
    body = {"decision": "cleared", "note": "aneurysm clipped, neurosurgery letter on file"}
    assert (
        client.post(f"/v1/leads/{lead_id}/clinical-review", json=body, headers=owner_key).status_code == 403
    )
    reviewer_key = bound_key(client, make_key, reviewer)
    no_reason = client.post(
        f"/v1/leads/{lead_id}/clinical-review", json={"decision": "not_suitable"}, headers=reviewer_key
    )
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    done = client.post(f"/v1/leads/{lead_id}/clinical-review", json=body, headers=reviewer_key)
    assert done.status_code == 200 and done.json()["clinical_review"] == "cleared"
    with unit_of_work() as session:
        row = session.exec(
            select(ClinicalReviewDecision).where(ClinicalReviewDecision.lead_id == lead_id)
        ).one()
        audited = session.exec(
            select(AuditEvent).where(
                AuditEvent.lead_id == lead_id, AuditEvent.action == "lead.clinical_review"
            )
        ).one()
    assert (row.decision, row.coordinator_id, row.contraindications) == (
        "cleared",
        reviewer.id,
        ["aneurysmal_vascular_disease"],
    )
    assert audited.actor == row.actor
    view = client.get(f"/v1/leads/{lead_id}", headers=owner_key).json()
    review = view["clinical_review"]
    assert review["state"] == "cleared" and review["contraindications"] == ["aneurysmal_vascular_disease"]
    assert review["decisions"][0]["note"] == body["note"]
    assert state(lead_id).status == "routed"  # the review never closes the lead
    assert "neurosurgery letter" not in raw_database_text()


def test_a_lead_with_nothing_to_review_refuses_a_review(client, make_key, dana):
    lead_id = classified(client, "Years of depression, nothing has worked. Is ketamine an option?")
    response = client.post(
        f"/v1/leads/{lead_id}/clinical-review", json={"decision": "cleared"}, headers=make_key("supervisor")
    )
    assert response.status_code == 409 and response.json()["code"] == "no_clinical_review"
