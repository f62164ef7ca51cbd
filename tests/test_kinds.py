"""The kind of a manifest, from its media types, on manifests real tools wrote; and the
commands each kind gets (never a ``docker pull`` for what docker cannot run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lab.images import helm_chart
from sitegen.oci import kinds, manifests
from sitegen.site.pages.commands import use_commands

REAL = Path(__file__).parent / "fixtures" / "real-world"
DIGEST = "sha256:" + "ab" * 32
SUBJECT = "sha256:" + "cd" * 32


def kind_of(document: dict[str, Any]) -> str:
    """The kind ``manifests.image`` decides for a parsed manifest (no config fetched)."""
    raw = json.dumps(document).encode()
    image, _ = manifests.image(
        document,
        digest=DIGEST,
        media_type=document.get("mediaType") or "application/vnd.oci.image.manifest.v1+json",
        raw=raw,
        config_data=None,
    )
    return image.kind


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("dockerhub/manifest-mysql-latest-amd64-2024.json", "image"),
        ("dockerhub/manifest-httpd-2.4.23-2016.json", "image"),
        ("helm/chart-manifest-helm-docs.json", "helm-chart"),
        ("supply-chain/cosign-sig-keyless-github-2026.json", "signature"),
        ("supply-chain/cosign-sig-key-oci11-subject-2024.json", "signature"),
        ("supply-chain/notation-sig-manifest-jws-2025.json", "signature"),
        ("supply-chain/sigstore-bundle-manifest-cosign-2025.json", "signature"),
        ("supply-chain/cosign-att-manifest-keyless-slsa02-2023.json", "attestation"),
        ("supply-chain/buildkit-attestation-manifest-ghcr-2025.json", "attestation"),
        ("ghcr/devcontainer-feature-manifest.json", "artifact"),
    ],
)
def test_kind_of_real_manifests(fixture: str, kind: str) -> None:
    assert kind_of(json.loads((REAL / fixture).read_text())) == kind


def test_indexes_are_multi_platform_images() -> None:
    for fixture in (
        "dockerhub/index-mysql-latest-2024.json",
        "dockerhub/manifest-list-phpmyadmin-latest-2024.json",
    ):
        document = json.loads((REAL / fixture).read_text())
        assert kinds.manifest_kind(document["mediaType"]) == "index"
    # An index that declares an artifactType holds artifacts, not platforms of an image.
    assert (
        kinds.manifest_kind(
            "application/vnd.oci.image.index.v1+json", artifact_type="application/vnd.example+json"
        )
        == "artifact"
    )


def test_an_image_is_an_image_without_its_config() -> None:
    """The config blob is not needed to know: an image whose config 404s stays an image."""
    document = json.loads((REAL / "dockerhub/manifest-mysql-latest-amd64-2024.json").read_text())
    image, _ = manifests.image(
        document,
        digest=DIGEST,
        media_type=document["mediaType"],
        raw=b"{}",
        config_data=None,
        problem="config sha256:fcd86ff8ce8c: get blob: 404",
    )
    assert image.config is None
    assert image.is_image
    assert image.kind == "image"


def test_helm_chart_facts_from_its_config() -> None:
    chart = helm_chart("demo", "0.1.0", app_version="1.2.0", description="Demo app")
    config = next(
        b.data for b in chart.blobs if b.digest == json.loads(chart.manifest)["config"]["digest"]
    )
    found = kinds.helm_chart(config)
    assert found == kinds.HelmChart("demo", "0.1.0", "1.2.0", "Demo app")
    assert kinds.helm_chart(b'{"name": "x"}') is None  # no version: not a usable chart
    assert kinds.helm_chart(b"[1]") is None


def texts(commands: list[Any]) -> list[str]:
    return [c["text"] for c in commands]


def test_image_commands_pull_with_docker_or_podman_and_build_from_the_digest() -> None:
    commands = use_commands("reg.example/base/alpine", DIGEST, "index", tag="3.20")
    assert texts(commands) == [
        "docker pull reg.example/base/alpine:3.20",
        f"docker pull reg.example/base/alpine@{DIGEST}",
        f"FROM reg.example/base/alpine@{DIGEST}",
    ]
    # The references the docker/podman switch rewrites the command around.
    assert [c["ref"] for c in commands] == [
        "reg.example/base/alpine:3.20",
        f"reg.example/base/alpine@{DIGEST}",
        "",
    ]
    assert (
        texts(use_commands("r.example/a", DIGEST, "image"))[0]
        == f"docker pull r.example/a@{DIGEST}"
    )


def test_helm_chart_commands_use_helm_and_the_chart_version() -> None:
    chart = kinds.HelmChart("demo", "0.1.0+build.1", "1.2.0")
    commands = use_commands(
        "r.example/charts/demo", DIGEST, "helm-chart", tag="0.1.0_build.1", chart=chart
    )
    assert texts(commands) == [
        "helm pull oci://r.example/charts/demo --version 0.1.0+build.1",
        "helm install demo oci://r.example/charts/demo --version 0.1.0+build.1",
    ]
    assert all(c["ref"] == "" for c in commands)
    # Without the chart's config, the tag is the version helm asks for.
    assert texts(use_commands("r.example/charts/demo", DIGEST, "helm-chart", tag="2.0.0"))[0] == (
        "helm pull oci://r.example/charts/demo --version 2.0.0"
    )
    # Neither: the digest pins it.
    assert texts(use_commands("r.example/charts/demo", DIGEST, "helm-chart"))[0] == (
        f"helm pull oci://r.example/charts/demo@{DIGEST}"
    )


@pytest.mark.parametrize("kind", ["helm-chart", "signature", "sbom", "attestation", "artifact"])
def test_nothing_but_an_image_gets_a_docker_pull(kind: str) -> None:
    for subject in ("", SUBJECT):
        for tag in (None, "v1"):
            commands = use_commands("r.example/x", DIGEST, kind, tag=tag, subject=subject)
            assert commands
            assert not any("docker" in text or "FROM" in text for text in texts(commands))


def test_supply_chain_commands_name_their_subject() -> None:
    assert texts(use_commands("r.example/app", DIGEST, "signature", subject=SUBJECT)) == [
        f"cosign verify --key cosign.pub r.example/app@{SUBJECT}",
        f"oras pull r.example/app@{DIGEST}",
    ]
    assert texts(use_commands("r.example/app", DIGEST, "sbom", subject=SUBJECT))[0] == (
        f"cosign download attestation r.example/app@{SUBJECT}"
    )
    # Without a known subject there is nothing to verify: the artifact itself is pulled.
    assert texts(use_commands("r.example/app", DIGEST, "signature")) == [
        f"oras pull r.example/app@{DIGEST}"
    ]
    assert texts(use_commands("r.example/app", DIGEST, "artifact", tag="v1")) == [
        "oras pull r.example/app:v1",
        f"oras pull r.example/app@{DIGEST}",
    ]
