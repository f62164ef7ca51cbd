"""What kind of thing a manifest is, decided from its media types alone.

A manifest's kind says how a reader uses it (``docker pull``, ``helm pull``, ``oras
pull``, ``cosign verify``), so it must not depend on what the crawl could fetch: an
image whose config blob is missing is still an image. The decision reads, in order,

- the manifest's own media type (an index or manifest list is a multi-platform image),
- the Helm media types of the config and layers (``helm push`` writes an image manifest
  whose config is ``application/vnd.cncf.helm.config.v1+json``),
- ``artifactType``, the config media type and the layer types for signatures, SBOMs and
  attestations (cosign writes its signatures and attestations as image manifests with an
  ordinary image config: only the layer types tell them apart),
- an image config media type without ``artifactType``: a container image;
- anything else is an OCI artifact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from sitegen.oci import jsonload, mediatypes

Kind = Literal["image", "index", "helm-chart", "signature", "sbom", "attestation", "artifact"]

IMAGE: Final = "image"
INDEX: Final = "index"
HELM_CHART: Final = "helm-chart"
SIGNATURE: Final = "signature"
SBOM: Final = "sbom"
ATTESTATION: Final = "attestation"
ARTIFACT: Final = "artifact"

KINDS: tuple[Kind, ...] = (IMAGE, INDEX, HELM_CHART, SIGNATURE, SBOM, ATTESTATION, ARTIFACT)

# How each kind is named in a sentence or a badge.
NAMES: dict[str, str] = {
    IMAGE: "image",
    INDEX: "multi-platform image",
    HELM_CHART: "Helm chart",
    SIGNATURE: "signature",
    SBOM: "SBOM",
    ATTESTATION: "attestation",
    ARTIFACT: "artifact",
}

HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"

# Substrings of artifactType / media types that say what a supply-chain artifact is,
# checked in order (a cosign attestation's DSSE layer is not a signature of the image).
# "provenance" is what ``Referrer.kind`` calls SLSA provenance, and "vulnerability-report"
# and "vex" what it calls scan reports and VEX documents: attestations here.
SUPPLY_CHAIN: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "signature",
        (
            "cosign.artifact.sig",
            "cosign.simplesigning",
            "sigstore.bundle",
            "notary.signature",
            "signature",
        ),
    ),
    ("sbom", ("spdx", "cyclonedx", "syft", "sbom")),
    ("provenance", ("slsa", "provenance")),
    ("vulnerability-report", ("trivy", "grype", "vuln")),
    ("vex", ("openvex", "vex")),
    ("attestation", ("in-toto", "dsse.envelope", "attestation")),
)


# Every kind a referrer can have (``Referrer.kind``): the supply-chain kinds, and
# "artifact" for any other.
REFERRER_KINDS = frozenset({*(kind for kind, _ in SUPPLY_CHAIN), ARTIFACT})


def supply_chain_kind(*media_types: str) -> str:
    """``signature``, ``sbom``, ``provenance``, ``vulnerability-report``, ``vex``,
    ``attestation``, or ``""`` when none of
    ``media_types`` names a supply-chain artifact."""
    haystack = " ".join(media_types).lower()
    for kind, needles in SUPPLY_CHAIN:
        if any(needle in haystack for needle in needles):
            return kind
    return ""


def manifest_kind(
    media_type: str,
    *,
    config_media_type: str = "",
    artifact_type: str = "",
    layer_media_types: Iterable[str] = (),
) -> Kind:
    """The kind of a manifest, from its media type, config media type, ``artifactType``
    and layer media types. Never from whether its config could be fetched."""
    layers = tuple(layer_media_types)
    if media_type in mediatypes.INDEX_TYPES:
        if not artifact_type:
            return INDEX
        return _artifact_kind(supply_chain_kind(artifact_type))
    if media_type in mediatypes.SCHEMA1_TYPES:
        return IMAGE
    if config_media_type == HELM_CONFIG or HELM_CHART_LAYER in layers:
        return HELM_CHART
    found = supply_chain_kind(artifact_type, config_media_type, *layers)
    if found:
        return _artifact_kind(found)
    if config_media_type in mediatypes.IMAGE_CONFIG_TYPES and not artifact_type:
        return IMAGE
    return ARTIFACT


def _artifact_kind(supply_chain: str) -> Kind:
    if supply_chain == "signature":
        return SIGNATURE
    if supply_chain == "sbom":
        return SBOM
    if supply_chain in ("provenance", "vulnerability-report", "vex", "attestation"):
        return ATTESTATION
    return ARTIFACT


@dataclass(frozen=True, slots=True)
class HelmChart:
    """What a Helm chart's config (its ``Chart.yaml`` as JSON) says about it."""

    name: str
    version: str
    app_version: str = ""
    description: str = ""


def helm_chart(config: bytes) -> HelmChart | None:
    """The chart's name, version, appVersion and description from its config blob;
    None when the blob is not a JSON object with a name and a version."""
    try:
        document = jsonload.load(config) if config else None
    except jsonload.JSONRefused:
        return None
    if not isinstance(document, dict):
        return None
    name, version = _text(document.get("name")), _text(document.get("version"))
    if not name or not version:
        return None
    return HelmChart(
        name=name,
        version=version,
        app_version=_text(document.get("appVersion")),
        description=_text(document.get("description")),
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
