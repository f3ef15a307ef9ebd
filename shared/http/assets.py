"""GET /assets/<file>: the pages' stylesheet, served by us so the Content-Security-Policy can allow
only 'self' (no inline style). A route, not a static mount, so it declares its policy like every
other; only the files in shared/http/static/ are served."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from shared.errors import DomainError
from shared.http.deps import public

STATIC_DIR = Path(__file__).resolve().parent / "static"
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
router = APIRouter(include_in_schema=False, dependencies=[Depends(public("the pages' stylesheet"))])


@router.get("/assets/{name}")
def asset(name: str) -> FileResponse:
    files = {p.name: p for p in STATIC_DIR.iterdir() if p.suffix in MEDIA_TYPES}
    path = files.get(name)  # only a listed file: no path from the request reaches the disk
    if path is None:
        raise DomainError("not_found", 404, "Not found")
    return FileResponse(
        path, media_type=MEDIA_TYPES[path.suffix], headers={"Cache-Control": "public, max-age=3600"}
    )
