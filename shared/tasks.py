"""Task names and queues: services send tasks by name and never import each other."""

CLASSIFY_LEAD = "routing.classify_lead"
ROUTE_LEAD = "routing.route_lead"
SWEEP_STUCK_LEADS = "routing.sweep_stuck_leads"
SEND_NOTIFICATION = "notify.send_notification"

# The crisis lane has its own worker in production and is listed first everywhere, so a crisis
# never queues behind a backlog of routine leads.
CRISIS_QUEUE = "crisis"
ROUTING_QUEUE = "routing"
NOTIFY_QUEUE = "notify"
MAINTENANCE_QUEUE = "maintenance"
ALL_QUEUES = (CRISIS_QUEUE, ROUTING_QUEUE, NOTIFY_QUEUE, MAINTENANCE_QUEUE)
