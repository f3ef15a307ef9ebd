"""Builds the medspaCy pipeline (tokenizer, sentencizer, target matcher, ConText) from the rules.

We use spaCy's rule-based sentencizer instead of PyRuSH: PyRuSH logs every token through loguru at
DEBUG (patient text in logs) and is several times slower. PyRuSH's loguru output is disabled anyway
in case another component imports it.
"""

from __future__ import annotations

import re
import warnings

from loguru import logger as _loguru

from .prefilter import LiteralScanner, SelectiveRegex
from .rules import RuleSet

_loguru.disable("PyRuSH")
_loguru.disable("medspacy")

# Sentence ends: spaCy's defaults plus line breaks (call notes and letters use them as full stops).
_EXTRA_SENT_CHARS = ["\n", "\n\n", "\n\n\n", "\r\n"]

# Groups matched with plain regexes outside ConText: they need no negation/family context, and as
# ConText targets they would swallow overlapping modifiers ("help with" is both SEEK and INQUIRY).
PLAIN_GROUPS = frozenset({"ADMIN", "SEEK", "FAIL"})


class _TargetMatcher:
    """Puts every regex match into doc.spans["medspacy_spans"] (labels "GROUP:rule_id")."""

    def __init__(self):
        # (label, the rule's patterns as one alternation, reduced per text to those that can match)
        self.rules: list[tuple[str, SelectiveRegex]] = []
        self.scanner = LiteralScanner(())

    def __call__(self, doc):
        text = doc.text
        present = self.scanner(text)  # where every pre-filter literal begins, one pass
        doc.user_data["triage_text"] = text
        doc.user_data["triage_literals"] = present  # reused by the classifier's plain groups
        spans = []
        for label, srx in self.rules:
            # patterns none of whose needed words is in the text are skipped
            for hit in srx.finditer(text, present):
                span = doc.char_span(hit.start(), hit.end(), label=label, alignment_mode="expand")
                if span is not None and len(span):
                    spans.append(span)
        doc.spans["medspacy_spans"] = spans
        return doc


class _ContextOnTargetSentences:
    """medspaCy's ConText, run only on the sentences that hold a target.

    A ConText modifier reaches no further than its sentence, so modifiers found in sentences
    without a target can change nothing: they are dropped before ConText builds its graph (scope
    limiting between modifiers is quadratic, applying them is modifiers x targets). Same edges as
    running ConText over the whole document; a text with no target skips it entirely.
    """

    def __init__(self):
        self.context = None  # the configured medspaCy ConText component

    def __call__(self, doc):
        from medspacy.context.context_graph import ConTextGraph
        from medspacy.context.context_modifier import ConTextModifier

        ctx = self.context
        sent_of: list[int] = [0] * len(doc)
        for i, sent in enumerate(doc.sents):
            for k in range(sent.start, sent.end):
                sent_of[k] = i
        doc.user_data["triage_sent_of"] = sent_of  # reused by the classifier
        targets = doc.spans["medspacy_spans"]
        graph = ConTextGraph(prune_on_modifier_overlap=ctx.prune_on_target_overlap)
        graph.targets = targets
        graph.modifiers = []
        if len(targets):
            wanted = {sent_of[t.start] for t in targets}
            matcher = ctx._ConText__matcher  # medspaCy keeps its matcher private
            vocab = ctx.nlp.vocab
            for match_id, start, end in matcher(doc):
                if sent_of[start] in wanted:
                    rule = matcher.rule_map[vocab[match_id].text]
                    graph.modifiers.append(ConTextModifier(rule, start, end, doc, max_scope=ctx.max_scope))
            graph.update_scopes()
            graph.apply_modifiers()
            for target, modifier in graph.edges:
                target._.modifiers += (modifier,)
        doc._.context_graph = graph
        return doc


def _register() -> None:
    from spacy.language import Language

    if "careroute_triage_scan" not in Language.factories:
        Language.factory("careroute_triage_scan")(lambda nlp, name: _TargetMatcher())
    if "careroute_triage_context" not in Language.factories:
        Language.factory("careroute_triage_context")(lambda nlp, name: _ContextOnTargetSentences())


def build_pipeline(rules: RuleSet):
    import medspacy
    from medspacy.context import ConTextRule
    from spacy.pipeline.sentencizer import Sentencizer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nlp = medspacy.load(
            medspacy_enable=["medspacy_tokenizer", "medspacy_target_matcher", "medspacy_context"],
            load_rules=False,
        )
    # Overlapping targets are kept (one span can be a condition and a flag); we de-duplicate
    # within a group ourselves.
    _register()
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

    # Target matching: one compiled regex per rule entry, skipped when none of the literal words it
    # needs is in the lowercased text (prefilter.py), run once over doc.text. medspaCy's
    # TargetMatcher re-builds doc.text_with_ws for every regex pattern (hundreds per document),
    # which made it ~10x slower; the spans it produces for ConText are the same.
    compiled = []
    literals: set[str] = set()
    for spec in rules.targets:
        for pattern in spec.patterns:
            re.compile(pattern)  # fail fast on a bad clinician edit, naming the rule only
        srx = SelectiveRegex(spec.patterns)
        literals |= srx.literals | srx.prefix_literals  # plain groups' too: the classifier reuses the scan
        if spec.group not in PLAIN_GROUPS:
            compiled.append((f"{spec.group}:{spec.id}", srx))
    nlp.remove_pipe("medspacy_target_matcher")
    nlp.add_pipe("careroute_triage_scan", before="medspacy_context", config={})
    matcher = nlp.get_pipe("careroute_triage_scan")
    matcher.rules = compiled
    matcher.scanner = LiteralScanner(literals)

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
    _name, context = nlp.remove_pipe("medspacy_context")
    nlp.add_pipe("careroute_triage_context", last=True, config={})
    nlp.get_pipe("careroute_triage_context").context = context
    return nlp
