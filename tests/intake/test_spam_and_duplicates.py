"""The public form's spam defence (honeypot, minimum fill time) stores a flagged lead that routing
holds for review, answering a bot exactly as anyone else; an identical resubmission within the
window is the first lead again."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from shared.db import unit_of_work
from shared.schema import AuditEvent, Lead, LeadState, Notification, OutboxEvent
from tests.factories import make_coordinator, phone_log, web_form
from tests.support.drain import drain_outbox


def post(client, body: dict, path: str = "/v1/inquiries/web", **headers):
    return client.post(
        path, content=json.dumps(body), headers={"content-type": "application/json", **headers}
    )


def count(model) -> int:
    with unit_of_work() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def stored_lead():
    with unit_of_work() as session:
        return session.exec(select(Lead)).one()


def form_token(age_seconds: float) -> str:
    from services.intake.api.inquiries import _derived_secret
    from services.intake.domain.spam import issue_form_token

    return issue_form_token(_derived_secret("form-token"), time.time() - age_seconds)


def test_a_filled_honeypot_is_accepted_like_any_form_and_stored_for_spam_review(client):
    make_coordinator(name="Sam", email="sam@clinic.example", specialties=["depression"])
    honest = post(client, web_form(email="honest@example.com"))
    bot = post(client, web_form(website="http://cheap-pills.example"))
    assert bot.status_code == honest.status_code == 202
    assert set(bot.json()) == set(honest.json()) and bot.json()["crisis_resources"] is None
    bot_id = bot.json()["lead_id"]
    with unit_of_work() as session:
        assert session.get(Lead, bot_id).spam_reason == "honeypot"
    drain_outbox()
    with unit_of_work() as session:
        assert session.get(LeadState, bot_id).status == "spam_review"
        assert session.get(LeadState, honest.json()["lead_id"]).status == "notified"
        emailed = session.exec(select(Notification.lead_id)).all()
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "lead.classify")).all()
    assert [str(x) for x in emailed] == [honest.json()["lead_id"]]  # the flagged lead: no email
    assert any(a.detail.get("spam_review") == "honeypot" for a in audit)


def test_a_held_lead_is_read_under_the_access_rules_supervisors_only(client, make_key):
    from tests.routing.test_api import bound_key

    sam = make_coordinator(name="Sam", email="sam@clinic.example", specialties=["depression"])
    bot_id = post(client, web_form(website="http://cheap-pills.example")).json()["lead_id"]
    drain_outbox()
    seen = client.get(f"/v1/leads/{bot_id}", headers=make_key("supervisor"))
    assert seen.status_code == 200
    assert (seen.json()["status"], seen.json()["spam_reason"]) == ("spam_review", "honeypot")
    # Nobody's lead and in no pool: a coordinator, an admin (break-the-glass only) and a practice
    # get 404, as for a lead that does not exist.
    outsiders = (bound_key(client, make_key, sam), make_key("admin"), make_key("provider", organization="X"))
    assert [client.get(f"/v1/leads/{bot_id}", headers=h).status_code for h in outsiders] == [404] * 3


def test_a_crisis_is_routed_even_when_the_honeypot_is_filled(client):
    make_coordinator(name="Ona", email="ona@clinic.example", on_call=True)
    response = post(
        client, web_form(message="I have pills saved and I will kill myself tonight", website="x")
    )
    assert response.status_code == 202 and response.json()["crisis_resources"]  # resources, as always
    drain_outbox()
    with unit_of_work() as session:
        state = session.get(LeadState, response.json()["lead_id"])
    assert state.urgency == "crisis" and state.status in ("routed", "notified")


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (None, None),  # a JSON API client: never blocked
        ("age:0", "too_fast"),  # sent back at once
        ("age:30", None),  # a person's pace
        ("age:200000", None),  # a page left open for days: no evidence either way
        ("ft1.1700000000.0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "bad_form_token"),
        ("not-a-token", "bad_form_token"),
    ],
)
def test_the_minimum_fill_time_flags_forms_sent_back_too_fast_or_with_forged_tokens(client, token, reason):
    if token and token.startswith("age:"):
        token = form_token(float(token[4:]))
    body = web_form() if token is None else web_form(form_token=token)
    assert post(client, body).status_code == 202
    assert stored_lead().spam_reason == reason


def test_the_form_endpoint_gives_a_token_that_is_too_fast_if_sent_straight_back(client):
    issued = client.get("/v1/inquiries/web/form")
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    assert post(client, web_form(form_token=issued.json()["form_token"])).status_code == 202
    assert stored_lead().spam_reason == "too_fast"


def test_an_identical_resubmission_within_the_window_is_the_first_lead(client):
    first = post(client, web_form())
    # The same person and words, typed a little differently: normalised, it is the same body.
    again = post(
        client,
        web_form(
            name=" Ana  Example", phone="(949) 555-0100", email="ana@EXAMPLE.COM", form_token=form_token(30)
        ),
    )
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert count(Lead) == 1 and count(OutboxEvent) == 1  # no second lead, event or email
    with unit_of_work() as session:
        actions = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["lead.create", "lead.duplicate_submission"]
    different = post(client, web_form(message="A different question about Spravato"))
    assert different.json()["lead_id"] != first.json()["lead_id"] and count(Lead) == 2


def test_after_the_window_the_same_body_is_a_new_lead(client):
    first = post(client, web_form()).json()
    with unit_of_work() as session:  # eleven minutes later
        session.execute(
            text("UPDATE lead SET created_at = created_at - :age"), {"age": timedelta(minutes=11)}
        )
    assert post(client, web_form()).json()["lead_id"] != first["lead_id"]
    assert count(Lead) == 2


def test_the_duplicate_window_covers_phone_logs_and_keeps_channels_apart(client, make_key):
    agent = make_key("call_center")
    first = post(client, phone_log(), "/v1/inquiries/phone", **agent).json()
    assert post(client, phone_log(), "/v1/inquiries/phone", **agent).json() == first
    assert count(Lead) == 1


def test_identical_submissions_at_the_same_moment_make_one_lead(client):
    results = []
    start = threading.Barrier(4)

    def send():
        start.wait(5)
        results.append(post(client, web_form()).json()["lead_id"])

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(results) == 4 and len(set(results)) == 1
    assert count(Lead) == 1
