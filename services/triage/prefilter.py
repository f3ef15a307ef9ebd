"""Cheap literal pre-filters for the rule regexes.

For each pattern we derive, from its parsed form, a set of lowercase literal strings at least one
of which must occur in any text the pattern matches. A rule's regex is only run when one of them is
in the lowercased text; a pattern we cannot analyse always runs (never a missed match).
"""

from __future__ import annotations

import re

try:  # Python 3.11+
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
    from re import _constants as _sre_const  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse as _sre_parse  # type: ignore[no-redef]
    import sre_constants as _sre_const  # type: ignore[no-redef]

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

    Each pattern keeps its own literal pre-filter. A pattern none of whose required literals is in
    the lowercased text cannot match anywhere in it, so it can never be the alternative chosen at
    any position: dropping it from the alternation leaves finditer's matches unchanged. The
    reduced alternations are compiled once per combination and cached.
    """

    __slots__ = ("_patterns", "_lits", "_always", "_any", "_full", "_cache", "_flags")

    def __init__(self, patterns, flags: int = re.IGNORECASE):
        self._patterns = list(patterns)
        self._flags = flags
        self._lits = [prefilter_for([p]) for p in self._patterns]
        self._always = any(lits is None for lits in self._lits)
        self._any = prefilter_for(self._patterns)
        self._full = re.compile("|".join(f"(?:{p})" for p in self._patterns), flags)
        self._cache: dict[tuple[int, ...], re.Pattern] = {}

    def active(self, present) -> tuple[int, ...]:
        """Indexes of the patterns that may match; `present(lit)` says whether lit is in the text."""
        return tuple(i for i, lits in enumerate(self._lits) if lits is None or any(present(x) for x in lits))

    def regex_for(self, present) -> re.Pattern | None:
        if not self._always and not any(present(x) for x in self._any or ()):
            return None
        idx = self.active(present)
        if not idx:
            return None
        if len(idx) == len(self._patterns):
            return self._full
        rx = self._cache.get(idx)
        if rx is None:
            if len(self._cache) > 4096:
                self._cache.clear()
            rx = re.compile("|".join(f"(?:{self._patterns[i]})" for i in idx), self._flags)
            self._cache[idx] = rx
        return rx


def literal_probe(low: str):
    """`present(lit)` for one lowercased text, memoised (many rules share literals)."""
    seen: dict[str, bool] = {}

    def present(lit: str) -> bool:
        hit = seen.get(lit)
        if hit is None:
            hit = seen[lit] = lit in low
        return hit

    return present
