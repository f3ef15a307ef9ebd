"""Spravato / ketamine label contraindications apart from warnings: English and Spanish, negation-
and family-aware, ICD-10 codes; the policy's flags score exactly as before; nothing rejects."""

from __future__ import annotations

import pytest

from services.triage import TriageInput, classify
from services.triage.eligibility import CONTRAINDICATIONS, WARNINGS, assess_eligibility


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("I had a brain aneurysm clipped in 2015, interested in Spravato", "aneurysmal_vascular_disease"),
        ("PMH: AAA under surveillance", "aneurysmal_vascular_disease"),
        ("Tengo un aneurisma cerebral y quiero esketamina", "aneurysmal_vascular_disease"),
        ("PMH: AVM resected 2019", "arteriovenous_malformation"),
        ("Tengo una malformación arteriovenosa", "arteriovenous_malformation"),
        ("she had a brain bleed in 2012", "intracerebral_hemorrhage"),
        ("history of hemorrhagic stroke", "intracerebral_hemorrhage"),
        ("Tuve un derrame cerebral hace 3 años", "intracerebral_hemorrhage"),
        ("allergic to ketamine - anaphylaxis in the ER", "hypersensitivity"),
        ("Soy alérgica a la ketamina", "hypersensitivity"),
        ("hypersensitivity to esketamine noted", "hypersensitivity"),
    ],
)
def test_label_contraindications_are_found(text, code):
    assert assess_eligibility(text).contraindications == [code]


@pytest.mark.parametrize(
    "text",
    [
        "No history of aneurysm. Want ketamine.",
        "Denies aneurysm, AVM or ICH.",
        "Niega aneurisma. Quiere esketamina.",
        "aneurysm: none",
        "Family history of aneurysm (mother).",
        "My father had a brain bleed years ago",
        "Antecedentes familiares de aneurisma",
        "allergic to penicillin, interested in ketamine",
        "Mi mamá tiene depresión",  # "Mi" is Spanish, not a myocardial infarction
    ],
)
def test_negated_family_and_unrelated_mentions_are_not_contraindications(text):
    assert assess_eligibility(text) == assess_eligibility("")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("BP 182/110 today, uncontrolled hypertension", "uncontrolled_hypertension"),
        ("blood pressure still high despite three medications", "uncontrolled_hypertension"),
        ("hipertensión descontrolada", "uncontrolled_hypertension"),
        ("heart attack 6 weeks ago", "recent_myocardial_infarction"),
        ("tuve un infarto hace 2 meses", "recent_myocardial_infarction"),
        ("had a stroke last month", "recent_stroke"),
        ("had a stroke in 2009, fully recovered", "stroke_history"),
        ("congestive heart failure, on lasix", "heart_disease"),
        ("tiene insuficiencia cardíaca", "heart_disease"),
    ],
)
def test_warnings_are_kept_apart_from_contraindications(text, code):
    found = assess_eligibility(text)
    assert found.warnings == [code] and found.contraindications == []


def test_well_controlled_hypertension_is_nothing():
    assert assess_eligibility("hypertension well controlled on lisinopril").warnings == []


def test_a_negation_ends_at_the_next_assertion():
    assert assess_eligibility("no aneurysm, had a stroke last month").warnings == ["recent_stroke"]
    assert assess_eligibility("No aneurysm but an AVM found in 2020").contraindications == [
        "arteriovenous_malformation"
    ]


def test_icd10_codes_and_the_classifiers_flags():
    found = assess_eligibility("", ["I67.1", "Q28.2", "I61.9", "I10", "Z33.1", "F20.9"], ["pregnant"])
    assert found.contraindications == [
        "aneurysmal_vascular_disease",
        "arteriovenous_malformation",
        "intracerebral_hemorrhage",
    ]
    assert found.warnings == ["pregnancy", "psychosis_history"]  # I10 (hypertension) alone is nothing
    assert set(found.contraindications) <= set(CONTRAINDICATIONS) and set(found.warnings) <= set(WARNINGS)


def test_the_classifier_reports_both_and_its_flags_and_urgency_do_not_change():
    text = (
        "Depression for years, failed Zoloft and Lexapro. I had a brain aneurysm clipped in 2015. Spravato?"
    )
    result = classify(TriageInput(text, "web", {"message_date": "2026-11-15"}))
    assert result.contraindications == ["aneurysmal_vascular_disease"] and result.warnings == []
    assert "cardiovascular_risk" in result.flags  # the policy flag, scored as before
    assert result.urgency == "routine" and result.possible_crisis is False
    assert "contraindications" not in result.to_dict()  # the labeled row's shape is unchanged
    referral = classify(
        TriageInput(
            "MDD, recurrent (F33.2). Requesting Spravato.", "referral", {"icd10_codes": ["F33.2", "I61.9"]}
        )
    )
    assert referral.contraindications == ["intracerebral_hemorrhage"]


def test_the_quick_first_pass_never_hides_a_mention():
    """`_ANY` only skips texts the full patterns would not match (checked on every labeled case)."""
    import json
    from pathlib import Path

    from services.triage.eligibility import _ANY, _TERM_RX

    data = Path(__file__).resolve().parents[1] / "data"
    texts = [json.loads(line)["text"] for path in sorted(data.glob("*.jsonl")) for line in path.open()]
    matched = [t for t in texts if _TERM_RX.search(t)]
    assert matched and all(_ANY.search(t) for t in matched)
