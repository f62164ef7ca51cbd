"""The crawled catalog: frozen dataclasses, no I/O.

``sitegen.crawl`` builds these; ``sitegen.site`` reads them, and ``sitegen.build``
counts them for its report. Everything is sorted where order is not meaningful so that
the same registry state gives byte-identical pages. The few facts several readers
derive (a registry's status, tag counts, the tags of each digest, a platform's label)
are computed here, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sitegen.supplychain_model import (
    BaseImage,
    Provenance,
    Referrer,
    Sbom,
    Vex,
    VulnerabilityReport,
)

EMPTY: Mapping[str, str] = MappingProxyType({})

CREATED_ANNOTATION = "org.opencontainers.image.created"


@dataclass(frozen=True, slots=True, order=True)
class Platform:
    """Where an image runs: ``linux/arm64/v8``, ``windows/amd64`` with an OS version."""

    os: str
    architecture: str
    variant: str = ""
    os_version: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    @property
    def unknown(self) -> bool:
        """BuildKit attestations carry ``unknown/unknown``: not a real platform."""
        return self.os == "unknown" and self.architecture == "unknown"


UNKNOWN_PLATFORM = "unknown platform"


def platform_label(platform: Platform | None) -> str:
    """How a platform is shown and compared: ``linux/arm64/v8``, ``windows/amd64
    10.0.20348.2527``, or ``unknown platform`` when a manifest does not say."""
    if platform is None:
        return UNKNOWN_PLATFORM
    return f"{platform} {platform.os_version}" if platform.os_version else str(platform)


@dataclass(frozen=True, slots=True)
class Descriptor:
    """An OCI content descriptor as it appears in a manifest."""

    media_type: str
    digest: str
    size: int
    annotations: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    platform: Platform | None = None
    artifact_type: str = ""


@dataclass(frozen=True, slots=True)
class HistoryStep:
    """One build step from the image config's ``history``."""

    created_by: str
    created: str = ""
    comment: str = ""
    author: str = ""
    empty_layer: bool = False
    layer: Descriptor | None = None  # the layer this step produced, when it produced one


@dataclass(frozen=True, slots=True)
class ImageConfig:
    """What the image config blob says about how the image runs."""

    digest: str  # the image ID
    created: str = ""
    author: str = ""
    env: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    working_dir: str = ""
    user: str = ""
    exposed_ports: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    stop_signal: str = ""
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    history: tuple[HistoryStep, ...] = ()
    raw: bytes = b""  # as published: re-serialised with secrets masked when there were any
    masked: tuple[str, ...] = ()  # names of the env variables whose values were masked


