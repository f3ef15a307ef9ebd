"""Every table, grouped by the one service that writes it (`OWNER`).

Reads across owners are allowed (the stuck-lead sweeper joins `lead` to `lead_state`; the lead
view reads everything); writes are not: a service learns of another's change by an event.
`tests/contracts/test_table_owners.py` keeps this true. Platform tables are shared infrastructure
written through `shared/` code (the outbox, the audit trail, API keys) by anyone.
"""

from shared.enums import (
    OPEN_STATUSES,
    PIPELINE_STATUSES,
    TERMINAL_STATUSES,
    Channel,
    LeadStatus,
    NotificationStatus,
    Role,
    Urgency,
)
from shared.schema.console import CallAttempt, LeadNote
from shared.schema.fhir import FhirAttachment, FhirIdentifier, FhirReferral, FhirResource
from shared.schema.intake import Consent, IdempotencyRecord, Lead, LeadContact
from shared.schema.notify import DeliveryEvent, Notification, ReferralUpdate
from shared.schema.platform import (
    ApiKey,
    AuditEvent,
    BreakGlassGrant,
    Heartbeat,
    InboxClaim,
    LoginAttempt,
    OutboxEvent,
    StaffSession,
    StaffUser,
)
from shared.schema.routing import (
    Assignment,
    Classification,
    Coordinator,
    Escalation,
    LeadState,
    OncallLayer,
    OncallOverride,
    ReviewerCopy,
    RoutingAlert,
    RoutingRuleset,
    SlaDeadline,
)
from shared.schema.smart import SmartAssertionJti, SmartClient

PLATFORM = "platform"
OWNER: dict[str, str] = {
    "lead": "intake",
    "lead_contact": "intake",
    "idempotency_record": "intake",
    "fhir_referral": "intake",
    "fhir_resource": "intake",
    "fhir_identifier": "intake",
    "fhir_attachment": "intake",
    "consent": "intake",
    "lead_state": "routing",
    "classification": "routing",
    "coordinator": "routing",
    "assignment": "routing",
    "routing_ruleset": "routing",
    "oncall_layer": "routing",
    "oncall_override": "routing",
    "sla_deadline": "routing",
    "escalation": "routing",
    "reviewer_copy": "routing",
    "routing_alert": "routing",
    "lead_note": "console",
    "call_attempt": "console",
    "notification": "notify",
    "delivery_event": "notify",
    "referral_update": "notify",
    "outbox_event": PLATFORM,
    "inbox_claim": PLATFORM,
    "heartbeat": PLATFORM,
    "audit_event": PLATFORM,
    "api_key": PLATFORM,
    "staff_user": PLATFORM,
    "staff_session": PLATFORM,
    "login_attempt": PLATFORM,
    "break_glass_grant": PLATFORM,
    "smart_client": PLATFORM,
    "smart_assertion_jti": PLATFORM,
}

__all__ = [
    "OPEN_STATUSES",
    "OWNER",
    "PIPELINE_STATUSES",
    "PLATFORM",
    "TERMINAL_STATUSES",
    "ApiKey",
    "Assignment",
    "AuditEvent",
    "CallAttempt",
    "BreakGlassGrant",
    "Channel",
    "Classification",
    "Consent",
    "Coordinator",
    "DeliveryEvent",
    "Escalation",
    "FhirAttachment",
    "FhirIdentifier",
    "FhirReferral",
    "FhirResource",
    "Heartbeat",
    "IdempotencyRecord",
    "InboxClaim",
    "Lead",
    "LeadContact",
    "LeadNote",
    "LeadState",
    "LeadStatus",
    "LoginAttempt",
    "Notification",
    "NotificationStatus",
    "OncallLayer",
    "OncallOverride",
    "OutboxEvent",
    "ReferralUpdate",
    "ReviewerCopy",
    "Role",
    "RoutingAlert",
    "RoutingRuleset",
    "SlaDeadline",
    "SmartAssertionJti",
    "SmartClient",
    "StaffSession",
    "StaffUser",
    "Urgency",
]
