"""Regular expressions and small helpers shared by the classifier's parts (who, mentions, urgency...)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

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

