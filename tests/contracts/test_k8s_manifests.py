"""deploy/k8s: the built overlay is valid Kubernetes (the schemas kubernetes-validate bundles, strict,
offline), its KEDA objects match tests/contracts/keda.schema.json, and it runs CareRoute as
docs/deploy.md says: a Deployment per lane with its readiness check, probes on routes that exist,
budgets, limits, KEDA on each lane's Redis list, a migration Job and settings production accepts."""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import typer

from careroute.cli import app
from shared import tasks
from shared.settings import Settings
from tests.support.kustomize import build, build_in_python, build_with_kubectl

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "deploy" / "k8s" / "base"
OVERLAY = REPO / "deploy" / "k8s" / "overlays" / "example"
KEDA_SCHEMA = json.loads((Path(__file__).parent / "keda.schema.json").read_text(encoding="utf-8"))
K8S_VERSION = "1.30.0"  # the oldest Kubernetes the manifests promise to run on (docs/deploy.md)
TASK_TIME_LIMIT = Settings.model_fields["task_time_limit_seconds"].default


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    return build(OVERLAY)


def _by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _container(deployment: dict) -> dict:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _lane_of(deployment: dict) -> str | None:
    args = _container(deployment)["args"]
    return args[args.index("--lane") + 1] if args[:1] == ["worker"] else None


# --- Schemas ---------------------------------------------------------------------------------------


def test_every_core_object_is_valid_kubernetes(docs):
    core = [d for d in docs if not d["apiVersion"].startswith("keda.sh/")]
    assert {d["kind"] for d in core} >= {
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "Job",
        "ConfigMap",
        "ServiceAccount",
    }
    for doc in core:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_validator_refuses_a_misspelt_field(docs):
    """Strict validation is live: a typo such as `readinesProbe` fails rather than being ignored."""
    deployment = copy.deepcopy(next(iter(_by_kind(docs, "Deployment").values())))
    container = _container(deployment)
    container["readinesProbe"] = container.pop("readinessProbe", {"exec": {"command": ["true"]}})
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


def test_keda_objects_match_the_schema(docs):
    keda = [d for d in docs if d["apiVersion"].startswith("keda.sh/")]
    assert {d["kind"] for d in keda} == {"ScaledObject", "TriggerAuthentication"}
    for doc in keda:
        jsonschema.validate(doc, KEDA_SCHEMA)
    broken = copy.deepcopy(next(d for d in keda if d["kind"] == "ScaledObject"))
    broken["spec"]["triggers"][0]["metadata"]["listLenght"] = "5"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, KEDA_SCHEMA)


def test_the_python_loader_builds_what_kubectl_builds():
    """The fallback for machines without kubectl gives the same objects as `kubectl kustomize`."""
    ours = {(d["kind"], d["metadata"]["name"]): d for d in build_in_python(OVERLAY)}
    assert len(ours) == 28
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is on the project's machines (apt package kubectl): install it"
    theirs = {(d["kind"], d["metadata"]["name"]): d for d in build_with_kubectl(kubectl, OVERLAY)}
    assert ours == theirs


# --- Processes -------------------------------------------------------------------------------------


def test_every_container_command_parses_with_the_real_cli(docs):
    cli = typer.main.get_command(app)
    workloads = list(_by_kind(docs, "Deployment").values()) + list(_by_kind(docs, "Job").values())
    for workload in workloads:
        container = _container(workload)
        argv = list(container["args"])
        command = cli.commands[argv[0]]
        command.make_context(f"careroute {argv[0]}", argv[1:], resilient_parsing=False)
        probe = container.get("readinessProbe", {}).get("exec")
        if probe:
            assert probe["command"][0] == "careroute"
            ready = cli.commands[probe["command"][1]]
            ready.make_context("careroute worker-ready", probe["command"][2:], resilient_parsing=False)


def test_each_lane_has_its_own_deployment_with_a_readiness_check_and_a_long_grace(docs):
    deployments = _by_kind(docs, "Deployment")
    lanes = {_lane_of(d): d for d in deployments.values() if _lane_of(d)}
    assert set(lanes) == set(tasks.ALL_QUEUES)
    for lane, deployment in lanes.items():
        container = _container(deployment)
        assert container["readinessProbe"]["exec"]["command"] == ["careroute", "worker-ready", "--lane", lane]
        grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace > TASK_TIME_LIMIT, f"{lane}: warm shutdown needs more than the task time limit"
    assert lanes[tasks.CRISIS_QUEUE]["spec"]["replicas"] >= 2
    kinds = {tuple(_container(d)["args"][:1]) for d in deployments.values()}
    assert {("api",), ("relay",), ("beat",), ("worker",)} <= kinds


