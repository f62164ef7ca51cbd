"""Fixtures and hooks. Helpers that tests import are in tests/helpers.py.

Three real distribution registries on loopback, filled with the samples, run for the
whole session, one per auth mode. Tests must not change their content; tests that push
or delete start their own registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lab.registry import RunningRegistry, running_registry
from lab.samples import SampleRepo, push_samples, sample_repos

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = "/usr/bin/chromium"
# As root, without a sandbox, and without the background traffic a closed network refuses.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _filled(tmp_path_factory: pytest.TempPathFactory, auth: str) -> Iterator[RunningRegistry]:
    work = tmp_path_factory.mktemp(f"registry-{auth}")
    with running_registry(work, auth=auth) as registry:  # type: ignore[arg-type]
        # One repository goes through skopeo, the rest through the API pusher.
        push_samples(registry, via_skopeo=("base/alpine",), workdir=work)
        yield registry


@pytest.fixture(scope="session")
def plain_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A registry without auth."""
    yield from _filled(tmp_path_factory, "none")


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A registry with htpasswd Basic auth."""
    yield from _filled(tmp_path_factory, "basic")


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A registry with token auth; ``public/*`` is anonymously pullable."""
    yield from _filled(tmp_path_factory, "token")


@pytest.fixture(scope="session")
def samples() -> list[SampleRepo]:
    """The sample repositories every session registry holds."""
    return sample_repos()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright  # only the browser tests pay for it

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="rewrite tests/golden/site from the current code instead of comparing with it",
    )
