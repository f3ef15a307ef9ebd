"""docs/fhir.md shows the CapabilityStatement the code serves, word for word."""

from __future__ import annotations

import json
import re
from pathlib import Path

from services.intake.api.fhir.routes import RELEASED, SOFTWARE_VERSION
from services.intake.domain.fhir.capability import capability_statement

DOC = Path(__file__).resolve().parents[2] / "docs" / "fhir.md"


def test_the_documented_capability_statement_is_the_served_one():
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"## The CapabilityStatement.*?```json\n(.*?)```", text, re.S).group(1)
    base = "http://127.0.0.1:8000/fhir/r4"
    assert json.loads(block) == capability_statement(base, f"{base}/auth/token", SOFTWARE_VERSION, RELEASED)
