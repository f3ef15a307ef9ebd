"""The consent wordings kept in the repo (services/intake/consent/<version>/<language>.txt).

A consent row records the version, the language and a SHA-256 of the exact text, so what a
person agreed to can be shown later even after the current wording has changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shared.settings import get_settings

CONSENT_DIR = Path(__file__).resolve().parents[1] / "consent"
LANGUAGES = ("en", "es")


@dataclass(frozen=True)
class Wording:
    version: str
    language: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def versions() -> tuple[str, ...]:
    """Every version with at least an English text, oldest first."""
    return tuple(sorted(p.name for p in CONSENT_DIR.iterdir() if (p / "en.txt").is_file()))


@lru_cache(maxsize=32)
def wording(version: str, language: str | None) -> Wording:
    """The text of `version` in `language` (English when that language has none)."""
    if version not in versions():
        raise LookupError(f"no consent wording {version!r} in {CONSENT_DIR}")
    chosen = (
        language if language in LANGUAGES and (CONSENT_DIR / version / f"{language}.txt").is_file() else "en"
    )
    text = (CONSENT_DIR / version / f"{chosen}.txt").read_text(encoding="utf-8").strip()
    return Wording(version=version, language=chosen, text=text)


def current(language: str | None) -> Wording:
    return wording(get_settings().consent_version, language)


def check_configured_version() -> None:
    """At start: CAREROUTE_CONSENT_VERSION must name a wording in the repo."""
    version = get_settings().consent_version
    if version not in versions():
        raise RuntimeError(
            f"CAREROUTE_CONSENT_VERSION={version} has no wording in {CONSENT_DIR}; known: {', '.join(versions())}"
        )
