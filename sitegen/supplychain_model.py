"""What the supply chain says about a manifest: signatures, provenance, SBOMs, and the
referrers that carry them. Frozen dataclasses, no I/O; every string in them was masked
and cut by ``sitegen.oci`` before it got here.

``sitegen.model`` holds them in its catalog (a BuildKit ``Attestation`` of an index, a
repository's ``referrers``); they depend on nothing else of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Signature:
    """What one signature claims about who signed and when. Read, not verified."""

    scheme: str  # "cosign", "sigstore" (a sigstore bundle) or "notation"
    method: str  # "keyless" (a certificate names the signer), "key" or "notation"
    identity: str = ""  # keyless: the certificate's SAN; notation: its subject
    issuer: str = ""  # keyless: the OIDC issuer in the certificate (Fulcio extension)
    key_fingerprint: str = ""  # "sha256:<hex>" of the public key's DER SubjectPublicKeyInfo
    rekor_bundle: bool = False  # a transparency log entry came with it
    signed_at: str = ""  # RFC 3339
    signed_at_source: str = ""  # where signed_at comes from ("Rekor integratedTime", ...)
    predicate_type: str = ""  # an attestation's: what the signed statement is; "" for an image
    note: str = ""  # what could not be read of it


@dataclass(frozen=True, slots=True)
class Provenance:
    """What an SLSA provenance statement (v0.2 or v1) says about a build. Masked, cut."""

    predicate_type: str
    builder_id: str = ""
    build_type: str = ""
    source: str = ""  # the source repository, as the statement names it
    commit: str = ""
    trigger: str = ""  # what started the build ("push", "workflow_dispatch", ...)
    build_args: tuple[tuple[str, str], ...] = ()  # (name, value); secret values masked
    materials: tuple[tuple[str, str], ...] = ()  # (uri, "algorithm:hex"): base images too
    document: str = ""  # digest of the blob it was read from
    note: str = ""  # what could not be read of it


@dataclass(frozen=True, slots=True)
class Referrer:
    """Something that refers to a manifest: a signature, SBOM, attestation or other artifact."""

    digest: str
    kind: str  # "signature", "sbom", "attestation", "provenance", "artifact"
    artifact_type: str = ""
    media_type: str = ""
    source: str = ""  # "referrers API", "tag sha256-<hex>.sig", "index attestation", ...
    tag: str = ""
    annotations: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    size: int = 0  # of its manifest, when known
    signatures: tuple[Signature, ...] = ()  # what its documents claim (kind "signature")
    provenance: tuple[Provenance, ...] = ()  # SLSA statements among its layers
    sboms: tuple[Sbom, ...] = ()  # SPDX and CycloneDX documents among its layers
    note: str = ""  # why its documents were not read (over the size cap, unreadable)


@dataclass(frozen=True, slots=True)
class Package:
    """One package an SBOM lists. Masked, cut."""

    name: str
    version: str = ""
    ecosystem: str = ""  # the purl type ("apk", "deb", "golang"), else the SBOM's own type
    license: str = ""  # an SPDX expression or license names, as the document gives them
    purl: str = ""


@dataclass(frozen=True, slots=True)
class Sbom:
    """What an SPDX 2.x or CycloneDX JSON document says is inside an image."""

    format: str  # "SPDX-2.3", "CycloneDX 1.4", "" when it could not be read
    packages: tuple[Package, ...] = ()  # sorted by name; at most the first oci.sbom.MAX_PACKAGES
    package_count: int = 0  # packages in the document, also those not kept
    tool: str = ""  # what wrote it ("syft-0.57.0")
    created: str = ""
    document: str = ""  # digest of the blob it was read from
    note: str = ""  # what could not be read of it
