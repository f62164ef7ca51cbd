"""A built catalog of the session's sample registry, served over HTTP on loopback."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.registry import RunningRegistry
from tests.conftest import run_cli, write_config

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


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """The built site served on 127.0.0.1 (search needs HTTP, not file://)."""
    handler = functools.partial(_Quiet, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (kept after the run, ignored by git)."""
    path = ARTIFACTS / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
