from __future__ import annotations

import pytest

from services.notify.adapters.backends import SendGridBackend
from services.notify.domain.message import OutgoingEmail
from tests.support.fake_sendgrid import FakeSendGrid

FROM = "CareRoute <no-reply@careroute.local>"


@pytest.fixture
def fake_sendgrid():
    with FakeSendGrid() as fake:
        yield fake


@pytest.fixture
def sendgrid_backend(fake_sendgrid):
    return SendGridBackend(api_key=fake_sendgrid.api_key, host=fake_sendgrid.url, timeout=0.5, from_email=FROM)


def make_email(notification_id: str = "ntf-0001", **overrides) -> OutgoingEmail:
    fields = {
        "notification_id": notification_id,
        "to": "coordinator@clinic.example",
        "subject": "[CareRoute] CRISIS lead R-7K3M9Q — acknowledge now",
        "text": "Hello,\n\nReference: R-7K3M9Q\n",
        "html": "<p>Hello,</p><p>Reference: R-7K3M9Q</p>",
        "categories": ("careroute", "lead-assigned"),
        "custom_args": {"kind": "lead_assigned", "reference": "R-7K3M9Q"},
    }
    fields.update(overrides)
    return OutgoingEmail(**fields)
