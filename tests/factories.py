"""Plain factory functions for test data."""

from __future__ import annotations

from typing import Any

from shared.db import unit_of_work
from shared.models import Coordinator


def web_form(**overrides: Any) -> dict:
    body = {
        "name": "Ana Example",
        "phone": "+1 949 555 0100",
        "email": "ana@example.com",
        "message": "Years of depression, nothing has worked. Is ketamine an option?",
        "consent_to_contact": True,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def phone_log(**overrides: Any) -> dict:
    body = {
        "caller_name": "Marcus Caller",
        "phone": "(714) 555-0142",
        "notes": "pt 34yo USMC vet, PTSD from OIF, denies SI, asking about Spravato",
        "veteran": True,
    }
    body.update(overrides)
    return body


def referral(**overrides: Any) -> dict:
    body = {
        "referrer": {"name": "Dr. Priya Shah", "practice": "Harbor Psychiatry", "npi": "1234567893"},
        "patient": {"name": "Jordan Referred", "date_of_birth": "1985-04-12", "phone": "949-555-0177"},
        "reason": "MDD, recurrent, severe (F33.2). Failed 3 adequate SSRI/SNRI trials. Requesting Spravato evaluation.",
        "diagnoses": [{"code": "F33.2", "description": "MDD, recurrent, severe"}],
        "screeners": {"phq9_total": 21, "phq9_item9": 0},
        "requested_treatment": "spravato",
    }
    body.update(overrides)
    return body


def make_coordinator(**fields: Any) -> Coordinator:
    defaults = dict(name="Casey Coordinator", email=f"casey{id(fields)}@clinic.example",
                    specialties=["depression"], languages=["en"])
    defaults.update(fields)
    with unit_of_work() as session:
        coordinator = Coordinator(**defaults)
        session.add(coordinator)
    return coordinator
