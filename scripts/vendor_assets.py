"""Refresh the front-end files CareRoute serves itself under /assets (no CDN): `make vendor-assets`.

Each package is fetched from the npm registry with npm's own client (`npm pack`), at the exact
version pinned below, and only the files the pages use are copied into shared/http/static/vendor/,
with the package's licence files. VERSIONS.json records what was taken, from which tarball and its
integrity hash, so a review sees exactly what changed. The files are committed: `make run` and
`make test` never need the registry.

To upgrade: change a version below, run `make vendor-assets`, run the browser tests, commit.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "shared" / "http" / "static" / "vendor"

# package -> (version, files to serve (inside the tarball's package/), licence files)
PACKAGES: dict[str, tuple[str, list[str], list[str]]] = {
    # htmx 2.x: the console's live previews and partial updates (hx-* attributes; no inline JS).
    "htmx.org": ("2.0.11", ["dist/htmx.min.js"], ["LICENSE"]),
    # axe-core: the browser tests' accessibility checker (tests/browser/axe.py injects it).
    "axe-core": ("4.14.1", ["axe.min.js"], ["LICENSE", "LICENSE-3RD-PARTY.txt"]),
    # Swagger UI for /docs, so the API description works offline.
    "swagger-ui-dist": (
        "5.35.0",
        ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"],
        ["LICENSE", "swagger-ui-bundle.js.LICENSE.txt"],
    ),
}


def _pack(package: str, version: str, into: Path) -> dict:
    out = subprocess.run(
        ["npm", "pack", f"{package}@{version}", "--json", "--pack-destination", str(into)],
        check=True,
        capture_output=True,
        text=True,
    )
    [info] = json.loads(out.stdout)
    return info


def main() -> int:
    if shutil.which("npm") is None:
        print("npm is needed to refresh vendored assets (apt-get install npm)", file=sys.stderr)
        return 1
    versions = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fresh = work / "vendor"
        (fresh / "licenses").mkdir(parents=True)
        for package, (version, files, licences) in PACKAGES.items():
            info = _pack(package, version, work)
            with tarfile.open(work / info["filename"]) as tar:
                tar.extractall(work / package, filter="data")
            base = work / package / "package"
            for name in files:
                shutil.copyfile(base / name, fresh / Path(name).name)
            for name in licences:
                shutil.copyfile(base / name, fresh / "licenses" / f"{package}-{Path(name).name}")
            versions[package] = {
                "version": version,
                "integrity": info["integrity"],
                "files": [Path(n).name for n in files],
                "licenses": [f"licenses/{package}-{Path(n).name}" for n in licences],
            }
            print(f"{package}@{version}: {', '.join(files)}")
        (fresh / "VERSIONS.json").write_text(json.dumps(versions, indent=2) + "\n", encoding="utf-8")
        shutil.rmtree(VENDOR, ignore_errors=True)
        shutil.copytree(fresh, VENDOR)
    print(f"wrote {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
