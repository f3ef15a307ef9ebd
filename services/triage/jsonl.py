"""JSON Lines batch classification (used by the CLI and the worker)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from .types import TriageInput

STRUCTURED_FIELDS = (
    "icd10_codes",
    "phq9_total",
    "phq9_item9",
    "gad7_total",
    "pcl5_total",
    "ybocs_total",
    "cssrs",
    "provider_urgency",
    "date_of_birth",
    "veteran",
    "preferred_language",
    "message_date",
)


def input_from_record(record: dict[str, Any]) -> TriageInput:
    text = record.get("text")
    if not isinstance(text, str):
        raise ValueError("missing or non-string 'text'")
    structured: dict[str, Any] = {}
    nested = record.get("structured")
    if nested is not None:
        if not isinstance(nested, dict):
            raise ValueError("'structured' must be an object")
        structured.update(nested)
    for key in STRUCTURED_FIELDS:
        if key in record and key not in structured:
            structured[key] = record[key]
    channel = record.get("channel")
    if channel is not None and not isinstance(channel, str):
        raise ValueError("'channel' must be a string")
    return TriageInput(text=text, channel=channel, structured=structured)


def classify_jsonl(lines: Iterable[str], out: TextIO) -> int:
    """Classify one JSON object per line; write one result per line. Errors never echo text."""
    from . import get_classifier

    classifier = get_classifier()
    count = 0
    for line in lines:
        if not line.strip():
            continue
        count += 1
        record_id: Any = None
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("line is not a JSON object")
            record_id = record.get("id")
            result = classifier.classify(input_from_record(record))
            row = {"id": record_id}
            row.update(result.to_dict())
        except json.JSONDecodeError as exc:
            row = {"id": None, "error": f"invalid JSON at column {exc.colno}"}
        except (ValueError, TypeError) as exc:
            row = {"id": record_id, "error": str(exc)}
        # Every row records the rules that produced it (error rows too: the same rules rejected it).
        row["classifier_version"] = classifier.version
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return count
