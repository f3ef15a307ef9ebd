"""The person's message cut into pieces, the pieces the classifier's evidence points at marked
with their labels, so the lead page can highlight them (Jinja escapes every piece: the text is
never trusted as HTML)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Piece:
    text: str
    labels: tuple[str, ...] = ()  # empty: plain text; else the evidence labels of this span
    rule: str | None = None


def _span(text: str, item: dict) -> tuple[int, int] | None:
    """Where the evidence sits in `text`: its offsets when they still match its quoted words,
    else the first place those words occur (a phone log's text may be assembled differently)."""
    quoted = item.get("text")
    start, end = item.get("start"), item.get("end")
    in_range = isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
    if in_range and (not quoted or text[start:end] == quoted):
        return start, end
    if isinstance(quoted, str) and quoted:
        found = text.find(quoted)
        if found >= 0:
            return found, found + len(quoted)
    return None


def highlight(text: str, evidence: list[dict]) -> list[Piece]:
    spans: dict[tuple[int, int], list[dict]] = {}
    for item in evidence or ():
        if item.get("source") != "text":
            continue
        where = _span(text, item)
        if where:
            spans.setdefault(where, []).append(item)
    pieces: list[Piece] = []
    at = 0
    for (start, end), items in sorted(spans.items()):
        if start < at:  # overlaps a span already marked: its labels join the earlier piece
            continue
        if start > at:
            pieces.append(Piece(text[at:start]))
        labels = tuple(dict.fromkeys(str(i.get("label", "")) for i in items))
        pieces.append(Piece(text[start:end], labels, items[0].get("rule")))
        at = end
    if at < len(text):
        pieces.append(Piece(text[at:]))
    return pieces


def structured(evidence: list[dict]) -> list[dict]:
    """Evidence that is not a span of the text (structured fields, derived rules)."""
    return [i for i in evidence or () if i.get("source") != "text"]
