"""Task names, queues and worker lanes: services send tasks by name and never import each other."""

CLASSIFY_LEAD = "routing.classify_lead"
ROUTE_LEAD = "routing.route_lead"
SWEEP_STUCK_LEADS = "routing.sweep_stuck_leads"
SWEEP_DEADLINES = "routing.sweep_deadlines"  # SLA timers and waiting leads (rows, swept)
CHECK_ONCALL_COVERAGE = "routing.check_oncall_coverage"  # no gap in the next 14 days
SEND_NOTIFICATION = "notify.send_notification"
HANDLE_NOTIFICATION_FAILURE = "routing.handle_notification_failure"
RECORD_NOTIFICATION_SENT = "routing.record_notification_sent"  # routed → notified
SEND_ESCALATION = "notify.send_escalation"
SEND_ALERT = "notify.send_alert"
SEND_CRISIS_CHECK = "notify.send_crisis_check"  # a possible crisis confirmed / downgraded: tell who was paged
NOTIFY_REFERRER = "notify.notify_referrer"
SEND_DAILY_DIGESTS = "notify.send_daily_digests"  # beat: finds coordinators whose digest is due
SEND_DIGEST = "notify.send_digest"  # one coordinator's digest
ACKNOWLEDGE_PAGE = "routing.acknowledge_page"  # an SMS reply with a page's code
RECONCILE_DELIVERIES = "notify.reconcile_deliveries"  # beat: sent but never delivered; crisis alarms

# One queue per pipeline stage, so no stage waits for an earlier one to drain (a worker reading
# several queues in strict priority runs a later one only when the earlier ones are empty, which
# under a burst is never). Every crisis task of every stage takes the crisis lane instead.
CRISIS_QUEUE = "crisis"
CLASSIFY_QUEUE = "classify"
ROUTE_QUEUE = "route"  # routing decisions and notify's answers (sent / failed)
NOTIFY_QUEUE = "notify"
MAINTENANCE_QUEUE = "maintenance"  # beat's sweeps: stuck leads, deadlines, reconciler, digests, coverage
ROUTING_QUEUE = ROUTE_QUEUE  # the pre-lanes name of the constant (the queue itself was "routing")

# The order a worker reading several lanes polls them: crisis first always, then the pipeline from
# its END (maintenance is periodic and small), so work already started finishes before new work
# begins and a backlog waits at the entrance, not between stages.
ALL_QUEUES = (CRISIS_QUEUE, MAINTENANCE_QUEUE, NOTIFY_QUEUE, ROUTE_QUEUE, CLASSIFY_QUEUE)

# Where each task goes when its sender names no queue (events name theirs: crisis or this).
TASK_LANES = {
    CLASSIFY_LEAD: CLASSIFY_QUEUE,
    ROUTE_LEAD: ROUTE_QUEUE,
    HANDLE_NOTIFICATION_FAILURE: ROUTE_QUEUE,
    RECORD_NOTIFICATION_SENT: ROUTE_QUEUE,
    ACKNOWLEDGE_PAGE: ROUTE_QUEUE,
    SEND_NOTIFICATION: NOTIFY_QUEUE,
    SEND_ESCALATION: NOTIFY_QUEUE,
    SEND_ALERT: NOTIFY_QUEUE,
    SEND_CRISIS_CHECK: NOTIFY_QUEUE,
    NOTIFY_REFERRER: NOTIFY_QUEUE,
    SEND_DIGEST: NOTIFY_QUEUE,
    SWEEP_STUCK_LEADS: MAINTENANCE_QUEUE,
    SWEEP_DEADLINES: MAINTENANCE_QUEUE,
    CHECK_ONCALL_COVERAGE: MAINTENANCE_QUEUE,
    RECONCILE_DELIVERIES: MAINTENANCE_QUEUE,
    SEND_DAILY_DIGESTS: MAINTENANCE_QUEUE,
}

# The lanes whose tasks run the triage classifier (spaCy + the rules): only their workers load it.
CLASSIFIER_QUEUES = frozenset({CRISIS_QUEUE, CLASSIFY_QUEUE})


def lane_queues(lanes: str) -> list[str]:
    """`crisis`, `route,notify` or `all` -> the queues, in ALL_QUEUES order; unknown names raise."""
    names = [part.strip() for part in lanes.split(",") if part.strip()]
    if names == ["all"]:
        return list(ALL_QUEUES)
    unknown = [n for n in names if n not in ALL_QUEUES]
    if unknown or not names:
        raise ValueError(f"unknown lane(s) {unknown or lanes!r}; choose from: all, {', '.join(ALL_QUEUES)}")
    return [q for q in ALL_QUEUES if q in names]
