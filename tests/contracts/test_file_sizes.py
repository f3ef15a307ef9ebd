"""A Python file past ~400 lines is doing several things: give each its own file (tests too)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 400
FOLDERS = ("careroute", "services", "shared", "tests", "bench")


def _python_files():
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in relative:
                yield relative, len(path.read_text(encoding="utf-8").splitlines())


def test_no_python_file_over_the_limit_outside_migrations():
    too_long = {name: lines for name, lines in _python_files() if lines > LIMIT}
    assert not too_long, f"over {LIMIT} lines: {too_long}"
