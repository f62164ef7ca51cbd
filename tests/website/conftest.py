"""A built catalog of the session's sample registry, served over HTTP on loopback, and a
page that fails its test when a script on it throws."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize

from lab.registry import RunningRegistry
from lab.website import DESKTOP, serve_directory
from tests.helpers import run_cli, write_config

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory, plain_registry: RunningRegistry) -> Path:
    """The sample registry's catalog, built once for every site test."""
    work = tmp_path_factory.mktemp("site-build")
    write_config(
        work,
        f"""
        site:
          title: Sample catalog
          description: Images of the **sample** registry.
        registries:
          - name: lab
            url: {plain_registry.url}
            pull_host: registry.example.com
        """,
    )
    result = run_cli(["build"], work)
    assert result.exit_code == 0, result.output
    return work / "site"


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """The built site served on 127.0.0.1 (search needs HTTP, not file://)."""
    with serve_directory(built_site) as url:
        yield url


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (kept after the run, ignored by git)."""
    path = ARTIFACTS / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def clean_page(
    browser: Browser,
    viewport: ViewportSize = DESKTOP,
    console: Collection[str] = ("error",),
    *,
    mobile: bool = False,
) -> Iterator[Page]:
    """A page in a fresh context. Leaving the ``with`` fails the test if a script threw,
    or logged a console message of a type in ``console`` (a Content-Security-Policy
    violation is a console error)."""
    context = browser.new_context(viewport=viewport, is_mobile=mobile)
    opened = context.new_page()
    problems: list[str] = []

    def logged(message: ConsoleMessage) -> None:
        if message.type in console:
            problems.append(f"{message.type}: {message.text}")

    opened.on("console", logged)
    opened.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    yield opened
    context.close()
    assert problems == []


def fits(page: Page, selector: str) -> None:
    """Nothing is wider than the screen; no card or table cell is cut off."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    cut = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].filter(e =>
            e.getBoundingClientRect().right > innerWidth + 1
        ).length""",
        selector,
    )
    assert cut == 0
