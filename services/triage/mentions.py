"""Who the inquiry is about, and the mentions (targets with their ConText modifiers) in a document."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .patterns import (
    _CLAUSE_BREAK,
    _DECEASED_BEFORE,
    _FIRST_PERSON,
    _FOR_MYSELF,
    _I_HAVE,
    _NEG_JUST_BEFORE,
    _RECIPIENT_BEFORE,
    _RISK_LIST_BETWEEN,
    _SELF_IN_TARGET,
    _SENT_END,
    _SYMPTOM_ABBREV,
    _TOLD_BEFORE,
    _norm_rel,
)
from .timeref import days_ago


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



class MentionsMixin:
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
        text = doc.text  # rebuilt from the tokens on every access: read it once
        sents = list(doc.sents)  # doc.sents is recomputed on every access
        sent_of = doc.user_data["triage_sent_of"]
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
                sent=sent_of[span.start] if span.start < len(sent_of) else 0,
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
                before = text[max(0, m.start - 20):m.start]
                neg = _NEG_JUST_BEFORE.search(before)
                if neg:
                    m.negated = True
                    m.mods.append(("NEGATED_EXISTENCE", neg.group(0).strip()))
            out.append(m)
        # Within a group, a span inside a longer span is the same mention ("suicide" in
        # "suicide attempt"): keep the longer one.
        sent_starts = [(sent.start_char, i) for i, sent in enumerate(sents)]
        present = doc.user_data["triage_literals"]
        for group, rule_id, value, srx in self._plain:
            for hit in srx.finditer(text, present):
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
        text = doc.user_data["triage_text"]
        if span.label_.startswith("RISK:") and _RECIPIENT_BEFORE.search(text[max(0, doc[s].idx - 6):doc[s].idx]):
            return False  # a recipient ("goodbye texts to family"), not the person at risk
        if _TOLD_BEFORE.search(text[max(0, doc[s].idx - 24):doc[s].idx]):
            return False  # the one told ("he told a coworker he has ..."), not the one it is about
        if span.label_.startswith("RISK:") and _DECEASED_BEFORE.search(text[max(0, doc[s].idx - 24):doc[s].idx]):
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

