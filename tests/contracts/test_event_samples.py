"""Every event version keeps parsing its stored sample; every event type has one; no PHI fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.events import EVENT_TYPES, parse_event

SAMPLES = sorted((Path(__file__).parent / "samples").glob("*.json"))
PHI_FIELD_WORDS = ("name", "phone", "email", "message", "text", "birth", "note", "condition")


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_still_parses_and_round_trips(path):
    payload = json.loads(path.read_text())
    event = parse_event(payload)
    assert path.stem == f"{event.type}.v1"
    again = json.loads(event.model_dump_json())
    assert set(payload) <= set(again)  # no field of the sample was lost
    assert parse_event(again) == event


def test_every_event_type_has_a_sample():
    assert {p.stem.rsplit(".", 1)[0] for p in SAMPLES} == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_events_have_no_field_that_could_hold_phi(event_type):
    fields = EVENT_TYPES[event_type].model_fields
    assert not [f for f in fields if any(w in f for w in PHI_FIELD_WORDS)]


def test_unknown_optional_fields_from_a_newer_producer_are_ignored():
    payload = json.loads(SAMPLES[0].read_text()) | {"added_later": 1}
    assert parse_event(payload).event_id
