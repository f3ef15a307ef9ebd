"""The fourth blind set (tests/data/triage_blind4.jsonl): 180 cases (46 crisis, 46 urgent, 88
routine) written from TRIAGE_POLICY.md alone in a deliberately different style: referral letters
with headers, med lists, vitals and screener lines; call notes in dense shorthand (pt, c/o, SI/HI,
AVH, EtOH, IVDU, OIF/OEF, ANG, USAR, VA CCN); Spanish and Spanglish messages; teen slang ("kms",
"unalive", "ngl", "fr"); voice-to-text without punctuation; third parties and several people in one
message. Its first score (crisis recall 0.565) is in docs/triage.md; the misses were then fixed with
general rules, so it is no longer unseen. Its gates are in test_labeled_sets.py; this file keeps
its balance checks and the wordings that appear in no set.
"""

from pathlib import Path

import pytest

from services.triage import get_classifier
from services.triage.scoring import load_cases
from services.triage.types import TriageInput

BLIND4 = Path(__file__).resolve().parents[1] / "data" / "triage_blind4.jsonl"


def test_blind4_is_large_and_varied():
    cases = load_cases(BLIND4)
    assert len(cases) >= 170
    assert {c["channel"] for c in cases} == {"web", "phone", "referral"}
    by_urgency = {
        u: sum(c["expected"]["urgency"] == u for c in cases) for u in ("crisis", "urgent", "routine")
    }
    assert by_urgency["crisis"] >= 45 and by_urgency["urgent"] >= 45 and by_urgency["routine"] >= 80
    flags = {f for c in cases for f in c["expected"]["flags"]}
    assert len(flags) == 10  # every flag appears


def _classify(text: str, channel: str = "web"):
    return get_classifier().classify(
        TriageInput(text=text, channel=channel, structured={"message_date": "2026-11-20"})
    )


# Wordings that are NOT in any data set: the rules must generalise, not memorise blind4.
@pytest.mark.parametrize(
    "text",
    [
        "he said hes gonna kms after school tomorrow, 16, depressed",
        "My sister is standing on the ledge of the parking structure right now",
        'pt swallowed "a fistful" of her seroquel an hour ago',
        "She barricaded herself in her room with a razor and won't talk to us.",
        "I had the pills in my hand last night and put them back. Still want to die.",
        "Ya eligió el lugar y la fecha, mi hijo tiene depresión.",
        "He wrote letters to all of the grandkids and gave away his truck. Depressed since Mom died.",
        "I keep wondering which building would be tall enough. Depression.",
        "pt reports thoughts of strangling the neighbor, states he will do it.",
    ],
)
def test_new_crisis_wordings_are_crisis(text):
    assert _classify(text).urgency == "crisis"


@pytest.mark.parametrize(
    "text",
    [
        "I think about being dead most days but I won't act on it. PTSD.",
        "not a plan, only wishing I could disappear forever. anxiety",
        "Salió del psiquiátrico hace diez días. Tiene depresión.",
        "it would be easier to just not wake up honestly. depressed",
    ],
)
def test_new_passive_wordings_are_urgent(text):
    assert _classify(text).urgency == "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "I drove past the hospital where I was treated years ago and felt anxious. No SI.",
        "Suicide attempt 01/2024, no SI since. MDD.",
        "I have intrusive thoughts about drowning my baby and they horrify me. OCD. No SI.",
        "This commute is killing me. Do you have Saturday slots for my anxiety?",
        "Do you take Tricare? Wrote a note to my boss about time off. Depression.",
    ],
)
def test_new_routine_traps_stay_routine(text):
    assert _classify(text).urgency == "routine"


@pytest.mark.parametrize(
    "text, present",
    [
        ("Referral. MDD. BP 150/95 on lisinopril.", True),
        ("Vitals: BP 146/92 despite amlodipine 10 mg and losartan.", True),
        ("Referral. MDD. BP 124/78 on lisinopril.", False),
        ("Referral. MDD. BP 138/86 on amlodipine.", False),
    ],
)
def test_blood_pressure_high_despite_treatment(text, present):
    assert ("cardiovascular_risk" in _classify(text, "referral").flags) is present


@pytest.mark.parametrize(
    "text, present",
    [
        ("Mi esposo toma mucho alcohol y tiene depresión.", True),
        ("Mi hermano se emborracha los fines de semana, tiene ansiedad.", True),
        ("Mi hijo fuma piedra y anda deprimido.", True),
        ("pt 40M, PTSD. IVDU, last use 2 days ago.", True),
        ("pt 40M, PTSD. IVDU hx, clean 4 yrs.", False),
        ("Tomo una copa de vino en las fiestas. Tengo ansiedad.", False),
    ],
)
def test_substance_use_wordings(text, present):
    assert ("substance_use_active" in _classify(text).flags) is present


def test_request_path_screen_catches_blind4_text_only_crisis():
    from services.triage import screen_text_for_risk

    missed = [
        c["id"]
        for c in load_cases(BLIND4)
        if c["expected"]["urgency"] == "crisis" and not c.get("cssrs") and not screen_text_for_risk(c["text"])
    ]
    assert missed == []
