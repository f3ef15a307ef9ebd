"""The deployment files agree with the code: commands, queues, settings, Redis and the image.

No Docker engine is needed: docker-compose.yml is read with PyYAML (which resolves its anchors and
merge keys as compose does), every `careroute ...` command is parsed by the real Typer/Click app
without running it, and the compose environment is fed to the real Settings class.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import pytest
import typer.main
import yaml

from careroute.cli import app
from shared import tasks
from shared.settings import Settings

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "deploy" / "Dockerfile"
REDIS_CONF = REPO / "deploy" / "redis.conf"
CAREROUTE_IMAGE = "careroute:local"
TEST_SECRET = "compose-contract-test-secret-0123456789"
TEST_PHI_KEYS = "k1:" + "A" * 43 + "="
SECRETS = {"CAREROUTE_SECRET_KEY": TEST_SECRET, "CAREROUTE_PHI_KEYS": TEST_PHI_KEYS}

DEPENDS_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def careroute_services(services) -> dict:
    """Services that run the CareRoute image (its ENTRYPOINT is `careroute`)."""
    found = {name: svc for name, svc in services.items() if svc.get("image") == CAREROUTE_IMAGE}
    assert found, "no service runs the careroute image"
    return found


@pytest.fixture(scope="module")
def cli():
    """The Click group behind the Typer app (typer ships its own Click, so duck-type groups)."""
    return typer.main.get_command(app)


def _is_group(command) -> bool:
    return isinstance(getattr(command, "commands", None), dict)


def _argv(service: dict) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def _option(argv: list[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _queues(service: dict) -> list[str]:
    argv = _argv(service)
    assert argv and argv[0] == "worker"
    value = _option(argv, "--lane") or _option(argv, "--queues")
    if value is None:  # the CLI default
        return list(tasks.ALL_QUEUES)
    return tasks.lane_queues(value)


def _workers(careroute_services: dict) -> dict:
    return {n: s for n, s in careroute_services.items() if _argv(s)[:1] == ["worker"]}


_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[?-])(?P<arg>[^}]*))?\}")


def _interpolate(value: str, environ: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} forms."""

    def replace(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        current = environ.get(name)
        if op in (":?", "?"):
            if not current:
                raise LookupError(arg or f"{name} is required")
            return current
        if op in (":-", "-"):
            return current if current else (arg or "")
        return current or ""

    return _INTERPOLATION.sub(replace, value)


def _duration_seconds(value: str | int | float) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", value)
    assert parts and "".join(n + u for n, u in parts) == value, f"not a compose duration: {value!r}"
    return sum(float(n) * units[u] for n, u in parts)


def _compose_env(service: dict, environ: dict[str, str]) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "use the mapping form for environment (the x-careroute-env anchor)"
    return {key: _interpolate(str(value), environ) for key, value in env.items()}


# --- Commands ------------------------------------------------------------------------------------


def test_every_careroute_command_exists_and_parses(careroute_services, cli):
    registered = set(cli.commands)
    assert {"api", "worker", "beat", "relay", "migrate", "apikey", "outbox"} <= registered
    for name, service in careroute_services.items():
        argv = _argv(service)
        assert argv, f"{name}: no command (the image's default is only --help)"
        command = cli
        path = list(argv)
        while _is_group(command):
            assert path, f"{name}: `careroute {' '.join(argv)}` names a group, not a command"
            sub = path.pop(0)
            assert sub in command.commands, f"{name}: `careroute {' '.join(argv)}`: no command {sub!r}"
            command = command.commands[sub]
        # Parse the options with the real Click command (unknown options and bad values fail).
        ctx = command.make_context(f"careroute {argv[0]}", list(path), resilient_parsing=False)
        assert ctx.params is not None


def test_one_shot_migrate_runs_first(services, careroute_services):
    migrate = services["migrate"]
    assert _argv(migrate)[:1] == ["migrate"]
    assert str(migrate.get("restart", "no")) == "no", "a one-shot must not restart after exit 0"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, service in careroute_services.items():
        if name == "migrate":
            continue
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert service.get("restart") == "unless-stopped", name


def test_api_listens_on_all_interfaces_and_checks_readiness(careroute_services):
    api = careroute_services["api"]
    assert _argv(api) == ["api"]
    env = _compose_env(api, SECRETS)
    assert env["CAREROUTE_HOST"] == "0.0.0.0"
    assert any(str(p).endswith(":8000") for p in api["ports"])
    check = " ".join(api["healthcheck"]["test"])
    assert "/readyz" in check and "urllib" in check


# --- Queues ----------------------------------------------------------------------------------------


def test_every_queue_has_a_worker_and_crisis_comes_first(careroute_services):
    workers = _workers(careroute_services)
    assert workers, "no worker service"
    consumed: set[str] = set()
    for name, service in workers.items():
        queues = _queues(service)
        unknown = set(queues) - set(tasks.ALL_QUEUES)
        assert not unknown, f"{name}: unknown queues {unknown}"
        assert len(queues) == len(set(queues)), f"{name}: a queue listed twice"
        if tasks.CRISIS_QUEUE in queues:
            assert queues[0] == tasks.CRISIS_QUEUE, f"{name}: crisis must be listed first: {queues}"
        consumed.update(queues)
    assert consumed >= set(tasks.ALL_QUEUES), f"queues nobody consumes: {set(tasks.ALL_QUEUES) - consumed}"
    dedicated = [n for n, s in workers.items() if _queues(s) == [tasks.CRISIS_QUEUE]]
    assert dedicated, "the crisis lane needs a dedicated worker"


def test_exactly_one_beat(careroute_services):
    beats = {n: s for n, s in careroute_services.items() if _argv(s)[:1] == ["beat"]}
    assert len(beats) == 1, f"exactly one scheduler, found {sorted(beats)}"
    (beat,) = beats.values()
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    assert "scale" not in beat


def test_worker_grace_period_outlasts_the_task_time_limit(careroute_services):
    workers = _workers(careroute_services)
    for name, service in workers.items():
        env = _compose_env(service, SECRETS)
        limit = int(
            env.get(
                "CAREROUTE_TASK_TIME_LIMIT_SECONDS", Settings.model_fields["task_time_limit_seconds"].default
            )
        )
        grace = _duration_seconds(service.get("stop_grace_period", "10s"))
        assert grace > limit, f"{name}: stop_grace_period {grace}s <= task time limit {limit}s"
        assert service.get("stop_signal", "SIGTERM") == "SIGTERM", f"{name}: SIGTERM = warm shutdown"


# --- Environment -----------------------------------------------------------------------------------


def test_every_env_key_is_a_setting(careroute_services):
    fields = set(Settings.model_fields)
    for name, service in careroute_services.items():
        env = service.get("environment") or {}
        assert env, f"{name}: no environment"
        for key in env:
            assert key.startswith("CAREROUTE_"), f"{name}: {key} is not a CareRoute setting"
            assert key.removeprefix("CAREROUTE_").lower() in fields, f"{name}: {key} is not a Settings field"


def test_all_careroute_services_share_the_env_anchor(compose, careroute_services):
    shared_env = compose["x-careroute-env"]
    for name, service in careroute_services.items():
        env = service["environment"]
        for key, value in shared_env.items():
            assert env.get(key) == value, f"{name}: {key} differs from x-careroute-env"


def test_secret_key_is_required(careroute_services):
    for service in careroute_services.values():
        with pytest.raises(LookupError, match="CAREROUTE_SECRET_KEY"):
            _compose_env(service, {})


def test_phi_keys_are_required(careroute_services):
    for service in careroute_services.values():
        with pytest.raises(LookupError, match="CAREROUTE_PHI_KEYS"):
            _compose_env(service, {"CAREROUTE_SECRET_KEY": TEST_SECRET})


@pytest.mark.parametrize("service_name", ["api", "relay", "worker-crisis", "beat", "migrate"])
def test_compose_env_builds_production_settings(careroute_services, service_name, monkeypatch):
    env = _compose_env(careroute_services[service_name], SECRETS)
    # Start from a clean CAREROUTE_* environment (the suite's conftest sets test values).
    for key in [k for k in os.environ if k.startswith("CAREROUTE_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.env == "production"
    assert settings.secret_key.get_secret_value() == TEST_SECRET
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.broker_url.startswith("redis://")
    assert settings.email_backend == "smtp"
    assert settings.log_format == "json"
    # Production refuses the development key, which is why compose demands one.
    monkeypatch.delenv("CAREROUTE_SECRET_KEY")
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings()


def test_urls_point_at_the_compose_services(services, careroute_services):
    env = _compose_env(careroute_services["api"], SECRETS)
    pg = services["postgres"]["environment"]
    expected_db = (
        f"postgresql+psycopg://{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}"
        f"@postgres:5432/{pg['POSTGRES_DB']}"
    )
    assert env["CAREROUTE_DATABASE_URL"] == expected_db
    assert env["CAREROUTE_BROKER_URL"].startswith("redis://redis:6379/")
    assert env["CAREROUTE_SMTP_URL"] == "smtp://mailpit:1025"
    for host in ("postgres", "redis", "mailpit"):
        assert host in services


# --- Dependencies and health -----------------------------------------------------------------------


def test_depends_on_names_existing_services_with_valid_conditions(services):
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {dep: {"condition": "service_started"} for dep in depends}
        for dep, spec in depends.items():
            assert dep in services, f"{name} depends on unknown service {dep}"
            assert dep != name
            condition = spec.get("condition", "service_started")
            assert condition in DEPENDS_CONDITIONS, f"{name} -> {dep}: {condition}"
            if condition == "service_healthy":
                assert "healthcheck" in services[dep], (
                    f"{name} waits for {dep} to be healthy, but it has no healthcheck"
                )


def test_infrastructure_health_checks(services):
    assert services["postgres"]["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["image"].startswith("redis:7")
    assert "redis-cli" in services["redis"]["healthcheck"]["test"]
    assert services["mailpit"]["image"].startswith("axllent/mailpit")


# --- Redis ---------------------------------------------------------------------------------------------


def _redis_directives() -> dict[str, str]:
    directives: dict[str, str] = {}
    for line in REDIS_CONF.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition(" ")
            directives[key.lower()] = value.strip()
    return directives


def test_redis_persists_and_never_evicts():
    directives = _redis_directives()
    assert directives.get("appendonly") == "yes"
    assert directives.get("appendfsync") == "everysec"
    assert directives.get("maxmemory-policy") == "noeviction"


def test_redis_service_loads_the_config(services):
    redis = services["redis"]
    argv = _argv(redis)
    assert argv[0] == "redis-server"
    mounts = {}
    for volume in redis["volumes"]:
        source, target, *_ = str(volume).split(":")
        mounts[target] = source
    conf_target = argv[1]
    assert conf_target in mounts, "the config file redis-server reads is not mounted"
    assert (REPO / mounts[conf_target]).resolve() == REDIS_CONF
    assert "/data" in mounts, "the AOF needs a volume"


# --- Image ---------------------------------------------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)  # join continuation lines
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def test_dockerfile_entrypoint_and_user():
    instructions = _dockerfile_instructions()
    froms = [rest for word, rest in instructions if word == "FROM"]
    assert froms and froms[-1].split()[0] == "python:3.11-slim"
    entrypoints = [rest for word, rest in instructions if word == "ENTRYPOINT"]
    assert entrypoints and json.loads(entrypoints[-1]) == ["careroute"]
    users = [rest for word, rest in instructions if word == "USER"]
    assert users, "the image must not run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    # USER comes after the last RUN that installs, so nothing at run time is root.
    last_user = max(i for i, (word, _) in enumerate(instructions) if word == "USER")
    last_run = max(i for i, (word, _) in enumerate(instructions) if word == "RUN")
    assert last_user > last_run


def test_dockerfile_copies_what_setuptools_packages(services):
    instructions = _dockerfile_instructions()
    sources = []
    for word, rest in instructions:
        if word == "COPY" and not rest.startswith("--from"):
            sources.extend(part for part in rest.split()[:-1] if not part.startswith("--"))
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: no such path in the repository"
    for package in ("careroute", "services", "shared", "pyproject.toml"):
        assert package in sources, f"the image does not copy {package}"
    build = services["migrate"]["build"]
    assert (REPO / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


def test_every_lane_has_a_worker_of_its_own_with_a_readiness_check(careroute_services):
    workers = _workers(careroute_services)
    for lane in tasks.ALL_QUEUES:
        own = [n for n, s in workers.items() if _queues(s) == [lane]]
        assert own, f"the {lane} lane needs a worker of its own (docs/deploy.md)"
        check = workers[own[0]]["healthcheck"]["test"]
        assert check[1:] == ["careroute", "worker-ready", "--lane", lane], own[0]
