"""Cheap literal pre-filters for the rule regexes.

For each pattern we derive, from its parsed form, a set of lowercase literal strings at least one
of which must occur in any text the pattern matches. A rule's regex is only run when one of them is
in the lowercased text; a pattern we cannot analyse always runs (never a missed match).
"""

from __future__ import annotations

import re
from bisect import bisect_left

try:  # Python 3.11+
    from re import _constants as _sre_const  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants as _sre_const  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

_MIN_LEN = 2
_MAX_ALTS = 64


def _best(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective of two necessary sets (longest shortest literal, then fewest)."""
    if a is None:
        return b
    if b is None:
        return a
    ka = (min(map(len, a)), -len(a))
    kb = (min(map(len, b)), -len(b))
    return a if ka >= kb else b


def _seq(items) -> frozenset[str] | None:
    best: frozenset[str] | None = None
    run: list[str] = []

    def flush():
        nonlocal best, run
        if len(run) >= _MIN_LEN:
            best = _best(best, frozenset({"".join(run)}))
        run = []

    for op, av in items:
        if op is _sre_const.LITERAL:
            run.append(chr(av).lower())
            continue
        if op is _sre_const.IN and len(av) == 1 and av[0][0] is _sre_const.LITERAL:
            run.append(chr(av[0][1]).lower())
            continue
        if op is _sre_const.AT:  # \b, ^, $: zero width, do not break a run
            continue
        flush()
        sub = _node(op, av)
        if sub is not None:
            best = _best(best, sub)
    flush()
    return best


def _node(op, av) -> frozenset[str] | None:
    if op is _sre_const.SUBPATTERN:
        return _seq(av[-1])
    if op is _sre_const.BRANCH:
        out: set[str] = set()
        for alt in av[1]:
            s = _seq(alt)
            if s is None:
                return None
            out |= s
            if len(out) > _MAX_ALTS:
                return None
        return frozenset(out)
    if op in (_sre_const.MAX_REPEAT, _sre_const.MIN_REPEAT, getattr(_sre_const, "POSSESSIVE_REPEAT", None)):
        lo, _hi, body = av
        return _seq(body) if lo >= 1 else None
    if op is _sre_const.ATOMIC_GROUP if hasattr(_sre_const, "ATOMIC_GROUP") else False:
        return _seq(av)
    return None  # lookarounds, classes, groupref...: no requirement


def required_literals(pattern: str) -> frozenset[str] | None:
    """Lowercase strings, one of which occurs in every match; None when no such set is known."""
    try:
        # Parsed without IGNORECASE (which turns "s" into [sſ] and "k" into [kK]); literals are
        # lowercased and checked against the lowercased text.
        parsed = _sre_parse.parse(pattern)
    except re.error:
        return None
    lits = _seq(list(parsed))
    if not lits or any(len(x) < _MIN_LEN for x in lits):
        return None
    return lits


_MAX_STARTS = 200


def _starts(items) -> tuple[set[str], bool] | None:
    """(strings, exact): every match of the sequence begins with one of the strings (lowercase);
    exact when each string is the whole match. None when there are too many to list."""
    result = {""}
    for op, av in items:
        if op is _sre_const.AT or op is _sre_const.ASSERT or op is _sre_const.ASSERT_NOT:
            continue  # zero width
        if op is _sre_const.LITERAL or (op is _sre_const.IN and len(av) == 1 and av[0][0] is _sre_const.LITERAL):
            ch = chr(av if op is _sre_const.LITERAL else av[0][1]).lower()
            result = {r + ch for r in result}
            continue
        if op is _sre_const.SUBPATTERN or op is _sre_const.BRANCH:
            alts = [av[-1]] if op is _sre_const.SUBPATTERN else av[1]
            subs: set[str] = set()
            exact = True
            for alt in alts:
                got = _starts(alt)
                if got is None:
                    return None
                subs |= got[0]
                exact = exact and got[1]
            result = {r + x for r in result for x in subs}
            if len(result) > _MAX_STARTS:
                return None
            if not exact:
                return result, False
            continue
        if op in (_sre_const.MAX_REPEAT, _sre_const.MIN_REPEAT):
            lo, hi, body = av
            got = _starts(body)
            if lo == 0 and hi == 1 and got is not None and got[1]:
                result = result | {r + x for r in result for x in got[0]}  # optional and literal
                if len(result) > _MAX_STARTS:
                    return None
                continue
            if lo >= 1 and got is not None:
                return {r + x for r in result for x in got[0]}, False
            return result, False
        return result, False
    return result, True


def prefix_literals(pattern: str) -> frozenset[str] | None:
    """Lowercase strings one of which begins every match; None when unknown."""
    try:
        parsed = _sre_parse.parse(pattern)
    except re.error:
        return None
    got = _starts(list(parsed))
    if got is None or not got[0] or any(len(x) < _MIN_LEN for x in got[0]):
        return None
    return frozenset(got[0])


def prefilter_for(patterns) -> tuple[str, ...] | None:
    """Literals for a rule (any pattern matching needs one of them), or None to always run."""
    out: set[str] = set()
    for p in patterns:
        lits = required_literals(p)
        if lits is None:
            return None
        out |= lits
    return tuple(sorted(out))


def may_match(prefilter: tuple[str, ...] | None, low: str) -> bool:
    if prefilter is None:
        return True
    for lit in prefilter:
        if lit in low:
            return True
    return False


class SelectiveRegex:
    """A rule's alternation of patterns, run with only the patterns that can match the text.

    Each pattern keeps its own literal pre-filter and is compiled once, alone. A pattern none of
    whose required literals is in the lowercased text cannot match anywhere in it, so it can never
    be the alternative chosen at any position. `finditer` gives exactly the matches of the full
    alternation's finditer: at the leftmost position where any active pattern matches, the first
    pattern (in rule order) that matches there wins, and the scan resumes at its end. (Compiling a
    reduced alternation per text, as before, spent much of the classifier's time in re.compile.)

    A pattern whose every match begins with one of a few literals ("want", "suicid") is only tried
    where one of them begins in the text (the scanner's positions), with `match` instead of a
    `search` that would try every position.
    """

    __slots__ = ("_patterns", "_compiled", "_always", "_by_literal", "literals", "_prefix", "prefix_literals")

    def __init__(self, patterns, flags: int = re.IGNORECASE):
        self._patterns = list(patterns)
        self._compiled = [re.compile(p, flags) for p in self._patterns]
        self._always: list[int] = []
        self._by_literal: dict[str, list[int]] = {}
        for i, p in enumerate(self._patterns):
            lits = prefilter_for([p])
            if lits is None:
                self._always.append(i)
                continue
            for lit in lits:
                self._by_literal.setdefault(lit, []).append(i)
        self.literals = frozenset(self._by_literal)
        self._prefix = [prefix_literals(p) for p in self._patterns]
        self.prefix_literals = frozenset().union(*(p for p in self._prefix if p))

    def active(self, found) -> list[int]:
        """Indexes of the patterns that may match, given the literals found in the lowercased text."""
        hits = self.literals & found.keys() if isinstance(found, dict) else self.literals & found
        if not hits:
            return self._always
        idx = set(self._always)
        for lit in hits:
            idx.update(self._by_literal[lit])
        return sorted(idx)

    def _searcher(self, i: int, text: str, found):
        """search(text, pos) for pattern i, trying only where its prefix literals begin."""
        rx = self._compiled[i]
        prefix = self._prefix[i]
        if prefix is None or not isinstance(found, dict) or found.get("\0len") != len(text):
            return lambda pos: rx.search(text, pos)
        starts = sorted({s for lit in prefix for s in found.get(lit, ())})
        match = rx.match

        def search(pos: int):
            for s in starts[bisect_left(starts, pos):]:
                hit = match(text, s)
                if hit is not None:
                    return hit
            return None

        return search

    def finditer(self, text: str, found):
        """The full alternation's non-empty matches, in order, using only the active patterns."""
        idx = self.active(found)
        if not idx:
            return
        search = {i: self._searcher(i, text, found) for i in idx}
        nxt = {i: search[i](0) for i in idx}
        while True:
            best = None
            for i in idx:  # rule order: ties on start go to the earlier pattern, as in the alternation
                hit = nxt[i]
                if hit is not None and (best is None or hit.start() < best.start()):
                    best = hit
            if best is None:
                return
            start, end = best.start(), best.end()
            pos = end if end > start else start + 1
            if end > start:
                yield best
            if pos > len(text):
                return
            for i in idx:
                hit = nxt[i]
                # a candidate starting before the resume point was not matched by the alternation
                if hit is not None and hit.start() < pos:
                    nxt[i] = search[i](pos)


class LiteralScanner:
    """Finds, in one Aho-Corasick pass over the lowercased text, where each pre-filter literal begins.

    Returns {literal: [start, ...]} (plus the text length under "\\0len": positions are only
    used when lowercasing kept the length, which it does for all but a few Unicode letters).
    """

    def __init__(self, literals):
        import ahocorasick

        self._automaton = ahocorasick.Automaton()
        for lit in set(literals):
            self._automaton.add_word(lit, lit)
        if len(self._automaton):
            self._automaton.make_automaton()

    def __call__(self, text: str) -> dict[str, list[int]]:
        low = text.lower()
        found: dict[str, list[int]] = {}
        if len(self._automaton):
            for end, lit in self._automaton.iter(low):
                found.setdefault(lit, []).append(end - len(lit) + 1)
        found["\0len"] = len(text) if len(low) == len(text) else -1
        return found
