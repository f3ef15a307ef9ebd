"""Prometheus metrics computed from the database at scrape time.

Several API and worker processes send and record notifications; in-process prometheus counters
would each see a slice (or need multiprocess mode's shared files). The database already holds
every notification's routed→accepted delay, so a custom collector reads the truth from it at each
scrape: any API process answers the same numbers, and a restart loses nothing. Histogram buckets
are cumulative counts (<= le) over all notifications ever accepted, so they only ever grow.
"""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import case, func, or_
from sqlmodel import col, select

from shared.db import unit_of_work
from shared.schema import DeliveryEvent, Lead, Notification

# Seconds from "lead routed" to "provider accepted": crisis ought to sit in the first few.
BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


def _not_canary_clause():
    """Leave out notices about canary leads (shared/canary.py); notices about no lead stay."""
    canary_ids = select(Lead.id).where(col(Lead.canary).is_(True))
    return or_(col(Notification.lead_id).is_(None), col(Notification.lead_id).not_in(canary_ids))


class NotifyCollector(Collector):
    def collect(self):
        accept = col(Notification.accept_seconds)
        with unit_of_work() as session:
            histogram_rows = session.exec(
                select(
                    Notification.kind,
                    Notification.urgency,
                    Notification.backend,
                    *[func.sum(case((accept <= bound, 1), else_=0)) for bound in BUCKETS],
                    func.count(),
                    func.sum(accept),
                )
                .where(accept.is_not(None), _not_canary_clause())
                .group_by(Notification.kind, Notification.urgency, Notification.backend)
            ).all()
            status_rows = session.exec(
                select(
                    Notification.kind,
                    Notification.status,
                    func.count(),
                    func.sum(Notification.ambiguous_attempts),
                    func.sum(Notification.attempts),
                )
                .where(_not_canary_clause())
                .group_by(Notification.kind, Notification.status)
            ).all()
            flag_rows = session.exec(
                select(
                    Notification.kind,
                    func.sum(case((col(Notification.overdue_at).is_not(None), 1), else_=0)),
                    func.sum(case((col(Notification.failure_reported_at).is_not(None), 1), else_=0)),
                )
                .where(_not_canary_clause())
                .group_by(Notification.kind)
            ).all()
            event_rows = session.exec(
                select(DeliveryEvent.event, func.count()).group_by(DeliveryEvent.event)
            ).all()

        histogram = HistogramMetricFamily(
            "careroute_notify_routed_to_accepted_seconds",
            "Delay from the event that asked for a notification (lead.routed's occurred_at for new leads) "
            "to the email provider accepting it, per notification",
            labels=["kind", "urgency", "backend"],
        )
        for kind, urgency, backend, *rest in histogram_rows:
            counts, total, total_sum = rest[:-2], rest[-2], rest[-1]
            buckets = [(str(bound), int(n or 0)) for bound, n in zip(BUCKETS, counts, strict=True)]
            buckets.append(("+Inf", int(total)))
            histogram.add_metric(
                [kind, urgency or "none", backend or "unknown"], buckets, float(total_sum or 0.0)
            )
        yield histogram

        notifications = GaugeMetricFamily(
            "careroute_notify_notifications", "Notifications by kind and status", labels=["kind", "status"]
        )
        ambiguous = CounterMetricFamily(
            "careroute_notify_ambiguous_attempts",
            "Sends whose outcome was unknown (accepted but the answer lost, or a worker died mid-send) "
            "and were sent again",
            labels=["kind"],
        )
        attempts = CounterMetricFamily("careroute_notify_send_attempts", "Send attempts", labels=["kind"])
        per_kind_ambiguous: dict[str, int] = {}
        per_kind_attempts: dict[str, int] = {}
        for kind, status, count, amb, att in status_rows:
            notifications.add_metric([kind, status], int(count))
            per_kind_ambiguous[kind] = per_kind_ambiguous.get(kind, 0) + int(amb or 0)
            per_kind_attempts[kind] = per_kind_attempts.get(kind, 0) + int(att or 0)
        for kind, value in sorted(per_kind_ambiguous.items()):
            ambiguous.add_metric([kind], value)
        for kind, value in sorted(per_kind_attempts.items()):
            attempts.add_metric([kind], value)
        yield notifications
        yield ambiguous
        yield attempts

        overdue = CounterMetricFamily(
            "careroute_notify_no_delivery_event",
            "Sent notifications that had no delivery event by their deadline",
            labels=["kind"],
        )
        reported = CounterMetricFamily(
            "careroute_notify_failures_reported",
            "Notifications reported to routing as failed (notification.failed)",
            labels=["kind"],
        )
        for kind, n_overdue, n_reported in flag_rows:
            overdue.add_metric([kind], int(n_overdue or 0))
            reported.add_metric([kind], int(n_reported or 0))
        yield overdue
        yield reported

        events = CounterMetricFamily(
            "careroute_notify_delivery_events", "SendGrid webhook events stored", labels=["event"]
        )
        for event, count in event_rows:
            events.add_metric([event], int(count))
        yield events


registry = CollectorRegistry(auto_describe=False)  # notify's figures alone (GET /metrics serves more)
registry.register(NotifyCollector())
