"""Email composition: short subjects, readable UTC times, escaping, and no PHI in anything sent."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.notify.conftest import FROM

from services.notify.adapters.email.common import build_mime
from services.notify.adapters.email.sendgrid import SendGridBackend
from services.notify.domain.compose import (
    FORBIDDEN_TERMS,
    KINDS,
    STATUS_WORDS,
    DigestItem,
    NotificationView,
    categories_for,
    compose,
    find_forbidden,
)
from services.notify.domain.message import OutgoingEmail

RECEIVED = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)
LINK = "https://careroute.example/a/eyJsIjoiNDIifQ.Zk3x9Q"

# A lead full of recognisable fake PHI. The view is built from it the way the integrator will:
# by picking the few allowed fields. Everything else stays beside it and must never show up.
LEAD = {
    "reference": "R-7K3M9Q",
    "urgency": "crisis",
    "channel": "phone",
    "received_at": RECEIVED,
    "sla_deadline": RECEIVED + timedelta(minutes=5),
    "first_name": "Zebulon",
    "last_name": "Quackenbush",
    "phone": "+1 415-555-0199",
    "email": "zebulon.quackenbush@example.net",
    "date_of_birth": "1987-03-14",
    "address": "1742 Evergreen Terrace, Springfield",
    "insurance_id": "XQZ-99812-PL",
    "message": "Since my Spravato appointment I keep thinking about ending it, please call after 6pm",
    "conditions": ["treatment-resistant depression", "PTSD", "suicidal ideation"],
    "medications": ["esketamine", "sertraline"],
}
PHI_STRINGS = [
    "Zebulon",
    "Quackenbush",
    "415-555-0199",
    "4155550199",
    "555-0199",
    "zebulon.quackenbush",
    "example.net",
    "1987-03-14",
    "03/14/1987",
    "14/03/1987",
    "1987",
    "Evergreen",
    "Springfield",
    "XQZ-99812",
    "ending it",
    "after 6pm",
    "sertraline",
    "treatment-resistant",
]
BRIEF_FORBIDDEN = [
    "suicide",
    "suicidal",
    "ketamine",
    "esketamine",
    "spravato",
    "depression",
    "ptsd",
    "crisis line",
    "ideation",
    "self-harm",
    "psychiatr",
    "mental health",
    "therapy",
    "988",
]

ALLOWED_VIEW_FIELDS = {
    "kind",
    "recipient_display_name",
    "urgency",
    "channel",
    "received_at",
    "sla_deadline",
    "reference",
    "link",
    "step",
    "status_word",
    "digest_items",
    # codes from fixed vocabularies, and a staff member's name for alerts about them
    "reason_code",
    "alert_code",
    "severity",
    "about_name",
    # the person's chosen contact method (call/text/email: a code, validated) and a count
    "preferred_contact_method",
    "spam_review_count",
    # a "possible crisis — confirm" lead (a flag, no detail)
    "possible_crisis",
}


def view_for(lead: dict, view_kind: str, **overrides) -> NotificationView:
    fields = {
        "kind": view_kind,
        "recipient_display_name": "Dana Coordinator",
        "received_at": lead["received_at"],
        "reference": lead["reference"],
        "link": LINK,
        "urgency": lead["urgency"],
        "channel": lead["channel"],
        "sla_deadline": lead["sla_deadline"],
        "step": 2,
        "status_word": "accepted" if view_kind == "referral_status" else None,
        "digest_items": (
            (
                DigestItem(lead["reference"], lead["urgency"], 12, LINK),
                DigestItem("R-AB12CD", "routine", 190, LINK),
            )
            if view_kind == "daily_digest"
            else ()
        ),
        "alert_code": "address_bounced" if view_kind == "alert" else None,
        "severity": "critical" if view_kind == "alert" else None,
        "about_name": "Lee Park" if view_kind == "alert" else None,
    }
    fields.update(overrides)
    return NotificationView(**fields)


def test_the_view_has_no_field_that_could_hold_phi():
    assert {f.name for f in dataclasses.fields(NotificationView)} == ALLOWED_VIEW_FIELDS
    assert {f.name for f in dataclasses.fields(DigestItem)} == {"reference", "urgency", "age_minutes", "link"}


@pytest.mark.parametrize(
    ("kind", "urgency", "channel"),
    list(itertools.product(KINDS, ["crisis", "urgent", "routine"], ["web", "phone", "referral"])),
)
def test_no_phi_or_condition_words_in_anything_sent(kind, urgency, channel):
    lead = {**LEAD, "urgency": urgency, "channel": channel}
    view = view_for(lead, kind)
    subject, text, html = compose(view)
    categories = categories_for(view)
    email = OutgoingEmail(
        notification_id="ntf-7f3a9c",
        to="dana.coordinator@clinic.example",
        subject=subject,
        text=text,
        html=html,
        categories=categories,
        custom_args={"kind": kind, "reference": view.reference, "step": str(view.step)},
    )
    # What actually leaves: the SendGrid JSON body and the MIME message used by SMTP and the outbox.
    sendgrid_body = json.dumps(SendGridBackend("SG.k", "http://127.0.0.1:9", 1, FROM).build_mail(email).get())
    mime = build_mime(email, FROM)
    # Message-ID and MIME boundaries are random digits; check every other header and both parts.
    mime_headers = "\n".join(f"{k}: {v}" for k, v in mime.items() if k not in ("Message-ID", "Content-Type"))
    mime_parts = mime.get_body(("plain",)).get_content() + mime.get_body(("html",)).get_content()
    surfaces = {
        "subject": subject,
        "text": text,
        "html": html,
        "categories": " ".join(categories),
        "custom_args": json.dumps(dict(email.custom_args)),
        "sendgrid_body": sendgrid_body,
        "mime_headers": mime_headers,
        "mime_parts": mime_parts,
    }
    for where, content in surfaces.items():
        lowered = content.lower()
        for secret in PHI_STRINGS:
            assert secret.lower() not in lowered, f"{secret!r} leaked into {where}"
        for word in BRIEF_FORBIDDEN + list(FORBIDDEN_TERMS):
            assert word not in lowered, f"{word!r} appears in {where}"
        assert find_forbidden(content) == []
    if kind != "daily_digest":
        assert view.reference in subject


def test_crisis_assignment_subject_is_short_and_says_act_now():
    subject, text, _ = compose(view_for(LEAD, "lead_assigned"))
    assert subject == "[CareRoute] CRISIS lead R-7K3M9Q — acknowledge now"
    assert "Priority: CRISIS — acknowledge within 5 minutes" in text
    assert "Acknowledge by: 2026-11-27 10:20 UTC" in text


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_subject_text_and_html(kind):
    subject, text, html = compose(view_for(LEAD, kind))
    assert subject.startswith("[CareRoute] ") and len(subject) <= 90 and "\n" not in subject
    assert "Hello Dana Coordinator," in text
    assert LINK in text and f'href="{LINK}"' in html
    assert not re.search(r"<[a-z]", text)
    assert html.startswith("<!DOCTYPE html>") and "</html>" in html


def test_referral_status_uses_fhir_task_words():
    for word in STATUS_WORDS:
        subject, text, _ = compose(view_for(LEAD, "referral_status", status_word=word))
        assert subject == f"[CareRoute] Referral R-7K3M9Q: {word}"
        assert f"Status: {word}" in text
    with pytest.raises(ValueError):
        view_for(LEAD, "referral_status", status_word="triaged-as-urgent")


def test_digest_lists_each_open_lead_with_its_age():
    subject, text, html = compose(view_for(LEAD, "daily_digest"))
    assert subject == "[CareRoute] Daily digest: 2 open leads"
    assert "R-7K3M9Q | Priority: CRISIS | waiting 12 min" in text
    assert "R-AB12CD | Priority: Routine | waiting 3 h 10 min" in text
    assert html.count("<tr>") == 3
    empty = compose(view_for(LEAD, "daily_digest", digest_items=()))
    assert empty[0] == "[CareRoute] Daily digest: 0 open leads"
    assert "no open leads" in empty[1]


def test_times_are_shown_in_utc_whatever_the_input_zone():
    pacific = timezone(timedelta(hours=-8))
    view = view_for(
        LEAD, "lead_assigned", received_at=datetime(2026, 11, 27, 2, 15, tzinfo=pacific), sla_deadline=None
    )
    _, text, _ = compose(view)
    assert "Received: 2026-11-27 10:15 UTC" in text
    assert "Acknowledge by" not in text


def test_html_escapes_the_display_name_and_link():
    view = view_for(
        LEAD,
        "reassignment",
        recipient_display_name="<script>alert(1)</script> & Co",
        link="https://careroute.example/a/x?next=1&sig=abc",
    )
    _, text, html = compose(view)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert 'href="https://careroute.example/a/x?next=1&amp;sig=abc"' in html
    assert "<script>alert(1)</script> & Co" in text  # plain text is not HTML


@pytest.mark.parametrize(
    "overrides",
    [
        {"kind": "lead_received_with_details"},
        {"urgency": "suicidal"},
        {"channel": "sms"},
        {"received_at": datetime(2026, 11, 27, 10, 15)},
        {"sla_deadline": datetime(2026, 11, 27, 10, 20)},
        {"reference": "Zebulon Quackenbush"},
        {"link": "javascript:alert(1)"},
        {"link": "https://careroute.example/?email=zebulon@example.net"},
        {"recipient_display_name": "Dana\r\nBcc: someone@example.net"},
        {"recipient_display_name": "   "},
        {"step": -1},
    ],
)
def test_view_rejects_values_outside_its_vocabulary(overrides):
    with pytest.raises(ValueError):
        view_for(LEAD, "lead_assigned", **overrides)


def test_assignment_without_urgency_is_refused():
    with pytest.raises(ValueError):
        view_for(LEAD, "lead_assigned", urgency=None)


def test_outgoing_email_refuses_header_injection_and_non_opaque_args():
    base = dict(notification_id="ntf-1", to="a@clinic.example", subject="s", text="t", html="h")
    OutgoingEmail(**base)
    for bad in [
        {"to": "a@clinic.example\r\nBcc: b@evil.example"},
        {"to": "Dana <a@clinic.example>"},
        {"subject": "line\nBcc: x@evil.example"},
        {"notification_id": "../../etc/passwd"},
        {"categories": ("Zebulon Quackenbush",)},
        {"custom_args": {"email": "zebulon@example.net"}},
        {"custom_args": {"note": "call after 6pm"}},
    ]:
        with pytest.raises(ValueError):
            OutgoingEmail(**{**base, **bad})


def test_outgoing_email_repr_hides_address_and_body():
    email = OutgoingEmail("ntf-1", "dana@clinic.example", "s", "secret body", "<p>secret</p>")
    assert "dana@" not in repr(email) and "secret" not in repr(email)
    with pytest.raises(TypeError):
        email.custom_args["x"] = "y"  # frozen all the way down


@pytest.mark.parametrize(
    "reason", ["not_eligible", "declined_capacity", "out_of_area", "unreachable", "declined_by_person"]
)
def test_declined_referral_says_why_and_offers_an_alternative_without_phi(reason):
    view = view_for(LEAD, "referral_status", status_word="rejected", reason_code=reason, urgency=None)
    subject, text, html = compose(view)
    assert "rejected" in subject and "primary care provider" in text and "911" in text
    for content in (subject, text, html):
        assert find_forbidden(content) == []
        for secret in PHI_STRINGS:
            assert secret.lower() not in content.lower()


def test_referral_reason_must_be_a_known_code():
    with pytest.raises(ValueError):
        view_for(LEAD, "referral_status", status_word="rejected", reason_code="Patient is suicidal")


def test_alert_names_its_code_and_severity_and_needs_no_lead():
    view = view_for(LEAD, "alert", reference=None, urgency=None, channel=None, sla_deadline=None)
    subject, text, html = compose(view)
    assert subject == "[CareRoute] CRITICAL alert: address_bounced"
    assert "fix it" in text and "Lee Park" in text and "critical" in html
    with pytest.raises(ValueError):
        view_for(LEAD, "alert", alert_code="Has PHI in it")
