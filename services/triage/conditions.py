"""Conditions, the primary condition and administrative messages (TRIAGE_POLICY.md)."""

from __future__ import annotations

import re
from typing import Any, Mapping

from .mentions import Mention
from .patterns import (
    _DX_HEADER,
    _POSSESSIVE_BEFORE,
    _PRIMARY_CUE,
    _SELF_CLINICAL,
    _SENT_END,
    _as_list,
    _as_number,
)
from .types import CONDITIONS


class ConditionsMixin:
    # ------------------------------------------------------------------ conditions
    def _conditions(self, mentions: list[Mention], structured: Mapping, evidence: list[dict], text: str):
        found: dict[str, int] = {}
        for m in mentions:
            if m.group != "COND":
                continue
            if m.negated or m.family or m.resolved:
                continue
            if (m.hypothetical or m.inquiry) and not _POSSESSIVE_BEFORE.search(text[max(0, m.start - 40):m.start]):
                # "do you treat social anxiety? I can barely leave the house": a question, but the
                # writer also describes themself, so the condition is theirs.
                if not (m.inquiry and not m.hypothetical and _SELF_CLINICAL.search(text)):
                    continue
            if m.value not in found:
                found[m.value] = m.start
                evidence.append(m.evidence(f"condition:{m.value}"))
        icd_conditions = []
        for code in _as_list(structured.get("icd10_codes")):
            entry = self._icd_entry(code)
            if entry and entry.get("condition"):
                icd_conditions.append(entry["condition"])
                if entry["condition"] not in found:
                    found[entry["condition"]] = 10**9 + len(icd_conditions)
                evidence.append({"label": f"condition:{entry['condition']}", "source": "structured",
                                 "field": "icd10_codes", "value": str(code), "rule": f"icd10.{entry['prefix']}"})
        if not found:
            for rule in self._structured.get("score_conditions", []):
                value = _as_number(structured.get(rule["field"]))
                if value is not None and value >= rule["min"]:
                    found.setdefault(rule["condition"], 2 * 10**9)
                    evidence.append({"label": f"condition:{rule['condition']}", "source": "structured",
                                     "field": rule["field"], "value": value, "rule": f"score.{rule['field']}"})
        if "bipolar_depression" in found and "depression" in found:
            # Policy: bipolar depression is given instead of depression, never both.
            found["bipolar_depression"] = min(found["bipolar_depression"], found.pop("depression"))
            evidence.append({"label": "condition_dropped:depression", "source": "rule", "rule": "policy.bipolar_instead",
                             "note": "bipolar depression given instead of depression"})
            for ev in evidence:
                if ev["label"] == "condition:depression":
                    ev["label"] = "condition:bipolar_depression"
                    ev["note"] = "depressive episode of bipolar disorder"
        conditions = {c for c in found if c in CONDITIONS}
        return conditions, found, (icd_conditions[0] if icd_conditions else None)

    def _icd_entry(self, code: Any) -> dict | None:
        c = str(code).strip().upper()
        for entry in self._icd:
            if c.startswith(entry["prefix"].upper()):
                unless = entry.get("unless_regex")
                if unless and re.match(unless, c):
                    return None
                return entry
        return None

    # ------------------------------------------------------------------ admin
    def _admin_kind(self, mentions: list[Mention], channel: str | None) -> str | None:
        kinds = {m.value for m in mentions if m.group == "ADMIN" and not m.negated}
        if not kinds or channel == "referral":
            return None
        if "outside" in kinds:
            return "outside"
        if any(m.group == "SEEK" and not m.negated for m in mentions):
            return None
        return "admin"

    # ------------------------------------------------------------------ primary
    def _primary(self, conditions, found, icd_first, mentions, channel, text, evidence) -> str:
        if not conditions:
            return "none"  # the policy's word for an empty primary
        order = sorted(conditions, key=lambda c: found.get(c, 10**10))
        choice = None
        rule = "primary.first_mentioned"
        if channel == "referral":
            header = _DX_HEADER.search(text)
            if header:
                after = [m for m in mentions if m.group == "COND" and m.start >= header.end()]
                for m in sorted(after, key=lambda x: x.start):
                    value = "bipolar_depression" if m.value == "depression" and "bipolar_depression" in conditions else m.value
                    if value in conditions:
                        choice, rule = value, "primary.first_listed_diagnosis"
                        break
            if choice is None and icd_first in conditions and not any(
                m.group == "COND" and m.value in conditions for m in mentions
            ):
                choice, rule = icd_first, "primary.first_icd10_code"
        else:
            for cue in _PRIMARY_CUE.finditer(text):
                # "GAD and some depression, mostly the anxiety": what follows the cue in the same
                # sentence wins; only if nothing follows, the nearest mention before it.
                tail = text[cue.end():cue.end() + 60]
                stop = _SENT_END.search(tail)
                tail_end = cue.end() + (stop.start() if stop else len(tail))
                ahead = None
                for m in mentions:
                    if m.group != "COND" or not (cue.end() <= m.start < tail_end):
                        continue
                    value = "bipolar_depression" if m.value == "depression" and "bipolar_depression" in conditions else m.value
                    if value in conditions and (ahead is None or m.start < ahead[0]):
                        ahead = (m.start, value)
                for cond, rx in self._primary_words.items():
                    value = "bipolar_depression" if cond == "depression" and "bipolar_depression" in conditions else cond
                    hit = rx.search(text, cue.end(), tail_end)
                    if hit and value in conditions and (ahead is None or hit.start() < ahead[0]):
                        ahead = (hit.start(), value)
                if ahead:
                    choice, rule = ahead[1], "primary.main_concern_cue"
                    break
                best = None
                for m in mentions:
                    if m.group != "COND" or m.end > cue.start():
                        continue
                    value = "bipolar_depression" if m.value == "depression" and "bipolar_depression" in conditions else m.value
                    if value not in conditions:
                        continue
                    dist = cue.start() - m.end
                    if dist <= 80 and (best is None or dist < best[0]):
                        best = (dist, value)
                if best:
                    choice, rule = best[1], "primary.main_concern_cue"
                    break
            if choice is None:
                counts: dict[str, int] = {}
                for m in mentions:
                    if m.group == "COND" and m.value in conditions and not (m.negated or m.family):
                        counts[m.value] = counts.get(m.value, 0) + 1
                if counts:
                    top = max(counts.values())
                    tied = [c for c in order if counts.get(c, 0) == top]
                    if len(tied) == 1 and top > 1:
                        choice, rule = tied[0], "primary.most_mentioned"
        if choice is None:
            choice = order[0]
        evidence.append({"label": f"primary:{choice}", "source": "rule", "rule": rule})
        return choice

