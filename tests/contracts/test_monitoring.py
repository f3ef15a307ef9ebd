"""deploy/monitoring: every careroute_* metric the alert rules and the Grafana dashboard name is one
GET /metrics really serves (with the canary on, as in production), and both files are well formed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from shared.settings import reset_settings_cache

MONITORING = Path(__file__).resolve().parents[2] / "deploy" / "monitoring"
ALERTS = yaml.safe_load((MONITORING / "prometheus-alerts.yaml").read_text(encoding="utf-8"))
DASHBOARD = json.loads((MONITORING / "grafana-dashboard.json").read_text(encoding="utf-8"))
METRIC = re.compile(r"\bcareroute_[a-z0-9_]+")
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")
SEVERITIES = {"critical", "warning"}


def _rules() -> list[dict]:
    return [rule for group in ALERTS["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    return [target["expr"] for panel in DASHBOARD["panels"] for target in panel["targets"]]


@pytest.fixture
def served(client, monkeypatch) -> set[str]:
    """Every sample name /metrics can serve: each family's own and its exposition names."""
    monkeypatch.setenv("CAREROUTE_CANARY_ENABLED", "true")
    reset_settings_cache()
    try:
        text = client.get("/metrics").text
    finally:
        monkeypatch.delenv("CAREROUTE_CANARY_ENABLED")
        reset_settings_cache()
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        if family.type == "counter":
            names.add(f"{family.name}_total")
        if family.type == "histogram":
            names.update(family.name + suffix for suffix in HISTOGRAM_SUFFIXES)
    return names


def test_every_metric_the_alert_rules_name_is_served(served):
    named = {m for rule in _rules() for m in METRIC.findall(rule["expr"])}
    assert named, "the rules name no CareRoute metric"
    assert named <= served, f"not on /metrics: {sorted(named - served)}"


def test_every_metric_the_dashboard_names_is_served(served):
    named = {m for expr in _dashboard_exprs() for m in METRIC.findall(expr)}
    assert named <= served, f"not on /metrics: {sorted(named - served)}"
    # The figures this dashboard exists for are all on it.
    for wanted in (
        "careroute_leads_received_total",
        "careroute_lead_stage_seconds_bucket",
        "careroute_queue_depth",
        "careroute_oldest_unnotified_lead_seconds",
        "careroute_sla_deadlines_total",
        "careroute_escalations_total",
        "careroute_leads_spam_flagged_total",
        "careroute_rate_limited_total",
        "careroute_notify_ambiguous_attempts_total",
        "careroute_canary_ok",
    ):
        assert wanted in named, wanted


def test_alert_rules_are_well_formed():
    names = [rule["alert"] for rule in _rules()]
    assert len(names) == len(set(names)), "duplicate alert names"
    for rule in _rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
        if "for" in rule:
            assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
    critical = {rule["alert"] for rule in _rules() if rule["labels"]["severity"] == "critical"}
    assert {"CareRouteCanaryFailing", "CareRouteCrisisLeadNotNotified"} <= critical


def test_dashboard_panels_are_well_formed():
    ids = [panel["id"] for panel in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    assert DASHBOARD["uid"] and DASHBOARD["templating"]["list"][0]["type"] == "datasource"
    for panel in DASHBOARD["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}"
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"]) and panel["gridPos"]["x"] + panel["gridPos"][
            "w"
        ] <= 24
        for target in panel["targets"]:
            assert target["expr"].count("(") == target["expr"].count(")"), panel["title"]
