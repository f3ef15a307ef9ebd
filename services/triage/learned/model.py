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


class _FastLinear:
    """The fitted TF-IDF + logistic regression, evaluated directly from its arrays.

    Same numbers as `pipeline.predict_proba` (a test checks it), without scikit-learn's per-call
    overhead (parameter validation, FeatureUnion's joblib dispatch, sparse matrix assembly), which
    was most of the learned opinion's cost on one text at a time.
    """

    def __init__(self, pipeline):
        import numpy as np

        self._np = np
        self._parts = []
        offset = 0
        for _name, vec in pipeline.named_steps["features"].transformer_list:
            if vec.norm != "l2" or not vec.use_idf:
                raise ValueError("learned model: expected l2-normalised TF-IDF features")
            self._parts.append((vec.build_analyzer(), vec.vocabulary_, vec.idf_, offset, vec.sublinear_tf))
            offset += len(vec.vocabulary_)
        clf = pipeline.named_steps["clf"]
        self._coef_t = np.ascontiguousarray(clf.coef_.T)  # features x classes
        self._intercept = clf.intercept_

    def predict_proba(self, texts):
        np = self._np
        out = np.empty((len(texts), self._coef_t.shape[1]))
        for row, text in enumerate(texts):
            scores = self._intercept.copy()
            for analyzer, vocab, idf, offset, sublinear in self._parts:
                counts: dict[int, int] = {}
                for gram in analyzer(text):
                    j = vocab.get(gram)
                    if j is not None:
                        counts[j] = counts.get(j, 0) + 1
                if not counts:
                    continue
                idx = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
                if sublinear:
                    tf = np.log(tf) + 1.0
                vals = tf * idf[idx]
                vals /= np.sqrt(vals @ vals)
                scores += vals @ self._coef_t[idx + offset]
            scores -= scores.max()
            e = np.exp(scores)
            out[row] = e / e.sum()
        return out


class LearnedModel:
    def __init__(self, bundle: dict, digest: str):
        self.pipeline = bundle["pipeline"]
        self.classes = [str(c) for c in self.pipeline.classes_]
        self._fast = _FastLinear(self.pipeline)
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
            for i, row in zip(keep, self._fast.predict_proba([texts[i] for i in keep])):
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
