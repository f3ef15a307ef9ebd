"""Alembic environment: the URL comes from CareRoute settings, the metadata from shared.models."""

from alembic import context
from sqlmodel import SQLModel

import shared.models  # noqa: F401  (registers the tables)
from shared.db import get_engine

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = get_engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs by copy
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
