"""`careroute worker`: one Celery worker for one lane (or several), warm before it says ready.

A lane is a queue (shared/tasks.py). Only the crisis and classify lanes run the triage classifier,
so only their workers load spaCy and the rules. A worker deletes its readiness file first, then
loads what its tasks need (the classifier, a database connection) in the parent process — prefork
children inherit the loaded model, so none of them loads it on a patient's first lead — and writes
the file only when Celery is consuming. `careroute worker-ready` (a probe) checks that file.
"""

from __future__ import annotations

import os
from pathlib import Path

from shared import tasks
from shared.logging import get_logger

log = get_logger(__name__)

# A short, fixed text: the classifier's first call builds lazy caches (the spaCy pipeline's
# vocabulary, compiled patterns); run it once here instead of on a patient's lead.
_WARM_TEXT = "Years of depression, nothing has worked. Is ketamine an option? No suicidal thoughts."


def lane_label(queues: list[str]) -> str:
    return "all" if set(queues) == set(tasks.ALL_QUEUES) else "-".join(queues)


def default_ready_file(queues: list[str]) -> Path:
    from shared.settings import get_settings

    return get_settings().var_dir / "run" / f"worker-{lane_label(queues)}.ready"


def needs_classifier(queues: list[str]) -> bool:
    return bool(tasks.CLASSIFIER_QUEUES & set(queues))


def warm(queues: list[str]) -> dict[str, str]:
    """Load what this lane's tasks need; return what was warmed (for the log and the file)."""
    from sqlalchemy import text

    from shared.celery import celery_app
    from shared.db import dispose_engines, get_engine

    done: dict[str, str] = {}
    celery_app.loader.import_default_modules()  # every task module, before the first message
    if needs_classifier(queues):
        from services.triage import TriageInput, get_classifier

        get_classifier().classify(TriageInput(text=_WARM_TEXT))
        done["classifier"] = "loaded"
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        _warm_reads(queues)
        done["database"] = "ok"
    except Exception as exc:  # readiness must not wait on a database outage: tasks retry
        done["database"] = f"error: {type(exc).__name__}"
    # The parent holds no connection across the fork: each child opens its own (shared/celery.py);
    # the engine and its compiled statements stay, so the children's first queries are warm too.
    dispose_engines(forget=False)
    return done


def _warm_reads(queues: list[str]) -> None:
    """The reads a lane's first task makes, once, so its SQL is compiled and its templates parsed
    before a patient's lead arrives (measured: the first lead took ~10x the next ones)."""
    from datetime import UTC, datetime
    from uuid import uuid4

    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    now = datetime.now(UTC)
    if {tasks.CRISIS_QUEUE, tasks.CLASSIFY_QUEUE, tasks.ROUTE_QUEUE} & set(queues):
        from services.routing.adapters.repository import routing_uow

        with routing_uow() as repo:
            repo.lock(uuid4())  # no such lead: the lookup alone
            repo.directory(now)
            repo.ruleset()
            repo.schedule()
    if {tasks.CRISIS_QUEUE, tasks.NOTIFY_QUEUE} & set(queues):
        from services.notify.domain.compose import NotificationView, compose

        for urgency in ("crisis", "urgent", "routine"):
            view = NotificationView(
                kind="lead_assigned", recipient_display_name="Warm Up", received_at=now,
                reference="R-7K3M9QX", link="https://example.invalid/", urgency=urgency, channel="web",
            )  # fmt: skip
            compose(view)


def write_ready(path: Path, queues: list[str], warmed: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    details = " ".join(f"{k}={v}" for k, v in warmed.items())
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"pid={os.getpid()} queues={','.join(queues)} {details}\n")
    tmp.replace(path)  # atomic: a probe never reads half a file


def is_ready(path: Path) -> bool:
    """The file exists and names a live process (a crashed worker leaves a stale file behind)."""
    try:
        first = path.read_text().split()[0]
        pid = int(first.removeprefix("pid="))
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


def run_worker(queues: list[str], concurrency: int, pool: str, ready_file: Path, nice: int = 0) -> None:
    from celery import signals

    from shared.celery import celery_app

    if nice:
        # Bulk lanes yield the CPU to the crisis lane and the API when cores are short (children
        # inherit it). Only within one machine or container: between containers, set CPU shares.
        os.nice(nice)
    ready_file.unlink(missing_ok=True)  # not ready until warm, whatever the last run left
    warmed = warm(queues)
    log.info("worker_warm", queues=",".join(queues), **warmed)

    def _ready(**_kwargs) -> None:
        write_ready(ready_file, queues, warmed)
        log.info("worker_ready", queues=",".join(queues))

    def _gone(**_kwargs) -> None:
        ready_file.unlink(missing_ok=True)

    signals.worker_ready.connect(_ready, weak=False)
    signals.worker_shutting_down.connect(_gone, weak=False)
    celery_app.worker_main(
        [
            "worker",
            "--queues",
            ",".join(queues),
            "--concurrency",
            str(concurrency),
            "--pool",
            pool,
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"careroute-{lane_label(queues)}@%h",
        ]
    )
