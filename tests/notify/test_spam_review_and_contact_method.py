"""Notify's side of issue 10 part B: leads held for spam review are counted in supervisors' daily
digests (never emailed one by one), and a coordinator's notice says how the person chose to be
contacted — through the real sendgrid client against FakeSendGrid."""

from __future__ import annotations

import json

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.schema import LeadContact
from tests.factories import make_coordinator, web_form
from tests.notify.conftest import run_task_until_done
from tests.notify.notices import assert_no_phi, make_lead, make_supervisor, routed, to
from tests.support.drain import drain_outbox


def post(client, body: dict):
    response = client.post(
        "/v1/inquiries/web", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert response.status_code == 202
    return response.json()


def test_spam_review_leads_are_not_emailed_and_are_counted_in_the_supervisors_digest(client, sendgrid):
    from services.notify.tasks import send_digest

    make_coordinator(name="Sam", email="sam@clinic.example", specialties=["depression"])
    supervisor = make_supervisor(name="Pat Kim", email="pat@clinic.example")
    for i in range(2):
        post(client, web_form(email=f"bot{i}@example.com", website="http://spam.example"))
    drain_outbox()
    assert sendgrid.accepted == []  # two stored leads, no coordinator told
    today = utcnow().date().isoformat()
    run_task_until_done(send_digest, str(supervisor.id), today)
    [digest] = [m for m in sendgrid.accepted if to(m) == "pat@clinic.example"]
    assert "2 public-form submissions in the last 24 hours are held for spam review" in json.dumps(digest)
    assert_no_phi(sendgrid.accepted)


def test_a_coordinator_hears_the_persons_chosen_contact_method(sendgrid, dana):
    from services.notify.tasks import send_notification

    lead, assignment = make_lead(dana)
    with unit_of_work() as session:
        contact = session.get(LeadContact, lead.id)
        contact.preferred_contact_method = "text"
        session.add(contact)
    run_task_until_done(send_notification, routed(lead, assignment))
    [mail] = sendgrid.accepted
    body = json.dumps(mail)
    assert "Preferred contact: Text message (the person chose this: use no other way)" in body
    assert_no_phi(sendgrid.accepted)
