"""Veteran status and routing flags (TRIAGE_POLICY.md)."""

from __future__ import annotations

import re
from datetime import date

from .mentions import Mention, Subject
from .patterns import (
    _PATIENT_REF_BEFORE,
    _TEXT_DOB,
    _as_list,
    _parse_date,
)


class FlagsMixin:
    # ------------------------------------------------------------------ veteran
    def _veteran(self, mentions, structured, subject: Subject, text: str, evidence) -> bool:
        vet_ev = None
        tricare_ev = None
        dependent = None
        for m in mentions:
            if m.group != "VET" or m.negated or m.family:
                continue
            if m.value == "dependent":
                dependent = m
                continue
            if (not subject.proxy and re.search(r"\b(?:he|she|he's|she's|he is|she is|his|her|they're)\s+(?:\w+\s+)?$",
                                                 text[max(0, m.start - 20):m.start], re.I)
                    and not _PATIENT_REF_BEFORE.search(text[max(0, m.start - 80):m.start])):
                continue  # "(she's active duty)": someone else's service; "pt states he is a vet" is the patient's
            if re.search(r"tri-?care", m.text, re.I):
                before = text[max(0, m.start - 25):m.start].lower()
                if subject.proxy and re.search(r"\b(?:my|our|mi)\s+$", before):
                    dependent = dependent or m
                    continue
                tricare_ev = tricare_ev or m
                continue
            vet_ev = vet_ev or m
        if structured.get("veteran") is True:
            evidence.append({"label": "veteran", "source": "structured", "field": "veteran", "value": True})
            return True
        if vet_ev:
            evidence.append(vet_ev.evidence("veteran"))
            return True
        if tricare_ev and not dependent:
            evidence.append(tricare_ev.evidence("veteran", note="Tricare named without saying it is a sponsor's: the patient's own"))
            return True
        if dependent:
            evidence.append(dependent.evidence("veteran_not_set", note="dependent/spouse coverage or civilian"))
        return False

    # ------------------------------------------------------------------ flags
    def _flags(self, mentions, structured, doc, text, ref, subject, evidence, admin_kind) -> set[str]:
        flags: set[str] = set()

        def add(flag: str, ev: dict) -> None:
            if flag not in flags:
                flags.add(flag)
                evidence.append(ev)

        substance_spans = []
        for m in mentions:
            if m.group != "FLAG":
                continue
            opts = self._options.get(m.rule_id, {})
            if opts.get("ignore_context"):
                add(m.value, m.evidence(f"flag:{m.value}"))
                continue
            if m.negated or m.family:
                continue
            if (m.hypothetical or m.inquiry) and m.value not in ("spanish_language",):
                if m.value != "treatment_resistant" or m.inquiry:
                    continue
            if opts.get("current_only") and (m.historical or m.resolved or (m.days is not None and m.days > 90 and not m.since)):
                continue
            if opts.get("needs_date_or_recent"):
                limit = int(opts.get("recent_days", 180))
                if m.days is None or m.days > limit or m.resolved:
                    continue
            if opts.get("kind") == "age":
                nums = [int(n) for n in re.findall(r"\d{1,2}", m.text)]
                if not nums or min(nums) >= int(self.rules.meta.get("adult_age", 18)):
                    continue
                if m.days is not None and m.days > 365:
                    continue
            if m.value == "substance_use_active":
                substance_spans.append((m.start, m.end))
            add(m.value, m.evidence(f"flag:{m.value}"))

        # treatment_resistant by counting failed antidepressants in "failed/tried" sentences.
        if "treatment_resistant" not in flags:
            fail_sents = {m.sent for m in mentions if m.group == "FAIL"}
            drugs: dict[str, Mention] = {}
            for m in mentions:
                if m.group == "AD" and m.sent in fail_sents and not (m.family or m.hypothetical):
                    if m.negated and not any(c == "NEGATED_EXISTENCE" and re.search(r"n't|not|no\b", t, re.I) and m.sent in fail_sents for c, t in m.mods):
                        continue
                    drugs.setdefault(m.value, m)
            if len(drugs) >= self._min_failed:
                first = next(iter(drugs.values()))
                add("treatment_resistant", first.evidence("flag:treatment_resistant",
                    note=f"{len(drugs)} antidepressants named as failed: {', '.join(sorted(drugs))}"))

        # Structured: ICD codes, date of birth, language.
        for code in _as_list(structured.get("icd10_codes")):
            entry = self._icd_entry(code)
            if entry and entry.get("flag"):
                add(entry["flag"], {"label": f"flag:{entry['flag']}", "source": "structured", "field": "icd10_codes",
                                    "value": str(code), "rule": f"icd10.{entry['prefix']}"})
        dob = _parse_date(structured.get("date_of_birth"))
        dob_source = {"source": "structured", "field": "date_of_birth"}
        if not dob:
            hit = _TEXT_DOB.search(text)
            if hit:
                try:
                    dob = (date(int(hit.group(3)), int(hit.group(1)), int(hit.group(2))) if hit.group(3)
                           else date(int(hit.group(4)), int(hit.group(5)), int(hit.group(6))))
                except ValueError:
                    dob = None
                dob_source = {"source": "text", "rule": "text.date_of_birth", "start": hit.start(), "end": hit.end(),
                              "text": hit.group(0)}
        if dob:
            age = ref.year - dob.year - ((ref.month, ref.day) < (dob.month, dob.day))
            if age < int(self.rules.meta.get("adult_age", 18)):
                add("minor", {"label": "flag:minor", **dob_source, "value": age})
            else:
                flags.discard("minor")
                evidence[:] = [e for e in evidence if e["label"] != "flag:minor"]
        lang = str(structured.get("preferred_language") or "").strip().lower()
        if lang in self._preferred_es:
            add("spanish_language", {"label": "flag:spanish_language", "source": "structured",
                                     "field": "preferred_language", "value": lang})
        if "spanish_language" not in flags:
            words = {t.lower_ for t in doc if t.lower_ in self._spanish_words}
            score = len(words) + (1 if any(ch in text for ch in self._spanish_chars) else 0)
            if score >= self._spanish_min:
                add("spanish_language", {"label": "flag:spanish_language", "source": "text", "rule": "language.spanish_words",
                                         "note": f"{len(words)} Spanish words"})

        # Treatment interest.
        if admin_kind != "outside":
            tx = [m for m in mentions if m.group == "TX" and not m.negated
                  and not any(s <= m.start < e or m.start <= s < m.end for s, e in substance_spans)]
            for m in tx:
                if m.value == "spravato":
                    add("interested_spravato", m.evidence("flag:interested_spravato"))
                elif m.value == "ketamine_infusion":
                    add("interested_ketamine_infusion", m.evidence("flag:interested_ketamine_infusion"))
                elif m.value == "both":
                    add("interested_spravato", m.evidence("flag:interested_spravato", note="either treatment"))
                    add("interested_ketamine_infusion", m.evidence("flag:interested_ketamine_infusion", note="either treatment"))
        return flags


