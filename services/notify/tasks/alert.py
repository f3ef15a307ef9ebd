"""notify.send_alert: email every active supervisor about something they must fix.

Supervisors are active coordinators whose role is supervisor; with none (or on a directory that
has no roles yet) the on-call coordinators receive alerts instead, so an alert is never silent.
No PHI: the alert's code, severity, time, an opaque lead reference, and the name of the staff
member it is about.
"""

from __future__ import annotations

from shared.celery import PIPELINE_TASK_OPTIONS, celery_app
from shared.db import unit_of_work
from shared.events import AlertRaisedV1
from shared.logging import get_logger
from shared.models import Coordinator, Lead
from shared.settings import get_settings
from shared.tasks import SEND_ALERT

from services.notify.adapters import repository as repo
from services.notify.domain.compose import NotificationView
from services.notify.tasks.deliver import Notice, RetryLater, deliver, retry_task

log = get_logger(__name__)
KIND = "alert"


@celery_app.task(name=SEND_ALERT, **PIPELINE_TASK_OPTIONS)
def send_alert(self, payload: dict) -> dict:
    event = AlertRaisedV1.model_validate(payload)
    console = get_settings().public_base_url.rstrip("/") + "/console"
    notices = []
    with unit_of_work() as session:
        lead = session.get(Lead, event.lead_id) if event.lead_id else None
        about = session.get(Coordinator, event.coordinator_id) if event.coordinator_id else None
        recipients = repo.alert_recipients(session)
        for person in recipients:
            view = NotificationView(
                kind=KIND, recipient_display_name=person.name, received_at=event.occurred_at,
                reference=lead.reference if lead else None, link=console, alert_code=event.kind,
                severity=event.severity, about_name=about.name if about else None,
            )
            key = repo.NoticeKey(kind=KIND, recipient=person.email, subject_key=f"alert:{event.alert_id}",
                                 lead_id=lead.id if lead else None, coordinator_id=person.id,
                                 triggered_at=event.occurred_at)
            notices.append(Notice(key=key, view=view, actor=f"task:{SEND_ALERT}"))
    if not notices:
        log.error("alert_has_no_recipient", alert=event.kind, severity=event.severity)
    later = None
    for notice in notices:
        # One recipient's trouble must not stop the others: try everyone, then retry once.
        try:
            deliver(self, notice)
        except RetryLater as exc:
            later = exc if later is None else RetryLater(min(later.delay, exc.delay), later.unlimited or exc.unlimited,
                                                          later.reason)
    log.info("alert_sent", alert=event.kind, severity=event.severity, recipients=len(notices))
    if later is not None:
        raise retry_task(self, later)
    return {"recipients": len(notices)}
