"""Triage classifier throughput, single process, against baselines measured in the same run.

    .venv/bin/python bench/bench_triage.py [--n 600]

Texts are ~500-character mixes built from tests/data/triage_corpus.jsonl. Baselines: plain spaCy
tokenisation of the same texts, and medspaCy's default pipeline (PyRuSH sentence splitter, its
default ConText rules; PyRuSH logging disabled).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_texts(n: int, seed: int = 7) -> list[str]:
    cases = [json.loads(l) for l in (ROOT / "tests/data/triage_corpus.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    rng = random.Random(seed)
    texts = []
    while len(texts) < n:
        parts, size = [], 0
        while size < 450:
            t = rng.choice(cases)["text"]
            parts.append(t)
            size += len(t) + 1
        texts.append(" ".join(parts)[:520])
    return texts


def rate(fn, texts) -> float:
    start = time.perf_counter()
    for t in texts:
        fn(t)
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=600)
    args = parser.parse_args()
    texts = build_texts(args.n)

    from loguru import logger

    logger.disable("PyRuSH")
    import medspacy
    import spacy

    from services.triage import TriageInput, get_classifier

    clf = get_classifier()
    for t in texts[:20]:  # warm-up
        clf.classify(TriageInput(t, "web"))
    ours = rate(lambda t: clf.classify(TriageInput(t, "web", {"message_date": "2026-11-15"})), texts)

    blank = spacy.blank("en")
    tok = rate(blank.make_doc, texts)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default = medspacy.load()
        default_rate = rate(default, texts[: max(100, args.n // 4)])

    cpus = os.cpu_count() or 1
    print(f"texts: {len(texts)} (mean {sum(map(len, texts)) / len(texts):.0f} chars), single process, {cpus} cores on host")
    print(f"careroute triage classify:          {ours:8.1f} texts/s per core")
    print(f"baseline spaCy blank tokenisation:  {tok:8.1f} texts/s   (ratio ours/baseline {ours / tok:.3f})")
    print(f"baseline medspaCy default pipeline: {default_rate:8.1f} texts/s   (ratio ours/baseline {ours / default_rate:.2f})")
    print(f"target >= 300/s per core: {'met' if ours >= 300 else 'NOT met'}")


if __name__ == "__main__":
    main()
