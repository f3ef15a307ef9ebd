"""The triage safety net: when is a lead a "possible crisis — confirm", how far a person may
downgrade it, and what a clinician's review may decide. Pure: codes in, codes out.

A lead is a possible crisis when
- the classifier says its two opinions (rules, learned model) disagree about crisis
  (`possible_crisis` on its result), or
- intake's request-path screen saw risk words that the classifier did not account for: it raised
  nothing from the text and discounted nothing (negated, historical, someone else's…), so the
  words the screen saw meant nothing to it — an unexplained disagreement. (The screen fires on any
  risk word in any context by design: on the labeled sets in tests/data about a third of all leads
  trip it and are then rightly classified lower with their reasons; sending all of those to the
  crisis lane would page on-call for a third of all leads. Unexplained ones are ~4%.), or
- a structured screener or the provider's stated urgency is higher than the text's own reading
  (the screener raised the urgency to urgent while the text alone read routine). When a screener
  alone makes it a crisis (C-SSRS items 4/5), it *is* a crisis by policy: nothing to confirm.

Such a lead is never routine: it rides the crisis lane (queue, SLA, pages, ladder) until a
coordinator or supervisor confirms it (a crisis) or downgrades it (urgent or routine) with a reason.
Structured screeners and the provider's urgency only ever raise: a downgrade never goes below them.
"""

from __future__ import annotations

from enum import StrEnum

URGENCY_RANK = {"routine": 0, "urgent": 1, "crisis": 2}


class PossibleCrisisReason(StrEnum):
    classifier_disagreement = "classifier_disagreement"  # rules and learned model disagree
    screen_disagreement = "screen_disagreement"  # intake's screen saw risk the classifier did not read
    structured_disagreement = "structured_disagreement"  # a screener / provider urgency above the text


class ConfirmReason(StrEnum):
    risk_confirmed_in_contact = "risk_confirmed_in_contact"
    risk_confirmed_by_records = "risk_confirmed_by_records"
    could_not_reach = "could_not_reach"  # unsure: treat as a crisis
    other = "other"


class DowngradeReason(StrEnum):
    no_current_risk_in_contact = "no_current_risk_in_contact"
    risk_is_historical = "risk_is_historical"
    about_someone_else = "about_someone_else"
    figure_of_speech = "figure_of_speech"
    referrer_clarified = "referrer_clarified"
    other = "other"


class ReviewDecision(StrEnum):
    cleared = "cleared"
    not_suitable = "not_suitable"
    needs_info = "needs_info"


class NotSuitableReason(StrEnum):
    label_contraindication = "label_contraindication"
    warning_not_manageable = "warning_not_manageable"
    other = "other"


def _rank(label: str) -> int:
    return URGENCY_RANK.get(label.split(":", 1)[1], -1) if label.startswith("urgency:") else -1


def structured_floor(evidence: list[dict]) -> str | None:
    """The highest urgency a structured screener or provider field raised the lead to."""
    ranks = [_rank(e.get("label", "")) for e in evidence if e.get("source") == "structured"]
    best = max(ranks, default=-1)
    return next((u for u, r in URGENCY_RANK.items() if r == best), None)


def _text_rank(evidence: list[dict]) -> int:
    return max((_rank(e.get("label", "")) for e in evidence if e.get("source") != "structured"), default=0)


def _risk_read(evidence: list[dict]) -> bool:
    """Did the classifier read any risk in the text, raised or discounted?"""
    return any(
        (_rank(e.get("label", "")) >= 0 and e.get("source") != "structured")
        or e.get("label") == "risk_discounted"
        for e in evidence
    )


def possible_crisis_reasons(
    urgency: str, classifier_flag: bool, screen_flag: bool, evidence: list[dict]
) -> list[str]:
    reasons = []
    if classifier_flag:
        reasons.append(PossibleCrisisReason.classifier_disagreement.value)
    if screen_flag and urgency != "crisis" and not _risk_read(evidence):
        reasons.append(PossibleCrisisReason.screen_disagreement.value)
    floor = structured_floor(evidence)
    if urgency != "crisis" and floor is not None and URGENCY_RANK[floor] > _text_rank(evidence):
        reasons.append(PossibleCrisisReason.structured_disagreement.value)
    return reasons


def downgrade_refusal(to_urgency: str, evidence: list[dict]) -> str | None:
    """Why a downgrade to `to_urgency` is not allowed (None: it is)."""
    if to_urgency not in ("urgent", "routine"):
        return "A possible crisis is downgraded to urgent or routine"
    floor = structured_floor(evidence)
    if floor is not None and URGENCY_RANK[to_urgency] < URGENCY_RANK[floor]:
        return f"A screener or the referrer's stated urgency puts this lead at {floor} at least"
    return None


def review_reasons(contraindications: list[str], warnings: list[str]) -> tuple[str, ...]:
    """What a clinical reviewer is copied for, as codes (`ReviewerCopy.flags`)."""
    return tuple([f"contraindication:{c}" for c in contraindications] + [f"warning:{w}" for w in warnings])
