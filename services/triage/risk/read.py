"""Reads each risk part found in a text: who it is about, when, and how certain.

Works per clause (sentence punctuation, line breaks, semicolons and contrast words end one).
Never logs text: readings carry spans, and only the result's evidence holds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..patterns import _norm_rel
from ..timeref import days_ago


@dataclass
class Reading:
    kind: str
    start: int
    end: int
    text: str
    who: str = "patient"  # "patient" | "other" (someone else: a relative, a friend, the writer of a proxy)
    who_cue: str | None = None
    certainty: str = "affirmed"  # affirmed | negated | hypothetical | intrusive | idiom | reported
    historical: bool = False
    days: int | None = None  # most recent time reference in the clause, days before the message
    now: bool = False

    def evidence(self, label: str, **extra: Any) -> dict:
        ev = {"label": label, "source": "risk_model", "rule": f"risk.{self.kind}", "start": self.start,
              "end": self.end, "text": self.text, "who": self.who, "certainty": self.certainty,
              "when": ("now" if self.now else None) if self.days is None else f"{self.days} days ago"}
        if self.historical:
            ev["when"] = ev["when"] or "past"
        ev.update(extra)
        return ev


def _rx(fragments: list[str] | str, bounded: bool = True) -> re.Pattern:
    alts = fragments if isinstance(fragments, list) else [fragments]
    body = "|".join(f"(?:{a})" for a in alts)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)" if bounded else body, re.I)


class Reader:
    def __init__(self, context: dict[str, Any], time_regex: str, relation_regex: str):
        cert = context["certainty"]
        self._breaks = re.compile("|".join(f"(?:{b})" for b in context["clause_breaks"]), re.I)
        self._neg = re.compile(_rx(cert["negation"]).pattern + r"|n[’']t(?!\w)", re.I)
        self._neg_words = int(cert.get("negation_words", 5))
        self._pseudo = _rx(cert["pseudo_negation"])
        self._neg_after = re.compile("|".join(cert["negation_after"]), re.I)
        self._denies = re.compile(r"(?<!\w)(?:den(?:y|ies|ied|ying)|niega|negative for)(?!\w)", re.I)
        self._hypo = _rx(cert["hypothetical"])
        self._intrusive = _rx(cert["intrusive"])
        self._inquiry = _rx(cert["inquiry"])
        self._study = _rx(cert["study"])
        self._owned = re.compile(r"(?:\b(?:my|his|her|their|mis|sus|mi|su)\s+(?:\w+\s+)?|\b(?:i'?m|i am|i feel|i get|i have|i've)\s+(?:\w+\s+)?)$", re.I)
        self._hist = _rx(cert["historical"])
        self._resolved = _rx(cert["resolved"])
        self._idioms = _rx(context["idioms"])
        self._benign = _rx(context["benign"])
        who = context["who"]
        self._first = _rx(who["first_person"])
        self._third = _rx(who["third_person"])
        self._patient_ref = _rx(who["patient_ref"])
        self._reporter = _rx(who["reporter"])
        self._deceased = _rx(who["deceased"])
        self._relation = re.compile(relation_regex, re.I)
        self._now = _rx(context["when"]["now"])
        self._time = re.compile(time_regex, re.I)
        self._self_in_hit = re.compile(r"(?<!\w)(?:myself|my (?:own )?life|my wrists?|me|matarme|quitarme|colgarme|ahorcarme|tirarme|morirme)(?!\w)", re.I)
        self._third_in_hit = re.compile(r"(?<!\w)(?:himself|herself|themselves|themself|(?:his|her|their) (?:own )?life|matarse|quitarse|colgarse|ahorcarse|tirarse|morirse)(?!\w)", re.I)

    def clauses(self, text: str) -> list[tuple[int, int]]:
        out, pos = [], 0
        for hit in self._breaks.finditer(text):
            if hit.start() > pos:
                out.append((pos, hit.start()))
            pos = hit.end()
        if pos < len(text):
            out.append((pos, len(text)))
        return out or [(0, len(text))]

    def idioms(self, text: str) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in self._idioms.finditer(text)]

    def read(self, r: Reading, text: str, clause: tuple[int, int], ref: date, idioms, people: dict) -> Reading:
        lo, hi = clause
        before, after, whole = text[lo:r.start], text[r.end:hi], text[lo:hi]
        if any(s < r.end and r.start < e for s, e in idioms):
            r.certainty = "idiom"
            return r
        if r.kind in ("prep", "means", "acquire_means", "method") and self._benign.search(whole):
            r.certainty = "benign"
            return r
        # how certain
        words = re.findall(r"[\w'’/-]+", before)
        window = " ".join(words[-self._neg_words:])
        neg = self._neg.search(window)
        if neg and not self._pseudo.search(window):
            r.certainty = "negated"
        elif self._denies.search(before) or self._neg_after.search(after):
            r.certainty = "negated"
        elif self._hypo.search(before) or (whole.rstrip().endswith("?") and self._hypo.search(whole)):
            r.certainty = "hypothetical"
        elif self._inquiry.search(before) and not self._owned.search(before):
            r.certainty = "hypothetical"
        elif people.get("study") and not self._first.search(before):
            r.certainty = "hypothetical"
        elif r.kind in ("hi", "method", "intent") and self._intrusive.search(whole):
            r.certainty = "intrusive"
        elif self._reporter.search(before):
            r.certainty = "reported"
        # when
        days = [d for d in (days_ago(m.group(0), ref) for m in self._time.finditer(whole)) if d is not None]
        if days:
            r.days = min(days)
        r.now = bool(self._now.search(whole))
        r.historical = bool(self._hist.search(whole) or self._resolved.search(whole))
        # who
        r.who, r.who_cue = self._who(r, before, whole, people)
        return r

    def _who(self, r: Reading, before: str, whole: str, people: dict) -> tuple[str, str | None]:
        proxy = people["proxy"]
        third_is_patient = proxy or people["clinical"] or people["third_dominant"]()
        if self._deceased.search(whole) and not self._self_in_hit.search(r.text):
            return "other", "deceased"
        if self._self_in_hit.search(r.text):
            return ("other" if proxy else "patient"), "first person"
        if self._third_in_hit.search(r.text):
            cue = self._last_person(before)
            if cue and cue[0] == "relation" and cue[1] not in people["patient_rels"] and not proxy:
                return "other", cue[1]
            return ("patient" if third_is_patient else "other"), "third person"
        cue = self._last_person(before)
        if cue is None:
            return "patient", None
        kind, word = cue
        if kind == "patient_ref":
            return "patient", word
        if kind == "first":
            return ("other" if proxy and r.kind not in ("danger",) else "patient"), word
        if kind == "relation":
            if proxy and word in people["patient_rels"]:
                return "patient", word
            if r.kind in ("danger", "hi"):
                return "patient", word  # the relative is the threat or the target; the risk is the patient's
            return "other", word
        return ("patient" if third_is_patient or r.kind in ("danger",) else "other"), word

    def study(self, text: str) -> bool:
        return bool(self._study.search(text))

    def third_dominant(self, text: str) -> bool:
        """The message mostly speaks of a third person (a coach, a friend, a counselor writing)."""
        first = len(self._first.findall(text))
        third = len(self._third.findall(text)) + len(self._relation.findall(text))
        return third > first

    def _last_person(self, before: str) -> tuple[str, str] | None:
        best: tuple[int, str, str] | None = None
        for kind, rx in (("first", self._first), ("third", self._third), ("patient_ref", self._patient_ref),
                         ("relation", self._relation)):
            for m in rx.finditer(before):
                if best is None or m.start() >= best[0]:
                    word = m.group(0).lower()
                    best = (m.start(), kind, _norm_rel(word) if kind == "relation" else word)
        return (best[1], best[2]) if best else None
