"""Combines the three opinions on urgency: the rules, the compositional risk model, the learned model.

The higher urgency wins, and the evidence records each opinion (level, and the learned model's
probabilities). `possible_crisis` is set when they disagree about crisis: one says crisis and another
lower, or the learned model's crisis probability passes its low threshold while the result is lower.
"""

from __future__ import annotations

import hashlib

from .types import URGENCY_RANK


def combine_opinions(rules_level: str, risk, learned, evidence: list[dict], learned_abstained: bool = False) -> tuple[str, bool]:
    levels = {"rules": rules_level, "risk_model": risk.level}  # every opinion, for the final level
    evidence.extend(risk.evidence)
    evidence.append({"label": f"opinion:rules:{rules_level}", "source": "rule", "level": rules_level})
    evidence.append({"label": f"opinion:risk_model:{risk.level}", "source": "risk_model", "level": risk.level})
    if learned is None and learned_abstained:
        evidence.append({"label": "opinion:learned:abstained", "source": "learned", "level": None,
                         "note": "text shorter than the texts the model was trained on"})
    if learned is not None:
        levels["learned"] = learned.level
        evidence.append({"label": f"opinion:learned:{learned.level}", "source": "learned", "level": learned.level,
                         "probability": {k: round(v, 3) for k, v in learned.probs.items()},
                         "model": learned.version})
    final = max(levels.values(), key=URGENCY_RANK.__getitem__)
    # Two sides: the rule-based reading (rules and risk model, the higher) and the learned model.
    # Without a learned model, the rules and the risk model are the two sides.
    if learned is not None:
        rule_side = max(rules_level, risk.level, key=URGENCY_RANK.__getitem__)
        sides = {"rules": rule_side, "learned": learned.level}
    else:
        sides = {"rules": rules_level, "risk_model": risk.level}
    crisis_by = sorted(name for name, level in sides.items() if level == "crisis")
    possible = len(crisis_by) == 1
    if learned is not None and final != "crisis" and learned.crisis_alert:
        possible = True
        crisis_by = ["learned (crisis probability above its alert threshold)"]
    if possible:
        evidence.append({"label": "possible_crisis", "source": "rule", "rule": "opinions.disagree",
                         "note": "the opinions disagree about crisis: confirm or downgrade", "crisis_by": crisis_by})
    return final, possible


def compose_version(rules_version: str, lexicon_digest: str, learned_digest: str | None) -> str:
    """`<base>+<hash>` over the rules files, the risk lexicons and the learned artifact: any edit to
    any of them changes the version recorded on results."""
    h = hashlib.sha256(f"{rules_version}|{lexicon_digest}|{learned_digest or '-'}".encode())
    return f"{rules_version.split('+')[0]}+{h.hexdigest()[:10]}"


def current_version() -> str:
    """The version a classifier built now would record, without building one."""
    from .learned.model import artifact_digest
    from .risk.lexicon import LEXICON_DIR, lexicon_digest
    from .rules import default_rules

    return compose_version(default_rules().version, lexicon_digest(LEXICON_DIR), artifact_digest())
