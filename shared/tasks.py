"""Task names and queues: services send tasks by name and never import each other."""

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
RECONCILE_DELIVERIES = "notify.reconcile_deliveries"  # beat: sent but never delivered; crisis alarms

# The crisis lane has its own worker in production and is listed first everywhere, so a crisis
# never queues behind a backlog of routine leads.
CRISIS_QUEUE = "crisis"
ROUTING_QUEUE = "routing"
NOTIFY_QUEUE = "notify"
MAINTENANCE_QUEUE = "maintenance"
ALL_QUEUES = (CRISIS_QUEUE, ROUTING_QUEUE, NOTIFY_QUEUE, MAINTENANCE_QUEUE)
