"""Spravato / ketamine eligibility: label contraindications apart from warnings.

The policy's `flags` score against the labeling policy and do not change here (cardiovascular_risk
stays a flag). This module answers a different question for the clinician who reviews the lead:
which *label contraindications* (aneurysmal vascular disease, arteriovenous malformation, prior
intracerebral hemorrhage, hypersensitivity to esketamine or ketamine) and which *warnings*
(uncontrolled hypertension, a recent heart attack or stroke, heart disease, pregnancy, psychosis,
substance use) the inquiry mentions — from the text (English and Spanish) and ICD-10 codes.

Both only send the lead to clinician review; neither ever rejects it. So the detector leans to
recall: a mention is dropped only when it is plainly negated ("no history of aneurysm", "niega
aneurisma") or about a relative ("family history of aneurysm", "my father had a brain bleed").
Patterns are compiled once; a text with no candidate word costs one regex scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

CONTRAINDICATIONS = (
    "aneurysmal_vascular_disease",
    "arteriovenous_malformation",
    "intracerebral_hemorrhage",
    "hypersensitivity",
)
WARNINGS = (
    "uncontrolled_hypertension",
    "recent_myocardial_infarction",
    "recent_stroke",
    "stroke_history",
    "heart_disease",
    "pregnancy",
    "psychosis_history",
    "substance_use",
)

# The classifier's own flags already read pregnancy, psychosis and substance use in context (whose,
# when): reuse them rather than a second, cruder reading.
_FROM_FLAGS = {
    "pregnant": "pregnancy",
    "psychosis_history": "psychosis_history",
    "substance_use_active": "substance_use",
}

_DRUG = r"(?:es)?ketamin[ae]s?|spravato|esketamina|ketalar"
# (code, pattern) in the order the alternation tries them: the more specific first.
_TERMS: tuple[tuple[str, str], ...] = (
    (
        "intracerebral_hemorrhage",
        r"h(?:a)?emorrhagic\s+stroke|intra-?(?:cerebral|parenchymal|cranial)\s+h(?:a)?emorrhage|\bICH\b"
        r"|brain\s+(?:bleed|h(?:a)?emorrhage)|bleed(?:ing)?\s+(?:in|on)\s+(?:the|his|her|my)\s+brain"
        r"|h(?:a)?emorrhage\s+in\s+(?:the|his|her|my)\s+brain|cerebral\s+h(?:a)?emorrhage"
        r"|hemorragia\s+(?:cerebral|intracerebral|intracraneal)|sangrado\s+(?:en\s+el\s+|)cerebr\w*"
        r"|derrame\s+cerebral|ictus\s+hemorr[aá]gico",
    ),
    (
        "arteriovenous_malformation",
        r"\bAVMs?\b|arterio-?venous\s+malformations?|\bAV\s+malformations?|malformaci[oó]n(?:es)?\s+arteriovenosas?",
    ),
    (
        "aneurysmal_vascular_disease",
        r"aneurysm\w*|aneurism\w*|aneurisma\w*|\bAAA\b|aortic\s+(?:dissection|dilat\w+)",
    ),
    (
        "hypersensitivity",
        rf"(?:allerg\w*|al[eé]rgic[oa]s?|alergia|hypersensitiv\w*|hipersensibilidad|anaphyla\w*|anafila\w*)"
        rf"\s+(?:reaction\s+|reacci[oó]n\s+)?(?:to|a|al|con)\s+(?:la\s+|el\s+|IV\s+)?(?:{_DRUG})"
        rf"|(?:{_DRUG})\s+(?:allerg\w*|alergia|hypersensitivity)",
    ),
    (
        "uncontrolled_hypertension",
        r"(?:uncontrolled|poorly[\s-]controlled|not\s+(?:well[\s-])?controlled|resistant|refractory|severe|malignant)"
        r"\s+(?:high\s+blood\s+pressure|hypertension|\bHTN\b|\bBP\b|blood\s+pressure)"
        r"|(?:high\s+blood\s+pressure|hypertension|\bHTN\b|\bBP\b|blood\s+pressure)\s+(?:is\s+|has\s+been\s+|stays?\s+|remains?\s+)?"
        r"(?:still\s+)?(?:uncontrolled|not\s+(?:well\s+)?controlled|out\s+of\s+control|through\s+the\s+roof|very\s+high"
        r"|(?:very\s+|still\s+)?high\s+(?:despite|even\s+(?:with|on))|running\s+(?:very\s+)?high)"
        r"|hypertensive\s+(?:crisis|emergency|urgency)"
        r"|(?:hipertensi[oó]n|presi[oó]n(?:\s+arterial)?(?:\s+alta)?)\s+(?:\w+\s+)?(?:no\s+controlada|descontrolada|muy\s+alta)"
        r"|\b(?:1[6-9]\d|2\d\d)/(?:\d{2,3})\b|\b1\d\d/(?:1\d\d)\b",
    ),
    (
        "myocardial_infarction",
        r"heart\s+attack|myocardial\s+infarction|\bN?STEMI\b|\bMI\b|infarto(?:\s+(?:al|del)\s+coraz[oó]n|\s+de\s+miocardio|\s+card[ií]aco)?"
        r"|ataque\s+(?:al|card[ií]aco|del\s+coraz[oó]n)",
    ),
    (
        "stroke",
        r"\bstrokes?\b|\bCVA\b|cerebrovascular\s+accident|\bTIA\b|mini-?stroke|embolia(?:\s+cerebral)?|\bictus\b"
        r"|accidente\s+cerebrovascular|\bACV\b|\bAVC\b",
    ),
    (
        "heart_disease",
        r"heart\s+(?:disease|failure|condition|problems?)|coronary\s+(?:artery\s+)?disease|\bCAD\b|\bCHF\b"
        r"|cardiomyopath\w*|\bangina\b|(?:cardiac|coronary)\s+stents?|enfermedad\s+(?:del\s+coraz[oó]n|card[ií]aca|coronaria)"
        r"|insuficiencia\s+card[ií]aca|problemas?\s+del\s+coraz[oó]n|cardiopat[ií]a",
    ),
)
# One cheap pass first: most inquiries name none of these, and the full alternation costs more.
_ANY = re.compile(
    r"aneur|\bAVMs?\b|arterio|malforma|bleed|h(?:a)?emorr|sangrad|derrame|ictus|al[eé]rg|hypersens|hipersens|anaphyl"
    r"|anafil|ketalar|pressure|presi[oó]n|tens|\bHTN\b|\bBP\b|\d/\d|heart|infart|STEMI|\bMI\b|ataque|stroke"
    r"|\bCVA\b|\bTIA\b|cerebro|embolia|\bAC?V\b|\bAVC\b|coronar|\bCAD\b|\bCHF\b|card|angina|stent|coraz|\bAAA\b"
    r"|aortic|\bICH\b",
    re.IGNORECASE,
)
_NAMES = {f"t{i}": code for i, (code, _) in enumerate(_TERMS)}
_TERM_RX = re.compile("|".join(f"(?P<t{i}>{p})" for i, (_, p) in enumerate(_TERMS)), re.IGNORECASE)
# Abbreviations are matched case-sensitively ("Mi" is Spanish "my", "ich" German, "tia" aunt).
_CASED = {
    "ICH",
    "AVM",
    "AVMS",
    "AAA",
    "MI",
    "STEMI",
    "NSTEMI",
    "CVA",
    "TIA",
    "CAD",
    "CHF",
    "HTN",
    "BP",
    "ACV",
    "AVC",
}

_NEGATION = re.compile(
    r"(?:\b(?:no|not|never|denies|denied|deny|without|negative\s+for|free\s+of|ruled\s+out|r/o|nor|neither"
    r"|niega|negó|nego|sin|nunca|tampoco|descarta\w*|descartad[oa])\b|\bno\s+(?:known\s+)?(?:history|hx|h/o)\b"
    r"|\bn(?:o|ever)\s+had\b)",
    re.IGNORECASE,
)
# A new assertion ends a negation's reach: "no aneurysm, had a stroke last month".
_SCOPE_BREAK = re.compile(
    r"[.;!?\n]|\b(?:but|however|although|though|except|pero|aunque|sin\s+embargo|had|has|was|is|with|s/p|status\s+post"
    r"|tuvo|tiene|fue|con)\b",
    re.IGNORECASE,
)
_POST_NEGATION = re.compile(
    r"\s*(?::|-|—)?\s*(?:none|no|negative|neg|denied|ruled\s+out|niega|negativo)\b", re.I
)
_FAMILY = re.compile(
    r"\b(?:family\s+(?:history|hx)|FHx|fam\s+hx|runs\s+in\s+(?:the|my|our)\s+family|antecedentes\s+familiares"
    r"|(?:mother|father|mom|dad|brother|sister|sibling|grand(?:mother|father|ma|pa)|aunt|uncle|cousin|son|daughter"
    r"|husband|wife|partner|madre|padre|mam[aá]|pap[aá]|herman[oa]|abuel[oa]|t[ií][oa]|prim[oa]|hij[oa]|espos[oa])"
    r"(?:'s)?\s+(?:\w+\s+){0,3}?(?:had|has|died|passed|suffered|tuvo|tiene|muri[oó]|falleci[oó])"
    r"|(?:died|passed\s+away|muri[oó]|falleci[oó])\s+(?:of|from|de)\b)",
    re.IGNORECASE,
)
_RECENT = re.compile(
    r"\b(?:recent(?:ly)?|just\s+had|last\s+(?:week|month)|this\s+(?:week|month|past\s+month)|past\s+(?:few\s+)?(?:weeks|month)"
    r"|(?:\d{1,2}|a|one|two|three|four|five|six|seven|eight|nine|ten|a\s+few|few|couple(?:\s+of)?)\s+(?:days?|weeks?)\s+ago"
    r"|(?:[1-6]|a|one|two|three|four|five|six|a\s+few|few|couple(?:\s+of)?)\s+months?\s+ago"
    r"|in\s+(?:the\s+)?(?:last|past)\s+(?:few\s+|[1-6]\s+|two\s+|three\s+|six\s+)?(?:weeks?|months?|days)"
    r"|reciente(?:mente)?|hace\s+(?:\d{1,2}|un|una|unos|unas|dos|tres|pocos|pocas)\s+(?:d[ií]as|semanas?|mes(?:es)?)"
    r"|el\s+mes\s+pasado|la\s+semana\s+pasada|este\s+mes)\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[.;!?\n]")

# ICD-10 prefixes (dots removed, upper case) → code. Longest prefix wins.
_ICD10 = {
    "I671": "aneurysmal_vascular_disease",  # cerebral aneurysm, nonruptured
    "I71": "aneurysmal_vascular_disease",  # aortic aneurysm and dissection
    "I72": "aneurysmal_vascular_disease",  # other aneurysm
    "I60": "aneurysmal_vascular_disease",  # nontraumatic subarachnoid hemorrhage: mostly aneurysmal
    "Q282": "arteriovenous_malformation",  # of cerebral vessels
    "Q280": "arteriovenous_malformation",  # of precerebral vessels
    "Q281": "arteriovenous_malformation",
    "Q283": "arteriovenous_malformation",
    "Q273": "arteriovenous_malformation",  # peripheral
    "I61": "intracerebral_hemorrhage",
    "I62": "intracerebral_hemorrhage",  # other nontraumatic intracranial hemorrhage
    "I691": "intracerebral_hemorrhage",  # sequelae of intracerebral hemorrhage
    "I16": "uncontrolled_hypertension",  # hypertensive crisis
    "I21": "recent_myocardial_infarction",  # acute MI (within four weeks)
    "I22": "recent_myocardial_infarction",
    "I63": "recent_stroke",  # cerebral infarction (acute)
    "Z8673": "stroke_history",
    "I693": "stroke_history",
    "I252": "heart_disease",  # old MI
    "I20": "heart_disease",
    "I25": "heart_disease",
    "I42": "heart_disease",
    "I50": "heart_disease",
    "O09": "pregnancy",
    "Z331": "pregnancy",
    "Z34": "pregnancy",
    "F20": "psychosis_history",
    "F22": "psychosis_history",
    "F23": "psychosis_history",
    "F25": "psychosis_history",
    "F28": "psychosis_history",
    "F29": "psychosis_history",
    "F323": "psychosis_history",
    "F333": "psychosis_history",
    "F312": "psychosis_history",
    "F315": "psychosis_history",
}


@dataclass(frozen=True)
class Eligibility:
    contraindications: list[str]  # sorted codes from CONTRAINDICATIONS
    warnings: list[str]  # sorted codes from WARNINGS


def assess_eligibility(
    text: str, icd10_codes: Iterable[str] | None = None, flags: Iterable[str] = ()
) -> Eligibility:
    found: set[str] = set()
    for m in _TERM_RX.finditer(text) if text and _ANY.search(text) else ():
        code = _NAMES[m.lastgroup or ""]
        word = m.group(0)
        if word.upper() in _CASED and word != word.upper():
            continue
        if _negated(text, m.start(), m.end()) or _family(text, m.start()):
            continue
        found.add(_dated(code, text, m.start(), m.end()))
    for raw in icd10_codes or ():
        code = _icd10(str(raw))
        if code:
            found.add(code)
    found.update(_FROM_FLAGS[f] for f in flags if f in _FROM_FLAGS)
    return Eligibility(
        contraindications=sorted(found & set(CONTRAINDICATIONS)),
        warnings=sorted(found & set(WARNINGS)),
    )


def _clause_start(text: str, start: int) -> int:
    ends = [m.end() for m in _CLAUSE_END.finditer(text, max(0, start - 120), start)]
    return ends[-1] if ends else max(0, start - 120)


def _negated(text: str, start: int, end: int) -> bool:
    if _POST_NEGATION.match(text, end):
        return True
    before = text[_clause_start(text, start) : start]
    cues = list(_NEGATION.finditer(before))
    if not cues:
        return False
    between = before[cues[-1].end() :]
    return len(between.split()) <= 6 and not _SCOPE_BREAK.search(between)


def _family(text: str, start: int) -> bool:
    return bool(_FAMILY.search(text[_clause_start(text, start) : start]))


def _dated(code: str, text: str, start: int, end: int) -> str:
    """A heart attack or stroke counts as recent only when the clause says so (policy: "in the last
    few months"); otherwise it is history (heart disease, stroke history) — still a warning."""
    if code not in ("myocardial_infarction", "stroke"):
        return code
    stop = _CLAUSE_END.search(text, end)
    window = text[_clause_start(text, start) : stop.start() if stop else min(len(text), end + 80)]
    recent = bool(_RECENT.search(window))
    if code == "stroke":
        return "recent_stroke" if recent else "stroke_history"
    return "recent_myocardial_infarction" if recent else "heart_disease"


def _icd10(raw: str) -> str | None:
    code = raw.replace(".", "").strip().upper()
    for length in range(len(code), 2, -1):
        hit = _ICD10.get(code[:length])
        if hit:
            return hit
    return None
