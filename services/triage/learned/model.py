"""Loads the shipped artifact once per process and gives its opinion on one text or a batch.

The artifact holds plain arrays (vocabularies, idf weights, coefficients) exported from the fitted
scikit-learn pipeline by train.py, and the analyzers are re-implemented here exactly as
scikit-learn's (a test checks the probabilities are the same). So a worker loads it in a fraction
of a second without importing scikit-learn, and one text costs no scikit-learn call overhead.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ARTIFACT = Path(__file__).resolve().parent / "urgency_model.joblib"
_WHITE = re.compile(r"\s\s+")


@dataclass(frozen=True)
class LearnedOpinion:
    level: str
    probs: dict[str, float]
    crisis_alert: bool  # crisis probability at or above the low alert threshold
    version: str


def _strip_accents(s: str) -> str:
    """scikit-learn's strip_accents_unicode."""
    try:
        s.encode("ASCII", errors="strict")
        return s
    except UnicodeEncodeError:
        normalized = unicodedata.normalize("NFKD", s)
        return "".join(c for c in normalized if not unicodedata.combining(c))


def _char_wb(text: str, lo: int, hi: int) -> list[str]:
    """scikit-learn's char_wb n-grams (after lowercasing and stripping accents)."""
    out = []
    for w in _WHITE.sub(" ", text).split():
        w = " " + w + " "
        w_len = len(w)
        for n in range(lo, hi + 1):
            offset = 0
            out.append(w[offset : offset + n])
            while offset + n < w_len:
                offset += 1
                out.append(w[offset : offset + n])
            if offset == 0:  # a word shorter than n is counted once
                break
    return out


def _words(text: str, token: re.Pattern, lo: int, hi: int) -> list[str]:
    tokens = token.findall(text)
    if hi == 1:
        return tokens
    out = list(tokens) if lo == 1 else []
    for n in range(max(lo, 2), min(hi, len(tokens)) + 1):
        out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out


class LearnedModel:
    def __init__(self, bundle: dict, digest: str):
        import numpy as np

        self._np = np
        self.classes = list(bundle["classes"])
        self.raise_at = dict(bundle["raise_at"])  # level -> probability needed to raise to it
        self.alert_at = float(bundle["alert_at"])  # crisis probability that sets possible_crisis
        # Shorter texts than the corpus was written with (60-900 characters) are outside what the
        # model learned: it abstains rather than guess from a few n-grams ("Referral: MDD.").
        self.min_chars = int(bundle.get("min_chars", 60))
        self._parts = []
        offset = 0
        for part in bundle["features"]:
            token = re.compile(part["token_pattern"]) if part["analyzer"] == "word" else None
            self._parts.append((part["analyzer"], tuple(part["ngram_range"]), token, part["vocabulary"],
                                np.asarray(part["idf"], dtype=np.float64), offset))
            offset += len(part["vocabulary"])
        self._coef_t = np.ascontiguousarray(np.asarray(bundle["coef"], dtype=np.float64).T)  # features x classes
        self._intercept = np.asarray(bundle["intercept"], dtype=np.float64)
        self.digest = digest
        self.version = f"{bundle.get('name', 'urgency')}+{digest}"

    def _grams(self, analyzer: str, ngram: tuple[int, int], token, text: str) -> list[str]:
        doc = _strip_accents(text.lower())
        if analyzer == "char_wb":
            return _char_wb(doc, *ngram)
        return _words(doc, token, *ngram)

    def predict_proba(self, texts: list[str]):
        np = self._np
        out = np.empty((len(texts), len(self.classes)))
        for row, text in enumerate(texts):
            scores = self._intercept.copy()
            for analyzer, ngram, token, vocab, idf, offset in self._parts:
                counts: dict[int, int] = {}
                for gram in self._grams(analyzer, ngram, token, text):
                    j = vocab.get(gram)
                    if j is not None:
                        counts[j] = counts.get(j, 0) + 1
                if not counts:
                    continue
                idx = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
                tf = np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))) + 1.0  # sublinear
                vals = tf * idf[idx]
                vals /= math.sqrt(float(vals @ vals))  # l2, per feature block
                scores += vals @ self._coef_t[idx + offset]
            scores -= scores.max()
            e = np.exp(scores)
            out[row] = e / e.sum()
        return out

    def _opinion(self, row) -> LearnedOpinion:
        probs = {c: float(p) for c, p in zip(self.classes, row, strict=True)}
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
            for i, row in zip(keep, self.predict_proba([texts[i] for i in keep]), strict=True):
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
