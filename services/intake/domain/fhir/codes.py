"""Code systems and the small maps from FHIR codes to what intake and triage read."""

from __future__ import annotations

import re

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
NPI = "http://hl7.org/fhir/sid/us-npi"
BCP47 = "urn:ietf:bcp:47"
SOPT = "urn:oid:2.16.840.1.113883.3.221.5"  # Source of Payment Typology (Coverage.type)
VETERAN_STATUS_EXT = (
    "http://hl7.org/fhir/us/military-service/StructureDefinition/military-service-veteran-status"
)
CAREROUTE = "https://careroute.dev/fhir"
CSSRS_SYSTEM = f"{CAREROUTE}/CodeSystem/cssrs-screener"
TREATMENT_SYSTEM = f"{CAREROUTE}/CodeSystem/requested-treatment"
REASON_SYSTEM = f"{CAREROUTE}/CodeSystem/referral-status-reason"
ALTERNATIVE_SYSTEM = f"{CAREROUTE}/CodeSystem/referral-alternative"
REFERENCE_SYSTEM = f"{CAREROUTE}/sid/referral-reference"

ICD10_PATTERN = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")
SNOMED_PATTERN = re.compile(r"^[1-9][0-9]{5,17}$")


def normalize_icd10(code: str) -> str | None:
    """ICD-10-CM as triage reads it (`F33.2`); EHRs also send it without the dot (`F332`)."""
    code = code.strip().upper()
    if len(code) > 3 and "." not in code:
        code = f"{code[:3]}.{code[3:]}"
    return code if ICD10_PATTERN.match(code) else None


# SNOMED CT concepts that matter to the clinic's conditions and flags, as the ICD-10-CM code
# triage already understands. Any other valid SNOMED code is kept (details.snomed_codes) but
# does not change the classification.
SNOMED_TO_ICD10 = {
    "35489007": "F32.A",  # Depressive disorder
    "370143000": "F32.9",  # Major depressive disorder
    "36923009": "F32.9",  # Major depression, single episode
    "66344007": "F33.9",  # Recurrent major depression
    "47505003": "F43.10",  # Posttraumatic stress disorder
    "197480006": "F41.9",  # Anxiety disorder
    "21897009": "F41.1",  # Generalized anxiety disorder
    "191736004": "F42.9",  # Obsessive-compulsive disorder
    "13746004": "F31.9",  # Bipolar disorder
    "58214004": "F20.9",  # Schizophrenia
    "69322001": "F29",  # Psychotic disorder
    "82423001": "G89.29",  # Chronic pain
    "6471006": "R45.851",  # Suicidal thoughts
    "77386006": "Z33.1",  # Patient currently pregnant
}

# Screeners by LOINC: (details key, lowest, highest).
LOINC_SCORES = {
    "44261-6": ("phq9_total", 0, 27),  # PHQ-9 total score
    "44260-8": ("phq9_item9", 0, 3),  # PHQ-9 item 9: thoughts better off dead or of self-harm
    "70274-6": ("gad7_total", 0, 21),  # GAD-7 total score
    "101698-9": ("pcl5_total", 0, 80),  # PTSD PCL-5 score
}
# LOINC answer codes for PHQ-9 items (LL358-3): an item 9 sent as a coded answer.
PHQ_ANSWERS = {"LA6568-5": 0, "LA6569-3": 1, "LA6570-1": 2, "LA6571-9": 3}
# LOINC yes/no answers (and SNOMED's) for C-SSRS items sent as codes.
YES_CODES = {"LA33-6", "373066001", "Y", "yes", "true"}
NO_CODES = {"LA32-8", "373067005", "N", "no", "false"}
# C-SSRS screener items: CareRoute's code system (the six screener questions and the overall
# result); their LOINC codes were not confirmed offline, so they are not guessed.
CSSRS_ITEMS = ("wish_dead", "active_thoughts", "method", "intent", "plan", "behavior_3_months", "positive")

# ServiceRequest.priority → the referral's requested urgency. It only ever raises triage urgency.
PRIORITY_TO_URGENCY = {"routine": "routine", "urgent": "urgent", "asap": "urgent", "stat": "urgent"}

TREATMENTS = ("spravato", "ketamine_infusion", "either", "unsure")

# Task statuses, in the order a referral moves through them; the later of two wins (a late
# "in-progress" never hides "completed").
TASK_PROGRESS = ("requested", "received", "accepted", "in-progress", "rejected", "completed")
TASK_STATUSES = (
    "draft",
    "requested",
    "received",
    "accepted",
    "rejected",
    "ready",
    "cancelled",
    "in-progress",
    "on-hold",
    "failed",
    "completed",
    "entered-in-error",
)

# The sentences a referrer reads beside a reason code (codes come from routing's lifecycle).
REASON_DISPLAY = {
    "not_eligible_age": "Not eligible: age",
    "not_eligible_medical": "Not eligible: medical",
    "out_of_area": "Outside the clinic's service area",
    "service_not_offered": "Service not offered",
    "insurance_not_accepted": "Insurance not accepted",
    "not_eligible_other": "Not eligible",
    "scheduled": "First visit scheduled",
    "first_visit_completed": "First visit completed",
}
ALTERNATIVE_DISPLAY = {
    "988": "988 Suicide & Crisis Lifeline",
    "veterans_crisis_line": "Veterans Crisis Line",
    "primary_care": "Primary care",
    "other_service": "Another service",
    "community_mental_health": "Community mental health",
}
