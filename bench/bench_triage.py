"""Triage classifier throughput (texts per CPU-second, one process) against the pre-rewrite classifier
in the same run, and the resident memory of a process with everything loaded.

    .venv/bin/python bench/bench_triage.py [--n 400] [--rounds 3]

Texts are ~400-character mixes built from tests/data/triage_corpus.jsonl. The baseline is
services/triage at bench/triage_baseline.py's BASELINE_COMMIT, extracted with `git archive` and
imported beside the current package. CPU time (time.process_time) is used because wall-clock time
on a shared machine varies 2-3x between runs; each figure is the best of --rounds, interleaved.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

_RSS_PROBE = """
import resource, sys
sys.path.insert(0, {root!r})
from services.triage import TriageInput, get_classifier
clf = get_classifier()
clf.classify_many([TriageInput("I want to die. Depression, Spravato?", "web")] * 8)
status = dict(l.split(":", 1) for l in open("/proc/self/status") if ":" in l)
print(int(status["VmRSS"].split()[0]) // 1024, int(status["VmHWM"].split()[0]) // 1024)
"""


def build_texts(n: int, seed: int = 7, size: int = 400) -> list[str]:
    lines = (ROOT / "tests/data/triage_corpus.jsonl").read_text(encoding="utf-8").splitlines()
    cases = [json.loads(line) for line in lines if line.strip()]
    rng = random.Random(seed)
    texts = []
    while len(texts) < n:
        parts, length = [], 0
        while length < size - 30:
            t = rng.choice(cases)["text"]
            parts.append(t)
            length += len(t) + 1
        texts.append(" ".join(parts)[: size + 20])
    return texts


def cpu_rate(fn, texts) -> float:
    start = time.process_time()
    fn(texts)
    return len(texts) / max(time.process_time() - start, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    # fresh texts for every round: the baseline caches compiled regexes per combination of words, so
    # repeating the same texts would measure its cache instead of its cost on new messages
    fresh = iter(build_texts(args.n, seed=7 + k) for k in range(3 * args.rounds + 1))
    texts = next(fresh)

    from triage_baseline import BASELINE_COMMIT, load_baseline

    from services.triage import TriageInput, get_classifier

    base = load_baseline()
    old, new = base.get_classifier(), get_classifier()
    date = {"message_date": "2026-11-15"}

    def run_old(ts):
        for t in ts:
            old.classify(base.TriageInput(t, "web", date))

    def run_new(ts):
        for t in ts:
            new.classify(TriageInput(t, "web", date))

    def run_batch(ts):
        new.classify_many([TriageInput(t, "web", date) for t in ts])

    for fn in (run_old, run_new, run_batch):
        fn(texts[:20])  # warm-up
    best = {"old": 0.0, "new": 0.0, "batch": 0.0}
    for _ in range(args.rounds):
        for key, fn in (("old", run_old), ("new", run_new), ("batch", run_batch)):
            best[key] = max(best[key], cpu_rate(fn, next(fresh)))

    probe = subprocess.run([sys.executable, "-c", _RSS_PROBE.format(root=str(ROOT))], capture_output=True, text=True,
                           check=True)
    rss, hwm = (int(x) for x in probe.stdout.split())
    mean = sum(map(len, texts)) / len(texts)
    print(f"texts: {len(texts)} (mean {mean:.0f} chars), one process, CPU time, best of {args.rounds}")
    print(f"baseline (services/triage at {BASELINE_COMMIT}): {best['old']:8.1f} texts/CPU-s")
    print(f"current, classify one by one:           {best['new']:8.1f} texts/CPU-s   ratio {best['new'] / best['old']:.2f}x")
    print(f"current, classify_many (nlp.pipe):      {best['batch']:8.1f} texts/CPU-s   ratio {best['batch'] / best['old']:.2f}x")
    print(f"target >= 300/CPU-s: {'met' if max(best['new'], best['batch']) >= 300 else 'NOT met'} (moonshot 1,000)")
    print(f"resident memory, a process with the classifier and the learned model loaded: {rss} MB (peak {hwm} MB); "
          f"limit 400 MB: {'met' if hwm < 400 else 'NOT met'}")


if __name__ == "__main__":
    main()
