"""Routing tasks: classify, route, sweep stuck leads, fire SLA deadlines, check on-call coverage,
and move the escalation ladder on when a notification fails."""

from services.routing.tasks.classify import classify_lead
from services.routing.tasks.deadlines import check_oncall_coverage, sweep_deadlines
from services.routing.tasks.failures import handle_notification_failure
from services.routing.tasks.route import route_lead
from services.routing.tasks.sweep import sweep_stuck_leads

__all__ = ["classify_lead", "route_lead", "sweep_stuck_leads", "sweep_deadlines", "check_oncall_coverage",
           "handle_notification_failure"]
