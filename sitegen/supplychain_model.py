"""What the supply chain says about a manifest: signatures, provenance, SBOMs,
vulnerability reports and VEX documents, and the referrers that carry them. Frozen
dataclasses, no I/O; every string in them was masked and cut by ``sitegen.oci`` before
it got here.

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
    kind: str  # "signature", "sbom", "attestation", "provenance", "vulnerability-report",
    # "vex", "artifact"
    artifact_type: str = ""
    media_type: str = ""
    source: str = ""  # "referrers API", "tag sha256-<hex>.sig", "index attestation", ...
    tag: str = ""
    annotations: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    size: int = 0  # of its manifest, when known
    signatures: tuple[Signature, ...] = ()  # what its documents claim (kind "signature")
    provenance: tuple[Provenance, ...] = ()  # SLSA statements among its layers
    sboms: tuple[Sbom, ...] = ()  # SPDX and CycloneDX documents among its layers
    vulnerabilities: tuple[VulnerabilityReport, ...] = ()  # Trivy, Grype, cosign vuln
    vex: tuple[Vex, ...] = ()  # OpenVEX documents among its layers
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


@dataclass(frozen=True, slots=True)
class BaseImage:
    """What one image (a platform manifest) is built on, how that was found, and whether
    the base has moved since. Strings named by documents were masked and cut."""

    method: str  # "provenance", "annotation" or "layers": which one found it
    status: str  # "current", "stale", "unchecked" (base not in the catalog), "ambiguous"
    reference: str = ""  # the base as named ("docker.io/library/alpine:3.20")
    digest: str = ""  # the digest built on, as named or matched (an index's, perhaps)
    platform_digest: str = ""  # when ``digest`` is an index: its entry for this platform
    registry: str = ""  # the configured registry that holds the base ("": not in the catalog)
    repository: str = ""
    tag: str = ""
    current: str = ""  # the digest ``tag`` points to now
    current_platform: str = ""  # when ``current`` is an index: its entry for this platform
    candidates: tuple[str, ...] = ()  # the image materials, when they leave it ambiguous
    note: str = ""  # why it was not checked, or how a candidate was chosen


# Severities from the worst down, as findings and counts name them.
SEVERITIES = ("critical", "high", "medium", "low", "unknown")


@dataclass(frozen=True, slots=True)
class Finding:
    """One vulnerability a scanner reports in one package. Masked, cut."""

    id: str  # "CVE-2024-9143", "GHSA-...", as the report names it
    severity: str  # one of SEVERITIES
    package: str
    installed: str = ""  # the version in the image
    fixed: str = ""  # the versions that fix it, "" when the report names none
    status: str = ""  # the scanner's own word ("fixed", "affected", "not-fixed", ...)
    purl: str = ""
    url: str = ""  # an http(s) address the report gives for it


@dataclass(frozen=True, slots=True)
class VulnerabilityReport:
    """What a scanner (Trivy, Grype, a cosign vuln attestation) reports about an image."""

    format: str  # "Trivy", "Grype", "cosign vuln (Trivy)", ...; "" when it was not read
    scanner: str = ""  # "trivy", "grype"
    scanner_version: str = ""
    scanned_at: str = ""  # RFC 3339; "" when unknown (Go's zero time too)
    counts: tuple[int, ...] = ()  # findings per SEVERITIES, also those not kept
    findings: tuple[Finding, ...] = ()  # worst first; at most oci.vulnerabilities.MAX_FINDINGS
    finding_count: int = 0  # findings in the report, also those not kept
    document: str = ""  # digest of the blob it was read from
    note: str = ""  # what could not be read of it


@dataclass(frozen=True, slots=True)
class VexStatement:
    """One OpenVEX statement: what its author says of a vulnerability in some products."""

    vulnerability: str
    status: str  # "not_affected", "affected", "fixed", "under_investigation"; "" unknown
    aliases: tuple[str, ...] = ()
    justification: str = ""
    impact: str = ""  # impact_statement (not_affected) or action_statement (affected)
    products: tuple[str, ...] = ()  # as the statement names them, for the page
    digests: tuple[str, ...] = ()  # "sha256:<hex>" of images the products name
    images: tuple[str, ...] = ()  # image names the products give without a digest
    packages: tuple[str, ...] = ()  # package names (purl names of non-image products)
    timestamp: str = ""


@dataclass(frozen=True, slots=True)
class Vex:
    """An OpenVEX document (v0.2.0, or the legacy v0.0.1 shape)."""

    format: str  # "OpenVEX v0.2.0", "OpenVEX"; "" when it was not read
    author: str = ""
    timestamp: str = ""
    statements: tuple[VexStatement, ...] = ()  # at most oci.vex.MAX_STATEMENTS
    statement_count: int = 0
    document: str = ""
    note: str = ""
