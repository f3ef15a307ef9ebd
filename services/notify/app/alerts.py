"""Email every active supervisor about something they must fix (`alert.raised`).

With no supervisor (or on a directory that has no roles yet) the on-call coordinators receive
alerts instead, so an alert is never silent. No PHI: the alert's code, severity, time, an opaque
lead reference, and the name of the staff member it is about.
"""

from __future__ import annotations

from shared.events import AlertRaisedV1
from shared.logging import get_logger
from shared.retry import RetryLater
from shared.schema import Coordinator
from shared.settings import get_settings

from services.notify.app.deliver import Notice, deliver
from services.notify.app.ports import NoticeKey, UnitOfWork
from services.notify.domain.compose import NotificationView
from services.notify.domain.message import EmailBackend
from services.notify.domain.policy import NoticeKind

log = get_logger(__name__)


def alert_recipients(active: list[Coordinator]) -> list[Coordinator]:
    """Active supervisors; with none (or before coordinators had roles), the on-call coordinators."""
    supervisors = [c for c in active if c.role == "supervisor"]
    return supervisors or [c for c in active if c.on_call]


def send_alert(
    uow: UnitOfWork, backend: EmailBackend, event: AlertRaisedV1, retries: int, actor: str
) -> dict:
    console = get_settings().public_base_url.rstrip("/") + "/console"
    notices = []
    with uow() as repo:
        lead = repo.lead(event.lead_id)
        about = repo.coordinator(event.coordinator_id)
        for person in alert_recipients(repo.active_coordinators()):
            view = NotificationView(
                kind=NoticeKind.alert,
                recipient_display_name=person.name,
                received_at=event.occurred_at,
                reference=lead.reference if lead else None,
                link=console,
                alert_code=event.kind,
                severity=event.severity,
                about_name=about.name if about else None,
            )
            key = NoticeKey(
                kind=NoticeKind.alert,
                recipient=person.email,
                subject_key=f"alert:{event.alert_id}",
                lead_id=lead.id if lead else None,
                coordinator_id=person.id,
                triggered_at=event.occurred_at,
            )
            notices.append(Notice(key=key, view=view, actor=actor))
    if not notices:
        log.error("alert_has_no_recipient", alert=event.kind, severity=event.severity)
    later: RetryLater | None = None
    for notice in notices:
        # One recipient's trouble must not stop the others: try everyone, then retry once.
        try:
            deliver(uow, backend, notice, retries)
        except RetryLater as exc:
            if later is None:
                later = exc
            else:
                later = RetryLater(
                    min(later.delay, exc.delay),
                    unlimited=later.unlimited or exc.unlimited,
                    reason=later.reason,
                )
    log.info("alert_sent", alert=event.kind, severity=event.severity, recipients=len(notices))
    if later is not None:
        raise later
    return {"recipients": len(notices)}
