"""The embedded default's SMS "provider": one JSON file per page under var/sms-outbox/, written
atomically, so `make run` shows what the on-call phone would receive."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import structlog

from shared.clock import utcnow

from services.notify.domain.page import OutgoingSms

log = structlog.get_logger(__name__)


class FileSmsOutbox:
    name = "sms-outbox"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def send(self, sms: OutgoingSms) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        sid = "SM" + uuid.uuid4().hex
        record = {"sid": sid, "to": sms.to, "body": sms.body, "notification_id": sms.notification_id}
        record["queued_at"] = utcnow().isoformat()
        path = self.directory / f"{sms.notification_id}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2))
        os.replace(tmp, path)  # a resend replaces the file: one page, one file
        log.info("sms_sent", backend=self.name, notification_id=sms.notification_id, message_id=sid)
        return sid

    def messages(self) -> list[dict]:
        if not self.directory.exists():
            return []
        return [json.loads(p.read_text()) for p in sorted(self.directory.glob("*.json"))]
