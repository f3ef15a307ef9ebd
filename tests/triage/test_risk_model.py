"""The compositional risk model reads new sentences made of known parts (who x what x when x how
certain), in English and Spanish. Wordings here appear in no labeled set and no lexicon entry."""

from __future__ import annotations

import pytest

from services.triage import TriageInput, get_classifier
from services.triage.risk.lexicon import compile_template


def risk_opinion(text: str, channel: str = "web") -> tuple[str, list[dict]]:
    result = get_classifier().classify(TriageInput(text, channel, {"message_date": "2026-11-20"}))
    level = next(e["level"] for e in result.evidence if e["label"].startswith("opinion:risk_model:"))
    return level, [e for e in result.evidence if e["source"] == "risk_model" and "start" in e]


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # preparation: a stockpiling verb with any means
        ("I counted out every insulin pen in the house, nobody will miss me.", "crisis"),
        ("Been stockpiling my trazodone in a sock drawer for a while now.", "crisis"),
        ("Ya tengo guardadas las pastillas de mi abuela en el closet.", "crisis"),
        # a method named as a thought, and an attempt within 90 days
        ("Lately I keep thinking about stepping in front of the 6:15 train.", "crisis"),
        ("I tried to hang myself three weeks ago and my roommate cut me down.", "crisis"),
        ("Intenté colgarme hace un mes, todavía lo pienso.", "crisis"),
        # homicidal ideation and danger now
        ("I keep thinking about shooting my ex-husband when he picks up the kids.", "crisis"),
        ("My boyfriend is outside the door right now with a knife, threatening me.", "crisis"),
        # suicidal thoughts with access to means, in separate sentences
        ("I want to die. There is a rifle in the hall closet.", "crisis"),
        # passive wishes, self-injury, discharge: urgent
        ("I wish I could fall asleep and never wake up, honestly.", "urgent"),
        ("Nadie me extrañaría si me fuera, así me siento.", "urgent"),
        ("I burned my forearm with a lighter on purpose last week.", "urgent"),
        ("I was discharged from the psych unit five days ago.", "urgent"),
    ],
)
def test_new_sentences_made_of_known_parts(text, level):
    assert risk_opinion(text)[0] == level


@pytest.mark.parametrize(
    "text",
    [
        "I have never once thought about killing myself, just tired all the time.",  # negated
        "No tengo pensamientos de quitarme la vida, solo ansiedad.",  # negated, Spanish
        "This commute is killing me and I could die of boredom at work.",  # idioms
        "My uncle died by suicide in 2019; I have anxiety and want to talk to someone.",  # someone else
        "Is it safe to use ketamine if someone has had suicidal thoughts before?",  # hypothetical
        "I tried to overdose when I was 16. I'm 40 now and have been okay for years.",  # history
        "I have unwanted intrusive thoughts about stabbing my baby and they horrify me. OCD.",  # OCD
        "Picked up my prescriptions at the pharmacy and set up my weekly pill organizer.",  # benign
    ],
)
def test_discounted_readings_stay_routine(text):
    assert risk_opinion(text)[0] == "routine"


def test_evidence_spans_say_who_when_and_how_certain():
    text = "My brother Sam says he has been saving up his pills. He told me he wants to die."
    level, evidence = risk_opinion(text)
    assert level == "crisis"
    for ev in evidence:
        assert text[ev["start"] : ev["end"]] == ev["text"]
        assert ev["who"] in ("patient", "other") and ev["certainty"]
    assert any(e["rule"] == "risk.prep" and e["label"] == "urgency:crisis" for e in evidence)


def test_a_template_naming_an_unknown_part_fails_at_load():
    with pytest.raises(ValueError):
        compile_template("{no_such_part} ~2 {means}", {"means": ["pills"]})
