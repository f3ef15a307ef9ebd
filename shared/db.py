"""Engine and sessions. API requests get one session each; tasks use `unit_of_work()`.

Domain code never commits: the edge that opened the session does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from shared.settings import get_settings

_engines: dict[str, Engine] = {}


def _build_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # several processes share one file in dev
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):
            # Take the write lock up front: a transaction that reads and then writes would fail
            # with SQLITE_BUSY instead of waiting when another process wrote in between.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # Bounded waits everywhere: a dead database must turn into a fast 503, not a hung request.
    return create_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_timeout=3,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 3},
    )


def get_engine() -> Engine:
    url = get_settings().database_url
    if url not in _engines:
        _engines[url] = _build_engine(url)
    return _engines[url]


def dispose_engines(close: bool = True, forget: bool = True) -> None:
    """Between tests, or after fork (Celery prefork children) with close=False: a child must not
    close the parent's connections (that would end them for the parent too), only forget them.
    forget=False keeps the engines (and their compiled-statement caches, warmed before the fork)
    and replaces only their connection pools."""
    for engine in list(_engines.values()):
        engine.dispose(close=close)
    if forget:
        _engines.clear()


def new_session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction: commits when the block ends normally, rolls back when it raises."""
    session = new_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
