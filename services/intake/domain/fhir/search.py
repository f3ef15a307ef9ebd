"""Task search parameters: focus, based-on, status, _lastUpdated (gt/ge/lt/le), _count, _offset.

Unknown parameters are ignored, as FHIR's lenient handling says (the self link lists only those
used); a parameter we know with a value we cannot use is a 400 naming the parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlencode
from uuid import UUID

from services.intake.domain.fhir.codes import TASK_STATUSES
from services.intake.domain.fhir.outcome import Issue, fhir_error

DEFAULT_COUNT = 50
MAX_COUNT = 100
_DATE = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
_NOTHING = UUID(int=0)  # a reference we do not know: matches no Task


@dataclass
class TaskQuery:
    service_requests: set[UUID] | None = None  # focus and based-on (both: their intersection)
    statuses: set[str] | None = None
    after: datetime | None = None  # lastUpdated >= after (exclusive bounds already shifted)
    before: datetime | None = None  # lastUpdated < before
    count: int = DEFAULT_COUNT
    offset: int = 0
    used: list[tuple[str, str]] = field(default_factory=list)

    def link(self, base: str, offset: int) -> str:
        params = [(k, v) for k, v in self.used if k != "_offset"]
        params.append(("_count", str(self.count)))
        if offset:
            params.append(("_offset", str(offset)))
        return f"{base}/Task?{urlencode(params)}"


def _bad(param: str, text: str):
    return fhir_error(400, [Issue("value", param, text)], "A search parameter cannot be used")


def _service_request_ids(value: str) -> set[UUID]:
    out = set()
    for part in value.split(","):
        tail = part.strip().rstrip("/")
        if "/" in tail:
            kind, _, tail = tail.rpartition("/")
            if not kind.endswith("ServiceRequest"):
                out.add(_NOTHING)
                continue
        try:
            out.add(UUID(tail))
        except ValueError:
            out.add(_NOTHING)
    return out


def _instant_range(param: str, text: str) -> tuple[datetime, datetime]:
    match = _DATE.match(text)
    if not match:
        raise _bad(param, "Use a FHIR date or instant, e.g. 2026-11-20T10:00:00Z.")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        tz = UTC
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        start = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or ".0")[1:].ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError:
        raise _bad(param, "Not a real date or time.") from None
    if fraction or second:
        step = timedelta(microseconds=1) if fraction else timedelta(seconds=1)
    elif minute:
        step = timedelta(minutes=1)
    elif day:
        step = timedelta(days=1)
    elif month:
        next_month = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=tz)
        step = next_month - start
    else:
        step = datetime(start.year + 1, 1, 1, tzinfo=tz) - start
    return start.astimezone(UTC), (start + step).astimezone(UTC)


def parse_task_query(params: list[tuple[str, str]]) -> TaskQuery:
    query = TaskQuery()
    for raw_name, value in params:
        name, _, modifier = raw_name.partition(":")
        if name in ("focus", "based-on"):
            if modifier not in ("", "ServiceRequest"):
                raise _bad(raw_name, "Only the :ServiceRequest modifier is supported.")
            ids = _service_request_ids(value)
            query.service_requests = ids if query.service_requests is None else query.service_requests & ids
        elif name == "status":
            statuses = {s.strip() for s in value.split(",")}
            if modifier or not statuses <= set(TASK_STATUSES):
                raise _bad(raw_name, "Use Task status codes (requested, received, accepted, ...).")
            query.statuses = statuses if query.statuses is None else query.statuses & statuses
        elif name == "_lastUpdated":
            prefix, text = value[:2], value[2:]
            if prefix not in ("gt", "ge", "lt", "le"):
                raise _bad(raw_name, "Use a gt, ge, lt or le prefix, e.g. gt2026-11-20T10:00:00Z.")
            start, end = _instant_range(raw_name, text)
            low = {"gt": end, "ge": start}.get(prefix)
            high = {"lt": start, "le": end}.get(prefix)
            if low is not None:
                query.after = max(low, query.after) if query.after else low
            if high is not None:
                query.before = min(high, query.before) if query.before else high
        elif name in ("_count", "_offset"):
            if not value.isdigit():
                raise _bad(raw_name, "Must be a whole number.")
            if name == "_count":
                query.count = int(value)
                if not 1 <= query.count <= MAX_COUNT:
                    raise _bad(raw_name, f"Must be 1 to {MAX_COUNT}.")
                continue
            query.offset = int(value)
            continue
        else:
            continue
        query.used.append((raw_name, value))
    return query
