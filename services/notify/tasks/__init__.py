"""Notify tasks: one email per notification row, sent at most once."""

from services.notify.tasks.send import send_notification

__all__ = ["send_notification"]
