"""Plain factory functions for test data."""

from __future__ import annotations

from typing import Any

from shared.db import unit_of_work
from shared.schema import Coordinator


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
        "consent_to_contact": True,  # the agent read the consent wording; the caller said yes
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
    defaults = dict(
        name="Casey Coordinator",
        email=f"casey{id(fields)}@clinic.example",
        specialties=["depression"],
        languages=["en"],
    )
    defaults.update(fields)
    with unit_of_work() as session:
        coordinator = Coordinator(**defaults)
        session.add(coordinator)
    return coordinator


def make_classified_lead(
    urgency: str = "routine",
    conditions=("depression",),
    primary: str | None = "depression",
    veteran: bool = False,
    flags=(),
    channel: str = "web",
    organization: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    language: str | None = None,
    created_at=None,
    **details: Any,
) -> dict:
    """A lead already classified (no classifier run): returns its `lead.classified` payload."""
    import secrets

    from shared.clock import utcnow
    from shared.events import LeadClassifiedV1
    from shared.schema import Classification, Lead, LeadContact, LeadState
    from shared.settings import get_settings

    from services.intake.domain.intake import contact_key

    secret = get_settings().secret_key.get_secret_value().encode()
    with unit_of_work() as session:
        lead = Lead(
            reference=f"r-{secrets.token_hex(4)}",
            channel=channel,
            organization=organization,
            language=language,
            created_at=created_at or utcnow(),
            phone_hash=contact_key("phone", phone, secret),
            email_hash=contact_key("email", email, secret),
            region=_region(details),
        )
        session.add(lead)
        session.flush()
        session.add(LeadState(lead_id=lead.id, status="classified", urgency=urgency))
        session.add(
            LeadContact(
                lead_id=lead.id,
                name="Test Person",
                phone=phone,
                email=email,
                message="(test)",
                details=dict(details),
            )
        )
        session.add(
            Classification(
                lead_id=lead.id,
                conditions=list(conditions),
                primary_condition=primary,
                urgency=urgency,
                veteran=veteran,
                flags=list(flags),
                evidence=[],
                classifier_version="test",
            )
        )
    return LeadClassifiedV1(lead_id=lead.id, urgency=urgency, classifier_version="test").model_dump(
        mode="json"
    )


def _region(details: dict) -> str | None:
    from services.intake.domain.intake import region_of

    return region_of(details)


def lead_record(lead_id):
    """A lead as a test reads it: intake's facts and routing's state side by side (None if absent)."""
    from types import SimpleNamespace

    from shared.schema import Lead, LeadState

    with unit_of_work() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            return None
        state = session.get(LeadState, lead.id) or LeadState(lead_id=lead.id, status="received")
        return SimpleNamespace(**lead.model_dump(), **state.model_dump(exclude={"lead_id"}))
