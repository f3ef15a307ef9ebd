"""The learned second opinion: shipped, loaded once, combined so that the higher level wins, and
recorded in the evidence beside the rules' opinion; possible_crisis when they disagree."""

from __future__ import annotations

import pickle

from services.triage import TriageInput, get_classifier
from services.triage.learned import train
from services.triage.learned.model import ARTIFACT, LearnedOpinion, load_learned
from services.triage.opinions import combine_opinions
from services.triage.risk import RiskOpinion

LONG = (
    "Hi, I am writing for myself. I have had depression for about ten years and tried two medicines. "
    "Lately I feel like a burden and I sleep badly. Do you take Aetna for Spravato?"
)


def _opinion(level: str, crisis: float) -> LearnedOpinion:
    rest = (1 - crisis) / 2
    return LearnedOpinion(level, {"routine": rest, "urgent": rest, "crisis": crisis}, crisis >= 0.2, "test")


def test_the_artifact_ships_and_loads_without_downloading():
    assert ARTIFACT.exists() and ARTIFACT.stat().st_size < 5 * 1024 * 1024
    model = load_learned()
    assert model is not None and set(model.classes) == {"routine", "urgent", "crisis"}
    assert "sklearn" not in str(type(load_learned)) and not hasattr(model, "pipeline")
    assert get_classifier()._learned is not None  # loaded once, with the classifier


def test_every_result_records_both_opinions():
    result = get_classifier().classify(TriageInput(LONG, "web", {"message_date": "2026-11-20"}))
    labels = [e["label"] for e in result.evidence]
    assert any(lbl.startswith("opinion:rules:") for lbl in labels)
    learned = next(e for e in result.evidence if e["label"].startswith("opinion:learned:"))
    assert set(learned["probability"]) == {"routine", "urgent", "crisis"}
    assert abs(sum(learned["probability"].values()) - 1) < 0.01


def test_the_model_abstains_on_texts_shorter_than_its_corpus():
    result = get_classifier().classify(TriageInput("Referral: MDD.", "referral"))
    assert any(e["label"] == "opinion:learned:abstained" for e in result.evidence)


def test_higher_level_wins_and_disagreement_about_crisis_is_a_possible_crisis():
    evidence: list[dict] = []
    final, possible = combine_opinions("routine", RiskOpinion("urgent"), _opinion("crisis", 0.7), evidence)
    assert (final, possible) == ("crisis", True)
    evidence = []
    final, possible = combine_opinions("crisis", RiskOpinion("routine"), _opinion("routine", 0.05), evidence)
    assert (final, possible) == ("crisis", True)
    evidence = []
    final, possible = combine_opinions("urgent", RiskOpinion("urgent"), _opinion("urgent", 0.25), evidence)
    assert (final, possible) == ("urgent", True)  # crisis probability above the low alert threshold
    evidence = []
    final, possible = combine_opinions("crisis", RiskOpinion("crisis"), _opinion("crisis", 0.9), evidence)
    assert (final, possible) == ("crisis", False)
    evidence = []
    final, possible = combine_opinions("routine", RiskOpinion("routine"), _opinion("routine", 0.01), evidence)
    assert (final, possible) == ("routine", False)
    assert any(e["label"] == "opinion:learned:routine" for e in evidence)


def test_batch_and_single_classification_agree():
    clf = get_classifier()
    inputs = [TriageInput(LONG, "web"), TriageInput("I want to die and I know which bridge.", "web"),
              TriageInput(LONG.replace("burden", "bother"), "phone")]
    assert [r.to_dict() for r in clf.classify_many(inputs)] == [clf.classify(i).to_dict() for i in inputs]


def test_training_is_deterministic():
    rows = train.load_corpus()
    assert {r["_writer"] for r in rows} >= {"house"} and len(rows) >= 283
    sample = rows[::8]
    first, second = train.fit(sample), train.fit(sample)
    assert pickle.dumps(first) == pickle.dumps(second)


def test_the_exported_model_gives_scikit_learn_s_probabilities():
    import numpy as np

    from services.triage.learned.model import LearnedModel

    rows = train.load_corpus()[::10]
    pipe = train.fit(rows)
    model = LearnedModel({**train.export(pipe), "raise_at": train.RAISE_AT, "alert_at": train.ALERT_AT}, "test")
    texts = [r["text"] for r in rows[:80]] + ["", "x" * 80, "Ñandú  señora\tcafé, déjà-vu: it's SI/HI"]
    assert np.allclose(model.predict_proba(texts), pipe.predict_proba(texts), atol=1e-6)
