"""Notify tasks: parse the event, call app/ (one guarded send path), retry the one way."""

from services.notify.tasks.digest import send_daily_digests, send_digest
from services.notify.tasks.notices import notify_referrer, send_alert, send_escalation, send_notification
from services.notify.tasks.reconcile import reconcile_deliveries

__all__ = [
    "notify_referrer",
    "reconcile_deliveries",
    "send_alert",
    "send_daily_digests",
    "send_digest",
    "send_escalation",
    "send_notification",
]
