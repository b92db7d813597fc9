"""Browser fixtures: Debian's Chromium driven by Playwright (no browser download), the built
console served by the stack's gateway, and a screenshot helper writing to build/screenshots/.

Without a browser (no root to install it) these tests skip with a loud message; under CI=true
a missing browser or console build is a failure, never a skip."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulators.launcher import REPO_ROOT
from emulators.stack import Stack

SCREENSHOTS = REPO_ROOT / "build" / "screenshots"
AXE = REPO_ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
# The flags this machine's closed network needs (see the machine notes): no background
# connections, no updates, no QUIC; --no-sandbox since CI runs as root.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
# How long a page may take to show what it is waited for (a shared 2-core machine is slow).
EXPECT_MS = 30_000
PHONE = {"width": 375, "height": 740}


def _unavailable(why: str) -> None:
    message = f"BROWSER TESTS NOT RUN: {why}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: a missing browser is a failure)", pytrace=False)
    print(f"\n*** {message} ***", file=sys.stderr)
    pytest.skip(message)


def chromium_path() -> str | None:
    return os.environ.get("HS_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def console_url(stack: Stack) -> str:
    if not (stack.config.console_dir / "index.html").is_file():
        _unavailable("the console is not built (make console)")
    if not AXE.is_file():
        _unavailable(f"{AXE.relative_to(REPO_ROOT)} is missing (make console)")
    return stack.url("gateway") + "/"


# Per module, not per session: Playwright's sync API keeps an asyncio loop running while it
# lives, and later tests that call asyncio.run() must not find it.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        _unavailable("no chromium on PATH (make browser installs Debian's as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def desktop(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page at 1280 px in a fresh context (no identity remembered); a failing test leaves
    its last view in build/screenshots/failed-<test>.png."""
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(EXPECT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        if request.node.stash.get(_FAILED, False):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"failed-{request.node.name}.png"))
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
