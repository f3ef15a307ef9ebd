"""Trains the learned second opinion on the corpus kept in the repo, deterministically.

    .venv/bin/python -m services.triage.train            # rebuild the shipped artifact
    .venv/bin/python -m services.triage.train --cv       # leave-one-writer-out figures, no artifact

Corpus: every services/triage/corpus/<writer>.jsonl plus tests/data/triage_corpus.jsonl (writer
"house"). The blind sets in tests/data are regression gates, never training data. Prints counts and
figures only, never case text.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..types import URGENCY_RANK
from .model import ARTIFACT

ROOT = Path(__file__).resolve().parents[3]
CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"
HOUSE = ROOT / "tests" / "data" / "triage_corpus.jsonl"
SEED = 20261202
# The learned opinion raises urgency only when it is fairly sure; below that, a crisis probability
# over ALERT_AT still marks the result possible_crisis (confirm on the crisis lane).
RAISE_AT = {"urgent": 0.7, "crisis": 0.35}
ALERT_AT = 0.2
MIN_CHARS = 60  # the corpus's shortest texts (FORMAT.md: 60-900 characters); shorter: the model abstains


def load_corpus() -> list[dict]:
    rows = []
    for path in sorted(CORPUS_DIR.glob("*.jsonl")) + [HOUSE]:
        writer = "house" if path == HOUSE else path.stem
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                case["_writer"] = writer
                rows.append(case)
    return rows


def build_pipeline():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.feature_extraction.text import TfidfVectorizer

    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, max_features=60000,
                            sublinear_tf=True, strip_accents="unicode", lowercase=True, dtype=np.float32)
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, max_features=30000, sublinear_tf=True,
                            strip_accents="unicode", lowercase=True, token_pattern=r"(?u)\b\w[\w'/]*\b",
                            dtype=np.float32)
    clf = LogisticRegression(C=8.0, class_weight="balanced", max_iter=3000, random_state=SEED)
    return Pipeline([("features", FeatureUnion([("chars", chars), ("words", words)])), ("clf", clf)])


def fit(rows: list[dict]):
    pipe = build_pipeline()
    pipe.fit([r["text"] for r in rows], [r["expected"]["urgency"] for r in rows])
    for _name, vectorizer in pipe.named_steps["features"].transformer_list:
        # the n-grams cut by max_features/min_df: large, and a set (pickled in hash order, so the
        # artifact's bytes would change from run to run); sklearn documents it as safe to drop
        vectorizer.stop_words_ = None
        # one key order whatever the process's string hashing: the same corpus gives the same bytes
        vectorizer.vocabulary_ = dict(sorted(vectorizer.vocabulary_.items(), key=lambda kv: kv[1]))
        vars(vectorizer).pop("_stop_words_id", None)  # an id() from this process; sklearn recomputes it
    return pipe


def export(pipe) -> dict:
    """The fitted pipeline as plain arrays for learned/model.py (no scikit-learn needed to load)."""
    features = []
    for _name, vec in pipe.named_steps["features"].transformer_list:
        assert vec.norm == "l2" and vec.use_idf and vec.sublinear_tf and vec.lowercase
        assert vec.strip_accents == "unicode" and vec.stop_words is None
        features.append({"analyzer": vec.analyzer, "ngram_range": list(vec.ngram_range),
                         "token_pattern": vec.token_pattern, "vocabulary": dict(vec.vocabulary_),
                         "idf": np.asarray(vec.idf_, dtype=np.float64)})
    clf = pipe.named_steps["clf"]
    return {"classes": [str(c) for c in clf.classes_], "features": features,
            "coef": np.asarray(clf.coef_, dtype=np.float64), "intercept": np.asarray(clf.intercept_, dtype=np.float64)}


def level_from(probs: dict[str, float]) -> str:
    if probs.get("crisis", 0.0) >= RAISE_AT["crisis"]:
        return "crisis"
    if probs.get("urgent", 0.0) + probs.get("crisis", 0.0) >= RAISE_AT["urgent"]:
        return "urgent"
    return "routine"


def _rates(pairs: list[tuple[str, str]]) -> dict[str, float]:
    n = len(pairs) or 1
    crisis = [p for e, p in pairs if e == "crisis"]
    return {
        "cases": len(pairs),
        "crisis_recall": round(sum(p == "crisis" for p in crisis) / (len(crisis) or 1), 3),
        "under_triage": round(sum(URGENCY_RANK[p] < URGENCY_RANK[e] for e, p in pairs) / n, 3),
        "over_triage": round(sum(URGENCY_RANK[p] > URGENCY_RANK[e] for e, p in pairs) / n, 3),
    }


def cross_validate(rows: list[dict]) -> dict:
    """Leave one writer out: train on the others, score the writer's cases (the model alone, the rules
    with the risk model, and all three combined with the higher level winning)."""
    from .. import get_classifier
    from ..jsonl import input_from_record

    clf = get_classifier()
    rules = {}
    for r in rows:
        res = clf.classify(input_from_record(r))
        ops = {e["label"].split(":")[1]: e["level"] for e in res.evidence if e["label"].startswith("opinion:")}
        rules[id(r)] = max(ops["rules"], ops["risk_model"], key=URGENCY_RANK.__getitem__)
    out = {}
    every: dict[str, list] = {"model": [], "rules+risk": [], "combined": [], "alerts": []}
    for writer in sorted({r["_writer"] for r in rows}):
        train = [r for r in rows if r["_writer"] != writer]
        test = [r for r in rows if r["_writer"] == writer]
        pipe = fit(train)
        classes = [str(c) for c in pipe.classes_]
        pairs = {"model": [], "rules+risk": [], "combined": []}
        alerts = 0
        for r, row in zip(test, pipe.predict_proba([t["text"] for t in test])):
            probs = dict(zip(classes, map(float, row)))
            exp, model, rr = r["expected"]["urgency"], level_from(probs), rules[id(r)]
            comb = max(model, rr, key=URGENCY_RANK.__getitem__)
            pairs["model"].append((exp, model))
            pairs["rules+risk"].append((exp, rr))
            pairs["combined"].append((exp, comb))
            # as opinions.combine_opinions: the sides disagree about crisis, or the alert threshold
            alerts += ((model == "crisis") != (rr == "crisis")) or (comb != "crisis" and probs.get("crisis", 0.0) >= ALERT_AT)
        out[writer] = {k: _rates(v) for k, v in pairs.items()} | {"possible_crisis": alerts}
        for k, v in pairs.items():
            every[k].extend(v)
    out["all"] = {k: _rates(v) for k, v in every.items() if k != "alerts"}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the learned urgency opinion on the repo's corpus.")
    parser.add_argument("--cv", action="store_true", help="print leave-one-writer-out figures; write nothing")
    parser.add_argument("--out", type=Path, default=ARTIFACT)
    args = parser.parse_args(argv)
    rows = load_corpus()
    writers = sorted({r["_writer"] for r in rows})
    print(f"corpus: {len(rows)} cases from {len(writers)} writers ({', '.join(writers)})")
    if args.cv:
        for writer, figures in cross_validate(rows).items():
            print(writer, json.dumps(figures))
        return 0
    import joblib

    pipe = fit(rows)
    bundle = {"name": "urgency-charwb25-word12-logreg", **export(pipe), "raise_at": RAISE_AT, "alert_at": ALERT_AT,
              "min_chars": MIN_CHARS,
              "trained_on": {w: sum(r["_writer"] == w for r in rows) for w in writers}}
    joblib.dump(bundle, args.out, compress=3)
    print(f"wrote {args.out.relative_to(ROOT)} ({args.out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
