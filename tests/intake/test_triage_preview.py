"""The call-center agent's draft note, triaged while the caller is still on the line."""

from __future__ import annotations

import json

from sqlmodel import func, select

from shared.db import unit_of_work
from shared.schema import Lead


def preview(client, headers, **body):
    return client.post(
        "/v1/triage/preview",
        content=json.dumps(body),
        headers={"content-type": "application/json", **headers},
    )


def test_crisis_note_shows_the_banner_with_evidence(client, make_key):
    response = preview(
        client,
        make_key("call_center"),
        notes="caller says she has pills saved up and plans to take them all tonight",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["urgency"] == "crisis"
    assert "988" in json.dumps(body["crisis_resources"])
    urgency_evidence = [e for e in body["evidence"] if "urgency" in e["label"] or "risk" in e["label"]]
    assert urgency_evidence and all("source" in e for e in body["evidence"])
    assert body["classifier_version"].startswith("triage-")


def test_routine_note_has_no_banner_and_keeps_its_labels(client, make_key):
    response = preview(
        client,
        make_key("call_center"),
        notes="pt 45M, USMC vet, PTSD from OIF, denies SI/HI, asking about Spravato",
        veteran=True,
    )
    body = response.json()
    assert body["urgency"] == "routine" and body["crisis_resources"] is None
    assert body["conditions"] == ["ptsd"] and body["veteran"] is True
    assert "interested_spravato" in body["flags"]


def test_preview_stores_nothing_and_needs_a_call_center_key(client, make_key):
    assert preview(client, {}, notes="anything").status_code == 401
    assert preview(client, make_key("coordinator"), notes="anything").status_code == 403
    assert preview(client, make_key("call_center"), notes="   ").status_code == 422
    with unit_of_work() as session:
        assert session.exec(select(func.count()).select_from(Lead)).one() == 0
