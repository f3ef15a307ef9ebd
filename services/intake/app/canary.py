"""The canary lead: a synthetic inquiry the scheduler sends through the whole pipeline (classify,
route, email, the email's answer) so a pipeline that has silently stopped shows within minutes.

It is written exactly as a real lead is — the lead, its `lead.received` event in the same
transaction — but marked `canary`: routing gives it only to the canary recipient, whose email goes
to a sink (CAREROUTE_CANARY_EMAIL), and every queue, dashboard and figure leaves it out. Its text
is fixed and about nobody.
"""

from __future__ import annotations

from uuid import UUID

from shared.caller import PUBLIC
from shared.events import LeadReceivedV1
from shared.logging import get_logger
from shared.schema import Channel

from services.intake.app.ports import IntakeRepository
from services.intake.domain.intake import Inquiry, new_reference

log = get_logger(__name__)
CANARY_MESSAGE = "CareRoute pipeline canary: a synthetic check, not a person."


def send_canary(repo: IntakeRepository) -> UUID:
    inquiry = Inquiry(channel=Channel.web, message=CANARY_MESSAGE, language="en", canary=True)
    lead_id = repo.create_lead(inquiry, new_reference(), False, PUBLIC, (None, None), None)
    repo.add_event(LeadReceivedV1(lead_id=lead_id, channel=Channel.web, risk_flag=False))
    log.info("canary_sent", lead_id=str(lead_id))
    return lead_id
