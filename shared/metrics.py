"""The pipeline's Prometheus figures, collected at scrape time from the database and the broker.

GET /metrics (services/notify/api/metrics.py) serves these with notify's delivery figures and the
process's edge counters from one registry. Nothing here is a per-process counter, so any API
process answers the same numbers (no multiprocess files to share). No PHI: labels are codes.
"""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlmodel import col, func, select

from shared import tasks
from shared.canary import canary_status
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.readmodel.pipeline_metrics import BUCKETS, pipeline_figures
from shared.schema import OutboxEvent
from shared.settings import get_settings


def queue_depths() -> dict[str, int | None]:
    """Messages waiting in each lane's queue (None: the broker did not answer)."""
    from shared.celery import get_celery

    depths: dict[str, int | None] = {}
    try:
        with get_celery().connection_for_read() as conn:
            channel = conn.default_channel
            for queue in tasks.ALL_QUEUES:
                # kombu's virtual transports (Redis, filesystem) count a queue with `_size`; a
                # passive queue_declare misses Redis keys behind a global_keyprefix.
                depths[queue] = int(channel._size(queue))
    except Exception:
        return dict.fromkeys(tasks.ALL_QUEUES)
    return depths


class PipelineCollector(Collector):
    def collect(self):
        with unit_of_work() as session:
            figures = pipeline_figures(session)
            outbox_pending = session.exec(
                select(func.count()).select_from(OutboxEvent).where(col(OutboxEvent.published_at).is_(None))
            ).one()
            now = utcnow()
            canary = canary_status(session, now, get_settings())

        received = CounterMetricFamily(
            "careroute_leads_received",
            "Leads taken in, by channel and urgency",
            labels=["channel", "urgency"],
        )
        for (channel, urgency), n in sorted(figures.received.items()):
            received.add_metric([channel, urgency], n)
        yield received

        spam = CounterMetricFamily(
            "careroute_leads_spam_flagged",
            "Public-form leads held for spam review, by reason",
            labels=["reason"],
        )
        for reason, n in sorted(figures.spam.items()):
            spam.add_metric([reason], n)
        yield spam

        stages = HistogramMetricFamily(
            "careroute_lead_stage_seconds",
            "Seconds each lead spent between two stages (received, classified, routed, email accepted, "
            "acknowledged, contacted), from stored timestamps",
            labels=["stage", "urgency"],
        )
        for h in figures.stages:
            buckets = [(str(b), n) for b, n in zip(BUCKETS, h.buckets, strict=True)] + [("+Inf", h.total)]
            stages.add_metric([h.stage, h.urgency], buckets, h.sum_seconds)
        yield stages

        oldest = GaugeMetricFamily(
            "careroute_oldest_unnotified_lead_seconds",
            "Age of the oldest lead not yet notified to a coordinator (0 when none waits)",
            labels=["urgency"],
        )
        for urgency in ("crisis", "urgent", "routine", "none"):
            oldest.add_metric([urgency], round(figures.oldest_unnotified_seconds.get(urgency, 0.0), 1))
        yield oldest

        sla = CounterMetricFamily(
            "careroute_sla_deadlines",
            "SLA deadlines decided: met (cancelled in time) or missed (fired)",
            labels=["kind", "urgency", "outcome"],
        )
        for (kind, urgency, outcome), n in sorted(figures.sla.items()):
            sla.add_metric([kind, urgency, outcome], n)
        yield sla

        escalations = CounterMetricFamily(
            "careroute_escalations", "Escalation steps taken", labels=["kind", "role", "cause"]
        )
        for (kind, role, cause), n in sorted(figures.escalations.items()):
            escalations.add_metric([kind, role, cause], n)
        yield escalations

        depth = GaugeMetricFamily(
            "careroute_queue_depth", "Tasks waiting in each lane's broker queue", labels=["queue"]
        )
        up = GaugeMetricFamily("careroute_broker_up", "1 when the broker answered this scrape")
        depths = queue_depths()
        for queue, n in depths.items():
            if n is not None:
                depth.add_metric([queue], n)
        up.add_metric([], 0 if any(n is None for n in depths.values()) else 1)
        yield depth
        yield up

        yield GaugeMetricFamily(
            "careroute_outbox_pending", "Outbox events not yet published to the broker", value=outbox_pending
        )
        if canary.enabled:
            yield GaugeMetricFamily(
                "careroute_canary_ok",
                "1 when the latest due canary lead reached the canary sink in time (shared/canary.py)",
                value=1 if canary.ok else 0,
            )
            age = GaugeMetricFamily(
                "careroute_canary_last_delivered_age_seconds",
                "Seconds since the email provider last accepted a canary email",
            )
            if canary.last_delivered_at is not None:
                age.add_metric([], round((now - canary.last_delivered_at).total_seconds(), 1))
            yield age
            trip = GaugeMetricFamily(
                "careroute_canary_round_trip_seconds",
                "The latest delivered canary: created by beat -> accepted by the email provider",
            )
            if canary.last_round_trip_seconds is not None:
                trip.add_metric([], round(canary.last_round_trip_seconds, 2))
            yield trip
