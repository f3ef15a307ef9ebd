"""The fifth blind set (tests/data/triage_blind5.jsonl): 163 cases (41 crisis, 40 urgent, 82
routine) written from TRIAGE_POLICY.md alone in styles the earlier rounds used little: formal
emails from relatives, texts forwarded by school counselors, pastors and employers writing, ER and
inpatient discharge summaries, PCP referral letters with problem lists, long voice-mail transcripts,
Mexican and Central American Spanish (jale, cipota, agüevado, lazo), mid-sentence code-switching,
older adults, postpartum, chronic pain with opioid questions, VA Community Care, first responders
and college students. Its first score (crisis recall 0.610) is in docs/triage.md; the misses were
then fixed with general rules, so it is no longer unseen. Safety gates are hard; the others leave a
margin below the current figures.
"""

from pathlib import Path

import pytest

from services.triage import get_classifier, screen_text_for_risk
from services.triage.scoring import load_cases
from services.triage.types import TriageInput
from tests.triage.test_blind3 import rule_reading

BLIND5 = Path(__file__).resolve().parents[1] / "data" / "triage_blind5.jsonl"


def test_blind5_is_large_and_varied():
    cases = load_cases(BLIND5)
    assert len(cases) >= 160
    assert {c["channel"] for c in cases} == {"web", "phone", "referral"}
    by_urgency = {u: sum(c["expected"]["urgency"] == u for c in cases) for u in ("crisis", "urgent", "routine")}
    assert by_urgency["crisis"] >= 40 and by_urgency["urgent"] >= 40 and by_urgency["routine"] >= 80
    flags = {f for c in cases for f in c["expected"]["flags"]}
    assert len(flags) == 10  # every flag appears
    conditions = {x for c in cases for x in c["expected"]["conditions"]}
    assert len(conditions) == 7  # every condition appears
    assert {c["expected"]["veteran"] for c in cases} == {True, False}


def _classify(text: str, channel: str = "web"):
    return get_classifier().classify(
        TriageInput(text=text, channel=channel, structured={"message_date": "2026-11-20"})
    )


# Wordings that are NOT in any data set: the rules must generalise, not memorise blind5.
@pytest.mark.parametrize(
    "text",
    [
        "My neighbor pulled her back from the railing on Friday. She has depression and still wants to die.",
        "Mi cuñado intentó ahorcarse hace dos semanas. Tiene depresión.",
        "La encontramos en el baño con un cinturón. Tiene ansiedad y depresión.",
        "He said he will overdose on his pain pills tonight. Chronic back pain, depressed.",
        "He keeps the rifle by the bed and he decided he will use it on his birthday. PTSD.",
        "pt says he is going to take out his ex's new boyfriend, has a knife in the car. Anxiety.",
        "I'm hiding in the bedroom, he said he's going to kill me. I have PTSD.",
        "My grandson, 15, swallowed like 40 of his Tylenol on Sunday. Depression.",
    ],
)
def test_new_crisis_wordings_are_crisis(text):
    assert _classify(text).urgency == "crisis"
    assert screen_text_for_risk(text)


@pytest.mark.parametrize(
    "text",
    [
        "My grandmother, 90, with depression, keeps praying that the Lord will take her home. No plan.",
        "Honestly I wish I could stop existing. Anxiety, no plan.",
        "Mi abuelo tiene depresión, dice que ojalá Dios ya se lo recoja. No tiene plan.",
        "Tengo depresión y quisiera ya no despertar, pero no haría nada.",
        "Depression. Some nights it feels like everyone would be better off if I just wasn't around.",
    ],
)
def test_new_passive_wordings_are_urgent(text):
    # the rule-based reading says urgent; the learned opinion may raise it (higher level wins)
    result = _classify(text)
    assert rule_reading(result) == "urgent"
    assert result.urgency in ("urgent", "crisis")


@pytest.mark.parametrize(
    "text",
    [
        "Me muero de ganas de conocer a la doctora. Tengo ansiedad y ya no salgo mucho.",
        "Ya no tengo depresión desde hace dos años, solo quiero información sobre la clínica.",
        "Suicide attempt in March 2025, none since, denies SI. MDD.",
        "I'm a nursing student writing a paper on esketamine in veterans. Any data?",
        "My uncle died by suicide last year. I have GAD and no thoughts of self-harm.",
    ],
)
def test_new_routine_traps_stay_routine(text):
    assert _classify(text).urgency == "routine"


@pytest.mark.parametrize(
    "text, minor",
    [
        ("Forwarding from a student (15): 'i feel so anxious all the time'", True),
        ("I'm writing about my son Mateo, 12, who has OCD.", True),
        ("Mi nieta de 14 tiene ansiedad.", True),
        ("Mi hija de 24 años tiene ansiedad.", False),
        ("Grad student (26) with ADHD looking for an evaluation.", False),
    ],
)
def test_minor_age_wordings(text, minor):
    assert ("minor" in _classify(text).flags) is minor


def test_request_path_screen_catches_blind5_text_only_crisis():
    missed = [
        c["id"] for c in load_cases(BLIND5)
        if c["expected"]["urgency"] == "crisis" and not c.get("cssrs") and not screen_text_for_risk(c["text"])
    ]
    assert missed == []
