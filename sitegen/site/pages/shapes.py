"""The declared shape of every page's data: what its ``index.json`` holds.

Each kind of page has a ``TypedDict`` here (changes, diffs and health in ``history_shapes``;
``page.PageData`` is any of them), and its builder returns one, so ``mypy`` holds the builders to
these shapes; ``docs/json.md`` documents them table by table (a test compares each table with the
keys here, both ways). The data is also the template's ``data``: what a page shows is what scripts
read.

Keys are written sorted, so their order here is free: it follows the documentation. Values are plain
JSON values: text, numbers, lists, objects, ``null``. ``Any`` marks a registry's own document,
parsed (a manifest, a config) and shown as it is.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from sitegen.site.pages.supplychain_shapes import (
    BaseEntry,
    ProvenanceEntry,
    ReferrerEntry,
    SbomEntry,
    VexEntry,
    VulnerabilityBadge,
    VulnerabilityReportEntry,
)


class Document(TypedDict):  # what every JSON document of the site carries
    schema: int  # 1; fields may be added, existing fields keep their meaning


# -- api/catalog.json ------------------------------------------------------------------


class CatalogImage(TypedDict):
    kind: ManifestKind
    platforms: list[str]
    created: str


class CatalogRepository(TypedDict):
    name: str
    path: str
    tags: list[str]
    digests: dict[str, str]
    images: dict[str, CatalogImage]
    error: str
    stale_since: str


class CatalogRegistry(TypedDict):
    name: str
    url: str
    pull_host: str
    path: str
    error: str
    repositories: list[CatalogRepository]


class CatalogDocument(Document):
    title: str
    registries: list[CatalogRegistry]


# -- home, search, registry ------------------------------------------------------------


class RegistrySummary(TypedDict):
    name: str
    url: str
    pull_host: str
    path: str
    repositories: int
    tags: int
    updated: str
    error: str
    failed_repositories: int
    stale_repositories: int


class RecentImage(TypedDict):
    registry: str
    repository: str
    tag: str
    aliases: list[str]  # the image's other tags
    digest: str
    created: str
    path: str


class HomeData(Document):
    kind: Literal["home"]
    title: str
    description_html: str
    registries: list[RegistrySummary]
    recent: list[RecentImage]
    rebuild: int


class SearchData(Document):
    kind: Literal["search"]
    title: str


class RepositoryEntry(TypedDict):
    name: str
    namespace: str
    path: str
    tags: int
    updated: str
    description: str
    error: str
    stale_since: str


class Namespace(TypedDict):
    name: str
    repositories: list[str]


class ListedFrom(TypedDict):
    kind: str  # "owner", "group", "project" or "namespace"
    name: str


class RegistryData(Document, RegistrySummary):
    kind: Literal["registry"]
    catalog_listed: bool
    listed_by: str  # "", "catalog", "ghcr", "gitlab", "hub" or "harbor"
    listed_from: list[ListedFrom]
    repository_list: list[RepositoryEntry]
    namespaces: list[Namespace]


# -- repository: tag lists and the platform matrix -------------------------------------


ManifestKind = Literal[
    "image", "index", "helm-chart", "signature", "sbom", "attestation", "artifact"
]


class ManifestSummary(TypedDict):
    manifest_kind: ManifestKind
    media_type: str
    artifact_type: str
    size: int | None
    created: str
    created_source: str


class PlatformCell(TypedDict):
    platform: str
    digest: str
    size: int | None
    path: str


FirstSeenSource = Literal["registry", "catalog", ""]


class TagTimes(TypedDict):
    pushed: str  # when the tag was pushed, from a vendor listing API; "" when unknown
    first_seen: str  # "" when unknown
    first_seen_source: FirstSeenSource
    new: bool  # first seen within a week before the build


class TagRow(ManifestSummary, TagTimes):
    name: str
    path: str
    digest: str
    digest_path: str
    version_rank: int
    prerelease: bool
    points_to: str  # a tag that is no version (latest): the newest version tag it is
    aliases: list[str]
    platforms: list[PlatformCell]
    signed: bool  # a signature refers to its digest (read, not verified)
    provenance: bool  # a provenance statement about it (or its platforms) was read
    sbom: bool  # an SBOM about it (or its platforms) was read
    stale_base: bool  # its base (or a platform's) has moved since it was built
    vulnerabilities: VulnerabilityBadge | None  # a report was read: its worst severity


class RecommendedTag(TagRow):
    reason: Literal["configured", "stable", "other", "prerelease"]
    pull_tag: str  # pull_host/name:tag
    pull_digest: str  # pull_host/name@digest
    commands: list[Command]  # how to use it, for its kind


class About(TypedDict):
    source: str
    source_url: str
    revision: str
    commit_url: str
    url: str
    documentation: str
    licenses: str
    vendor: str


class DigestTags(TypedDict):
    digest: str
    tags: list[str]


class ChangeRow(TypedDict):
    time: str
    registry: str
    repository: str
    repository_path: str
    kind: str
    what: str
    tag: str
    tag_path: str
    old: str
    new: str
    diff_path: str
    base: str
    base_path: str


class TagListFields(TypedDict):
    registry: str
    repository: str
    repository_path: str
    path: str
    pull: str
    data_file: str
    page: int
    page_size: int
    list_pages: list[str]
    matrix_path: str
    matrix_pages: list[str]
    platform_columns: list[str]
    total_tags: int
    supply_chain_tags: int
    shown_tags: int
    tags: list[TagRow]


class RepositoryData(Document, TagListFields):
    kind: Literal["repository"]
    name: str
    description: str
    description_source: str
    description_html: str
    recommended: RecommendedTag | None
    recommended_missing: str  # the configured recommended_tag when it is not shown
    about: About
    digests: list[DigestTags]
    problems: list[str]
    error: str
    stale_since: str
    history: list[ChangeRow]
    feed: str
    emptied: bool
    tags_gone_at: str


class TagListData(Document, TagListFields):
    kind: Literal["tag-list", "platform-matrix"]


# -- tag and digest pages ---------------------------------------------------------------


class Location(TypedDict):
    registry: str
    repository: str
    tag: str
    path: str


class PlatformEntry(PlatformCell):
    media_type: str
    created: str
    problem: str
    pull: str
    referrers: list[ReferrerEntry]
    provenance: list[ProvenanceEntry]
    sboms: list[SbomEntry]
    base: BaseEntry | None
    vulnerabilities: list[VulnerabilityReportEntry]


class AttestationEntry(TypedDict):
    digest: str
    subject: str
    predicate_types: list[str]


class PlatformDetail(TypedDict):
    os: str
    architecture: str
    variant: str
    os_version: str


class LayerEntry(TypedDict):
    digest: str
    size: int
    media_type: str
    annotations: dict[str, str]


class ConfigEntry(TypedDict):
    author: str
    env: list[str]
    entrypoint: list[str] | None
    cmd: list[str] | None
    working_dir: str
    user: str
    exposed_ports: list[str]
    volumes: list[str]
    stop_signal: str
    labels: dict[str, str]
    masked: list[str]


class HistoryEntry(TypedDict):
    created_by: str
    created: str
    comment: str
    empty_layer: bool
    layer_digest: str
    layer_size: int


class ImageDocument(TypedDict):
    digest: str
    media_type: str
    artifact_type: str
    manifest_size: int
    platform: str
    platform_detail: PlatformDetail | None
    created: str
    created_source: str
    size: int
    config_digest: str
    config_media_type: str
    subject: str
    problem: str
    annotations: dict[str, str]
    layers: list[LayerEntry]
    config: ConfigEntry | None
    history: list[HistoryEntry]
    artifact_config: Any
    manifest: Any
    config_blob: Any
    redacted: bool


class ManifestFacts(ManifestSummary):
    total_stored: int | None
    default_platform: str
    registry: str
    repository: str
    repository_path: str
    digest: str
    digest_path: str
    platforms: list[PlatformCell]
    elsewhere: list[Location]
    stale_since: str
    annotations: dict[str, str]
    platform_list: list[PlatformEntry]
    attestations: list[AttestationEntry]
    referrers: list[ReferrerEntry]
    provenance: list[ProvenanceEntry]
    sboms: list[SbomEntry]
    base: BaseEntry | None
    vulnerabilities: list[VulnerabilityReportEntry]
    vex: list[VexEntry]
    image: ImageDocument | None
    manifest: Any
    redacted: bool
    chart: ChartFacts | None


class Command(TypedDict):
    label: str
    text: str
    ref: str


class ChartFacts(TypedDict):
    name: str
    version: str
    app_version: str
    description: str


class TagPull(TypedDict):
    tag: str
    digest: str


class Comparison(TypedDict):
    label: str
    reason: str
    path: str


class TagData(Document, ManifestFacts, TagTimes):
    kind: Literal["tag"]
    tag: str
    path: str
    pull: TagPull
    commands: list[Command]
    aliases: list[str]
    history: list[ChangeRow]
    compare: list[Comparison]


class DigestPull(TypedDict):
    digest: str


class TagLink(TypedDict):
    name: str
    path: str


class Parent(TypedDict):
    digest: str
    path: str
    platform: str
    tags: list[TagLink]


class Sibling(TypedDict):
    platform: str
    path: str
    digest: str


class DigestData(Document, ManifestFacts):
    kind: Literal["digest"]
    path: str
    pull: DigestPull
    commands: list[Command]
    tags: list[TagLink]
    parents: list[Parent]
    siblings: list[Sibling]