def test_api_probes_use_routes_the_app_serves(docs):
    from fastapi.testclient import TestClient

    from careroute.asgi import app as asgi_app

    api = _container(_by_kind(docs, "Deployment")["careroute-api"])
    probes = [api["readinessProbe"], api["livenessProbe"], api["startupProbe"]]
    assert [p["httpGet"]["path"] for p in probes] == ["/readyz", "/healthz", "/healthz"]
    with TestClient(asgi_app) as client:  # the suite's real PostgreSQL and Redis answer
        for probe in probes:
            assert client.get(probe["httpGet"]["path"]).status_code == 200
    port = api["ports"][0]["containerPort"]
    config = _by_kind(docs, "ConfigMap")["careroute-config"]["data"]
    assert int(config["CAREROUTE_PORT"]) == port and config["CAREROUTE_HOST"] == "0.0.0.0"


def test_two_beat_replicas_only_with_the_leader_lock(docs):
    beat = _by_kind(docs, "Deployment")["careroute-beat"]
    assert beat["spec"]["replicas"] == 2
    from shared.celery import create_celery

    settings = Settings(broker_url="redis://redis:6379/0", env="test")
    conf = create_celery(settings).conf
    assert conf.beat_scheduler == "redbeat.RedBeatScheduler"
    assert conf.redbeat_lock_timeout == settings.beat_lock_timeout_seconds
    assert conf.beat_max_loop_interval * 3 <= conf.redbeat_lock_timeout  # renewed well within it


def test_every_workload_has_resources_a_budget_and_runs_unprivileged(docs):
    budgets = _by_kind(docs, "PodDisruptionBudget")
    for name, deployment in _by_kind(docs, "Deployment").items():
        pod = deployment["spec"]["template"]
        container = _container(deployment)
        assert container["resources"]["requests"]["memory"] and container["resources"]["requests"]["cpu"]
        assert container["resources"]["limits"]["memory"], name
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        covering = [
            b
            for b in budgets.values()
            if b["metadata"].get("namespace") == deployment["metadata"].get("namespace")
            and b["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
        ]
        assert len(covering) == 1, f"{name}: {len(covering)} PodDisruptionBudgets select it"
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()


def test_keda_scales_each_lane_on_its_own_redis_list(docs):
    deployments = _by_kind(docs, "Deployment")
    scaled = _by_kind(docs, "ScaledObject")
    auth = _by_kind(docs, "TriggerAuthentication")
    lanes_scaled = {}
    for obj in scaled.values():
        target = deployments[obj["spec"]["scaleTargetRef"]["name"]]
        (trigger,) = obj["spec"]["triggers"]
        assert trigger["authenticationRef"]["name"] in auth
        # kombu's Redis transport keeps each queue as a list named after it.
        assert trigger["metadata"]["listName"] == _lane_of(target)
        assert obj["spec"]["minReplicaCount"] >= 1, "a cold worker needs seconds to warm: never zero"
        lanes_scaled[_lane_of(target)] = obj
    assert set(lanes_scaled) == set(tasks.ALL_QUEUES)
    assert lanes_scaled[tasks.CRISIS_QUEUE]["spec"]["minReplicaCount"] >= 2


def test_the_migration_job_runs_once_and_does_not_restart(docs):
    job = _by_kind(docs, "Job")["careroute-migrate"]
    assert _container(job)["args"] == ["migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] <= 5


# --- Settings --------------------------------------------------------------------------------------


def test_config_map_and_secret_build_production_settings(docs, monkeypatch):
    config = _by_kind(docs, "ConfigMap")["careroute-config"]["data"]
    fields = set(Settings.model_fields)
    for key in config:
        assert key.startswith("CAREROUTE_") and key.removeprefix("CAREROUTE_").lower() in fields, key
    for key in [k for k in os.environ if k.startswith("CAREROUTE_")]:
        monkeypatch.delenv(key)
    secret = {  # what docs/deploy.md tells the operator to put in careroute-secrets
        "CAREROUTE_DATABASE_URL": "postgresql+psycopg://careroute:pw@postgres:5432/careroute",
        "CAREROUTE_BROKER_URL": "redis://:pw@redis:6379/0",
        "CAREROUTE_SECRET_KEY": "k" * 64,
        "CAREROUTE_PHI_KEYS": "k1:" + "A" * 43 + "=",
        "CAREROUTE_SENDGRID_API_KEY": "SG.test",
    }
    for key, value in {**config, **secret}.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.env == "production" and settings.email_backend == "sendgrid"
    assert settings.enable_docs is False and settings.log_format == "json"
    every = [d for d in docs if d["kind"] in ("Deployment", "Job")]
    for workload in every:
        refs = _container(workload)["envFrom"]
        assert {"configMapRef": {"name": "careroute-config"}} in refs
        assert {"secretRef": {"name": "careroute-secrets"}} in refs
