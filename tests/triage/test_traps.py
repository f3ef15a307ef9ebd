"""Behaviour on the context traps named in TRIAGE_POLICY.md."""

import pytest

from services.triage import TriageInput, classify

DATE = {"message_date": "2026-11-15"}


def run(text, channel="web", **structured):
    return classify(TriageInput(text=text, channel=channel, structured={**DATE, **structured}))


@pytest.mark.parametrize(
    "text",
    [
        "Pt called re ketamine. MDD. Denies SI/HI.",
        "I have no thoughts of hurting myself, just depression.",
        "I'm not suicidal at all, just very anxious.",
        "Niega ideas suicidas, tiene depresión.",
        "No tengo pensamientos suicidas, solo ansiedad.",
        "Tengo depresión, sin ideación suicida.",
    ],
)
def test_negated_suicidal_ideation_is_routine(text):
    assert run(text).urgency == "routine"


def test_passive_ideation_affirmed_after_denial_of_plan_is_urgent():
    result = run("38F, depression, passive SI daily, denies plan/intent.", "phone")
    assert result.urgency == "urgent"


def test_relative_suicide_is_not_patient_risk():
    result = run("My brother died by suicide last year and I've been depressed since. No thoughts of hurting myself.")
    assert result.urgency == "routine"
    assert result.conditions == ["depression"]
    assert any(e["label"] == "risk_discounted" and e["note"] == "about someone else" for e in result.evidence)


def test_family_history_does_not_give_the_patient_a_condition():
    result = run("Family history of bipolar (my mother). I have depression and anxiety. Can I do spravato?")
    assert "bipolar_depression" not in result.conditions
    assert result.conditions == ["anxiety", "depression"]


def test_parent_writing_about_child_labels_the_child():
    result = run("My son (16) has been cutting himself and said he wants to die. He has depression.")
    assert result.urgency == "urgent"
    assert result.conditions == ["depression"]
    assert "minor" in result.flags


@pytest.mark.parametrize(
    ("text", "urgency"),
    [
        ("Suicide attempt in 2009, none since. Depression is back though.", "routine"),
        ("I attempted suicide 5 years ago. No thoughts now. Depression.", "routine"),
        ("I attempted suicide two weeks ago and I'm ok now, no thoughts. Depression.", "crisis"),
        ("Hace dos semanas intenté quitarme la vida. Tengo depresión.", "crisis"),
        ("I attempted suicide 8 months ago. No thoughts since. Depression.", "routine"),
    ],
)
def test_attempt_timing_relative_to_message_date(text, urgency):
    assert run(text).urgency == urgency


def test_attempt_dated_by_absolute_date_uses_message_date():
    text = "Suicide attempt on 2026-10-01, denies SI now."
    assert run(text, message_date="2026-11-15").urgency == "crisis"
    assert run(text, message_date="2027-06-01").urgency == "routine"


@pytest.mark.parametrize(
    "text",
    [
        "What if I feel suicidal during treatment? I have depression.",
        "Is it safe to do ketamine if someone has had suicidal thoughts before?",
        "¿Y si me siento suicida durante el tratamiento? Tengo depresión.",
    ],
)
def test_hypothetical_questions_are_routine(text):
    assert run(text).urgency == "routine"


@pytest.mark.parametrize(
    "text",
    [
        "This commute is killing me lol. Need info on infusions for my depression.",
        "I could die of embarrassment asking, but do you treat social anxiety?",
        "Me muero de sueño todo el día, creo que es depresión.",
        "I'm dying to try ketamine, depression for years.",
    ],
)
def test_idioms_are_routine(text):
    assert run(text).urgency == "routine"


def test_ocd_intrusive_harm_thoughts_are_not_homicidal():
    result = run("I have OCD and horrible intrusive thoughts about hurting my baby. I would never do it.")
    assert result.urgency == "routine"
    assert result.conditions == ["ocd"]


def test_homicidal_ideation_is_crisis():
    assert run("Pt reports HI toward coworker. Hx PTSD.", "phone").urgency == "crisis"


