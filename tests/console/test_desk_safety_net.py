"""The safety net on the coordinator's desk: the queue and the lead page mark a possible crisis,
the lead page's forms confirm or downgrade it (signed in, CSRF) and record a clinician's review,
by the same rules as the API."""

from __future__ import annotations

from sqlmodel import select

from shared.db import unit_of_work
from shared.schema import Classification, ClinicalReviewDecision, CrisisCheckDecision, LeadState
from tests.console.desk_world import browser, post_form
from tests.console.world import build_world


def _state(lead_id) -> LeadState:
    with unit_of_work() as session:
        return session.get(LeadState, lead_id)


def test_possible_crisis_is_marked_and_its_first_action_is_the_decision(client, db):
    world = build_world()
    lead = world.lead(world.dana, urgency="crisis", crisis_check="pending")
    with unit_of_work() as session:
        c = session.exec(select(Classification).where(Classification.lead_id == lead.id)).one()
        c.possible_crisis, c.possible_crisis_reasons, c.urgency = True, ["screen_disagreement"], "routine"
        session.add(c)
    user = browser(client, "coordinator", world.dana)
    queue = client.get("/console/queue").text
    assert (
        "possible crisis — confirm"
        in queue.split(f'data-reference="{lead.reference}"', 1)[1].split("</tr>")[0]
    )
    path = f"/console/lead/{lead.reference}"
    page = client.get(path).text
    assert "Possible crisis — confirm or downgrade first" in page and "screen disagreement" in page
    refused = post_form(client, f"{path}/acknowledge", page)
    assert "problem=crisis_check_pending" in refused.headers["location"]
    no_note = post_form(
        client, f"{path}/crisis-check", page, decision="downgrade", urgency="urgent", reason="other"
    )
    assert (
        "problem=validation_failed" in no_note.headers["location"]
        and _state(lead.id).crisis_check == "pending"
    )
    done = post_form(
        client,
        f"{path}/crisis-check",
        page,
        decision="downgrade",
        urgency="urgent",
        reason="figure_of_speech",
        note="“dying to try it” — an idiom",
    )
    assert "done=crisis-check" in done.headers["location"]
    assert _state(lead.id).crisis_check == "downgraded" and _state(lead.id).urgency == "urgent"
    with unit_of_work() as session:
        row = session.exec(select(CrisisCheckDecision).where(CrisisCheckDecision.lead_id == lead.id)).one()
    assert row.actor == f"user:{user.id}" and row.reason == "figure_of_speech" and row.note.endswith("idiom")
    after = client.get(path).text
    assert "downgraded" in after and "an idiom" in after and "Downgrade</button>" not in after


def test_the_copied_clinician_records_a_review_on_the_lead_page(client, db):
    world = build_world()
    lead = world.lead(world.sam, clinical_review="pending", reviewer=world.dana)
    with unit_of_work() as session:
        c = session.exec(select(Classification).where(Classification.lead_id == lead.id)).one()
        c.contraindications = ["arteriovenous_malformation"]
        session.add(c)
    browser(client, "coordinator", world.dana)
    assert "clinician review" in client.get("/console/queue").text
    path = f"/console/lead/{lead.reference}"
    page = client.get(path).text
    assert "arteriovenous malformation" in page and "Record review" in page
    done = post_form(
        client,
        f"{path}/clinical-review",
        page,
        decision="not_suitable",
        reason="label_contraindication",
        note="",
    )
    assert "done=clinical-review" in done.headers["location"]
    with unit_of_work() as session:
        row = session.exec(
            select(ClinicalReviewDecision).where(ClinicalReviewDecision.lead_id == lead.id)
        ).one()
    assert (row.decision, row.reason, row.coordinator_id) == (
        "not_suitable",
        "label_contraindication",
        world.dana.id,
    )
    assert _state(lead.id).status == "routed"  # never rejected by the review
    assert "not suitable (label contraindication)" in client.get(path).text
