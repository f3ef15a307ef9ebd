"""Scores the classifier against a labeled JSON Lines corpus.

    .venv/bin/python -m services.triage.scoring tests/data/triage_corpus.jsonl [--errors]

Each line: {"id", "text", "channel", structured fields..., "expected": {"conditions",
"primary_condition", "urgency", "veteran", "flags"}}. Prints ids of wrong cases with --errors,
never their text.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .jsonl import input_from_record
from .types import CONDITIONS, FLAGS, URGENCIES, URGENCY_RANK


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass
class Report:
    n: int = 0
    conditions: dict[str, PRF] = field(default_factory=lambda: {c: PRF() for c in CONDITIONS})
    flags: dict[str, PRF] = field(default_factory=lambda: {f: PRF() for f in FLAGS})
    veteran: PRF = field(default_factory=PRF)
    primary_correct: int = 0
    urgency_confusion: dict[str, dict[str, int]] = field(
        default_factory=lambda: {e: {p: 0 for p in URGENCIES} for e in URGENCIES}
    )
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def condition_macro_f1(self) -> float:
        scored = [m.f1 for m in self.conditions.values() if m.support or m.fp]
        return sum(scored) / len(scored) if scored else 1.0

    @property
    def flag_macro_f1(self) -> float:
        scored = [m.f1 for m in self.flags.values() if m.support or m.fp]
        return sum(scored) / len(scored) if scored else 1.0

    @property
    def primary_accuracy(self) -> float:
        return self.primary_correct / self.n if self.n else 1.0

    @property
    def urgency_accuracy(self) -> float:
        ok = sum(self.urgency_confusion[u][u] for u in URGENCIES)
        return ok / self.n if self.n else 1.0

    @property
    def crisis_recall(self) -> float:
        row = self.urgency_confusion["crisis"]
        total = sum(row.values())
        return row["crisis"] / total if total else 1.0

    @property
    def under_triage_rate(self) -> float:
        """Share of cases whose predicted urgency is lower than expected."""
        under = sum(
            n for e, row in self.urgency_confusion.items() for p, n in row.items() if URGENCY_RANK[p] < URGENCY_RANK[e]
        )
        return under / self.n if self.n else 0.0

    @property
    def over_triage_rate(self) -> float:
        over = sum(
            n for e, row in self.urgency_confusion.items() for p, n in row.items() if URGENCY_RANK[p] > URGENCY_RANK[e]
        )
        return over / self.n if self.n else 0.0

    def summary(self) -> dict[str, float]:
        return {
            "cases": self.n,
            "condition_macro_f1": round(self.condition_macro_f1, 4),
            "flag_macro_f1": round(self.flag_macro_f1, 4),
            "veteran_f1": round(self.veteran.f1, 4),
            "primary_accuracy": round(self.primary_accuracy, 4),
            "urgency_accuracy": round(self.urgency_accuracy, 4),
            "crisis_recall": round(self.crisis_recall, 4),
            "under_triage_rate": round(self.under_triage_rate, 4),
            "over_triage_rate": round(self.over_triage_rate, 4),
        }


def _update(metric: PRF, expected: bool, predicted: bool) -> None:
    if expected and predicted:
        metric.tp += 1
    elif predicted:
        metric.fp += 1
    elif expected:
        metric.fn += 1


def score(cases: Iterable[dict], classifier=None) -> Report:
    if classifier is None:
        from . import get_classifier

        classifier = get_classifier()
    report = Report()
    for case in cases:
        exp = case["expected"]
        res = classifier.classify(input_from_record(case))
        report.n += 1
        cid = str(case.get("id"))
        wrong: list[str] = []
        for c in CONDITIONS:
            _update(report.conditions[c], c in exp["conditions"], c in res.conditions)
        if set(exp["conditions"]) != set(res.conditions):
            wrong.append(f"conditions {sorted(exp['conditions'])} != {res.conditions}")
        for f in FLAGS:
            _update(report.flags[f], f in exp["flags"], f in res.flags)
        if set(exp["flags"]) != set(res.flags):
            missing = sorted(set(exp["flags"]) - set(res.flags))
            extra = sorted(set(res.flags) - set(exp["flags"]))
            wrong.append(f"flags missing={missing} extra={extra}")
        _update(report.veteran, bool(exp["veteran"]), res.veteran)
        if bool(exp["veteran"]) != res.veteran:
            wrong.append(f"veteran {exp['veteran']} != {res.veteran}")
        # older sets write an empty primary as null; the policy's word is "none"
        if (exp.get("primary_condition") or "none") == (res.primary_condition or "none"):
            report.primary_correct += 1
        else:
            wrong.append(f"primary {exp.get('primary_condition')} != {res.primary_condition}")
        report.urgency_confusion[exp["urgency"]][res.urgency] += 1
        if exp["urgency"] != res.urgency:
            wrong.append(f"urgency {exp['urgency']} != {res.urgency}")
        if wrong:
            report.errors[cid] = wrong
    return report


def load_cases(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def format_report(report: Report) -> str:
    lines = [f"cases: {report.n}", "", "label                          prec    rec     f1   support"]
    for name, metrics in [*(("condition:" + k, v) for k, v in report.conditions.items()),
                          ("veteran", report.veteran),
                          *(("flag:" + k, v) for k, v in report.flags.items())]:
        lines.append(f"{name:30} {metrics.precision:6.3f} {metrics.recall:6.3f} {metrics.f1:6.3f} {metrics.support:6d}")
    lines += ["", "urgency confusion (rows expected, columns predicted)",
              "            " + "".join(f"{u:>9}" for u in URGENCIES)]
    for e in URGENCIES:
        lines.append(f"{e:12}" + "".join(f"{report.urgency_confusion[e][p]:9d}" for p in URGENCIES))
    lines.append("")
    for key, value in report.summary().items():
        lines.append(f"{key:22} {value}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score the triage classifier on a labeled JSONL corpus.")
    parser.add_argument("corpus")
    parser.add_argument("--errors", action="store_true", help="list ids of wrong cases and what differed")
    args = parser.parse_args(argv)
    report = score(load_cases(args.corpus))
    print(format_report(report))
    if args.errors:
        print("")
        for cid, problems in report.errors.items():
            print(f"{cid}: " + "; ".join(problems))
    return 0


if __name__ == "__main__":
    sys.exit(main())
