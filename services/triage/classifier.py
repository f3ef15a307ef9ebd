"""The triage classifier: medspaCy targets + ConText, then the policy in TRIAGE_POLICY.md.

Never logs or prints message text: evidence spans go only into the returned result.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from .eligibility import assess_eligibility
from .prefilter import SelectiveRegex, literal_probe
from .rules import RuleSet, default_rules
from .timeref import days_ago
from .types import CONDITIONS, URGENCY_RANK, TriageInput, TriageResult

_FIRST_PERSON = re.compile(
    r"\b(?:i|i'm|im|i've|ive|i'd|me|myself|my own|yo|me siento|estoy|tengo|pt|patient|client)\b", re.I
)
_SELF_IN_TARGET = re.compile(r"\b(?:i|i'm|i've|me|myself|my|mi|me)\b|\b(?:quiero|tengo|estoy|matarme|quitarme)\b", re.I)
_POSSESSIVE_BEFORE = re.compile(
    r"(?:\b(?:my|mi|mis|his|her|their|pt'?s|patient'?s|su|sus)\s+(?:\w+\s+){0,2}|\b(?:i|i'm|i've|he|she|pt|patient)\s+(?:\w+\s+){0,3})$",
    re.I,
)
_PRIMARY_CUE = re.compile(
    r"\b(?:mainly|mostly|primarily|main(?:ly)?|biggest|especially|primary|chief|more than anything|above all|sobre todo|principalmente|lo que m[aá]s)\b",
    re.I,
)
_PROVIDER_CONTEXT = re.compile(
    r"\b(?:referral from|referring (?:provider|physician|clinician|psychiatrist)|(?:dr\.?|doctor) \w+'?s office|on behalf of dr|provider (?:asks|requests|called)|pcp (?:asks|requests|called))",
    re.I,
)
_SELF_CLINICAL = re.compile(
    r"\b(?:i|i'm|i've|im|ive)\s+(?:\w+\s+){0,3}(?:feel|felt|have|had|struggle|suffer|can'?t|cannot|get|been|am|keep|barely)\b|\bmy\s+(?:\w+\s+)?(?:depression|anxiety|ptsd|ocd|pain|symptoms|panic|mood)\b",
    re.I,
)
_FOR_MYSELF = re.compile(
    r"\b(?:for myself|asking for me|i'?m the patient|i am the patient|the patient is me|para m[ií] mism[oa]|es para m[ií])\b", re.I
)
# The writer says they have a condition themself ("I have panic disorder", "I've got OCD", "yo tengo
# depresión"): an opening "My sister has bipolar..." then does not make the sister the patient.
_I_HAVE = re.compile(
    r"\b(?:i|i'm|im|i've|ive|i am|yo)\b(?:\s+[\w,]+){0,3}?\s+(?:have|had|got|'ve got|suffer(?:ing)? from|(?:was |been |got )?diagnosed with|dx(?:'d)? with|struggl\w+ with|deal(?:ing)? with|live with|tengo|sufro de|padezco)\b",
    re.I,
)
_SENT_END = re.compile(r"[.!?\n]")
_SELF_KILL_PLAN = re.compile(
    r"\b(?:kill|shoot|hang|drown|overdos\w*|od|end)\b.{0,20}\b(?:myself|himself|herself|themsel(?:f|ves)|(?:my|his|her|their) (?:own )?life)\b"
    r"|\b(?:to|plan to|planning to|going to|gonna) (?:overdose|od)\b|\bmatarme|\bmatarse|\bsuicidarme|\bsuicidarse",
    re.I,
)
# Plan wording that itself names the act or a lethal place ("how I'd do it", "which bridge"): it is
# a suicidal thought of its own, so the plan needs no separate suicide word.
_IMPLIES_SI = re.compile(
    r"\bhow (?:i|he|she)(?:'d| would| will|'ll| am going to|'m going to| is going to|'s going to| was going to) (?:do it|end it)\b"
    r"|\bwhich (?:bridge|building|overpass|cliff|pills|gun)\b|\blethal dose\b",
    re.I,
)
# A negation word right before a risk span that ConText dropped because a longer modifier overlapped
# the span ("I don't want to die": "don't want" overlaps "want to die" and is pruned).
_NEG_JUST_BEFORE = re.compile(r"\b(?:don'?t|do not|doesn'?t|does not|didn'?t|did not|never|not|no|nunca|ni)\s+(?:really\s+|even\s+|ever\s+)?$", re.I)
# Risk words listed after one negation ("denies plan, intent, prior attempts"): the list goes on.
_RISK_LIST_BETWEEN = re.compile(
    r"^(?:[\s,/]|\b(?:plan|plans|intent|intention|means|method|si|hi|avh|ideation|self[- ]harm|thoughts|attempts?|hx|history|h/o|or|and|nor|any|current|prior|past)\b)*$",
    re.I,
)
# When the act would happen: a suicidal thought with one of these in the same or next sentence is a
# plan with a time (crisis).
_ACT_TIME = re.compile(
    r"\b(?:tonight|tomorrow|this weekend|next (?:week|weekend|month|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"|esta noche|ma[ñn]ana|este fin de semana|el pr[oó]ximo (?:fin de semana|lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo))\b",
    re.I,
)
_ACTIVE_SI_RULES = ("si.named", "si.self_kill")
_SELF_INJURY_WORDS = re.compile(r"\b(?:hurt|hurting|harm|harming|cut|cutting|burn|burning)\b", re.I)
# Self-injury that needed medical care or was done in order to die: with current suicidal thoughts it
# is suicidal behavior, not "self-harm without intent".
_INJURY_SEVERE_OR_SUICIDAL = re.compile(
    r"\b(?:deep(?:ly)?|stitches|sutures|puntadas|profund[oa]|emergency room|the er|urgent care|bled a lot"
    r"|porque quer[ií]a|because (?:i|he|she) wanted|to die|para morir(?:me|se)?)\b",
    re.I,
)
_GENERIC_PLAN = re.compile(
    r"^\W*(?:(?:have|has|had|with|w/|made|making|got|a|\+)\s+)?(?:a\s+)?(?:specific |detailed |concrete |clear )?plan\W*$", re.I)
_SYMPTOM_ABBREV = re.compile(r"^(?:a/?v ?h|avh|ah|vh|hallucinations?|psychosis|psychotic (?:symptoms|features)|paranoia|delusions?)$", re.I)
# A date of birth written in the text of a letter or note ("DOB 03/14/2011", "fecha de nacimiento: ...").
_TEXT_DOB = re.compile(
    r"\b(?:dob|d\.o\.b\.|date of birth|born(?: on)?|fecha de nacimiento|f\.? ?nac\.?)\s*[:#-]?\s*"
    r"(?:(\d{1,2})/(\d{1,2})/((?:19|20)\d\d)|((?:19|20)\d\d)-(\d\d)-(\d\d))",
    re.I,
)
_TIME_CLAUSE_BREAK = re.compile(
    r"[,;.!?]|\b(?:but|and|pero|y|appointment|appt|therapist|doctor|session|work|school|see|seeing|start|starting)\b", re.I)
# "not a plan, just wishing I wouldn't wake up": a comma then "just/only" contrasts, like "but".
_CLAUSE_BREAK = re.compile(
    r"\b(?:but|pero|however|although|though|aunque|sin embargo)\b|[,\u2014-]\s*(?:just|only|simply|solo|s[oó]lo|nada m[aá]s)\b",
    re.I,
)
# A relative named as the recipient ("texts to family", "letters for my kids") is not the person the
# risk is about.
_RECIPIENT_BEFORE = re.compile(r"\b(?:to|for|para|a)\s+$", re.I)
_DECEASED_BEFORE = re.compile(r"\b(?:muri[oó]|falleci[oó]|se nos fue|perd[ií] a)\s+$", re.I)
_TOLD_BEFORE = re.compile(
    r"\b(?:told|tells|telling|texted|texts|messaged|emailed|confided in|said to|wrote to|le dijo a|le cont[oó] a)\s+$", re.I
)
_PATIENT_REF_BEFORE = re.compile(r"\b(?:pt|patient|client|caller \(pt\)|caller is (?:the )?(?:pt|patient))\b[^.!?\n]*$", re.I)
_DX_HEADER = re.compile(r"\b(?:diagnos[ie]s|dx|assessment|impression|diagn[oó]sticos?)\b\s*[:#-]?", re.I)


@dataclass
class Mention:
    group: str
    value: str
    rule_id: str
    start: int
    end: int
    text: str
    sent: int
    mods: list[tuple[str, str]] = field(default_factory=list)
    negated: bool = False
    family: bool = False
    hypothetical: bool = False
    inquiry: bool = False
    possible: bool = False
    historical: bool = False
    resolved: bool = False
    intrusive: bool = False
    days: int | None = None  # most recent dated reference, days before the message date
    since: bool = False  # "since 2019": ongoing

    def evidence(self, label: str, **extra: Any) -> dict:
        ev = {
            "label": label,
            "source": "text",
            "rule": self.rule_id,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "modifiers": [f"{c}:{t}" for c, t in self.mods],
        }
        ev.update(extra)
        return ev


@dataclass
class Subject:
    proxy: bool
    patient_rels: set[str]
    writer_rels: set[str]


class Classifier:
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

    # ------------------------------------------------------------------ entry point
    def classify(self, inp: TriageInput) -> TriageResult:
        text = (inp.text or "").replace("\u2019", "'").replace("\u2018", "'")  # same length
        structured = dict(inp.structured or {})
        channel = (inp.channel or structured.get("channel") or "").lower() or None
        ref = _parse_date(structured.get("message_date")) or date.today()
        with self._lock:  # spaCy matchers are not guaranteed thread-safe
            doc = self._nlp(text)
        subject = self._subject(text)
        mentions = self._mentions(doc, ref, subject)
        evidence: list[dict] = []

        conditions, cond_first, icd_first = self._conditions(mentions, structured, evidence, text)
        admin_kind = self._admin_kind(mentions, channel)
        urgency = self._urgency(mentions, structured, channel, conditions, evidence, text)
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
            contraindications=eligible.contraindications, warnings=eligible.warnings,
            evidence=evidence,
            version=self.version,
        )

    # ------------------------------------------------------------------ subject
    def _subject(self, text: str) -> Subject:
        patient_rels: set[str] = set()
        writer_rels: set[str] = set()
        openers = [self._proxy_strong]
        if not self._writer_has_condition(text):
            openers += [self._proxy_possessive, self._proxy_opening]
        for rx in openers:
            for m in rx.finditer(text):
                word = next(g for g in m.groups() if g)
                patient_rels.add(_norm_rel(word))
        for m in self._writer_rel.finditer(text):
            word = next(g for g in m.groups() if g)
            writer_rels.add(_norm_rel(word))
        patient_rels -= writer_rels - patient_rels
        if _FOR_MYSELF.search(text):
            patient_rels = set()
        return Subject(proxy=bool(patient_rels), patient_rels=patient_rels, writer_rels=writer_rels)

    def _writer_has_condition(self, text: str) -> bool:
        if self._cond_rx is None:
            return False
        for m in _I_HAVE.finditer(text):
            tail = text[m.end():m.end() + 50]
            stop = _SENT_END.search(tail)
            if self._cond_rx.search(tail[:stop.start()] if stop else tail):
                return True
        return False

    # ------------------------------------------------------------------ mentions
    def _mentions(self, doc, ref: date, subject: Subject) -> list[Mention]:
        sents = list(doc.sents)  # doc.sents is recomputed on every access
        sent_of = {}
        for i, sent in enumerate(sents):
            for k in range(sent.start, sent.end):
                sent_of[k] = i
        out: list[Mention] = []
        targets = sorted(doc.spans.get("medspacy_spans", []), key=lambda t: t.start)
        for span in doc.spans.get("medspacy_spans", []):
            group, _, rule_id = span.label_.partition(":")
            if group == "NOOP":
                continue
            m = Mention(
                group=group,
                value=self._values[rule_id],
                rule_id=rule_id,
                start=span.start_char,
                end=span.end_char,
                text=span.text,
                sent=sent_of.get(span.start, 0),
            )
            for mod in span._.modifiers:
                s, e = mod.modifier_span
                mtext = doc[s:e].text
                cat = mod.category.upper()
                if cat == "FAMILY":
                    if not self._is_other_person(doc, s, e, span, mtext, subject):
                        continue
                    m.family = True
                elif cat == "NEGATED_EXISTENCE":
                    if self._negation_list_ended(doc, e, span, group, targets):
                        continue
                    m.negated = True
                elif cat == "HYPOTHETICAL":
                    m.hypothetical = True
                elif cat == "INQUIRY":
                    m.inquiry = True
                elif cat == "POSSIBLE_EXISTENCE":
                    m.possible = True
                elif cat == "HISTORICAL":
                    m.historical = True
                elif cat == "RESOLVED":
                    m.resolved = True
                elif cat == "INTRUSIVE":
                    m.intrusive = True
                elif cat == "TIME":
                    low = mtext.lower()
                    if low.startswith(("since", "desde")):
                        m.since = True
                        d = 0
                    else:
                        d = days_ago(mtext, ref)
                    if d is not None:
                        m.days = d if m.days is None else min(m.days, d)
                m.mods.append((cat, mtext))
            if group == "RISK" and not m.negated:
                before = doc.text[max(0, m.start - 20):m.start]
                neg = _NEG_JUST_BEFORE.search(before)
                if neg:
                    m.negated = True
                    m.mods.append(("NEGATED_EXISTENCE", neg.group(0).strip()))
            out.append(m)
        # Within a group, a span inside a longer span is the same mention ("suicide" in
        # "suicide attempt"): keep the longer one.
        sent_starts = [(sent.start_char, i) for i, sent in enumerate(sents)]
        present = doc.user_data.get("triage_literal_probe") or literal_probe(doc.text.lower())
        for group, rule_id, value, srx in self._plain:
            rx = srx.regex_for(present)
            if rx is None:
                continue
            for hit in rx.finditer(doc.text):
                idx = 0
                for start_char, i in sent_starts:
                    if start_char <= hit.start():
                        idx = i
                out.append(Mention(group=group, value=value, rule_id=rule_id, start=hit.start(), end=hit.end(),
                                   text=hit.group(0), sent=idx))
        out.sort(key=lambda x: (x.start, -(x.end - x.start)))
        kept: list[Mention] = []
        for m in out:
            if any(k.group == m.group and k.start <= m.start and m.end <= k.end and (k.end - k.start) > (m.end - m.start)
                   for k in kept):
                continue
            kept.append(m)
        return kept

    @staticmethod
    def _negation_list_ended(doc, mod_end: int, span, group: str, targets) -> bool:
        """A negation reaches across a comma only through a list of the same kind of finding.

        "denies SI, HI or self-harm" and "no depression, anxiety" negate every item; in "denies
        SI/HI, USMC vet, PTSD from OIF" the list of risks ends before the veteran status, and in
        "la depresión no me deja, ya probé 3 antidepresivos" the "no" belongs to its own clause.
        """
        between = doc[mod_end:span.start].text
        if _CLAUSE_BREAK.search(between):
            return True  # "my mom doesn't know pero ya escribí las cartas": a new clause
        if ";" in between:
            return True  # a semicolon closes the clause: "denies current SI; aborted attempt 3 wks ago"
        if "," not in between:
            return False
        first = next((t for t in targets if t.start >= mod_end), span)
        if (group == "RISK" or _SYMPTOM_ABBREV.match(span.text)) and _RISK_LIST_BETWEEN.match(between):
            return False  # "denies plan, intent, prior attempts": one list of risk findings
        if "," in doc[mod_end:first.start].text:
            return True  # the negation governs a clause of its own, not a list of findings
        return first.label_.partition(":")[0] != group

    def _is_other_person(self, doc, s: int, e: int, span, mtext: str, subject: Subject) -> bool:
        """A FAMILY modifier only means "someone else's" when its relative is not the patient."""
        low = mtext.lower()
        rel = self._rel_word.search(low)
        if rel and (_norm_rel(rel.group(0)) in subject.patient_rels or _norm_rel(rel.group(0)) in subject.writer_rels):
            return False
        if span.label_.startswith("RISK:") and _RECIPIENT_BEFORE.search(doc.text[max(0, doc[s].idx - 6):doc[s].idx]):
            return False  # a recipient ("goodbye texts to family"), not the person at risk
        if _TOLD_BEFORE.search(doc.text[max(0, doc[s].idx - 24):doc[s].idx]):
            return False  # the one told ("he told a coworker he has ..."), not the one it is about
        if span.label_.startswith("RISK:") and _DECEASED_BEFORE.search(doc.text[max(0, doc[s].idx - 24):doc[s].idx]):
            return False  # "desde que murió mi mamá, dice que ya quiere ...": the deceased is not the one at risk
        if "family" in low or "fam" in low.split() or "runs in" in low or "familia" in low:
            return True  # "family history of" stays family even when a first person follows
        # A first-person subject between the relative and the mention (or inside it) means
        # the writer speaks about themself: "since my dad died I've wanted to die".
        if s < span.start:
            between = doc[e:span.start].text
        else:
            between = doc[span.end:s].text
        if _FIRST_PERSON.search(between):
            return False
        if _SELF_IN_TARGET.search(span.text) and not subject.proxy:
            return False
        return True

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
    def _primary(self, conditions, found, icd_first, mentions, channel, text, evidence) -> str | None:
        if not conditions:
            return None
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


def _sentence_bounds(text: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for hit in _SENT_END.finditer(text):
        bounds.append((start, hit.end()))
        start = hit.end()
    bounds.append((start, len(text)))
    return bounds


def _sentence_window(bounds: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    """Character range of the sentence holding `pos` and the one after it."""
    for i, (lo, hi) in enumerate(bounds):
        if lo <= pos < hi or i == len(bounds) - 1:
            nxt = bounds[i + 1][1] if i + 1 < len(bounds) else hi
            return lo, nxt
    return 0, len(bounds and bounds[-1][1] or 0)


def _norm_rel(word: str) -> str:
    w = word.lower().rstrip("s")
    return {"mum": "mom", "mother": "mom", "mama": "mom", "mamá": "mom", "madre": "mom", "father": "dad",
            "papa": "dad", "papá": "dad", "padre": "dad", "spouse": "spouse", "hijo": "son", "hija": "daughter",
            "esposo": "husband", "marido": "husband", "esposa": "wife", "mujer": "wife", "kid": "child",
            "hermano": "brother", "hermana": "sister", "teen": "child", "novio": "boyfriend", "novia": "girlfriend"}.get(w, w)


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in re.split(r"[,\s;]+", value) if v]
    return list(value)


def _as_number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
