"""The email a backend sends, and the interface every backend implements."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol, runtime_checkable

# Categories and custom_args travel to the provider in clear: only opaque codes and ids fit these.
_CATEGORY_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_ARG_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_ARG_VALUE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
# One plain address, no display name: a CR/LF here would be header injection.
_ADDRESS_RE = re.compile(r"^[^\s<>@,;:\"]+@[^\s<>@,;:\"]+$")


@dataclass(frozen=True)
class OutgoingEmail:
    notification_id: str
    to: str
    subject: str
    text: str
    html: str
    categories: tuple[str, ...] = ()
    custom_args: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # Errors name the field, never echo the value (it may be an address).
        if not _ID_RE.match(self.notification_id):
            raise ValueError("notification_id must be an opaque id")
        if not _ADDRESS_RE.match(self.to):
            raise ValueError("to must be a single plain email address")
        if not self.subject or "\r" in self.subject or "\n" in self.subject or len(self.subject) > 200:
            raise ValueError("subject must be one short line")
        if len(self.categories) > 10 or not all(_CATEGORY_RE.match(c) for c in self.categories):
            raise ValueError("categories must be at most 10 short lowercase codes")
        args = dict(self.custom_args)
        for key, value in args.items():
            if not isinstance(value, str) or not _ARG_KEY_RE.match(key) or not _ARG_VALUE_RE.match(value):
                raise ValueError("custom_args must map short keys to opaque ids")
        object.__setattr__(self, "custom_args", MappingProxyType(args))

    def __repr__(self) -> str:
        # Keep the address and body out of reprs that end up in tracebacks and logs.
        return f"OutgoingEmail(notification_id={self.notification_id!r}, categories={self.categories!r})"


@runtime_checkable
class EmailBackend(Protocol):
    name: str

    def send(self, email: OutgoingEmail) -> str | None:
        """Send one email; return the provider's message id.

        Raises RetryableSendError or PermanentSendError.
        """
        ...
