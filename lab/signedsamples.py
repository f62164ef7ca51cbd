"""The sample catalog's other signatures: each kind of signature a registry holds, with
claims taken from real ones (``lab.signatures``), so the demo shows every way a catalog
reads who signed what.

==========================  =============================================================
``apps/web:v1.1.0``         a key-based cosign signature (a Rekor bundle holding the
                            public key, no certificate), under its ``.sig`` tag
``apps/worker:v2.0.0``      a notation signature (a real JWS envelope), under the
                            referrers fallback tag
``apps/worker:v1.9.0``      a sigstore bundle v0.3 (cosign's new bundle format: a real
                            keyless certificate and Rekor entry) signing the image itself
==========================  =============================================================
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from lab.images import Built, cosign_signature, fallback_tag, referrers_index
from lab.signatures import (
    BUNDLE,
    KEY,
    SUPPLY_CHAIN,
    bundle_manifest,
    layer_annotations,
    notation_signature,
    sigstore_bundle,
)


def key_signed(subject: Built, reference: str) -> dict[str, Built]:
    """``subject``'s key-based cosign signature, by its ``.sig`` tag."""
    signature = cosign_signature(subject, reference=reference, annotations=layer_annotations(KEY))
    return {f"{fallback_tag(subject.digest)}.sig": signature}


def notation_signed(subject: Built) -> dict[str, Built]:
    """``subject``'s notation signature, listed under the referrers fallback tag."""
    return {fallback_tag(subject.digest): referrers_index([notation_signature(subject)])}


def bundle_signed(subject: Built) -> dict[str, Built]:
    """``subject`` signed with a sigstore bundle: the real v0.3 bundle's certificate and
    Rekor entry, with a message signature over ``subject`` in place of its DSSE
    attestation, listed under the referrers fallback tag."""
    document: dict[str, Any] = json.loads((SUPPLY_CHAIN / BUNDLE).read_text())
    envelope = document.pop("dsseEnvelope")
    document["messageSignature"] = {
        "messageDigest": {
            "algorithm": "SHA2_256",
            "digest": base64.b64encode(hashlib.sha256(subject.manifest).digest()).decode(),
        },
        "signature": envelope["signatures"][0]["sig"],
    }
    bundle = bundle_manifest(
        subject, sigstore_bundle(document), {"dev.sigstore.bundle.content": "message-signature"}
    )
    return {fallback_tag(subject.digest): referrers_index([bundle])}
