"""The codes every service shares: stored as short strings (a new status needs no migration) and
carried in events. StrEnum, so a member is its value wherever a string is expected."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    web = "web"
    phone = "phone"
    referral = "referral"


class LeadStatus(StrEnum):
    received = "received"
    classified = "classified"
    manual_triage = "manual_triage"  # the classifier kept failing: a person triages it, as urgent
    waiting = "waiting"  # nobody eligible now: routine waits for the next coordinator on shift
    routed = "routed"
    notified = "notified"
    acknowledged = "acknowledged"
    contacted = "contacted"
    scheduled = "scheduled"
    not_eligible = "not_eligible"
    closed = "closed"
    # A public-form submission that tripped the spam defence (honeypot, filled too fast): stored,
    # classified (a crisis is routed regardless), but neither routed nor emailed until reviewed.
    spam_review = "spam_review"


# Statuses where the pipeline still owes the lead a step; the sweeper watches these.
PIPELINE_STATUSES = (
    LeadStatus.received,
    LeadStatus.classified,
    LeadStatus.manual_triage,
    LeadStatus.routed,
)
# Leads a coordinator holds and still has to act on.
OPEN_STATUSES = (LeadStatus.routed, LeadStatus.notified, LeadStatus.acknowledged, LeadStatus.contacted)
TERMINAL_STATUSES = (LeadStatus.scheduled, LeadStatus.not_eligible, LeadStatus.closed)


class Urgency(StrEnum):
    crisis = "crisis"
    urgent = "urgent"
    routine = "routine"


class CrisisCheck(StrEnum):
    """A "possible crisis — confirm" lead: on the crisis lane until a person decides."""

    pending = "pending"
    confirmed = "confirmed"
    downgraded = "downgraded"


class ClinicalReview(StrEnum):
    """A lead with label contraindications or warnings waits for a clinician's look (never rejected)."""

    pending = "pending"
    cleared = "cleared"
    not_suitable = "not_suitable"
    needs_info = "needs_info"


class Role(StrEnum):
    provider = "provider"
    call_center = "call_center"
    coordinator = "coordinator"
    supervisor = "supervisor"
    admin = "admin"


class NotificationStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    bounced = "bounced"
    failed = "failed"
