"""Browser-test fixtures: a real ``hotline serve`` (its own process, SQLite, a free port) and
Debian's chromium driven by Python playwright through ``executable_path`` (never
``playwright install``: nothing is downloaded).

Every test module here sets ``pytestmark = pytest.mark.browser``: without chromium or
playwright it is skipped, and under ``CI=true`` a skipped browser test fails the run
(``tests/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser.served import ARGS, CHROMIUM, Server, start_server, stop_server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium per test module. Not per session: playwright's sync API runs an event
    loop in the main thread while it is open, which would break later tests' asyncio.run()."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        pytest.skip(f"no chromium at {CHROMIUM} (make test installs it: apt-get install chromium)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = start_server(tmp_path / "hotline")
    try:
        yield s
    finally:
        stop_server(s)


@pytest.fixture
def contexts(browser: Any) -> Iterator[list[Any]]:
    """Browser contexts a test opens (append them): closed before the server stops, so no
    open event stream holds up its shutdown."""
    made: list[Any] = []
    try:
        yield made
    finally:
        for context in made:
            context.close()