@dataclass(frozen=True, slots=True)
class Image:
    """One image (or artifact) manifest with its config."""

    digest: str
    media_type: str
    manifest_size: int
    config_descriptor: Descriptor
    layers: tuple[Descriptor, ...] = ()
    annotations: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    platform: Platform | None = None
    config: ImageConfig | None = None
    artifact_type: str = ""  # set for non-image artifacts (Helm charts, SBOMs, ...)
    subject: str = ""  # digest of the manifest this one refers to (OCI 1.1 referrers)
    raw: bytes = b""
    problem: str = ""  # why part of it could not be read (config missing, ...)
    artifact_config: bytes = b""  # a small JSON config of a non-image artifact (Helm chart)
    redacted: bool = False  # secrets were masked in raw/config/artifact_config
    # What it is, from its media types (``oci.kinds``): "image", "helm-chart",
    # "signature", "sbom", "attestation" or "artifact"; never from what could be fetched.
    kind: str = "image"

    @property
    def size(self) -> int:
        """Compressed size: config plus layers, what a pull downloads."""
        return self.config_descriptor.size + sum(layer.size for layer in self.layers)

    @property
    def created(self) -> str:
        """Config ``created``, else the ``org.opencontainers.image.created`` annotation."""
        return self.created_and_source[0]

    @property
    def created_and_source(self) -> tuple[str, str]:
        """(created, where it came from) - docs/protocol.md item 20: say which."""
        if self.config and self.config.created:
            return self.config.created, "config"
        if self.annotations.get(CREATED_ANNOTATION):
            return self.annotations[CREATED_ANNOTATION], "annotation"
        return "", ""

    @property
    def is_image(self) -> bool:
        """True for a runnable container image (not a chart, signature or SBOM), also
        when its config could not be read."""
        return self.kind == "image"


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One platform of a multi-platform index; ``image`` is None when it failed to load."""

    descriptor: Descriptor
    image: Image | None = None
    problem: str = ""

    @property
    def platform(self) -> Platform | None:
        """The platform from the descriptor, else from the image config."""
        if self.descriptor.platform is not None:
            return self.descriptor.platform
        return self.image.platform if self.image else None


@dataclass(frozen=True, slots=True)
class Attestation:
    """A BuildKit attestation manifest stored in an index (provenance, SBOM)."""

    descriptor: Descriptor
    subject: str  # digest of the platform manifest it describes
    predicate_types: tuple[str, ...] = ()
    provenance: tuple[Provenance, ...] = ()  # read by the crawl from its in-toto layers
    sboms: tuple[Sbom, ...] = ()  # likewise
    vulnerabilities: tuple[VulnerabilityReport, ...] = ()  # likewise
    vex: tuple[Vex, ...] = ()  # likewise
    note: str = ""  # why a statement of it was not read


@dataclass(frozen=True, slots=True)
class Index:
    """A multi-platform image: an OCI index or a Docker manifest list."""

    digest: str
    media_type: str
    manifest_size: int
    entries: tuple[IndexEntry, ...] = ()
    attestations: tuple[Attestation, ...] = ()
    annotations: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    artifact_type: str = ""
    subject: str = ""
    raw: bytes = b""
    redacted: bool = False  # secrets were masked in raw
    kind: str = "index"  # "index", or an artifact kind when it has an artifactType

    @property
    def size(self) -> int:
        """Sum of every readable platform's compressed size: what a full mirror of the
        tag stores ("total stored"), not what one pull downloads."""
        return sum(e.image.size for e in self.entries if e.image)

    @property
    def created(self) -> str:
        """The newest ``created`` among the platforms (or the index annotation)."""
        return self.created_and_source[0]

    @property
    def created_and_source(self) -> tuple[str, str]:
        """(created, where it came from)."""
        dates = [e.image.created_and_source for e in self.entries if e.image and e.image.created]
        if dates:
            return max(dates)
        if self.annotations.get(CREATED_ANNOTATION):
            return self.annotations[CREATED_ANNOTATION], "annotation"
        return "", ""

    def pull_entry(self, preferred: str) -> IndexEntry | None:
        """The platform a pull on a ``preferred`` machine (``linux/amd64``) gets, when it
        was read; else the first readable platform; None when none was read."""
        readable = [e for e in self.entries if e.image is not None]
        for entry in readable:
            if entry.platform is not None and str(entry.platform) == preferred:
                return entry
        return readable[0] if readable else None

    @property
    def platforms(self) -> tuple[Platform, ...]:
        """The platforms in index order."""
        return tuple(e.platform for e in self.entries if e.platform is not None)


Manifest = Image | Index


def images_of(manifest: Manifest) -> tuple[Image, ...]:
    """The readable images of a manifest: every platform of an index, or the image itself."""
    if isinstance(manifest, Index):
        return tuple(e.image for e in manifest.entries if e.image is not None)
    return (manifest,)


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag and the digest it pointed to when crawled."""

    name: str
    digest: str
    # When the tag was pushed (RFC 3339 UTC), where a vendor listing API says so;
    # the distribution API does not.
    pushed: str | None = None
    # When the tag was first seen (RFC 3339 UTC), the earlier of the registry's word and
    # this catalog's own record (``crawl.seen``), and which it is: ``registry`` or
    # ``catalog`` (the first build that listed it). None for a tag already there when
    # this catalog began recording it, of which the registry says nothing.
    first_seen: str | None = None
    first_seen_source: str = ""
    new: bool = False  # first seen within a week of the crawl


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One cause of trouble in a repository, with every tag and platform it affects:
    ``config blob unavailable: HTTP 404 BLOB_UNKNOWN (tags 1.0, 1.1)``."""

    cause: str
    tags: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()

    def __str__(self) -> str:
        affected = "; ".join(
            f"{what} {', '.join(names)}"
            for what, names in (
                ("tag" if len(self.tags) == 1 else "tags", self.tags),
                ("platform" if len(self.platforms) == 1 else "platforms", self.platforms),
            )
            if names
        )
        return f"{self.cause} ({affected})" if affected else self.cause


@dataclass(frozen=True, slots=True)
class Repository:
    """One repository: its shown tags, the manifests they point to, and what went wrong."""

    name: str
    tags: tuple[Tag, ...] = ()
    manifests: Mapping[str, Manifest] = field(default_factory=dict)
    referrers: Mapping[str, tuple[Referrer, ...]] = field(default_factory=dict)
    description: str | None = None
    recommended_tag: str | None = None  # the config's choice; None: the newest stable version
    total_tags: int = 0  # tags the registry listed, before filters, supply-chain tags too
    supply_chain_tags: int = 0  # of those, cosign and referrers tags (not images to pull)
    problems: tuple[Problem, ...] = ()  # each cause once, with the tags it affects
    error: str = ""  # set when the repository could not be crawled at all
    stale_since: str = ""  # set when the data shown is from an earlier build

    def manifest(self, tag: Tag) -> Manifest | None:
        """The manifest ``tag`` points to, if it was read."""
        return self.manifests.get(tag.digest)

    def tags_by_digest(self) -> dict[str, list[str]]:
        """Digest -> the names of the tags pointing to it, in ``tags`` order (the crawl
        sorts tags newest version first): the tags that are one image."""
        found: dict[str, list[str]] = {}
        for tag in self.tags:
            found.setdefault(tag.digest, []).append(tag.name)
        return found

    @property
    def recommended_missing(self) -> bool:
        """The config recommends a tag that is not among the tags shown."""
        wanted = self.recommended_tag
        return wanted is not None and not any(t.name == wanted for t in self.tags)

    @property
    def updated(self) -> str:
        """The newest ``created`` among its manifests (``""`` when none says)."""
        return max((m.created for m in self.manifests.values()), default="")


@dataclass(frozen=True, slots=True)
class Registry:
    """One registry's crawl result."""

    name: str
    url: str  # the crawl address; "" unless its config says show_url
    pull_host: str
    repositories: tuple[Repository, ...] = ()
    error: str = ""
    # Where its repositories came from: "" (the config names them), "catalog"
    # (/v2/_catalog), or the vendor API that discovered them: "ghcr", "gitlab", "hub", "harbor".
    listed_by: str = ""
    # What that vendor API was asked for: (owner, group, project or namespace, its name).
    listed_from: tuple[tuple[str, str], ...] = ()
    last_success: str = (
        ""  # RFC 3339: when its last successful crawl started (this build or earlier)
    )
    last_success_seconds: float = 0.0  # how long that crawl took

    @property
    def status(self) -> str:
        """``failed`` (the registry could not be crawled: unreachable, credentials refused,
        out of time), ``partial`` (a repository, tag or platform could not be read), or
        ``ok``."""
        if self.error:
            return "failed"
        if self.failed_repositories or self.repositories_with_problems:
            return "partial"
        return "ok"

    @property
    def tag_count(self) -> int:
        """Tags shown, in all its repositories."""
        return sum(len(repo.tags) for repo in self.repositories)

    @property
    def failed_repositories(self) -> tuple[Repository, ...]:
        """Repositories that could not be crawled at all."""
        return tuple(repo for repo in self.repositories if repo.error)

    @property
    def repositories_with_problems(self) -> tuple[Repository, ...]:
        """Repositories with tags or platforms that could not be read."""
        return tuple(repo for repo in self.repositories if repo.problems)

    @property
    def stale_repositories(self) -> tuple[Repository, ...]:
        """Repositories shown from an earlier build's data."""
        return tuple(repo for repo in self.repositories if repo.stale_since)

    @property
    def stale_since(self) -> str:
        """The oldest data shown: the earliest ``stale_since`` of its repositories."""
        return min((repo.stale_since for repo in self.stale_repositories), default="")


