"""intake.send_canary (beat, maintenance lane): one canary lead into the pipeline."""

from __future__ import annotations

from shared.db import unit_of_work
from shared.retry import pipeline_task
from shared.tasks import SEND_CANARY

from services.intake.adapters.repository import SqlIntakeRepository
from services.intake.app.canary import send_canary as send


@pipeline_task(SEND_CANARY)
def send_canary(self) -> str:
    with unit_of_work() as session:
        lead_id = send(SqlIntakeRepository(session))
    return str(lead_id)
