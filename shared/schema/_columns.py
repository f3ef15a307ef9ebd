"""Column helpers the table modules share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Integer
from sqlmodel import Field


def json_list(**kwargs: Any) -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False), **kwargs)


def json_dict(**kwargs: Any) -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False), **kwargs)


def serial_pk() -> Any:
    """An auto-increment 64-bit key (plain INTEGER on SQLite, where only that auto-increments)."""
    return Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
