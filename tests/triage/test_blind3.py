"""The third blind set (tests/data/triage_blind3.jsonl): 195 cases (53 crisis, 52 urgent, 90
routine) written from TRIAGE_POLICY.md alone, focused on urgency: methods and plans named without
the word suicide, preparation, rehearsals, interrupted attempts, third-party reports, passive
ideation in English and Spanish, and routine traps (denials, resolved history, idioms, OCD intrusive
thoughts, research questions). Its first score (crisis recall 0.40) is in docs/triage.md; the misses
were then fixed with general rules, so it is no longer unseen. Its gates are in test_labeled_sets.py;
this file keeps its balance checks and the wordings that appear in no set.
"""

from pathlib import Path

import pytest

from services.triage import get_classifier
from services.triage.scoring import load_cases
from services.triage.types import TriageInput

BLIND3 = Path(__file__).resolve().parents[1] / "data" / "triage_blind3.jsonl"


def test_blind3_is_large_and_varied():
    cases = load_cases(BLIND3)
    assert len(cases) >= 160
    assert {c["channel"] for c in cases} == {"web", "phone", "referral"}
    by_urgency = {u: sum(c["expected"]["urgency"] == u for c in cases) for u in ("crisis", "urgent", "routine")}
    assert by_urgency["crisis"] >= 45 and by_urgency["urgent"] >= 45 and by_urgency["routine"] >= 70
    assert sum(len(c["text"]) >= 500 for c in cases) >= 5


def rule_reading(result) -> str:
    """The higher of the rules' and the risk model's opinions, from the evidence."""
    levels = [e["level"] for e in result.evidence if e["label"].startswith(("opinion:rules:", "opinion:risk_model:"))]
    return max(levels, key=["routine", "urgent", "crisis"].index)


def _urgency(text: str, channel: str = "web") -> str:
    return get_classifier().classify(
        TriageInput(text=text, channel=channel, structured={"message_date": "2026-11-20"})
    ).urgency


# Wordings that are NOT in any data set: the rules must generalise, not memorise blind3.
@pytest.mark.parametrize(
    "text",
    [
        "I figured out how I'd do it. Depression, bad.",
        "I've been hoarding my Xanax for a month now.",
        "Last night he held the pistol to his head and his wife took it away. He has PTSD.",
        "Ella ya tiene todo planeado. Tiene depresión.",
        "I set a date. I'm not telling anyone when.",
        "My girlfriend keeps a handgun in the nightstand and I think about killing myself tonight.",
        "I sat on the ledge of the parking garage roof for an hour on Friday.",
        "She is threatening me with a knife right now.",
        "Pt reports OD on 11/2, medically cleared, denies SI now.",
        "Dear Dr. Lee, approximately six weeks prior to this letter he attempted suicide by hanging.",
    ],
)
def test_new_crisis_wordings_are_crisis(text):
    assert _urgency(text) == "crisis"


@pytest.mark.parametrize(
    "text",
    [
        "Honestly the world would be better without me. No plan.",
        "I wouldn't mind if I just didn't wake up. Not going to do anything.",
        "i dont see the point in living. anxiety",
        "Ojalá no despertara mañana. Tengo depresión.",
        "I scratched my legs until they bled last week, not suicidal.",
    ],
)
def test_new_passive_or_self_injury_wordings_are_urgent(text):
    assert _urgency(text) == "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "How many sessions would it take, and how much would it cost?",
        "I've been collecting my meds from the pharmacy every month, no issues.",
        "I said goodbye to my therapist when she retired. Depression.",
        "Tomorrow is the day I start my new job and my anxiety is high.",
        "I don't care if I die of embarrassment, I need to reschedule.",
        "I don't know how I'd do it without my wife. Anxiety.",
        "I have a plan through work. Do I have to give up my guns? No SI.",
        "I don't want to die, I want to get better. Depression.",
        "Me quiero morir de la vergüenza, falté a mi cita.",
        "I'm writing a paper on suicide prevention for my nursing class.",
    ],
)
def test_new_routine_traps_stay_routine(text):
    # The rule-based reading (rules and risk model) keeps these routine. The learned opinion may
    # still raise one (the higher level wins; it cannot read negation or purpose), and then says so.
    result = get_classifier().classify(TriageInput(text=text, channel="web", structured={"message_date": "2026-11-20"}))
    assert rule_reading(result) == "routine"
    if result.urgency != "routine":
        assert any(e["label"].startswith("opinion:learned:") and e["level"] == result.urgency for e in result.evidence)


@pytest.mark.parametrize(
    ("text", "urgency"),
    [
        ("I have enough pills saved up now.", "crisis"),
        ("I keep looking at the bridge on my way home and thinking I could just go over the side.", "crisis"),
        ("I went to the roof of my building last night to jump but I couldn't.", "crisis"),
        ("Mi hijo dice que se quiere morir y tiene una cuerda en su cuarto.", "crisis"),
        # a thought that names its method is crisis by the policy ("current suicidal thoughts together
        # with a method ... even when intent is denied"); the risk model reads it so (was "urgent")
        ("I sometimes think about driving my car into a wall. No plan.", "crisis"),
        ("I have my meds set aside in a pill box for the week.", "routine"),
        ("I went to the roof to fix the antenna.", "routine"),
    ],
)
def test_second_round_of_unseen_wordings(text, urgency):
    assert _urgency(text) == urgency


def test_request_path_screen_catches_every_text_only_crisis():
    """screen_text_for_risk (intake's synchronous screen) must see every crisis whose signal is
    in the text (structured-only C-SSRS answers are the full classifier's job)."""
    from services.triage import screen_text_for_risk

    data = Path(__file__).resolve().parents[1] / "data"
    missed = []
    for name in ("triage_corpus", "triage_holdout", "triage_blind2", "triage_blind3"):
        for case in load_cases(data / f"{name}.jsonl"):
            if case["expected"]["urgency"] != "crisis" or case.get("cssrs"):
                continue
            if not screen_text_for_risk(case["text"]):
                missed.append(case["id"])
    assert missed == []
