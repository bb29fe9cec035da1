"""A real headless Chromium (Debian's ``chromium``, driven by Playwright) for the dashboard's tests and benchmark.

Without the browser the tests skip, except in CI (``CI=true``), where a missing browser fails the run.
Every page opened through ``Pages`` records console errors and uncaught exceptions.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("HPO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
VIEWPORT = {"width": 1366, "height": 860}  # a laptop screen
# Where the screenshots go: results/screenshots (ignored by git) unless HPO_SCREENSHOTS names a folder;
# `make screenshots` sets it to docs/screenshots, the README's.
SCREENSHOTS = Path(os.environ.get("HPO_SCREENSHOTS") or Path(__file__).resolve().parents[1] / "results" / "screenshots")


def require_chromium() -> str:
    """The browser's path; skip without it (fail in CI)."""
    missing = not Path(CHROMIUM).is_file()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        message = f"no Chromium at {CHROMIUM} or no playwright (apt-get install chromium; pip install playwright)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def launch(playwright):
    """Headless Chromium from its Debian package."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True)


class Pages:
    """Pages of one browser context, each recording console errors and page errors in ``errors``."""

    def __init__(self, browser) -> None:
        self.context = browser.new_context(viewport=VIEWPORT)
        self.errors: list[str] = []

    def new(self):
        """A new page whose console errors and uncaught exceptions are recorded."""
        page = self.context.new_page()
        page.on("console", lambda m: self.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: uncaught {e}"))
        return page

    def close(self) -> None:
        """Close every page of the context."""
        self.context.close()


def screenshot(page, name: str) -> Path:
    """A full-page PNG in ``SCREENSHOTS`` (``make screenshots``: docs/screenshots/, shown in the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
