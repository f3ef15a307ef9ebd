"""Routing tasks: classify, route, sweep stuck leads, fire SLA deadlines, check on-call coverage,
and hear from notify (a notice sent, a notice failed). The classifier is loaded by the workers
of the lanes that classify (careroute/workers.py), not by every worker."""

from services.routing.tasks.classify import classify_lead
from services.routing.tasks.deadlines import check_oncall_coverage, sweep_deadlines
from services.routing.tasks.notices import handle_notification_failure, record_notification_sent
from services.routing.tasks.pages import acknowledge_page
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
    "acknowledge_page",
]
