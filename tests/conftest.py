"""Fixtures and hooks. Helpers that tests import are in tests/helpers.py.

Three real distribution registries on loopback, filled with the samples, run for the
whole session, one per auth mode. Tests must not change their content; tests that push
or delete start their own registry.

Every test that starts a registry, or uses one a fixture started, is marked ``registry``
here, not by hand (see "the registry mark" below).
"""

from __future__ import annotations

import inspect
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING

import pytest

import lab.registry
from lab.registry import RunningRegistry, running_registry, start_registry
from lab.samples import SampleRepo, push_samples, sample_repos
from lab.website import CHROMIUM, CHROMIUM_ARGS

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytest_plugins = ["pytester"]  # tests/test_marks.py runs a planted suite


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


# -- the registry mark ---------------------------------------------------------------------
#
# ``pytest -m "not registry"`` must run without ``docker-registry``, so a test is marked
# ``registry`` when its function, or any fixture it uses, reaches ``start_registry`` or
# ``running_registry``: names one of them, or calls a function or class of ours (tests/,
# lab/, bench/: anything outside the standard library, the installed packages and
# sitegen) that does, however deep. What this reading cannot see (a starter fetched by
# ``getattr``, a fixture asked for by ``request.getfixturevalue``) is caught when it
# runs: a registry started under a test without the mark fails that test
# (``_refuse_unmarked_start``). tests/test_marks.py holds both.

STARTERS = frozenset({"start_registry", "running_registry"})
_START_FUNCTIONS = (start_registry, inspect.unwrap(running_registry))
_PACKAGE = str(Path(__file__).resolve().parent.parent / "sitegen")
_NOT_OURS = (*{sysconfig.get_paths()[key] for key in ("stdlib", "purelib", "platlib")}, _PACKAGE)


def _ours(filename: str | None) -> bool:
    return filename is not None and not filename.startswith(("<", *_NOT_OURS))


def _names(code: CodeType) -> set[str]:
    """The global and attribute names ``code`` and the code nested in it use."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= _names(const)
    return names


def starts_registry(target: object, seen: set[object] | None = None) -> bool:
    """Whether calling ``target`` (a function, method or class) may start a registry."""
    seen = set() if seen is None else seen
    if isinstance(target, property):
        target = target.fget
    target = getattr(target, "__func__", target)  # methods, staticmethod, classmethod
    if callable(target) and hasattr(target, "__wrapped__"):
        target = inspect.unwrap(target)  # contextmanager, fixtures, other decorators
    if not (inspect.isfunction(target) or inspect.isclass(target)) or target in seen:
        return False
    if any(target is function for function in _START_FUNCTIONS):
        return True
    seen.add(target)
    if inspect.isclass(target):
        module = sys.modules.get(target.__module__)
        return _ours(getattr(module, "__file__", None)) and any(
            starts_registry(member, seen) for member in vars(target).values()
        )
    if not _ours(target.__code__.co_filename):
        return False
    names = _names(target.__code__)
    if names & STARTERS:
        return True
    scope = target.__globals__
    return any(starts_registry(scope[name], seen) for name in names if name in scope)


def _uses_a_registry(item: pytest.Item) -> bool:
    targets: list[object] = [getattr(item, "function", None)]
    fixtures = getattr(item, "_fixtureinfo", None)  # the closure of the fixtures it uses
    if fixtures is not None:
        targets += [d.func for defs in fixtures.name2fixturedefs.values() for d in defs]
    return any(starts_registry(target) for target in targets if target is not None)


@pytest.hookimpl(tryfirst=True)  # before -m deselects by mark
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _uses_a_registry(item):
            item.add_marker(pytest.mark.registry)


_running: list[pytest.Item] = []  # the test whose setup, call or teardown runs now


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


def _refuse_unmarked_start() -> None:
    if _running and _running[-1].get_closest_marker("registry") is None:
        pytest.fail(
            f"{_running[-1].nodeid} starts a registry but is not marked 'registry': "
            "make the rule in tests/conftest.py see how",
            pytrace=False,
        )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "registry: starts or uses a real distribution registry (set by conftest.py)"
    )
    lab.registry.before_start.append(_refuse_unmarked_start)


def pytest_unconfigure(config: pytest.Config) -> None:
    lab.registry.before_start.remove(_refuse_unmarked_start)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="rewrite tests/golden/site from the current code instead of comparing with it",
    )
