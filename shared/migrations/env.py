"""Alembic environment: the URL comes from CareRoute settings, the metadata from shared.schema."""

from alembic import context
from sqlmodel import SQLModel

import shared.schema  # noqa: F401  (registers the tables)
from shared.db import get_engine

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = get_engine()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite ALTERs by copying a table, and dropping the old copy of a referenced table
            # (lead) fails with foreign keys on. The pragma only works outside a transaction, so
            # it goes straight to the driver's connection before the migration's BEGIN.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,  # SQLite ALTERs by copy
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


run_migrations_online()
