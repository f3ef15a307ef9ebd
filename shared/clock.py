"""Time in one place: always timezone-aware UTC (SQLModel rejects naive datetimes)."""

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class UtcDateTime(TypeDecorator):
    """timestamptz on PostgreSQL; on SQLite, UTC text read back as aware datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use shared.clock.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)
