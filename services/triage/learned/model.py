"""Loads the shipped artifact once per process and gives its opinion on one text or a batch."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

ARTIFACT = Path(__file__).resolve().parent / "urgency_model.joblib"


@dataclass(frozen=True)
class LearnedOpinion:
    level: str
    probs: dict[str, float]
    crisis_alert: bool  # crisis probability at or above the low alert threshold
    version: str


class LearnedModel:
    def __init__(self, bundle: dict, digest: str):
        self.pipeline = bundle["pipeline"]
        self.classes = [str(c) for c in self.pipeline.classes_]
        self.raise_at = dict(bundle["raise_at"])  # level -> probability needed to raise to it
        self.alert_at = float(bundle["alert_at"])  # crisis probability that sets possible_crisis
        # Shorter texts than the corpus was written with (60-900 characters) are outside what the
        # model learned: it abstains rather than guess from a few n-grams ("Referral: MDD.").
        self.min_chars = int(bundle.get("min_chars", 60))
        self.digest = digest
        self.version = f"{bundle.get('name', 'urgency')}+{digest}"

    def _opinion(self, row) -> LearnedOpinion:
        probs = {c: float(p) for c, p in zip(self.classes, row)}
        level = "routine"
        # the highest level whose probability passes its threshold
        if probs.get("urgent", 0.0) + probs.get("crisis", 0.0) >= self.raise_at["urgent"]:
            level = "urgent"
        if probs.get("crisis", 0.0) >= self.raise_at["crisis"]:
            level = "crisis"
        return LearnedOpinion(level, probs, probs.get("crisis", 0.0) >= self.alert_at, self.version)

    def predict(self, text: str) -> LearnedOpinion | None:
        return self.predict_many([text])[0]

    def predict_many(self, texts: list[str]) -> list[LearnedOpinion | None]:
        """One opinion per text; None where the model abstains (text too short)."""
        keep = [i for i, t in enumerate(texts) if len(t.strip()) >= self.min_chars]
        out: list[LearnedOpinion | None] = [None] * len(texts)
        if keep:
            for i, row in zip(keep, self.pipeline.predict_proba([texts[i] for i in keep])):
                out[i] = self._opinion(row)
        return out


def artifact_digest(path: Path = ARTIFACT) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.exists() else None


def load_learned(path: Path = ARTIFACT) -> LearnedModel | None:
    """The shipped model, loaded once per process (the classifier holds it); None when absent."""
    if not path.exists():
        return None
    import joblib

    return LearnedModel(joblib.load(path), artifact_digest(path) or "-")
