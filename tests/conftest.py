"""Shared fixtures: real distribution registries on loopback, filled with the samples.

Three registries run for the whole session, one per auth mode. Tests must not change
their content; tests that push or delete start their own registry.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from lab.registry import RunningRegistry, running_registry
from lab.samples import SampleRepo, push_samples, sample_repos
from sitegen.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


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


@dataclass
class Result:
    """What a CLI run produced."""

    exit_code: int
    stdout: str
    stderr: str
    site: Path

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Result:
    """Run ``sitegen ARGS`` in-process from ``cwd`` with extra environment variables."""
    runner = CliRunner()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = runner.invoke(main, args, env=env, catch_exceptions=False)
    finally:
        os.chdir(old)
    return Result(result.exit_code, result.stdout, result.stderr, cwd / "site")


def write_config(directory: Path, text: str) -> Path:
    """Write ``registries.yaml`` into ``directory``."""
    path = directory / "registries.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="rewrite tests/golden/site from the current code instead of comparing with it",
    )
