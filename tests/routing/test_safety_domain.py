"""When a lead is a possible crisis, and how far a person may downgrade it (pure)."""

from __future__ import annotations

from services.routing.domain.safety import downgrade_refusal, possible_crisis_reasons, review_reasons

DISCOUNTED = [{"label": "risk_discounted", "source": "rule", "note": "negated"}]
PHQ9_URGENT = [{"label": "urgency:urgent", "source": "structured", "field": "phq9_item9"}]
CSSRS_CRISIS = [{"label": "urgency:crisis", "source": "structured", "field": "cssrs.q4"}]
TEXT_URGENT = [{"label": "urgency:urgent", "source": "rule", "rule": "risk.si"}]


def test_the_classifiers_own_disagreement_always_counts():
    assert possible_crisis_reasons("crisis", True, False, []) == ["classifier_disagreement"]
    assert possible_crisis_reasons("routine", True, False, []) == ["classifier_disagreement"]


def test_screen_risk_counts_only_when_the_classifier_read_no_risk_at_all():
    assert possible_crisis_reasons("routine", False, True, []) == ["screen_disagreement"]
    assert possible_crisis_reasons("routine", False, True, DISCOUNTED) == []  # "denies SI": explained
    assert possible_crisis_reasons("urgent", False, True, TEXT_URGENT) == []  # read, and rated
    assert possible_crisis_reasons("crisis", False, True, []) == []  # already a crisis
    assert possible_crisis_reasons("routine", False, False, []) == []


def test_a_screener_above_the_text_is_a_possible_crisis_but_a_screener_crisis_is_simply_a_crisis():
    assert possible_crisis_reasons("urgent", False, False, PHQ9_URGENT) == ["structured_disagreement"]
    assert possible_crisis_reasons("urgent", False, False, PHQ9_URGENT + TEXT_URGENT) == []
    assert possible_crisis_reasons("crisis", False, False, CSSRS_CRISIS) == []


def test_a_downgrade_goes_to_urgent_or_routine_and_never_below_a_screener():
    assert downgrade_refusal("routine", []) is None
    assert downgrade_refusal("urgent", PHQ9_URGENT) is None
    assert "urgent" in downgrade_refusal("routine", PHQ9_URGENT)
    assert downgrade_refusal("crisis", []) is not None


def test_review_reasons_are_codes():
    assert review_reasons(["hypersensitivity"], ["pregnancy"]) == (
        "contraindication:hypersensitivity",
        "warning:pregnancy",
    )
