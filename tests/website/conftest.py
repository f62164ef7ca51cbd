"""A built catalog of the session's sample registry, served over HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.registry import RunningRegistry
from tests.helpers import run_cli, serve_directory, write_config

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
