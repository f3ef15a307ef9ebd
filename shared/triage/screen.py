"""A fast, high-recall risk screen for the intake request path (no spaCy).

True when any suicide, self-harm or homicide word appears, in any context: negated, historical,
about a relative or hypothetical all count. It may over-call ("denies SI" is True); it must not
miss. The full classifier decides the actual urgency later.
"""

from __future__ import annotations

import re

_RISK = re.compile(
    r"suicid|sucid|suisid|suicd|unalive|\bkill(?:ing|ed)?\s+(?:my|him|her|them)sel(?:f|ves)"
    r"|\bend(?:ing)?\s+(?:my|his|her|their)\s+(?:own\s+)?life|\bend(?:ing)?\s+it\s+all"
    r"|\btake\s+(?:my|his|her)\s+(?:own\s+)?life|\b(?:want|wanted|wanna|wants)\s+to\s+die"
    r"|\bwish(?:ed)?\s+(?:i|he|she)\s+(?:was|were)\s+dead|better\s+off\s+(?:dead|without)"
    r"|\b(?:not|never)\s+wake\s+up|(?:don'?t|do\s+not)\s+want\s+to\s+(?:live|be\s+alive|be\s+here|exist)"
    r"|\bno\s+reason\s+to\s+live|can'?t\s+go\s+on|death\s+wish|overdos|\bod'?d\b"
    r"|\b(?:hurt|harm|cut|cutting|burn)\w*\s+(?:my|him|her|them)sel(?:f|ves)|self[-\s]?harm|self[-\s]?injur|\bnssi\b"
    r"|\bcutting\b|homicid|\b(?:kill|murder|hurt|harm|shoot|stab)\w*\s+(?:someone|somebody|people|others|him|her|them|my\s+\w+)"
    r"|goodbye\s+(?:note|letter)|suicide\s+note|giv\w+\s+(?:away\s+)?(?:my|all\s+my)\s+(?:stuff|things|belongings)"
    r"|(?:collect|sav|stockpil|hoard)\w*\s+(?:up\s+)?(?:my\s+)?(?:pills|meds)|\b5150\b|baker\s*act"
    r"|quitar(?:me|se|le)\s+la\s+vida|matar(?:me|se|lo|la)?\b|suicid|quiero\s+morir|ganas\s+de\s+morir"
    r"|no\s+quiero\s+(?:vivir|seguir|despertar)|autolesi|me\s+corto|cortarme|lastimarme|hacerme\s+da[ñn]o"
    r"|mejor\s+muert|pensamientos\s+de\s+muerte",
    re.IGNORECASE,
)
_ABBREV = re.compile(r"\b(?:SI|HI|SA|S/I|H/I)\b")  # case-sensitive: "Si" in Spanish is not SI


def screen_text_for_risk(text: str) -> bool:
    if not text:
        return False
    t = text.replace("\u2019", "'")
    return bool(_RISK.search(t) or _ABBREV.search(t))
