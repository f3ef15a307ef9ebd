"""Reviewing the audit trail: who read or changed which lead, when, from where and how — a page at
a time for the API, everything for an export (JSON Lines or CSV). The trail holds ids, codes and
addresses, never PHI; a break-the-glass entry shows the reason the admin typed (kept with the grant).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from uuid import UUID

from shared.schema import AuditEvent

from services.console.app.ports import AuditStore
from services.console.domain.review import AuditFilter

EXPORT_BATCH = 500
CSV_COLUMNS = ("id", "at", "actor", "action", "lead_id", "client_ip", "via", "detail")


def _reasons(store: AuditStore, rows: list[AuditEvent]) -> dict[str, str]:
    ids = []
    for row in rows:
        grant = (row.detail or {}).get("grant_id") if row.action == "lead.break_glass" else None
        try:
            if grant:
                ids.append(UUID(grant))
        except ValueError:
            continue
    return store.grant_reasons(ids)


def entry(row: AuditEvent, reasons: dict[str, str]) -> dict:
    detail = dict(row.detail or {})
    out = {
        "id": row.id,
        "at": row.at.isoformat(),
        "actor": row.actor,
        "action": row.action,
        "lead_id": str(row.lead_id) if row.lead_id else None,
        "client_ip": row.client_ip,
        "via": detail.get("via") or _via_of(row.actor),
        "detail": detail,
    }
    if row.action == "lead.break_glass":
        out["reason"] = reasons.get(str(detail.get("grant_id")))
    return out


def _via_of(actor: str) -> str:
    return {"key": "api_key", "user": "session", "link": "signed_link", "task": "system"}.get(
        actor.split(":", 1)[0], actor
    )


def page(
    store: AuditStore, where: AuditFilter, limit: int, before: int | None
) -> tuple[list[dict], int | None]:
    """Newest first; `before` is the cursor (the last id of the previous page)."""
    rows = store.newest(where, limit + 1, before)
    more = len(rows) > limit
    rows = rows[:limit]
    reasons = _reasons(store, rows)
    return [entry(r, reasons) for r in rows], (rows[-1].id if more and rows else None)


def export(store: AuditStore, where: AuditFilter) -> Iterator[dict]:
    """Every matching entry, oldest first, read in batches."""
    after = 0
    while True:
        rows = store.oldest_after(where, after, EXPORT_BATCH)
        if not rows:
            return
        reasons = _reasons(store, rows)
        for row in rows:
            yield entry(row, reasons)
        after = rows[-1].id


def as_jsonl(entries: Iterator[dict]) -> Iterator[str]:
    for item in entries:
        yield json.dumps(item, sort_keys=True, default=str) + "\n"


def as_csv(entries: Iterator[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for item in entries:
        detail = dict(item["detail"])
        if item.get("reason"):
            detail["reason"] = item["reason"]
        writer.writerow(
            [*(item[c] for c in CSV_COLUMNS[:-1]), json.dumps(detail, sort_keys=True, default=str)]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
