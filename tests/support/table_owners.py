"""A guard the whole suite runs under: a service writes only the tables it owns.

`shared/schema` names each table's owner (OWNER). While tests run, SQLAlchemy listeners watch every
write — ORM flushes (`before_flush`) and Core INSERT/UPDATE/DELETE (`before_cursor_execute`) — and
name the writer from the stack: the innermost frame in a file under `services/<name>/`. A write by
a service to a table another service owns is recorded as a violation (conftest fails the test).
Platform tables (outbox, inbox, audit, heartbeat, API keys) may be written by anyone through
shared code; code outside any service (tests, migrations, the CLI's own glue) is not judged.

ORM rows are attributed to whoever added or loaded them (a flush often happens later, at commit,
from shared code), Core statements to whoever executed them.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shared.schema import OWNER, PLATFORM

SERVICES_DIR = str(Path(__file__).resolve().parents[2] / "services") + os.sep
_WRITE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)\"?", re.IGNORECASE)
_UNKNOWN = object()


@dataclass(frozen=True)
class Violation:
    service: str
    table: str
    how: str  # "orm" or "sql"

    def __str__(self) -> str:
        return f"{self.service} wrote {self.table} ({self.how}), which {OWNER.get(self.table, 'nobody')} owns"


def writing_service() -> str | None:
    """The service whose code is innermost on the stack, or None outside every service."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(SERVICES_DIR):
            return filename[len(SERVICES_DIR) :].split(os.sep, 1)[0]
        frame = frame.f_back
    return None


class OwnerGuard:
    def __init__(self) -> None:
        self.violations: list[Violation] = []
        self._local = threading.local()

    def install(self) -> None:
        event.listen(Session, "transient_to_pending", self._remember)
        event.listen(Session, "loaded_as_persistent", self._remember)
        event.listen(Session, "before_flush", self._before_flush)
        event.listen(Session, "after_flush_postexec", self._after_flush)
        event.listen(Session, "after_soft_rollback", self._after_flush)
        event.listen(Engine, "before_cursor_execute", self._before_sql)

    def check(self, table: str, service: str | None, how: str) -> None:
        if service is None or OWNER.get(table) in (service, PLATFORM):
            return
        self.violations.append(Violation(service, table, how))

    # ORM: who added or loaded each row, judged when the session flushes it
    def _remember(self, _session, instance) -> None:
        inspect(instance).info["writer"] = writing_service()

    def _before_flush(self, session, _context, _instances) -> None:
        self._local.flushing = True
        dirty = [o for o in session.dirty if session.is_modified(o)]
        for instance in [*session.new, *dirty, *session.deleted]:
            service = inspect(instance).info.get("writer", _UNKNOWN)
            self.check(instance.__tablename__, writing_service() if service is _UNKNOWN else service, "orm")

    def _after_flush(self, *_args) -> None:
        self._local.flushing = False

    # Core: statements executed directly (a flush's own statements were judged above)
    def _before_sql(self, _conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        if getattr(self._local, "flushing", False):
            return
        match = _WRITE.match(statement)
        if match:
            self.check(match.group(1), writing_service(), "sql")


GUARD = OwnerGuard()
