"""Figures the fault tests measure (recovery times, duplicates seen), printed at the end of the run
(tests/conftest.py) so docs/reliability.md can quote what the suite really saw."""

from __future__ import annotations

import json
import os
from pathlib import Path


def _path() -> Path:
    return Path(os.environ["CAREROUTE_VAR_DIR"]) / "fault-figures.jsonl"


def record(test: str, **figures: float | int | str) -> None:
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"test": test, **figures}) + "\n")


def recorded() -> list[dict]:
    path = _path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
