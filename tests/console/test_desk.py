"""The coordinator's desk: the queue (scope, order, marks, filters), the lead page (PHI, evidence
highlighted, audited, 404 outside scope) and its forms (CSRF, POST-redirect-GET, the same rules
as the API), notes and call attempts, and the email's link landing on the lead page."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlmodel import select

from shared.db import unit_of_work
from shared.links import sign_token
from shared.schema import AuditEvent, CallAttempt, LeadNote
from tests.console.desk_world import browser, dress, post_form
from tests.console.world import build_world
from tests.factories import lead_record
from tests.support.auth import make_user, sign_in


def _references(html: str) -> list[str]:
    return re.findall(r'data-reference="([^"]+)"', html)


def test_queue_lists_my_leads_most_urgent_first_then_nearest_deadline_with_marks(client, db):
    world = build_world()
    routine = dress(world.lead(world.dana, urgency="routine"), minutes_left=600)
    urgent_late = dress(world.lead(world.dana, urgency="urgent"), minutes_left=50)
    urgent_soon = dress(world.lead(world.dana, urgency="urgent"), minutes_left=5, repeat_of=routine.id)
    crisis = dress(world.lead(world.dana, urgency="crisis"), minutes_left=4, risk=True)
    sams = world.lead(world.sam, urgency="crisis")
    closed = world.lead(world.dana, status="closed")
    browser(client, "coordinator", world.dana)

    page = client.get("/console/queue")
    assert page.status_code == 200
    order = _references(page.text)
    assert order == [crisis.reference, urgent_soon.reference, urgent_late.reference, routine.reference]
    assert sams.reference not in page.text and closed.reference not in page.text
    crisis_row = page.text.split(f'data-reference="{crisis.reference}"', 1)[1].split("</tr>", 1)[0]
    assert "possible crisis" in crisis_row and "data-due=" in crisis_row
    assert (
        "repeat contact"
        in page.text.split(f'data-reference="{urgent_soon.reference}"', 1)[1].split("</tr>", 1)[0]
    )
    assert "Casey" not in page.text and "ending my life" not in page.text  # the queue shows no PHI

    filtered = client.get("/console/queue", params={"urgency": "urgent"})
    assert _references(filtered.text) == [urgent_soon.reference, urgent_late.reference]
    assert _references(client.get("/console/queue", params={"status": "closed"}).text) == [closed.reference]


def test_a_coordinator_sees_leads_escalated_to_them_and_waiting_in_their_pool(client, db):
    world = build_world()
    pooled = world.lead(None, status="waiting", candidates=[world.dana])
    elsewhere = world.lead(None, status="waiting", candidates=[world.sam])
    browser(client, "coordinator", world.dana)
    page = client.get("/console/queue").text
    assert pooled.reference in page and "your pool" in page
    assert elsewhere.reference not in page


def test_a_supervisor_sees_every_queue_and_can_narrow_to_one_coordinator(client, db):
    world = build_world()
    danas, sams = world.lead(world.dana), world.lead(world.sam)
    browser(client, "supervisor", world.pat)
    page = client.get("/console/queue").text
    assert danas.reference in page and sams.reference in page and "Every queue" in page
    only_sam = client.get("/console/queue", params={"coordinator": str(world.sam.id)}).text
    assert sams.reference in only_sam and danas.reference not in only_sam


def test_the_queue_needs_a_signed_in_coordinator_or_supervisor(client, db):
    anonymous = client.get("/console/queue?urgency=crisis", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/console/sign-in?next=%2Fconsole%2Fqueue%3Furgency%3Dcrisis"
    browser(client, "call_center")
    refused = client.get("/console/queue")
    assert refused.status_code == 403 and "coordinators and supervisors" in refused.text


def test_the_lead_page_shows_the_person_and_the_evidence_highlighted_and_audits_the_read(client, db):
    world = build_world()
    lead = dress(world.lead(world.dana, urgency="urgent"), minutes_left=30)
    user = browser(client, "coordinator", world.dana)
    page = client.get(f"/console/lead/{lead.reference}")
    assert page.status_code == 200
    assert "Casey Patient" in page.text and "casey@example.org" in page.text
    assert re.search(
        r'<mark class="evidence" title="urgency:urgent \(si.wish_dead\)">thinking about ending my life</mark>',
        page.text,
    )
    assert '<mark class="evidence" title="condition:depression' in page.text
    assert "Dana Reyes" in page.text and "Acknowledge" in page.text
    with unit_of_work() as s:
        reads = s.exec(
            select(AuditEvent).where(AuditEvent.lead_id == lead.id, AuditEvent.action == "lead.read")
        ).all()
    assert [(r.actor, r.detail["via"], r.detail["page"]) for r in reads] == [
        (f"user:{user.id}", "session", "console.lead")
    ]


def test_a_coordinator_cannot_open_a_lead_outside_their_scope(client, db):
    world = build_world()
    sams = world.lead(world.sam)
    browser(client, "coordinator", world.dana)
    page = client.get(f"/console/lead/{sams.reference}")
    assert page.status_code == 404 and "Casey" not in page.text
    assert client.get("/console/lead/R-NOSUCH").status_code == 404
    with unit_of_work() as s:
        assert (
            s.exec(
                select(AuditEvent).where(AuditEvent.lead_id == sams.id, AuditEvent.action == "lead.read")
            ).all()
            == []
        )


def test_the_persons_text_is_escaped_never_markup(client, db):
    world = build_world()
    lead = dress(
        world.lead(world.dana), message="<script>alert(1)</script> depression <img src=x onerror=alert(2)>"
    )
    browser(client, "coordinator", world.dana)
    page = client.get(f"/console/lead/{lead.reference}").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_acknowledge_from_the_lead_page_posts_then_redirects_and_the_status_changes(client, db):
    world = build_world()
    lead = world.lead(world.dana, urgency="urgent")
    browser(client, "coordinator", world.dana)
    page = client.get(f"/console/lead/{lead.reference}")
    done = post_form(client, f"/console/lead/{lead.reference}/acknowledge", page.text)
    assert (
        done.status_code == 303
        and done.headers["location"] == f"/console/lead/{lead.reference}?done=acknowledge"
    )
    assert lead_record(lead.id).status == "acknowledged"
    after = client.get(done.headers["location"]).text
    assert (
        "Acknowledged." in after and 'id="lead-status">Acknowledged<' in after and "Mark contacted" in after
    )


def test_a_form_without_the_sessions_csrf_token_changes_nothing(client, db):
    world = build_world()
    lead = world.lead(world.dana)
    browser(client, "coordinator", world.dana)
    forged = client.post(
        f"/console/lead/{lead.reference}/acknowledge",
        data={"csrf_token": "x"},
        headers={"Origin": "http://testserver"},
    )
    assert forged.status_code == 403
    page = client.get(f"/console/lead/{lead.reference}")
    other_site = post_form(client, f"/console/lead/{lead.reference}/acknowledge", page.text)
    assert other_site.status_code == 303
    lead2 = world.lead(world.dana)
    cross = client.post(
        f"/console/lead/{lead2.reference}/acknowledge",
        data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403 and lead_record(lead2.id).status == "routed"


def test_the_lead_moves_through_contacted_scheduled_and_closed_from_its_page(client, db):
    world = build_world()
    lead = world.lead(world.dana, status="acknowledged")
    browser(client, "coordinator", world.dana)
    for status, fields in (
        ("contacted", {}),
        ("scheduled", {}),
        ("closed", {"reason": "first_visit_completed"}),
    ):
        page = client.get(f"/console/lead/{lead.reference}").text
        assert (
            post_form(
                client, f"/console/lead/{lead.reference}/status", page, status=status, **fields
            ).status_code
            == 303
        )
        assert lead_record(lead.id).status == status


def test_not_eligible_needs_an_alternative_and_records_it(client, db):
    world = build_world()
    lead = world.lead(world.dana, status="acknowledged")
    browser(client, "coordinator", world.dana)
    page = client.get(f"/console/lead/{lead.reference}").text
    done = post_form(
        client,
        f"/console/lead/{lead.reference}/decline",
        page,
        reason="out_of_area",
        alternative="community_mental_health",
    )
    assert done.headers["location"].endswith("?done=decline")
    row = lead_record(lead.id)
    assert row.status == "not_eligible" and row.alternative == {"kind": "community_mental_health"}
    other = world.lead(world.dana, status="acknowledged")
    refused = post_form(client, f"/console/lead/{other.reference}/decline", page, reason="out_of_area")
    assert refused.headers["location"] == f"/console/lead/{other.reference}?problem=alternative_required"
    assert "Say which alternative" in client.get(refused.headers["location"]).text
    assert lead_record(other.id).status == "acknowledged"


def test_decline_with_a_reason_sends_the_lead_on_and_returns_to_the_queue(client, db):
    world = build_world()
    lead = world.lead(world.dana)
    browser(client, "coordinator", world.dana)
    page = client.get(f"/console/lead/{lead.reference}").text
    done = post_form(client, f"/console/lead/{lead.reference}/decline", page, reason="at_capacity")
    assert done.status_code == 303 and done.headers["location"] == "/console/queue?done=decline"
    assert lead_record(lead.id).coordinator_id != world.dana.id


def test_claim_a_waiting_pool_lead_and_a_supervisor_reassigns(client, db):
    world = build_world()
    waiting = world.lead(None, status="waiting", candidates=[world.dana])
    browser(client, "coordinator", world.dana)
    page = client.get(f"/console/lead/{waiting.reference}").text
    assert "Claim this lead" in page and "Reassign" not in page
    post_form(client, f"/console/lead/{waiting.reference}/claim", page)
    assert lead_record(waiting.id).coordinator_id == world.dana.id
    assert (
        post_form(
            client, f"/console/lead/{waiting.reference}/reassign", page, coordinator_id=str(world.sam.id)
        ).status_code
        == 404
    )
    assert lead_record(waiting.id).coordinator_id == world.dana.id

    client.cookies.clear()
    browser(client, "supervisor", world.pat)
    page = client.get(f"/console/lead/{waiting.reference}").text
    post_form(client, f"/console/lead/{waiting.reference}/reassign", page, coordinator_id=str(world.sam.id))
    assert lead_record(waiting.id).coordinator_id == world.sam.id


def test_notes_and_call_attempts_are_kept_encrypted_and_audited_without_their_text(client, db):
    world = build_world()
    lead = world.lead(world.dana)
    browser(client, "coordinator", world.dana)
    page = client.get(f"/console/lead/{lead.reference}").text
    assert (
        post_form(
            client, f"/console/lead/{lead.reference}/notes", page, body="Prefers mornings; sister answers."
        ).status_code
        == 303
    )
    assert (
        post_form(
            client,
            f"/console/lead/{lead.reference}/calls",
            page,
            outcome="left_voicemail",
            note="Voicemail at 9",
        ).status_code
        == 303
    )
    empty = post_form(client, f"/console/lead/{lead.reference}/notes", page, body="   ")
    assert empty.headers["location"].endswith("?problem=body_refused#notes")
    bad = post_form(client, f"/console/lead/{lead.reference}/calls", page, outcome="teleported")
    assert bad.headers["location"].endswith("?problem=outcome_refused#calls")
    shown = client.get(f"/console/lead/{lead.reference}").text
    assert (
        "Prefers mornings; sister answers." in shown
        and "Left a voicemail" in shown
        and "Voicemail at 9" in shown
    )
    with unit_of_work() as s:
        assert len(s.exec(select(LeadNote)).all()) == 1 and len(s.exec(select(CallAttempt)).all()) == 1
        stored = s.connection().execute(text("SELECT body FROM lead_note")).scalar_one()
        audits = s.exec(select(AuditEvent).where(AuditEvent.lead_id == lead.id)).all()
    assert stored.startswith("v1:") and "mornings" not in stored
    assert {"lead.note", "lead.call_attempt"} <= {a.action for a in audits}
    assert all("mornings" not in str(a.detail) and "Voicemail" not in str(a.detail) for a in audits)


def test_someone_outside_scope_cannot_note_on_a_lead(client, db):
    world = build_world()
    mine, sams = world.lead(world.dana), world.lead(world.sam)
    browser(client, "coordinator", world.dana)
    page = client.get(f"/console/lead/{mine.reference}").text
    assert post_form(client, f"/console/lead/{sams.reference}/notes", page, body="hello").status_code == 404
    assert post_form(client, f"/console/lead/{sams.reference}/acknowledge", page).status_code == 404
    assert lead_record(sams.id).status == "routed"


def test_the_emails_link_lands_the_signed_in_recipient_on_the_lead_page(client, db):
    world = build_world()
    lead = world.lead(world.dana)
    token = sign_token(lead.reference, world.dana.id)
    link = f"/console/leads/{lead.reference}?t={token}"
    assert "Casey" not in client.get(link).text  # the link alone shows no PHI
    make_user("coordinator", email="dana.desk@clinic.example", coordinator_id=world.dana.id)
    signed = sign_in(client, "dana.desk@clinic.example", next_path=link)
    assert signed.headers["location"] == link
    landed = client.get(link, follow_redirects=False)
    assert landed.status_code == 303 and landed.headers["location"] == f"/console/lead/{lead.reference}"
    assert "Casey Patient" in client.get(landed.headers["location"]).text
    # Someone else's session still gets only the PHI-free link page.
    client.cookies.clear()
    browser(client, "coordinator", world.sam)
    assert client.get(link, follow_redirects=False).status_code == 200


def test_the_consoles_words_cover_routings_codes():
    from services.console.domain import lifecycle_words as words
    from services.routing.domain.lifecycle import Alternative, CannotServeReason, CloseReason, RerouteReason

    assert set(words.REROUTE_WORDS) == {r.value for r in RerouteReason}
    assert set(words.CANNOT_SERVE_WORDS) == {r.value for r in CannotServeReason}
    assert set(words.ALTERNATIVE_WORDS) == {a.value for a in Alternative}
    assert set(words.CLOSE_WORDS) == {r.value for r in CloseReason}
