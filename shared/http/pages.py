"""HTML pages from Jinja2 templates (autoescape on): the email's link pages. No PHI on any page."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

SHARED_TEMPLATES = Path(__file__).resolve().parent / "templates"
# Link pages carry a signed token in their URL: never cached, never sent to another site as a
# Referer. `same-origin`, not `no-referrer`: under no-referrer a browser sends `Origin: null` on
# our own form posts, and the CSRF origin check (shared/http/csrf.py) then refuses every one.
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}


@lru_cache(maxsize=8)
def _environment(folder: str) -> Environment:
    return Environment(
        loader=FileSystemLoader([folder, str(SHARED_TEMPLATES)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
    )


def render_page(
    folder: Path, name: str, status_code: int = 200, headers: dict | None = None, **context
) -> HTMLResponse:
    """Render `name` from a service's template folder (which may extend shared `_page.html`)."""
    html = _environment(str(folder)).get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers={**NO_STORE, **(headers or {})})
