"""Loads the clinician-editable YAML rule files and derives the classifier version from them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

RULES_DIR = Path(__file__).resolve().parent / "rules"


@dataclass(frozen=True)
class TargetSpec:
    id: str
    group: str
    value: str
    patterns: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ContextSpec:
    category: str
    direction: str
    literals: tuple[str, ...] = ()
    regex: str | None = None
    max_scope: int | None = None
    allowed: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RuleSet:
    version: str
    meta: dict[str, Any]
    targets: tuple[TargetSpec, ...]
    context: tuple[ContextSpec, ...]
    risk: dict[str, Any]
    flags: dict[str, Any]
    docs: dict[str, Any] = field(default_factory=dict)

    def targets_in(self, group: str) -> list[TargetSpec]:
        return [t for t in self.targets if t.group == group]


def _rule_files(rules_dir: Path) -> list[Path]:
    return sorted(rules_dir.glob("*.yaml"))


def rules_hash(rules_dir: Path = RULES_DIR) -> str:
    digest = hashlib.sha256()
    for path in _rule_files(rules_dir):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _targets_from(doc: dict[str, Any]) -> list[TargetSpec]:
    groups: dict[str, list[dict]] = {}
    if "groups" in doc:
        groups.update(doc["groups"])
    if "group" in doc:
        groups.setdefault(doc["group"], []).extend(doc.get("targets", []))
    out = []
    for group, entries in groups.items():
        for entry in entries:
            options = {k: v for k, v in entry.items() if k not in ("id", "value", "patterns")}
            out.append(
                TargetSpec(
                    id=entry["id"],
                    group=group,
                    value=str(entry["value"]),
                    patterns=tuple(entry["patterns"]),
                    options=options,
                )
            )
    return out


def load_rules(rules_dir: Path = RULES_DIR) -> RuleSet:
    docs = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) or {} for p in _rule_files(rules_dir)}
    meta = docs.get("meta", {})
    targets: list[TargetSpec] = []
    for name, doc in docs.items():
        if name in ("meta", "context", "language"):
            continue
        targets.extend(_targets_from(doc))
    seen: set[str] = set()
    for t in targets:
        if t.id in seen:
            raise ValueError(f"duplicate rule id {t.id}")
        seen.add(t.id)
    context = tuple(
        ContextSpec(
            category=r["category"],
            direction=r["direction"],
            literals=tuple(r.get("literals", ())),
            regex=r.get("regex"),
            max_scope=r.get("max_scope"),
            allowed=tuple(r["allowed"]) if r.get("allowed") else None,
        )
        for r in docs.get("context", {}).get("rules", [])
    )
    version = f"{meta.get('base_version', 'triage-0')}+{rules_hash(rules_dir)}"
    return RuleSet(
        version=version,
        meta=meta,
        targets=tuple(targets),
        context=context,
        risk=docs.get("risk", {}),
        flags=docs.get("flags", {}),
        docs=docs,
    )


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    return load_rules(RULES_DIR)
