"""Trouble with the canary's email (bounced, failed, overdue) is the operators' (/healthz/deep,
/metrics), never an alert email to a clinic supervisor."""

from __future__ import annotations

from uuid import uuid4

from shared.schema import Notification
from shared.settings import get_settings

from services.notify.app.deliver import raise_alert


class Emitted:
    """The one port method raise_alert uses, recording what it was given."""

    def __init__(self) -> None:
        self.events: list = []

    def emit(self, event) -> None:
        self.events.append(event)


def test_a_canary_notice_in_trouble_raises_no_supervisor_alert_but_a_real_one_does():
    repo = Emitted()
    canary = Notification(lead_id=uuid4(), recipient=get_settings().canary_email, kind="lead_assigned")
    person = Notification(lead_id=uuid4(), recipient="dana@clinic.example", kind="lead_assigned")
    assert raise_alert(repo, canary, "address_bounced", "warning") is False
    assert repo.events == []
    assert raise_alert(repo, person, "address_bounced", "warning") is True
    assert [e.kind for e in repo.events] == ["address_bounced"]