@dataclass(frozen=True, slots=True, order=True)
class Change:
    """Something that changed between two builds.

    ``kind`` is ``tag-added``, ``tag-removed``, ``tag-moved`` (``old`` -> ``new`` digest),
    ``repository-added``, ``repository-removed``, or ``base-moved``: the tag's image is
    built on ``base`` (``registry/repository:tag``), which moved from ``old`` to ``new``.
    """

    time: str  # RFC 3339, the build that saw it
    registry: str
    repository: str
    kind: str
    tag: str = ""
    old: str = ""
    new: str = ""
    base: str = ""


def repository_changes(
    now: str, registry: str, name: str, before: Mapping[str, str] | None, after: Mapping[str, str]
) -> list[Change]:
    """How one repository's tags (tag -> digest) changed since the previous build, in
    tag order; ``before`` None: the repository is new (in a registry seen before)."""
    found = [Change(now, registry, name, "repository-added")] if before is None else []
    before = before or {}
    for tag in sorted(set(before) | set(after)):
        if tag not in before:
            found.append(Change(now, registry, name, "tag-added", tag, "", after[tag]))
        elif tag not in after:
            found.append(Change(now, registry, name, "tag-removed", tag, before[tag], ""))
        elif before[tag] != after[tag]:
            found.append(Change(now, registry, name, "tag-moved", tag, before[tag], after[tag]))
    return found


@dataclass(frozen=True, slots=True)
class Catalog:
    """Everything the site shows."""

    title: str
    registries: tuple[Registry, ...]
    url: str | None = None
    description: str | None = None
    changes: tuple[Change, ...] = ()  # newest first
    previous: Mapping[str, Manifest] = field(default_factory=dict)  # old digests of moved tags
    rate_limits: Mapping[str, tuple[int | None, int | None]] = field(default_factory=dict)
    default_platform: str = "linux/amd64"  # shown first on multi-platform pages
    built: str = ""  # RFC 3339: when this build's crawl started
    # (registry, repository, platform manifest digest) -> what it is built on
    bases: Mapping[tuple[str, str, str], BaseImage] = field(default_factory=dict)

    @property
    def repository_count(self) -> int:
        """Repositories shown, in all registries."""
        return sum(len(registry.repositories) for registry in self.registries)

    @property
    def tag_count(self) -> int:
        """Tags shown, in all registries."""
        return sum(registry.tag_count for registry in self.registries)
