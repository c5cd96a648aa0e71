"""Browser tests: Debian's Chromium driven by Playwright against the demo's real servers.

One Chromium and one ``satchel demo`` (a child process, network-guarded) for
this package. Package scope, not session: Playwright's sync API keeps an event
loop running in this thread while the browser is open, and the asyncio tests
elsewhere in the suite cannot start theirs until it has closed. Chromium is ``/usr/bin/chromium``; when it is missing and we are root,
``apt-get install -y chromium`` installs it (``playwright install`` is never run:
it would download a browser of its own). Where Chromium cannot be had the tests
skip with one line saying why; under ``CI=true`` that is a failure instead.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from demo_support import RunningDemo, start_demo
from system_packages import install

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run under CI=true: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


def _install_chromium() -> str | None:
    """Install Debian's chromium package when it is missing; None when it is there, else why it is not."""
    return install("chromium", str(CHROMIUM), CHROMIUM.exists)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package 'playwright' is not installed (pip install -e '.[test]')")
    reason = _install_chromium()
    if reason is not None:
        _unavailable(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[RunningDemo]:
    """The demo's four servers, started once (after the browser, so a skip starts nothing)."""
    running = start_demo(tmp_path_factory.mktemp("demo") / "data")
    try:
        yield running
    finally:
        try:
            running.stop(timeout=10)
        except subprocess.TimeoutExpired:
            running.kill()
