"""The risk model's opinion: find the parts, read each one, combine them by the policy's levels.

Levels (TRIAGE_POLICY.md "urgency"), for parts about the patient, affirmed (or reported) and current:
- crisis: intent, a method named as a thought or rehearsal, preparation, an attempt within 90 days
  (or undated and not history), homicidal ideation, someone in danger now; a plan, access to means
  or getting means together with suicidal thoughts anywhere in the message; suicidal thoughts with
  a time for the act ("tonight").
- urgent: suicidal thoughts or a passive wish (within 30 days), self-injury within 30 days, an
  inpatient psychiatric discharge within 30 days.
Everything else stays routine: negated, hypothetical, idiom, intrusive (OCD), someone else's, past.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ..types import URGENCY_RANK
from .lexicon import Lexicon, default_lexicon
from .read import Reader, Reading

_ACT_TIME = re.compile(r"(?<!\w)(?:tonight|tomorrow|this weekend|esta noche|ma[ñn]ana|este fin de semana)(?!\w)", re.I)
_NAMES_ACT = re.compile(r"(?:kill|end|die|overdos|hang|shoot|jump|bridge|pills|gun|lethal|matar|morir|do it|end it)", re.I)
COUNTS = ("affirmed", "reported")
# active suicidal thoughts (the act named), as opposed to a passive wish ("ojalá no despertara mañana")
_ACTIVE = re.compile(r"suicid|kill|matar|suicidar|end (?:my|his|her|their) (?:own )?life|take (?:my|his|her)|quitar|unalive|kms", re.I)


@dataclass
class RiskOpinion:
    level: str
    evidence: list[dict] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)


class RiskModel:
    def __init__(self, time_regex: str, relation_regex: str, windows: dict, lexicon: Lexicon | None = None):
        self.lexicon = lexicon or default_lexicon()
        self.reader = Reader(self.lexicon.context, time_regex, relation_regex)
        self.w = windows

    def find(self, text: str) -> list[Reading]:
        found = self.lexicon.scanner(text)
        out: list[Reading] = []
        for kind, srx in self.lexicon.kinds:
            for hit in srx.finditer(text, found):
                out.append(Reading(kind, hit.start(), hit.end(), hit.group(0)))
        return out

    def assess(self, text: str, ref: date, people: dict) -> RiskOpinion:
        readings = self.find(text)
        if not readings:
            return RiskOpinion("routine")
        dominant: list[bool] = []

        def third_dominant() -> bool:  # counted once, only when a third person needs it
            if not dominant:
                dominant.append(self.reader.third_dominant(text))
            return dominant[0]

        people = {**people, "third_dominant": third_dominant, "study": self.reader.study(text)}
        clauses = self.reader.clauses(text)
        idioms = self.reader.idioms(text)
        for r in readings:
            clause = next(((lo, hi) for lo, hi in clauses if lo <= r.start < hi), (0, len(text)))
            self.reader.read(r, text, clause, ref, idioms, people)
        return self.combine(readings, text)

    def _current(self, r: Reading, window: int) -> bool:
        if r.days is not None:
            return r.days <= window
        return not r.historical

    def combine(self, readings: list[Reading], text: str) -> RiskOpinion:
        op = RiskOpinion("routine", readings=readings)
        w = self.w
        si_days = w.get("suicidal_current_days", 30)
        live = [r for r in readings if r.who == "patient" and r.certainty in COUNTS]
        ideation = [r for r in live if r.kind in ("ideation", "passive") and self._current(r, si_days)]

        def raise_to(level: str, r: Reading, why: str) -> None:
            op.evidence.append(r.evidence(f"urgency:{level}", note=why))
            if URGENCY_RANK[level] > URGENCY_RANK[op.level]:
                op.level = level

        for r in readings:
            if r not in live:
                op.evidence.append(r.evidence("risk_discounted", note=f"{r.certainty}, about the {r.who}"))
                continue
            k = r.kind
            if k in ("intent", "method", "prep") and self._current(r, si_days):
                raise_to("crisis", r, f"{k}: crisis")
            elif k == "attempt":
                window = w.get("attempt_crisis_days", 90)
                if r.days is not None and r.days <= window:
                    raise_to("crisis", r, f"attempt {r.days} days before the message (within {window})")
                elif r.days is None and not r.historical:
                    raise_to("crisis", r, "attempt with no date, not described as history: chose the higher level")
                else:
                    op.evidence.append(r.evidence("risk_discounted", note="attempt in the past"))
            elif k in ("hi", "danger") and self._current(r, si_days):
                raise_to("crisis", r, f"{k}: crisis")
            elif k in ("plan", "means", "acquire_means") and self._current(r, si_days):
                if ideation or (k == "plan" and _NAMES_ACT.search(r.text)):
                    raise_to("crisis", r, f"{k} with current suicidal thoughts ('{ideation[0].text}')" if ideation
                             else "a plan that names the act")
            elif k in ("ideation", "passive") and self._current(r, si_days):
                if k == "ideation" and _ACTIVE.search(r.text) and _ACT_TIME.search(text, max(0, r.start - 40), r.end + 40):
                    raise_to("crisis", r, "suicidal thoughts with a time for the act")
                else:
                    raise_to("urgent", r, f"current {k}")
            elif k == "self_injury" and self._current(r, w.get("self_harm_urgent_days", 30)):
                raise_to("urgent", r, "self-injury within 30 days")
            elif k == "discharge" and self._current(r, w.get("discharge_urgent_days", 30)):
                raise_to("urgent", r, "psychiatric discharge within 30 days")
        return op
