"""SBOM documents for the tests and the demo, made from real ones
(``tests/fixtures/real-world/supply-chain/``): syft's SPDX of alpine 3.16 and CycloneDX
of distroless, with package versions changed or packages added where a catalog needs
images that share some packages and differ in others."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from lab.images import Built, artifact
from lab.signatures import SUPPLY_CHAIN

SPDX_JSON = "application/spdx+json"
CYCLONEDX_JSON = "application/vnd.cyclonedx+json"
SYFT_ALPINE = "spdx-syft-alpine-2022.json"
SYFT_DISTROLESS = "cyclonedx-syft-distroless-2022.json"


def _real(fixture: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((SUPPLY_CHAIN / fixture).read_text())
    return found


def spdx_package(name: Any, version: Any, purl: str = "") -> dict[str, Any]:
    """An SPDX 2.3 package as syft writes one (values as given, of any JSON type)."""
    package: dict[str, Any] = {
        "SPDXID": "SPDXRef-"
        + hashlib.sha256(json.dumps([name, version]).encode()).hexdigest()[:16],
        "name": name,
        "versionInfo": version,
        "licenseConcluded": "NOASSERTION",
        "downloadLocation": "NOASSERTION",
    }
    if purl:
        package["externalRefs"] = [
            {
                "referenceCategory": "PACKAGE_MANAGER",
                "referenceLocator": purl,
                "referenceType": "purl",
            }
        ]
    return package


def alpine_spdx(
    name: str,
    versions: Mapping[str, str] | None = None,
    extra: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """syft's SPDX of alpine 3.16 named ``name``, with the packages in ``versions`` at
    those versions (their purls too) and the ``extra`` packages added."""
    document = copy.deepcopy(_real(SYFT_ALPINE))
    document["name"] = name
    for package in document["packages"]:
        new = (versions or {}).get(package["name"])
        if new is None:
            continue
        old = package["versionInfo"]
        package["versionInfo"] = new
        for ref in package.get("externalRefs", []):
            ref["referenceLocator"] = ref["referenceLocator"].replace(old, new)
    document["packages"].extend(extra)
    return document


def distroless_cyclonedx() -> dict[str, Any]:
    """syft's CycloneDX 1.4 of distroless (three Debian packages), as it wrote it."""
    return _real(SYFT_DISTROLESS)


def sbom_referrer(
    subject: Built, document: Mapping[str, Any], media_type: str = SPDX_JSON
) -> Built:
    """An OCI 1.1 SBOM referrer of ``subject`` (``oras attach``, ``cosign attach sbom
    --registry-referrers-mode oci-1-1``): the plain document as its one layer."""
    data = json.dumps(document, separators=(",", ":")).encode()
    return artifact(
        artifact_type=media_type,
        subject=subject,
        layers=((media_type, data),),
        annotations={"org.opencontainers.image.created": "2024-05-20T12:05:00Z"},
    )
