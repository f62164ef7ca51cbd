"""docs/protocol.md item 11: Docker Hub's names and hosts."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.config import load_config
from sitegen.oci.references import api_host, normalize_name
from tests.helpers import write_config


def test_docker_hub_aliases_go_to_registry_1() -> None:
    for alias in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        assert api_host(alias) == "registry-1.docker.io"
    assert api_host("ghcr.io") == "ghcr.io"
    assert normalize_name("registry-1.docker.io", "alpine") == "library/alpine"
    assert normalize_name("ghcr.io", "alpine") == "alpine"


@pytest.mark.parametrize("alias", ["docker.io", "index.docker.io", "https://index.docker.io"])
def test_a_docker_hub_registry_in_the_config(tmp_path: Path, alias: str) -> None:
    path = write_config(
        tmp_path,
        f"registries:\n  - name: hub\n    url: {alias}\n    repositories: [alpine, team/app]\n",
    )
    (registry,) = load_config(path, environ={}).registries
    assert registry.url == "https://registry-1.docker.io"
    assert registry.pull_host == "docker.io"
    assert [r.name for r in registry.repositories or ()] == ["library/alpine", "team/app"]
