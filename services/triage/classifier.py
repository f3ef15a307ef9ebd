"""The triage classifier: medspaCy targets + ConText, then the policy in TRIAGE_POLICY.md.

Never logs or prints message text: evidence spans go only into the returned result.
"""

from __future__ import annotations

import re
import threading
from datetime import date

from .conditions import ConditionsMixin
from .eligibility import assess_eligibility
from .flags import FlagsMixin
from .mentions import MentionsMixin
from .patterns import (
    _parse_date,
)
from .prefilter import SelectiveRegex
from .rules import RuleSet, default_rules
from .opinions import combine_opinions, compose_version
from .learned import load_learned
from .risk import RiskModel
from .types import URGENCY_RANK, TriageInput, TriageResult
from .urgency_rules import UrgencyMixin


def _clean(text: str | None) -> str:
    return (text or "").replace("\u2019", "'").replace("\u2018", "'")  # same length: spans stay valid


_PATIENT_WORD = re.compile(r"\b(?:pt|patient|client)\b", re.I)


class Classifier(MentionsMixin, ConditionsMixin, UrgencyMixin, FlagsMixin):
    def __init__(self, rules: RuleSet | None = None):
        from .nlp import build_pipeline

        self.rules = rules or default_rules()
        self.version = self.rules.version
        self._nlp = build_pipeline(self.rules)
        self._lock = threading.Lock()
        meta = self.rules.meta
        self._windows = meta.get("windows", {})
        self._structured = meta.get("structured", {})
        self._icd = sorted(meta.get("icd10", []), key=lambda e: -len(e["prefix"]))
        self._risk_levels = self.rules.risk.get("urgency_rules", {})
        self._needs_si = set(self.rules.risk.get("needs_si", []))
        self._options = {t.id: t.options for t in self.rules.targets}
        self._values = {t.id: t.value for t in self.rules.targets}
        from .nlp import PLAIN_GROUPS

        self._plain = [
            (t.group, t.id, t.value, SelectiveRegex(t.patterns))
            for t in self.rules.targets
            if t.group in PLAIN_GROUPS
        ]
        people = self.rules.docs.get("people", {})
        rel = people.get("relation_regex", r"\b(?:son|daughter|husband|wife)\b")
        rel_core = rel[2:-2] if rel.startswith(r"\b") and rel.endswith(r"\b") else rel
        self._rel_word = re.compile(rel, re.I)
        poss = r"(?:my|our|mi|nuestro|nuestra)"
        pron = r"(?:his|her|their|the|su)"
        self._proxy_strong = re.compile(
            rf"\b(?:for|about|on behalf of|regarding|re:|para|por|de parte de|sobre)\s+(?:{poss}|{pron})\s+(?:\w+\s+)?({rel_core})\b"
            rf"|\b(?:calling|writing|reaching out|inquiring|asking|llamo|escribo)\s+(?:for|about|on behalf of|por|para|de parte de)\s+(?:{poss}|{pron})?\s*(?:\w+\s+)?({rel_core})\b"
            # call-note shorthand without a possessive: "mom calling re: daughter, 14F"
            rf"|\b(?:re:|regarding)\s*(?:pt'?s\s+|patient'?s\s+)?({rel_core})\b"
            # a call note naming the caller, then the patient: "Llamó la señora P.: su hijo de 22 ..."
            rf"|\b(?:llam[oó]|called|call from)\b[^.\n]{{0,40}}?[:,]\s*(?:su|her|his)\s+(?:\w+\s+)?({rel_core})\b"
            ,
            re.I,
        )
        # "my son has ...", "my wife is ...": weaker, dropped when the writer names a condition of
        # their own ("My sister has bipolar ... I have panic disorder").
        self._proxy_possessive = re.compile(
            rf"\b(?:{poss})\s+(?:\d{{1,2}}[- ]?(?:yo|y/o|year[- ]old|años)\s+)?({rel_core})\W{{0,3}}(?:\w+\W{{0,3}}){{0,3}}?(?:is|has|was diagnosed|needs|suffers|struggles|tiene|padece|sufre de|anda|trae|est[aá]|necesita|sufre|has been|attempted|tried|won't|refuses|wants|keeps|says|said|told|can't|doesn't|just|recently|'s (?:been|having|struggling|not|always|really|very|so)|is a|was|lleva|ha estado|intent[oó])\b",
            re.I,
        )
        self._proxy_opening = re.compile(
            rf"^\W*(?:(?:hi|hello|hey|hola|buenas \w+|buenos d[ií]as|good (?:morning|afternoon|evening)|f[ií]jese(?: que)?|mire|oiga|oye|disculpe|perdone|perd[oó]n)\W+)?(?:{poss})\s+(?:\w+\s+)?({rel_core})\b(?!'s)"
            rf"(?!\s+(?:died|passed|killed|committed|was killed|has passed|se suicid[oó]|muri[oó]|says i|thinks i|told me))"
            rf"|\b(?:pt|patient)\s*\(\s*({rel_core})\s*\)",
            re.I,
        )
        self._writer_rel = re.compile(
            rf"\bcaller(?:\s+is|\s+was|:)?\s+(?:the\s+)?(?:pt'?s|patient'?s|his|her|their)?\s*({rel_core})\b"
            rf"|\b({rel_core})\s+(?:calling|called|calls|is calling|llama|llam[oó])\b"
            rf"|\b(?:i'm|i am|as|soy)\s+(?:his|her|their|the|su)\s+({rel_core})\b"
            rf"|\b(?:pt'?s|patient'?s)\s+({rel_core})\s+(?:reports|states|says|said|called|calling|is calling|on the line|on line|worried)\b"
            rf"|\b({rel_core})\s+of\s+(?:the\s+)?(?:pt|patient)\b"
            rf"|\b(?:per|according to|informant:?)\s+(?:the\s+|pt'?s\s+|patient'?s\s+|his\s+|her\s+)?({rel_core})\b",
            re.I,
        )
        cond_patterns = [p for t in self.rules.targets if t.group == "COND" for p in t.patterns]
        self._cond_rx = re.compile("|".join(f"(?:{p})" for p in cond_patterns), re.I) if cond_patterns else None
        self._primary_words = {
            cond: re.compile(r"\b(?:" + "|".join(words) + r")\b", re.I)
            for cond, words in (self.rules.docs.get("conditions", {}).get("primary_words") or {}).items() if words
        }
        lang = self.rules.docs.get("language", {})
        self._spanish_words = {w.lower() for w in lang.get("spanish_words", [])}
        self._spanish_min = int(lang.get("min_words", 2))
        self._spanish_chars = str(lang.get("spanish_chars", ""))
        self._preferred_es = {v.lower() for v in lang.get("preferred_language_values", ["es"])}
        self._min_failed = int(self.rules.flags.get("min_failed_antidepressants", 2))
        time_rx = next(c.regex for c in self.rules.context if c.category == "TIME" and c.regex)
        self._risk = RiskModel(time_rx, rel, self._windows)
        self._learned = load_learned()  # None when no artifact is shipped
        self.version = compose_version(self.rules.version, self._risk.lexicon.digest,
                                       self._learned.digest if self._learned else None)

    # ------------------------------------------------------------------ entry point
    def classify(self, inp: TriageInput) -> TriageResult:
        return self.classify_many([inp])[0]

    def classify_many(self, inputs: list[TriageInput]) -> list[TriageResult]:
        """A batch: spaCy's nlp.pipe over the texts and one learned-model call (the worker's path)."""
        texts = [_clean(inp.text) for inp in inputs]
        with self._lock:  # spaCy matchers are not guaranteed thread-safe
            docs = list(self._nlp.pipe(texts, batch_size=64))
        learned = self._learned.predict_many(texts) if self._learned is not None else [None] * len(texts)
        return [self._classify_doc(inp, text, doc, opinion) for inp, text, doc, opinion in zip(inputs, texts, docs, learned)]

    def _classify_doc(self, inp: TriageInput, text: str, doc, learned) -> TriageResult:
        structured = dict(inp.structured or {})
        channel = (inp.channel or structured.get("channel") or "").lower() or None
        ref = _parse_date(structured.get("message_date")) or date.today()
        subject = self._subject(text)
        mentions = self._mentions(doc, ref, subject)
        evidence: list[dict] = []

        conditions, cond_first, icd_first = self._conditions(mentions, structured, evidence, text)
        admin_kind = self._admin_kind(mentions, channel)
        rules_level = self._urgency(mentions, structured, channel, conditions, evidence, text)
        people = {"proxy": subject.proxy, "patient_rels": subject.patient_rels,
                  "clinical": channel in ("referral", "phone") or bool(_PATIENT_WORD.search(text))}
        risk = self._risk.assess(text, ref, people)
        urgency, possible = combine_opinions(rules_level, risk, learned, evidence,
                                             learned_abstained=self._learned is not None and learned is None)
        if admin_kind and URGENCY_RANK[urgency] == 0:
            for c in sorted(conditions):  # stable evidence order
                evidence.append({"label": f"condition_dropped:{c}", "source": "rule", "rule": f"admin.{admin_kind}",
                                 "note": "administrative message: no conditions"})
            conditions.clear()
            evidence[:] = [e for e in evidence if not e["label"].startswith("condition:")]
        primary = self._primary(conditions, cond_first, icd_first, mentions, channel, text, evidence)
        veteran = self._veteran(mentions, structured, subject, text, evidence)
        flags = self._flags(mentions, structured, doc, text, ref, subject, evidence, admin_kind)
        if admin_kind == "outside" and URGENCY_RANK[urgency] == 0:
            keep = {"spanish_language"}
            flags = {f for f in flags if f in keep}
            veteran = False
            evidence[:] = [e for e in evidence if not (e["label"].startswith("flag:") and e["label"][5:] not in keep)
                           and e["label"] != "veteran"]
        eligible = assess_eligibility(text, structured.get("icd10_codes"), flags)
        return TriageResult(
            conditions=sorted(conditions),
            primary_condition=primary,
            urgency=urgency,
            veteran=veteran,
            flags=sorted(flags),
            evidence=evidence,
            version=self.version,
            possible_crisis=possible,
            contraindications=eligible.contraindications,
            warnings=eligible.warnings,
        )

