"""Pre-releases told apart by their names, as projects tag them on Docker Hub, GHCR and
Quay: Python, Go, Node, OpenJDK, .NET, Maven projects, CUDA and Alpine variants."""

from __future__ import annotations

import pytest

from sitegen.oci.versions import is_prerelease

PRERELEASES = [
    "1.0.0-rc1",  # semver
    "v2.0.0-rc.1",
    "v2.0.0-beta.2",
    "1.0.0-alpha.1",
    "3.13.0b1",  # python
    "3.13.0a4",
    "3.13.0rc2-slim",
    "1.22rc1",  # golang
    "1.23rc2-alpine",
    "8.0.0-preview.7-jammy",  # dotnet
    "22-ea-jdk",  # openjdk early access
    "3.2.0-M1",  # maven milestone
    "1.0-SNAPSHOT",
    "7.4-dev",
    "5.0.0-dev-20240101",
    "20.0.0-nightly",
    "nightly",
    "edge",  # alpine's rolling development branch
    "canary",
    "1.0.0-pre",
]

RELEASES = [
    "1.0.0",
    "v1.2.0",
    "3.20.1-alpine",
    "20-alpine3.19",
    "1.25-bookworm",
    "3.12-slim-bookworm",
    "17-jdk",
    "1.0.0-r1",  # a package revision, not a pre-release
    "12.4.1-devel",  # CUDA's development image: a variant
    "12.4.1-cudnn-devel-ubuntu22.04",
    "2024.01",
    "latest",
    "main",
    "stable",
    "arm64v8-3.19",
    "v1.3.0+build.5",
    "1.2.3-develop-variant",
]


@pytest.mark.parametrize("tag", PRERELEASES)
def test_a_prerelease_is_recognised(tag: str) -> None:
    assert is_prerelease(tag)


@pytest.mark.parametrize("tag", RELEASES)
def test_a_release_or_variant_is_not_a_prerelease(tag: str) -> None:
    assert not is_prerelease(tag)
