"""Pure rules of the console: where a sign-in may send the browser back to, and what an audit
review asks for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from uuid import UUID

HOME = "/console"


def safe_next(value: str | None) -> str:
    """A local path to return to after sign-in; anything else (another site, a scheme, `//host`,
    a backslash trick, control characters) falls back to the console's home."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith(("//", "/\\")):
        return HOME
    if any(ord(ch) < 32 or ch == "\\" for ch in value):
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return HOME
    return value


@dataclass(frozen=True)
class AuditFilter:
    lead_id: UUID | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
