"""GET /assets/<file>: the pages' stylesheet and scripts, served by us so the Content-Security-Policy
can allow only 'self' (no inline style or script, no CDN). A route, not a static mount, so it
declares its policy like every other; only the files in shared/http/static/ (and its vendor/ folder,
refreshed by `make vendor-assets`) are served, by file name.

Vendored (see static/vendor/VERSIONS.json): htmx (the console's live previews), Swagger UI (/docs,
offline) and axe-core (the browser tests' accessibility check; public code, harmless to serve).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from shared.errors import DomainError
from shared.http.deps import public

STATIC_DIR = Path(__file__).resolve().parent / "static"
MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
router = APIRouter(
    include_in_schema=False, dependencies=[Depends(public("the pages' stylesheet and scripts"))]
)


@lru_cache(maxsize=1)
def served_files() -> dict[str, Path]:
    """File name -> path for every servable file (names are unique across static/ and vendor/)."""
    found = [p for folder in (STATIC_DIR, STATIC_DIR / "vendor") if folder.is_dir() for p in folder.iterdir()]
    return {p.name: p for p in found if p.is_file() and p.suffix in MEDIA_TYPES}


@router.get("/assets/{name}")
def asset(name: str) -> FileResponse:
    path = served_files().get(name)  # only a listed file: no path from the request reaches the disk
    if path is None:
        raise DomainError("not_found", 404, "Not found")
    return FileResponse(
        path, media_type=MEDIA_TYPES[path.suffix], headers={"Cache-Control": "public, max-age=3600"}
    )
