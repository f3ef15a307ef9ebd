"""Routing tasks: classify, route, sweep stuck leads, fire SLA deadlines, check on-call coverage,
and hear from notify (a notice sent, a notice failed)."""

from celery import signals

from services.routing.tasks.classify import classify_lead
from services.routing.tasks.deadlines import check_oncall_coverage, sweep_deadlines
from services.routing.tasks.notices import handle_notification_failure, record_notification_sent
from services.routing.tasks.route import route_lead
from services.routing.tasks.sweep import sweep_stuck_leads

__all__ = [
    "classify_lead",
    "route_lead",
    "sweep_stuck_leads",
    "sweep_deadlines",
    "check_oncall_coverage",
    "handle_notification_failure",
    "record_notification_sent",
]


@signals.worker_process_init.connect
def _load_classifier(**_kwargs) -> None:
    """Load the triage rules and NLP pipeline when a worker process starts, not on a patient's
    first lead (~2 s)."""
    from services.triage import get_classifier

    get_classifier()
