"""From an HTML form to the JSON API's body, and from the API's field problems back to messages
beside the fields. The pages post the same field names as the JSON API, so one schema validates
both and the rules cannot drift apart."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from shared.errors import DomainError

YES_NO = {"yes": True, "no": False}


def text_fields(form: Mapping[str, Any], names: Iterable[str]) -> dict[str, str]:
    """The named text fields that were filled in (blank means not given, as in the JSON API)."""
    out = {}
    for name in names:
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            out[name] = value
    return out


def yes_no(form: Mapping[str, Any], name: str) -> bool | None:
    value = form.get(name)
    return YES_NO.get(value) if isinstance(value, str) else None


def checked(form: Mapping[str, Any], name: str) -> bool:
    return form.get(name) in ("on", "yes", "true")


def field_messages(error: DomainError, friendly: Mapping[str, str] | None = None) -> dict[str, str]:
    """Field -> one message. Whole-form problems (no field) are keyed by what they are about:
    `_reach` (no phone or email), `_method` (the preferred method lacks its detail), or the
    consent field; `friendly` replaces the API's developer wording with words for people."""
    friendly = friendly or {}
    out: dict[str, str] = {}
    for problem in error.errors or []:
        field = problem.field
        if field == "body":
            detail = problem.detail
            if detail.startswith("consent_to_contact"):
                field = "consent_to_contact"
            elif detail.startswith("Give a phone number"):
                field = "_reach"
            elif detail.startswith(("A call or a text", "Email needs")):
                field = "_method"
        out.setdefault(field, friendly.get(field) or problem.detail)
    if not out:
        out["_form"] = error.detail or error.title
    return out


def while_first_in_flight(take: Callable, *args: Any, attempts: int = 40, pause: float = 0.25) -> Any:
    """Runs `take(*args)`; when the same submission id is still being taken by another request (a
    double click sends the form twice at once: 409 idempotency_conflict), waits for it and
    answers with its result instead of an error page. Sync: runs in the thread pool."""
    for attempt in range(attempts):
        try:
            return take(*args)
        except DomainError as error:
            if error.code != "idempotency_conflict" or attempt == attempts - 1:
                raise
            time.sleep(pause)
