"""docs/protocol.md item 11: Docker Hub's names and hosts, and which first path part is a host."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.config import load_config
from sitegen.oci.references import Reference, api_host, normalize_name, split_host
from tests.helpers import write_config


@pytest.mark.parametrize(
    ("text", "host", "name"),
    [
        ("alpine", "docker.io", "library/alpine"),
        ("team/app", "docker.io", "team/app"),
        ("docker.io/alpine", "docker.io", "library/alpine"),
        ("index.docker.io/alpine", "index.docker.io", "library/alpine"),
        ("localhost/app", "localhost", "app"),
        ("localhost:5000/app", "localhost:5000", "app"),
        ("ghcr.io/org/app", "ghcr.io", "org/app"),
        ("registry:5000/app", "registry:5000", "app"),
        ("registry/app", "docker.io", "registry/app"),  # no '.' or ':': a Hub namespace
    ],
)
def test_the_first_path_part_is_a_host_only_if_it_looks_like_one(
    text: str, host: str, name: str
) -> None:
    reference = Reference.parse(text + ":1.0")
    assert (reference.host, reference.name, reference.tag) == (host, name, "1.0")


def test_docker_hub_aliases_go_to_registry_1() -> None:
    for alias in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        assert api_host(alias) == "registry-1.docker.io"
    assert api_host("ghcr.io") == "ghcr.io"
    assert normalize_name("registry-1.docker.io", "alpine") == "library/alpine"
    assert normalize_name("ghcr.io", "alpine") == "alpine"
    assert split_host("alpine") == ("docker.io", "alpine")


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
