"""A provider's referral through real processes: API → outbox → relay → Celery worker →
notify.notify_referrer → the real sendgrid client → FakeSendGrid; then the status page."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from tests.factories import make_coordinator, referral
from tests.support.fake_sendgrid import FakeSendGrid
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.e2e


def test_referrer_hears_back_with_a_reference_and_a_working_status_link(client, make_key, tmp_path):
    make_coordinator(name="Sam Ortiz", email="sam@clinic.example", specialties=["depression"])
    body = referral(
        referrer={
            "name": "Dr. Priya Shah",
            "practice": "Harbor Psychiatry",
            "npi": "1234567893",
            "email": "priya.shah@harbor.example",
        }
    )
    with (
        FakeSendGrid() as fake,
        Pipeline(
            tmp_path,
            {
                "CAREROUTE_EMAIL_BACKEND": "sendgrid",
                "CAREROUTE_SENDGRID_API_KEY": fake.api_key,
                "CAREROUTE_SENDGRID_HOST": fake.url,
                "CAREROUTE_SENDGRID_TIMEOUT_SECONDS": "2",
            },
            names=("relay", "worker"),
        ),
    ):
        response = client.post(
            "/v1/referrals",
            content=json.dumps(body),
            headers={
                "content-type": "application/json",
                **make_key("provider", organization="Harbor Psychiatry"),
            },
        )
        assert response.status_code == 202
        reference = response.json()["reference"]
        # The referrer's acknowledgement and the coordinator's new-lead email, in either order.
        mails = fake.wait_for_accepted(2, timeout=90)
    by_to = {m["personalizations"][0]["to"][0]["email"]: m for m in mails}
    ack = by_to["priya.shah@harbor.example"]
    assert ack["subject"] == f"[CareRoute] Referral {reference} received"
    outgoing = json.dumps(mails).lower()
    for secret in ("jordan", "referred", "1985-04-12", "555-0177", "5550177", "f33.2", "spravato", "mdd"):
        assert secret not in outgoing, secret
    text = next(c["value"] for c in ack["content"] if c["type"] == "text/plain")
    link = urlsplit(next(line.strip() for line in text.splitlines() if "/status?t=" in line))
    page = client.get(f"{link.path}?{link.query}")
    assert page.status_code == 200 and reference in page.text and "received" in page.text
    assert "jordan" not in page.text.lower()
