"""The pre-rewrite triage classifier, importable beside the current one for same-run comparisons.

`git archive` extracts services/triage at BASELINE_COMMIT into a temporary directory as the package
`careroute_triage_baseline` (its imports are all relative, and its rules files travel with it).
"""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# main before the compositional rewrite (issue 8): the 936-line classifier, rules triage-2026.11.6
BASELINE_COMMIT = "f2c5df1"


def load_baseline(commit: str = BASELINE_COMMIT):
    """The baseline package (`.get_classifier()`, `.TriageInput`)."""
    if "careroute_triage_baseline" in sys.modules:
        return sys.modules["careroute_triage_baseline"]
    raw = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit, "services/triage"],
        check=True,
        capture_output=True,
    ).stdout
    tmp = Path(tempfile.mkdtemp(prefix="triage_baseline_"))
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        tar.extractall(tmp, filter="data")
    (tmp / "services" / "triage").rename(tmp / "careroute_triage_baseline")
    sys.path.insert(0, str(tmp))
    return importlib.import_module("careroute_triage_baseline")
