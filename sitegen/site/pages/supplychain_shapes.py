"""The shapes of what tag and digest pages say about a manifest's supply chain:
its referrers (signatures, SBOMs, attestations), what each signature claims, how it
was built, what is inside it and what scanners found in it.
docs/json.md documents them field by field."""

from __future__ import annotations

from typing import Literal, TypedDict


class SignatureEntry(TypedDict):
    scheme: str
    method: str
    identity: str
    issuer: str
    key_fingerprint: str
    rekor_bundle: bool
    signed_at: str
    signed_at_source: str
    predicate_type: str  # an attestation's signature: what the signed statement is
    note: str
    verify: str


class ReferrerEntry(TypedDict):
    kind: str
    digest: str
    artifact_type: str
    media_type: str
    size: int
    source: str
    tag: str
    annotations: dict[str, str]
    note: str
    signatures: list[SignatureEntry]


class MaterialEntry(TypedDict):
    uri: str
    digest: str
    image: bool  # a container image (a base image, a build tool's image)


class ProvenanceEntry(TypedDict):
    predicate_type: str
    builder_id: str
    build_type: str
    source: str
    source_url: str
    commit: str
    commit_url: str
    trigger: str
    build_args: dict[str, str]
    materials: list[MaterialEntry]
    found_through: str
    attestation: str
    document: str
    note: str


class PackageEntry(TypedDict):
    name: str
    version: str
    ecosystem: str
    license: str
    purl: str


class SbomEntry(TypedDict):
    format: str
    package_count: int
    packages: list[PackageEntry]
    tool: str
    created: str
    found_through: str
    attestation: str
    document: str
    note: str
    download: str
    download_size: int
    masked: bool


class BaseEntry(TypedDict):
    method: str  # "provenance", "annotation" or "layers"
    status: str  # "current", "stale", "unchecked" or "ambiguous"
    reference: str
    path: str
    digest: str
    platform_digest: str
    registry: str
    repository: str
    tag: str
    current: str
    current_platform: str
    candidates: list[str]
    note: str


class BuiltImage(TypedDict):
    registry: str
    repository: str
    tag: str
    aliases: list[str]
    path: str
    platform: str
    digest: str
    digest_path: str
    method: str
    status: str
    built_on: str


class BaseGroup(TypedDict):
    reference: str
    registry: str
    repository: str
    tag: str
    path: str
    current: str
    images: list[BuiltImage]
    count: int
    stale: int


class BasesData(TypedDict):
    schema: int
    kind: Literal["bases"]
    path: str
    bases: list[BaseGroup]
    ambiguous: list[BuiltImage]


class RebuildData(TypedDict):
    schema: int
    kind: Literal["rebuild"]
    path: str
    groups: list[BaseGroup]
    images: int


class FindingEntry(TypedDict):
    id: str
    url: str
    severity: str
    package: str
    installed: str
    fixed: str
    status: str
    purl: str
    vex_status: str
    vex_justification: str


class VulnerabilityReportEntry(TypedDict):
    format: str
    scanner: str
    scanner_version: str
    scanned_at: str
    finding_count: int
    counts: dict[str, int]  # severity -> findings: critical, high, medium, low, unknown
    counts_after_vex: dict[str, int]
    vex_not_affected: int
    vex_fixed: int
    findings: list[FindingEntry]
    found_through: str
    attestation: str
    document: str
    note: str


class VexStatementEntry(TypedDict):
    vulnerability: str
    status: str
    justification: str
    impact: str
    products: list[str]
    timestamp: str
    applies: bool


class VexEntry(TypedDict):
    format: str
    author: str
    timestamp: str
    statement_count: int
    applied: int
    statements: list[VexStatementEntry]
    found_through: str
    attestation: str
    document: str
    note: str


class VulnerabilityBadge(TypedDict):
    text: str
    severity: str
    title: str
