"""The file outbox (development): each email an .eml file in var/outbox, and the reading side of
`careroute outbox list|show`."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

import structlog

from services.notify.adapters.email.common import build_mime, retryable
from services.notify.domain.message import OutgoingEmail

log = structlog.get_logger(__name__)
_STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
_OUTBOX_NAME = re.compile(r"^(?P<stamp>\d{8}T\d{12}Z)-(?P<nid>[A-Za-z0-9_-]+)\.eml$")


@dataclass(frozen=True)
class OutboxEntry:
    id: str  # file name without .eml: "<UTC timestamp>-<notification_id>"
    path: Path
    to: str
    subject: str
    date: datetime | None

    @property
    def notification_id(self) -> str:
        return self.id.partition("-")[2]


class OutboxLookupError(LookupError):
    """No outbox file, or more than one, matches the id or prefix."""


class FileOutboxBackend:
    """Writes each email as `<UTC timestamp>-<notification_id>.eml`, atomically (tmp + rename).

    Files are mode 0600: the outbox is for development, but addresses are still personal data.
    """

    name = "outbox"

    def __init__(self, folder: Path | str, from_email: str = "CareRoute <no-reply@careroute.local>") -> None:
        self.folder = Path(folder)
        self._from = from_email

    def __repr__(self) -> str:
        return f"FileOutboxBackend({str(self.folder)!r})"

    def send(self, email: OutgoingEmail) -> str | None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            stem = f"{datetime.now(UTC).strftime(_STAMP_FORMAT)}-{email.notification_id}"
            data = build_mime(email, self._from).as_bytes(policy=policy.SMTP)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.folder / f"{stem}.eml")
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            raise retryable(email.notification_id, "outbox_write_failed") from None
        log.info("email_sent", backend=self.name, notification_id=email.notification_id, message_id=stem)
        return stem


def list_outbox(folder: Path | str) -> list[OutboxEntry]:
    """Outbox emails, oldest first (file names start with their UTC timestamp)."""
    root = Path(folder)
    if not root.is_dir():
        return []
    entries = []
    parser = BytesParser(policy=policy.default)
    for path in sorted(root.iterdir()):
        if not _OUTBOX_NAME.match(path.name):
            continue
        with path.open("rb") as fh:
            headers = parser.parse(fh, headersonly=True)
        try:
            date = parsedate_to_datetime(headers["Date"]) if headers["Date"] else None
        except (TypeError, ValueError):
            date = None
        entries.append(
            OutboxEntry(
                id=path.name[: -len(".eml")],
                path=path,
                to=str(headers["To"] or ""),
                subject=str(headers["Subject"] or ""),
                date=date,
            )
        )
    return entries


def find_outbox(folder: Path | str, id_or_prefix: str) -> OutboxEntry:
    """The one entry whose id, or notification id, starts with `id_or_prefix`."""
    wanted = id_or_prefix.strip().removesuffix(".eml")
    if not wanted:
        raise OutboxLookupError("empty id")
    entries = list_outbox(folder)
    exact = [e for e in entries if wanted in (e.id, e.notification_id)]
    matches = exact or [e for e in entries if e.id.startswith(wanted) or e.notification_id.startswith(wanted)]
    if not matches:
        raise OutboxLookupError(f"no outbox email matches {wanted!r}")
    if len(matches) > 1:
        raise OutboxLookupError(f"{len(matches)} outbox emails match {wanted!r}; give more of the id")
    return matches[0]


def read_outbox(folder: Path | str, id_or_prefix: str) -> str:
    """The raw .eml text of one outbox email (line endings normalised for a terminal)."""
    entry = find_outbox(folder, id_or_prefix)
    return entry.path.read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n")
