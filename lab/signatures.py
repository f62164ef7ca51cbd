"""Real signatures for the lab: the claims of signatures captured from public registries
(``tests/fixtures/real-world/supply-chain/``, sources in its README), put on lab images.

The signed bytes differ (a lab image is not the image the signer signed), so none of
these verifies; what they claim (certificate, identity, issuer, Rekor bundle, signing
time) is real, which is what the catalog reads and shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lab.oci import EMPTY_JSON, OCI_MANIFEST, Blob, Built, make_built

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "real-world"
SUPPLY_CHAIN = FIXTURES / "supply-chain"
NOTATION_SIGNATURE = "application/vnd.cncf.notary.signature"
JWS = "application/jose+json"
# Keyless, from a GitHub Actions workflow: certificate, chain and Rekor bundle.
KEYLESS = "cosign-sig-keyless-github-2026.json"
# Key-based (OCI 1.1 mode): a Rekor bundle holding the public key, no certificate.
KEY = "cosign-sig-key-oci11-subject-2024.json"
# A KMS key signature and a keyless one (Google service account) in one manifest.
KMS_AND_KEYLESS = "cosign-sig-kms-plus-keyless-2023.json"
NOTATION_ENVELOPE = "notation-jws-envelope-2023.json"


def layer_annotations(fixture: str) -> list[dict[str, str]]:
    """The annotations of each signature layer of a real cosign signature manifest."""
    document: dict[str, Any] = json.loads((SUPPLY_CHAIN / fixture).read_text())
    return [dict(layer.get("annotations", {})) for layer in document["layers"]]


def notation_envelope() -> bytes:
    """A real notation JWS envelope (``notation-jws-envelope-2023.json``), compact."""
    document = json.loads((SUPPLY_CHAIN / NOTATION_ENVELOPE).read_text())
    return json.dumps(document, separators=(",", ":")).encode()


def notation_signature(
    subject: Built, envelope: bytes | None = None, media_type: str = JWS
) -> Built:
    """A notation signature manifest for ``subject``, shaped like
    ``notation-sig-manifest-jws-2025.json``: config ``application/vnd.cncf.notary.signature``
    (the ``{}`` blob), one envelope layer (JWS unless ``media_type`` says
    ``application/cose``), a ``subject``, NO top-level
    ``artifactType`` (a referrers index names it in its entry)."""
    config = Blob(NOTATION_SIGNATURE, EMPTY_JSON)
    layer = Blob(media_type, notation_envelope() if envelope is None else envelope)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(),
        "layers": [layer.descriptor()],
        "subject": subject.descriptor(),
        "annotations": {"org.opencontainers.image.created": "2025-04-09T16:53:00Z"},
    }
    return make_built(OCI_MANIFEST, manifest, [config, layer], artifact_type=NOTATION_SIGNATURE)


BUNDLE = "sigstore-bundle-v0.3-dsse-2025.json"
BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"


def sigstore_bundle(document: dict[str, Any] | None = None) -> bytes:
    """A real sigstore bundle v0.3 (``sigstore-bundle-v0.3-dsse-2025.json``: a keyless
    certificate, a Rekor entry and a DSSE attestation), or ``document``, compact."""
    found = json.loads((SUPPLY_CHAIN / BUNDLE).read_text()) if document is None else document
    return json.dumps(found, separators=(",", ":")).encode()


def bundle_manifest(subject: Built, bundle: bytes, annotations: dict[str, str]) -> Built:
    """A sigstore bundle manifest for ``subject``, shaped like cosign's
    (``sigstore-bundle-manifest-cosign-2025.json``): the empty config, one bundle layer,
    ``artifactType`` the bundle type; ``annotations`` such as
    ``dev.sigstore.bundle.content`` and ``dev.sigstore.bundle.predicateType``."""
    config = Blob("application/vnd.oci.empty.v1+json", EMPTY_JSON)
    layer = Blob(BUNDLE_TYPE, bundle)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {**config.descriptor(), "artifactType": BUNDLE_TYPE},
        "layers": [layer.descriptor()],
        "annotations": annotations,
        "subject": subject.descriptor(),
        "artifactType": BUNDLE_TYPE,
    }
    return make_built(OCI_MANIFEST, manifest, [config, layer], artifact_type=BUNDLE_TYPE)
