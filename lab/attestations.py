"""Real BuildKit attestations for the lab: the SLSA v0.2 provenance and SPDX SBOM
statements BuildKit wrote for a public image (``tests/fixtures/real-world/supply-chain/``,
sources in its README), put on lab images.

What names the image that was built (its source repository, commit, platform, builder
run, build args) is replaced by the lab image's own, so that a page says what is true
of the image it shows; the rest of each document (shape, materials with their digests,
BuildKit's metadata, the SPDX packages) is the real one.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lab.images import attestation_manifest
from lab.oci import OCI_CONFIG, OCI_MANIFEST, Blob, Built, make_built
from lab.signatures import SUPPLY_CHAIN

SLSA_V02 = "slsa-v02-buildkit-statement-2025.json"
SLSA_V1 = "slsa-v1-github-actions-statement-2025.json"
SPDX = "spdx-buildkit-statement-2025.json"
BUILDKIT_METADATA = "https://mobyproject.org/buildkit@v1#metadata"


def statement(fixture: str) -> dict[str, Any]:
    """A real in-toto statement, parsed."""
    found: dict[str, Any] = json.loads((SUPPLY_CHAIN / fixture).read_text())
    return found


def buildkit_provenance(
    *, source: str, revision: str, platform: str, args: Mapping[str, str]
) -> dict[str, Any]:
    """BuildKit's SLSA v0.2 predicate (``mode=max``, GitHub Actions) for a build of
    ``source`` at ``revision`` on ``platform`` with build args ``args``."""
    predicate = copy.deepcopy(statement(SLSA_V02)["predicate"])
    predicate["builder"]["id"] = f"{source}/actions/runs/14008088422/attempts/1"
    invocation = predicate["invocation"]
    invocation["environment"]["platform"] = platform
    invocation["parameters"]["args"] = {
        **{f"build-arg:{name}": value for name, value in args.items()},
        "label:org.opencontainers.image.source": source,
        "label:org.opencontainers.image.revision": revision,
    }
    vcs = predicate["metadata"][BUILDKIT_METADATA]["vcs"]
    vcs["source"], vcs["revision"] = source, revision
    return dict(predicate)


def buildkit_sbom() -> dict[str, Any]:
    """BuildKit's SPDX 2.3 predicate (syft), as it wrote it."""
    return dict(statement(SPDX)["predicate"])


def buildkit_attestations(
    *, source: str, revision: str, args: Mapping[str, str]
) -> Callable[[Built], Built]:
    """For ``lab.images.index(attestations=...)``: each platform's attestation manifest
    with the real SPDX and SLSA statements, naming that platform."""

    def make(child: Built) -> Built:
        platform = child.platform.to_json() if child.platform is not None else {}
        label = "/".join(
            str(platform[k]) for k in ("os", "architecture", "variant") if k in platform
        )
        provenance = buildkit_provenance(
            source=source, revision=revision, platform=label, args=args
        )
        return attestation_manifest(child, buildkit_sbom(), provenance)

    return make


COSIGN_ATTESTATION = "cosign-att-manifest-keyless-slsa02-2023.json"
COSIGN_DSSE = "cosign-att-dsse-slsa02-2023.json"
DSSE = "application/vnd.dsse.envelope.v1+json"


def compact(document: Any) -> bytes:
    """JSON as registries serve cosign's documents: compact."""
    return json.dumps(document, separators=(",", ":")).encode()


def dsse_envelope(payload: Mapping[str, Any] | None = None) -> bytes:
    """The real DSSE envelope slsa-github-generator pushed (compact), or one of its shape
    around another in-toto statement (its signatures then sign other bytes)."""
    envelope = statement(COSIGN_DSSE)
    if payload is not None:
        envelope["payload"] = base64.b64encode(compact(payload)).decode()
    return compact(envelope)


def cosign_attestation(
    subject: Built, layers: Sequence[bytes], *, predicate_type: str = ""
) -> Built:
    """A cosign attestation manifest (``sha256-<hex>.att``) for ``subject``, shaped like
    ``cosign-att-manifest-keyless-slsa02-2023.json``: an image config, one DSSE layer
    per envelope with the real layer's annotations (``predicateType``, or
    ``predicate_type`` when given, the keyless certificate and Rekor bundle, the empty
    ``dev.cosignproject.cosign/signature``)."""
    real = statement(COSIGN_ATTESTATION)
    annotations = real["layers"][0]["annotations"]
    if predicate_type:
        annotations["predicateType"] = predicate_type
    blobs = [Blob(DSSE, data) for data in layers]
    config = {
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [b.digest for b in blobs]},
        "config": {},
    }
    config_blob = Blob(OCI_CONFIG, compact(config))
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config_blob.descriptor(),
        "layers": [{**b.descriptor(), "annotations": annotations} for b in blobs],
    }
    return make_built(OCI_MANIFEST, manifest, [config_blob, *blobs])
