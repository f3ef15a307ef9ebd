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
# Suicide, self-harm and danger named without those words (blind3): methods, preparation,
# rehearsals, passive wishes, threats. Broad on purpose; over-calling is cheap here.
_RISK_IMPLICIT = re.compile(
    r"\b(?:die|dying|dead|death|muert[oa]s?|muerte|morir\w*|muriera|murieras?|matar\w*|suicid\w*)\b"
    r"|\b(?:do|end|go through with|done with)\s+it\b|\bend\s+(?:things|everything)\b|\bover\s+with\b|\bbe\s+over\b"
    r"|\b(?:pills?|meds|tablets|pastillas|insulin|prescriptions|lethal|fatal|overdose|noose|ropes?|cuerdas?|sogas?|belt\s+around"
    r"|guns?|pistols?|pistolas?|revolvers?|rifles?|handguns?|firearms?|weapons?|armas?|knife|knives|cuchillo|exhaust|carbon\s+monoxide"
    r"|bridge|overpass|rails|railing|tracks|ledge|rooftop|jump\w*|hang\w*|drown\w*)\b"
    r"|\b(?:goodbye|good-bye|despedida|farewell|letters?\s+to|cartas?|wr(?:ote|itten)\s+(?:a\s+)?(?:note|letter)s?)\b"
    r"|\bg(?:ave|ive|iving|iven)\s+(?:away\s+)?(?:my|his|her)\s+\w+\s+(?:to|away)\b"
    r"|\b(?:disappear|not\s+exist|never\s+(?:been\s+)?born|wake\s+up|woke\s+up|despertar\w*|better\s+(?:off|of|without)"
    r"|easier\s+if|not\s+being\s+here|(?:wasn'?t|weren'?t|not\s+be)\s+(?:here|around|alive)|point\s+(?:of|in|to)\s+(?:living|life|anything)"
    r"|no\s+aguanto|can'?t\s+(?:take|do)\s+(?:it|this)|ojal[aá])\b"
    r"|\b(?:threat\w*|hiding|violent|amenaz\w*|scratch\w*\s+(?:my|his|her)|bled|burn\w*\s+(?:my|his|her)|corta\w*|cort[eé]"
    r"|lastim\w*|stitches|tried\s+to|attempt\w*|intent[oó]|\bod\b)"
    r"|\b(?:c-?ssrs|columbia|ideation|intent|garage|engine\s+running|tylenol|acetaminophen|took\s+\d+|gave\s+away|harm\w*"
    r"|(?:picked|chose|chosen|set)\s+(?:the|a)\s+(?:spot|place|date|day)|do\s+anything)\b"
    # blind4: "took 'a handful' of her lithium", smothering an infant, "escogí el puente", "kms",
    # "nadie me extrañaría", "passive thoughts of not wanting to be here"
    r"|\b(?:handful|fistful|smother\w*|suffocat\w*|puente|kms|extra[ñn]ar[ií]a|passive|not\s+wanting\s+to\s+be\s+here"
    r"|locked\s+(?:him|her|my|them)sel(?:f|ves))\b"
    # blind5: driving into the ocean and turning back, "where I'll be found", "how many ... would it
    # take", "he'll kill me and the kids", "locked in the bathroom", "compré el lazo", "the razor ... deeper"
    r"|\b(?:ocean|cliff|lazo|razor|blades?|navaja|deeper|as\s+far\s+as|the\s+note|be\s+found|kill\s+(?:me|us)"
    r"|locked\s+in|would\s+(?:it\s+)?take|cintur[oó]n|belt)\b",
    re.IGNORECASE,
)
_ABBREV = re.compile(r"\b(?:SI|HI|SA|S/I|H/I)\b")  # case-sensitive: "Si" in Spanish is not SI


def screen_text_for_risk(text: str) -> bool:
    if not text:
        return False
    t = text.replace("\u2019", "'")
    return bool(_RISK.search(t) or _ABBREV.search(t) or _RISK_IMPLICIT.search(t))
