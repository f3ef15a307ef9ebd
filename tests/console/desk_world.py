"""Helpers for the console desk tests: a signed-in browser for a staff member, and leads with a
message, its evidence, a deadline and a repeat mark, made directly in the state a test needs."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.schema import Classification, Lead, LeadContact, LeadState, SlaDeadline
from tests.support.auth import ORIGIN, form_token, make_user, open_session, use_session

MESSAGE = "Years of depression. Lately I keep thinking about ending my life. I am a veteran."


def browser(client, role: str, coordinator=None):
    """`client` signed in as a new staff member of `role` (bound to `coordinator`)."""
    user = make_user(role, coordinator_id=coordinator.id if coordinator else None)
    use_session(client, open_session(user))
    return user


def post_form(client, path: str, page_html: str, **fields):
    """Submit a form of `page_html` as the browser would: its CSRF field and our Origin."""
    return client.post(
        path,
        data={"csrf_token": form_token(page_html), **fields},
        headers={"Origin": ORIGIN},
        follow_redirects=False,
    )


def dress(
    lead: Lead,
    *,
    minutes_left: float | None = None,
    message: str = MESSAGE,
    risk: bool = False,
    repeat_of=None,
):
    """Give a world lead a message with evidence, an acknowledge deadline and marks."""
    start = message.find("thinking about ending my life")
    with unit_of_work() as db:
        contact = db.get(LeadContact, lead.id)
        contact.message = message
        contact.email = "casey@example.org"
        db.add(contact)
        row = db.exec(select(Classification).where(Classification.lead_id == lead.id)).one()
        row.evidence = [
            {
                "label": "condition:depression",
                "source": "text",
                "rule": "depression.named",
                "start": 9,
                "end": 19,
                "text": "depression",
            },
        ] + (
            [
                {
                    "label": "urgency:urgent",
                    "source": "text",
                    "rule": "si.wish_dead",
                    "start": start,
                    "end": start + 29,
                    "text": "thinking about ending my life",
                }
            ]
            if start >= 0
            else []
        )
        db.add(row)
        if risk or repeat_of is not None:
            stored = db.get(Lead, lead.id)
            stored.risk_flag = risk
            db.add(stored)
            state = db.get(LeadState, lead.id)
            state.repeat_of_id = repeat_of
            db.add(state)
        if minutes_left is not None:
            db.add(
                SlaDeadline(
                    lead_id=lead.id, kind="acknowledge", due_at=utcnow() + timedelta(minutes=minutes_left)
                )
            )
    return lead
