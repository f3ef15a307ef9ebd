"""Loads the risk lexicons (risk/lexicon/*.yaml) and compiles each kind's templates once.

A template names parts ("{stockpile} ~4 {means}"); parts are lists of English and Spanish regex
fragments. Composing at load time keeps the lexicons small and lets a new sentence made of known
parts match: "counted out" + "every insulin pen" is preparation without a rule for that wording.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..prefilter import LiteralScanner, SelectiveRegex

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"
# between two parts: spaces and in-sentence punctuation, never a sentence end
_SEP = r"[^\w.!?;\n]+"
_WORD = r"[\w'’/-]+"
_GAP_IN_PART = re.compile(r" ~(\d+) ")
_TOKEN = re.compile(r"\{(\w+)\}|~(\d+)|(\s+)")


@dataclass(frozen=True)
class Lexicon:
    kinds: tuple[tuple[str, SelectiveRegex], ...]  # kind -> its templates, compiled
    scanner: LiteralScanner
    context: dict[str, Any]
    digest: str


def _alternation(fragments: list[str]) -> str:
    return "(?:" + "|".join(f"(?:{f})" for f in fragments) + ")"


def compile_template(template: str, parts: dict[str, list[str]]) -> str:
    """A template as one regular expression (word-bounded at both ends)."""
    out: list[str] = []
    pos = 0
    for tok in _TOKEN.finditer(template):
        out.append(template[pos:tok.start()])
        name, gap, space = tok.groups()
        if name is not None:
            if name not in parts:
                raise ValueError(f"risk lexicon: unknown part {{{name}}} in a template")
            out.append(_alternation(parts[name]))
        elif gap is not None:
            out.append(f"(?:{_SEP}{_WORD}){{0,{int(gap)}}}?")
        else:
            out.append(_SEP)
        pos = tok.end()
    out.append(template[pos:])
    body = "".join(out)
    # "{a} ~3 {b}" became a, SEP, gap, SEP, b: the gap's own separators make the outer ones extra
    body = body.replace(f"{_SEP}(?:{_SEP}", f"(?:{_SEP}")
    return rf"(?<!\w)(?:{body})(?!\w)"


def lexicon_digest(directory: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(directory.glob("*.yaml")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:10]


def load_lexicon(directory: Path = LEXICON_DIR) -> Lexicon:
    docs = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) or {} for p in sorted(directory.glob("*.yaml"))}
    # a part's fragment may hold a gap too ("burned ~5 on purpose")
    parts = {k: [_GAP_IN_PART.sub(lambda m: f"(?:{_SEP}{_WORD}){{0,{m.group(1)}}}?{_SEP}", str(f)) for f in v]
             for k, v in docs["what"]["parts"].items()}
    kinds = []
    literals: set[str] = set()
    for kind, templates in docs["compose"]["kinds"].items():
        patterns = [compile_template(t, parts) for t in templates]
        for p in patterns:
            re.compile(p, re.I)  # fail fast, naming nothing but the kind
        srx = SelectiveRegex(patterns)
        literals |= srx.literals | srx.prefix_literals
        kinds.append((kind, srx))
    return Lexicon(kinds=tuple(kinds), scanner=LiteralScanner(literals), context=docs["context"],
                   digest=lexicon_digest(directory))


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return load_lexicon(LEXICON_DIR)
