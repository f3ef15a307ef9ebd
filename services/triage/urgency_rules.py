"""The rule opinion on urgency: risk mentions and structured screeners, by the policy's levels."""

from __future__ import annotations

import re
from typing import Mapping

from .mentions import Mention
from .patterns import (
    _ACT_TIME,
    _ACTIVE_SI_RULES,
    _GENERIC_PLAN,
    _IMPLIES_SI,
    _INJURY_SEVERE_OR_SUICIDAL,
    _POSSESSIVE_BEFORE,
    _PROVIDER_CONTEXT,
    _SELF_INJURY_WORDS,
    _SELF_KILL_PLAN,
    _TIME_CLAUSE_BREAK,
    _as_number,
    _sentence_bounds,
    _sentence_window,
)
from .types import URGENCY_RANK


class UrgencyMixin:
    # ------------------------------------------------------------------ urgency
    def _urgency(self, mentions, structured, channel, conditions, evidence, text) -> str:
        level = "routine"
        w = self._windows

        def raise_to(new: str, ev: dict) -> None:
            nonlocal level
            evidence.append(ev)
            if URGENCY_RANK[new] > URGENCY_RANK[level]:
                level = new

        def discount(m: Mention, why: str) -> None:
            evidence.append(m.evidence("risk_discounted", note=why))

        # Structured screeners (raise only).
        s_si = False
        item9 = _as_number(structured.get("phq9_item9"))
        if item9 is not None and item9 >= self._structured.get("phq9_item9_urgent_min", 1):
            s_si = True
            raise_to("urgent", {"label": "urgency:urgent", "source": "structured", "field": "phq9_item9",
                                "value": item9, "rule": "structured.phq9_item9"})
        cssrs = structured.get("cssrs") or {}
        if isinstance(cssrs, Mapping):
            for item in self._structured.get("cssrs_crisis_items", []):
                if cssrs.get(item) is True:
                    raise_to("crisis", {"label": "urgency:crisis", "source": "structured", "field": f"cssrs.{item}",
                                        "value": True, "rule": "structured.cssrs_crisis"})
            for item in self._structured.get("cssrs_urgent_items", []):
                if cssrs.get(item) is True:
                    s_si = True
                    raise_to("urgent", {"label": "urgency:urgent", "source": "structured", "field": f"cssrs.{item}",
                                        "value": True, "rule": "structured.cssrs_urgent"})
        pu = str(structured.get("provider_urgency") or "").strip().lower()
        if pu in self._structured.get("provider_urgency_urgent", []):
            raise_to("urgent", {"label": "urgency:urgent", "source": "structured", "field": "provider_urgency",
                                "value": pu, "rule": "structured.provider_urgency"})

        risk = [m for m in mentions if m.group == "RISK"]
        ocd_present = "ocd" in conditions

        def affirmed(m: Mention) -> str | None:
            if m.negated:
                return "negated"
            # The relative is the victim ("hi", "danger"), or owns the means ("my husband's rifle" is
            # still access to a firearm).
            if m.family and m.value not in ("hi", "danger", "means"):
                return "about someone else"
            if m.hypothetical or (m.inquiry and not _POSSESSIVE_BEFORE.search(text[max(0, m.start - 40):m.start])):
                return "hypothetical or general question"
            return None

        def current(m: Mention, window: int) -> bool:
            if m.since:
                return True
            if m.days is not None:
                return m.days <= window
            return not m.historical

        si_current = s_si
        for m in risk:
            # A plan that itself names killing oneself ("going to shoot himself") is a suicidal thought.
            is_si = m.value == "si" or (m.value == "plan" and (_SELF_KILL_PLAN.search(m.text) is not None
                                                                or _IMPLIES_SI.search(m.text) is not None))
            if is_si and affirmed(m) is None and current(m, w.get("suicidal_current_days", 30)):
                si_current = True

        si_denied = any(m.value == "si" and m.negated for m in risk)
        corroborating = ("plan", "means", "prep", "method", "attempt", "now")

        def corroborated(m: Mention) -> Mention | None:
            """Another affirmed plan/means/preparation in the same or the next sentence."""
            for o in risk:
                if o is m or o.value not in corroborating or o.value == m.value or abs(o.sent - m.sent) > 1:
                    continue
                if _GENERIC_PLAN.match(o.text) or _GENERIC_PLAN.match(m.text):
                    continue  # "I have a plan" alone may be an insurance plan: not corroboration
                if affirmed(o) is None and not (o.historical and o.days is None):
                    return o
            return None

        for m in risk:
            kind = m.value
            target = self._risk_levels.get(kind)
            if not target:
                continue
            if kind == "si" and m.intrusive and si_denied:
                discount(m, "unwanted intrusive thoughts, suicidal thoughts denied")
                continue
            why = affirmed(m)
            if why:
                discount(m, why)
                continue
            note = None
            if m.possible:
                note = f"uncertain wording: chose the higher level ({target})"
            if kind == "attempt":
                window = w.get("attempt_crisis_days", 90)
                if m.days is not None and not m.since:
                    if m.days > window:
                        discount(m, f"attempt about {m.days} days before the message (over {window})")
                        continue
                elif m.historical:
                    discount(m, "attempt described as history, no date")
                    continue
                else:
                    note = "attempt with no date: unsure between crisis and routine, chose the higher level (crisis)"
                raise_to(target, m.evidence(f"urgency:{target}", **({"note": note} if note else {})))
                continue
            if kind == "self_harm":
                if not current(m, w.get("self_harm_urgent_days", 30)):
                    discount(m, "self-harm in the past")
                    continue
            elif kind == "discharge":
                if not current(m, w.get("discharge_urgent_days", 30)):
                    discount(m, "discharge more than 30 days ago")
                    continue
            elif kind == "expedite":
                if channel != "referral" and not _PROVIDER_CONTEXT.search(text):
                    discount(m, "urgency words from a patient do not raise urgency")
                    continue
            elif kind == "hi":
                plain = not re.search(r"homicid|\bHI\b|matar", m.text)
                if m.intrusive or (ocd_present and plain):
                    discount(m, "unwanted intrusive (OCD) harm thoughts are not homicidal ideation")
                    continue
                if not current(m, w.get("suicidal_current_days", 30)):
                    discount(m, "in the past")
                    continue
            elif kind == "phq9_item9":
                digits = re.findall(r"[0-3]", m.text[-3:])
                if not digits or int(digits[-1]) < 1:
                    continue
            elif kind in self._needs_si:
                other = None if si_current else corroborated(m)
                if not si_current and other is None:
                    discount(m, "no current suicidal thoughts" + (" (firearm access alone is routine)" if kind == "means" else ""))
                    continue
                if other is not None:
                    note = (f"{kind} together with {other.value} ('{other.text}') and no suicide word: unsure between "
                            "routine and crisis, chose the higher level (crisis)")
                if kind == "means":
                    note = "suicidal thoughts with access to means: unsure between urgent and crisis, chose the higher level (crisis)"
                if not current(m, w.get("suicidal_current_days", 30)):
                    discount(m, "in the past")
                    continue
            else:
                if not current(m, w.get("suicidal_current_days", 30)):
                    discount(m, "in the past")
                    continue
            raise_to(target, m.evidence(f"urgency:{target}", **({"note": note} if note else {})))

        # Structural: a current suicidal thought with a time for the act ("tonight", "next week") or
        # with current self-injury in the same or the next sentence is a plan / suicidal behavior.
        if level != "crisis":
            sents = _sentence_bounds(text)
            for m in risk:
                if m.value != "si" or affirmed(m) is not None or not current(m, w.get("suicidal_current_days", 30)):
                    continue
                lo, hi = _sentence_window(sents, m.start)
                if m.rule_id in _ACTIVE_SI_RULES:
                    # the time must belong to the thought itself ("using it on myself next week"), not
                    # to another clause ("... I see my therapist tomorrow")
                    when = _ACT_TIME.search(text, m.end, min(hi, m.end + 50))
                    if when and _TIME_CLAUSE_BREAK.search(text[m.end:when.start()]):
                        when = None
                    if when:
                        raise_to("crisis", m.evidence("urgency:crisis", rule="structural.si_with_time", time=when.group(0),
                                                      note="current suicidal thoughts with a time for the act: a plan"))
                        break
                if _SELF_INJURY_WORDS.search(m.text):
                    continue  # "hurt myself" is the self-injury itself, not a suicidal thought
                harm = next((o for o in risk if o.value == "self_harm" and lo <= o.start < hi and affirmed(o) is None
                             and current(o, w.get("self_harm_urgent_days", 30))), None)
                if harm and _INJURY_SEVERE_OR_SUICIDAL.search(text[lo:m.start] + " | " + text[m.end:hi]):
                    raise_to("crisis", m.evidence("urgency:crisis", rule="structural.si_with_self_injury", with_text=harm.text,
                                                  note="current suicidal thoughts with current self-injury: suicidal behavior, "
                                                       "unsure between urgent and crisis, chose the higher level"))
                    break
        return level

