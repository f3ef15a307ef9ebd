"""Notify tasks: one email per notification row, sent at most once, through one guarded path."""

from services.notify.tasks.alert import send_alert
from services.notify.tasks.digest import send_daily_digests, send_digest
from services.notify.tasks.escalation import send_escalation
from services.notify.tasks.reconcile import reconcile_deliveries
from services.notify.tasks.referrer import notify_referrer
from services.notify.tasks.send import send_notification

__all__ = [
    "notify_referrer",
    "reconcile_deliveries",
    "send_alert",
    "send_daily_digests",
    "send_digest",
    "send_escalation",
    "send_notification",
]
