"""What the browser tests share: the real app on a free port, chromium, axe and screenshots.

- `LiveServer`: uvicorn serving careroute.asgi's app (the real routers, middleware, CSP and the
  suite's PostgreSQL database) in a thread of the test process, so a test can set data up with the
  ordinary factories and then drive the pages.
- `launch_chromium`: Debian's /usr/bin/chromium through Playwright (Playwright cannot download its
  own browsers here; `make test` installs chromium when it is missing).
- `check_axe`: injects the vendored axe-core from /assets (so the page's CSP allows it) and fails on
  serious or critical violations.
- `screenshot`: var/screenshots/<name>.png always; docs/screenshots/ too when
  CAREROUTE_UPDATE_SCREENSHOTS=1, so ordinary runs leave the committed pictures alone.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from tests.support.servers import free_port, port_answers, wait_for

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CAREROUTE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # the machine runs as root; chromium's sandbox refuses root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "var" / "screenshots"
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"
BLOCKING_IMPACTS = ("serious", "critical")


class LiveServer:
    def __init__(self, app=None) -> None:
        """`app`: another build of the app (e.g. with other settings); default careroute.asgi's."""
        import uvicorn

        from shared.http.server import uvicorn_options

        if app is None:
            from careroute.asgi import app
        from shared.settings import get_settings

        self.port = free_port()
        options = {**uvicorn_options(get_settings()), "host": "127.0.0.1", "port": self.port}
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", **options))
        self.thread = threading.Thread(target=self.server.run, name="browser-live-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.thread.start()
        wait_for(lambda: self.server.started and port_answers("127.0.0.1", self.port), 30, what="live server")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def staff_user(role: str, *, email: str | None = None, **fields):
    """A staff account for a browser test; coordinators and supervisors get their directory entry."""
    from tests.factories import make_coordinator
    from tests.support.auth import make_user

    if role in ("coordinator", "supervisor") and "coordinator_id" not in fields:
        person = make_coordinator(
            name=f"Browser {role}", email=email or f"{role}.{free_port()}@clinic.example", role=role
        )
        fields["coordinator_id"] = person.id
        email = email or person.email
    return make_user(role, email=email, **fields)


def leads() -> list:
    """Every lead in the database, oldest first (the browser tests check what a page made)."""
    from sqlmodel import select

    from shared.db import unit_of_work
    from shared.schema import Lead

    with unit_of_work() as db:
        rows = db.exec(select(Lead).order_by(Lead.created_at)).all()
        db.expunge_all()
    return list(rows)


def real_pdf(pages: int = 1) -> bytes:
    """A small but genuine PDF (pypdf writes it), for attachment tests."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class static_site:
    """A one-page site on localhost (another origin than the app's 127.0.0.1), for embed tests:
    `with static_site() as site: site.body = "<iframe …>"; page.goto(site.origin)`. A real server:
    chromium refuses to frame a loopback page into one Playwright fulfilled (local network access)."""

    def __enter__(self) -> static_site:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        site = self
        self.body = ""

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  (the stdlib's name)
                data = site.body.encode()
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, name="static-site", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def check_axe(page, *, context: str | None = None) -> list[dict]:
    """Runs axe-core on the page as it is now; fails on serious or critical violations. Returns
    every violation (minor and moderate ones included) for a test that wants to look closer."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url="/assets/axe.min.js")
    result = page.evaluate(
        """async (context) => {
            const options = {resultTypes: ['violations']};
            const r = await axe.run(context ? document.querySelector(context) : document, options);
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }""",
        context,
    )
    blocking = [v for v in result if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core: serious/critical violations on {page.url}:\n" + "\n".join(
        f"  {v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in blocking
    )
    return result


def screenshot(page, name: str, *, full_page: bool = True, publish: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if publish and os.environ.get("CAREROUTE_UPDATE_SCREENSHOTS") == "1":
        DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_SCREENSHOTS / path.name)
    return path
