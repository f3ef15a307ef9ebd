"""Words for the codes the lead's forms send and the answers they come back with. The codes are
routing's (services/routing/domain/lifecycle.py, the API's contract); a test keeps these lists
equal to routing's, since the console may not import another service."""

from __future__ import annotations

REROUTE_WORDS = {
    "at_capacity": "I am at capacity",
    "out_of_office": "I am out of office",
    "specialty_mismatch": "Not my specialty",
    "language_mismatch": "Language needs another coordinator",
    "conflict_of_interest": "Conflict of interest",
    "other": "Other",
}
CANNOT_SERVE_WORDS = {
    "not_eligible_age": "Not eligible: age",
    "not_eligible_medical": "Not eligible: medical",
    "out_of_area": "Outside our area",
    "service_not_offered": "Service not offered",
    "insurance_not_accepted": "Insurance not accepted",
    "not_eligible_other": "Not eligible: other",
}
ALTERNATIVE_WORDS = {
    "988": "988 Suicide & Crisis Lifeline",
    "veterans_crisis_line": "Veterans Crisis Line",
    "primary_care": "Their primary care provider",
    "community_mental_health": "Community mental health center",
    "other_service": "Another service",
}
CLOSE_WORDS = {
    "first_visit_completed": "First visit completed",
    "no_response": "No response",
    "patient_withdrew": "The person withdrew",
    "duplicate": "Duplicate",
    "other": "Other",
}
STATUS_WORDS = {
    "received": "Received",
    "classified": "Classified",
    "manual_triage": "Needs manual triage",
    "waiting": "Waiting for a coordinator",
    "routed": "Routed",
    "notified": "Notified",
    "acknowledged": "Acknowledged",
    "contacted": "Contacted",
    "scheduled": "Scheduled",
    "not_eligible": "Not eligible",
    "closed": "Closed",
    "spam_review": "Spam review",
}
DONE_WORDS = {
    "acknowledge": "Acknowledged.",
    "claim": "Claimed: the lead is yours.",
    "decline": "Declined.",
    "reassign": "Reassigned.",
    "status": "Status changed.",
    "notes": "Note saved.",
    "calls": "Call attempt logged.",
    "crisis-check": "Recorded: the crisis check is decided.",
    "clinical-review": "Clinician review recorded.",
}
CONFIRM_WORDS = {
    "risk_confirmed_in_contact": "Risk confirmed in contact",
    "risk_confirmed_by_records": "Risk confirmed by records or the referrer",
    "could_not_reach": "Could not reach them: treat as a crisis",
    "other": "Other (say in the note)",
}
DOWNGRADE_WORDS = {
    "no_current_risk_in_contact": "Spoke with them: no current risk",
    "risk_is_historical": "The risk is in the past",
    "about_someone_else": "The words are about someone else",
    "figure_of_speech": "A figure of speech",
    "referrer_clarified": "The referrer clarified",
    "other": "Other (say in the note)",
}
REVIEW_WORDS = {"cleared": "Cleared", "needs_info": "Needs more information", "not_suitable": "Not suitable"}
NOT_SUITABLE_WORDS = {
    "label_contraindication": "A label contraindication",
    "warning_not_manageable": "A warning that cannot be managed here",
    "other": "Other (say in the note)",
}
PROBLEM_WORDS = {
    "body_refused": "Write the note first (at most 4000 characters).",
    "outcome_refused": "Choose how the call went.",
    "not_acknowledgeable": "This lead cannot be acknowledged in its current status.",
    "not_claimable": "This lead cannot be claimed in its current status.",
    "not_declinable": "This lead cannot be declined in its current status.",
    "not_reassignable": "This lead cannot be reassigned in its current status.",
    "bad_transition": "The lead cannot move to that status from where it is.",
    "unknown_status": "Choose a status.",
    "alternative_required": "Say which alternative the person was offered.",
    "unknown_reason": "Choose a reason.",
    "no_such_coordinator": "Choose an active coordinator.",
    "coordinator_required": "Choose who claims it.",
    "closed": "The lead is already closed.",
    "nobody_available": "Nobody else could take it now: the lead waits for the next coordinator.",
    "crisis_check_pending": "Confirm or downgrade this possible crisis first.",
    "crisis_check_decided": "This possible crisis was already decided.",
    "not_a_possible_crisis": "This lead is not a possible crisis.",
    "downgrade_refused": "A screener or the referrer's urgency does not allow that downgrade.",
    "validation_failed": "Fill in every field the form asks for.",
    "reason_required": "Say why it is not suitable.",
    "no_clinical_review": "This lead has nothing for a clinician to review.",
}
