"""Builds the medspaCy pipeline (tokenizer, sentencizer, target matcher, ConText) from the rules.

We use spaCy's rule-based sentencizer instead of PyRuSH: PyRuSH logs every token through loguru at
DEBUG (patient text in logs) and is several times slower. PyRuSH's loguru output is disabled anyway
in case another component imports it.
"""

from __future__ import annotations

import re
import warnings

from loguru import logger as _loguru

from .rules import RuleSet

_loguru.disable("PyRuSH")
_loguru.disable("medspacy")

# Sentence ends: spaCy's defaults plus line breaks (call notes and letters use them as full stops).
_EXTRA_SENT_CHARS = ["\n", "\n\n", "\n\n\n", "\r\n"]

# Groups matched with plain regexes outside ConText: they need no negation/family context, and as
# ConText targets they would swallow overlapping modifiers ("help with" is both SEEK and INQUIRY).
PLAIN_GROUPS = frozenset({"ADMIN", "SEEK", "FAIL"})


def build_pipeline(rules: RuleSet):
    import medspacy
    from medspacy.context import ConTextRule
    from medspacy.target_matcher import TargetRule
    from spacy.pipeline.sentencizer import Sentencizer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nlp = medspacy.load(
            medspacy_enable=["medspacy_tokenizer", "medspacy_target_matcher", "medspacy_context"],
            load_rules=False,
        )
    # Overlapping targets are kept (one span can be a condition and a flag); we de-duplicate
    # within a group ourselves.
    nlp.replace_pipe(
        "medspacy_target_matcher",
        "medspacy_target_matcher",
        config={"result_type": "group", "prune": False},
    )
    nlp.replace_pipe(
        "medspacy_context",
        "medspacy_context",
        config={
            "rules": None,
            "input_span_type": "group",
            "span_attrs": None,
            "prune_on_target_overlap": True,  # "no quiero vivir": its "no" must not negate anything
        },
    )
    punct = sorted(set(Sentencizer.default_punct_chars) | set(_EXTRA_SENT_CHARS))
    nlp.add_pipe("sentencizer", first=True, config={"punct_chars": punct})

    target_rules = []
    for spec in rules.targets:
        if spec.group in PLAIN_GROUPS:
            continue
        for i, pattern in enumerate(spec.patterns):
            re.compile(pattern)  # fail fast on a bad clinician edit, naming nothing from text
            target_rules.append(
                # The label carries group and id: spaCy stores span extensions by character
                # offsets, so two rules matching the same text would share `_.target_rule`.
                TargetRule(
                    literal=spec.id,
                    category=f"{spec.group}:{spec.id}",
                    pattern=pattern,
                    metadata={"id": spec.id, "value": spec.value, "n": i},
                )
            )
    # A token-pattern rule that never matches keeps spaCy from warning that the token matcher is
    # empty (the warning fires on every document).
    target_rules.append(TargetRule(literal="noop", category="NOOP:noop", pattern=[{"TEXT": "\u0000noop"}]))
    nlp.get_pipe("medspacy_target_matcher").add(target_rules)

    labels_in: dict[str, set[str]] = {}
    for spec in rules.targets:
        if spec.group in PLAIN_GROUPS:
            continue
        labels_in.setdefault(spec.group, set()).add(f"{spec.group}:{spec.id}".upper())
    context_rules = []
    for n, spec in enumerate(rules.context):
        allowed = None
        if spec.allowed:
            allowed = set().union(*(labels_in.get(g, set()) for g in spec.allowed))
        common = {
            "category": spec.category,
            "direction": spec.direction,
            "max_scope": spec.max_scope,
            "allowed_types": allowed,
        }
        if spec.regex:
            context_rules.append(ConTextRule(literal=f"{spec.category}#{n}", pattern=spec.regex, **common))
        for literal in spec.literals:
            context_rules.append(ConTextRule(literal=literal, **common))
    context_rules.append(ConTextRule(literal="noop", category="PSEUDO", direction="PSEUDO", pattern=[{"TEXT": "\u0000noop"}]))
    nlp.get_pipe("medspacy_context").add(context_rules)
    return nlp