def test_firearms_without_suicidal_thoughts_is_routine_but_with_them_crisis():
    assert run("I have guns at home, I hunt. Not suicidal. Depression.").urgency == "routine"
    result = run("Wish I wasn't alive most days. No plan. I also have a rifle in the closet.")
    assert result.urgency == "crisis"
    assert any("chose the higher level" in e.get("note", "") for e in result.evidence if e["label"] == "urgency:crisis")


def test_unsure_wording_chooses_higher_level_and_says_so():
    result = run("I'm not sure if these count as suicidal thoughts, maybe I just wish I could disappear.")
    assert result.urgency == "urgent"
    notes = [e.get("note", "") for e in result.evidence if e["label"] == "urgency:urgent"]
    assert any("higher" in n for n in notes)


def test_plan_with_denied_intent_is_crisis():
    assert run("I want to end my life. I know which bridge. I won't do it today.").urgency == "crisis"


def test_spanish_plan_is_crisis_and_flagged_spanish():
    result = run("No quiero vivir. Tengo un plan para matarme este fin de semana.")
    assert result.urgency == "crisis"
    assert "spanish_language" in result.flags


def test_patient_urgent_word_does_not_raise_but_provider_expedite_does():
    assert run("URGENT!!! need your saturday hours for a consult, anxiety").urgency == "routine"
    assert run("Referral: MDD (F33.2). Please expedite.", "referral").urgency == "urgent"


def test_veteran_rules():
    assert run("45M USMC vet, PTSD.", "phone").veteran is True
    assert run("Do you take Tricare? Depression.").veteran is True
    assert run("My wife's Tricare covers me (she's active duty). PTSD from a car crash.").veteran is False
    assert run("Retired police officer with PTSD.").veteran is False
    assert run("My husband is a vet, I'm asking for myself. Depression.").veteran is False


def test_treatment_resistance_needs_two_failed_antidepressants():
    assert "treatment_resistant" in run("Tried Zoloft and Lexapro, neither worked. Depression.").flags
    assert "treatment_resistant" not in run("Tried Zoloft, it didn't work. Depression.").flags
    assert "treatment_resistant" not in run("Failed lithium, quetiapine and lamotrigine. Bipolar II depression.").flags


def test_bipolar_replaces_depression():
    result = run("Bipolar II, currently in a bad depressive episode.")
    assert result.conditions == ["bipolar_depression"]


def test_treatment_preference_sets_only_the_preferred_flag():
    result = run("I'd rather do the IV infusions than the nasal spray. Depression.")
    assert "interested_ketamine_infusion" in result.flags
    assert "interested_spravato" not in result.flags
    both = run("Spravato or IV ketamine, whichever fits. PTSD.")
    assert {"interested_spravato", "interested_ketamine_infusion"} <= set(both.flags)


def test_admin_message_has_no_conditions():
    result = run("Hi I need to reschedule my spravato session Thursday. My depression is much better, thanks!")
    assert result.conditions == []
    assert result.primary_condition == "none"  # the policy's word for an empty primary
    assert "interested_spravato" in result.flags


def test_vendor_message_sets_no_treatment_flags():
    result = run("We are a distributor of infusion pumps and would love to partner with your ketamine clinic.")
    assert result.flags == []
    assert result.conditions == []


def test_a_denied_risk_list_does_not_negate_the_findings_after_it():
    result = run("pt denies SI/HI, USMC vet, PTSD from OIF, asking about Spravato", "phone")
    assert result.urgency == "routine"
    assert result.conditions == ["ptsd"] and result.veteran is True


def test_a_negated_list_of_the_same_kind_negates_every_item():
    result = run("No depression, anxiety or PTSD. I have chronic back pain.")
    assert result.conditions == ["chronic_pain"]
    result = run("Denies SI, HI or self-harm. MDD, recurrent.", "phone")
    assert result.urgency == "routine" and result.conditions == ["depression"]


def test_a_negation_in_its_own_clause_stops_at_the_comma():
    result = run("la depresión no me deja, ya probé 3 antidepresivos y ninguno funcionó")
    assert "treatment_resistant" in result.flags and result.conditions == ["depression"]
