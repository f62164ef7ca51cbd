"""The validated configuration: frozen dataclasses, defaults and limits.

``loader.py`` builds these from ``registries.yaml``; everything after it reads them.
``docs/configuration.md`` documents each key; keep the two in step.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.oci.masking import Masker
from sitegen.oci.patterns import Pattern

DEFAULT_CONCURRENCY = 8
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
# A nightly job should publish well inside a CI job's limit (GitHub Actions' example
# workflow allows 60 minutes): a registry gets 30 minutes, all of them together 50.
DEFAULT_TIME_BUDGET = 1800.0
DEFAULT_BUILD_TIME_BUDGET = 3000
DEFAULT_TITLE = "Image catalog"
DEFAULT_PLATFORM = "linux/amd64"
DEFAULT_STALE_AFTER = 48 * 3600.0
# Listing APIs beside /v2/ that give tags with digests (docs/configuration.md#vendor-apis).
VENDOR_APIS = ("harbor", "hub", "quay", "ghcr", "acr")
# GitLab's API lists repositories (``discover``) but not tags with digests.
API_CHOICES = ("auto", "none", *VENDOR_APIS, "gitlab")


@dataclass(frozen=True, slots=True)
class Secret:
    """A credential. Its ``repr`` and ``str`` never show the value; ``reveal()`` does."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        """The secret value, for the one place that must send it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Auth:
    """Credentials for one registry. Absent credentials mean anonymous access."""

    username: str | None = None
    password: Secret | None = None


@dataclass(frozen=True, slots=True)
class TagFilter:
    """Which tags of a repository to show."""

    include: Pattern | None = None
    exclude: Pattern | None = None
    latest: int | None = None

    def merged_over(self, base: TagFilter) -> TagFilter:
        """This filter with unset parts taken from ``base`` (registry-level defaults)."""
        return TagFilter(
            include=self.include if self.include is not None else base.include,
            exclude=self.exclude if self.exclude is not None else base.exclude,
            latest=self.latest if self.latest is not None else base.latest,
        )


@dataclass(frozen=True, slots=True)
class RepositoryConfig:
    """A repository to crawl, as listed in the config."""

    name: str
    description: str | None = None
    tags: TagFilter = TagFilter()
    platforms: tuple[str, ...] | None = None  # None: the registry's setting
    recommended_tag: str | None = None  # None: the newest stable version


def platform_matches(wanted: tuple[str, ...], platform: str) -> bool:
    """``linux/arm64`` matches ``linux/arm64`` and ``linux/arm64/v8``; empty wants all."""
    return not wanted or any(platform == w or platform.startswith(w + "/") for w in wanted)


@dataclass(frozen=True, slots=True)
class Discovery:
    """Where a vendor API lists the registry's repositories, in place of ``_catalog``
    (the ``discover`` key; docs/configuration.md#discovery)."""

    owners: tuple[str, ...] = ()  # GitHub organisations or users (ghcr.io)
    groups: tuple[str, ...] = ()  # GitLab groups: full paths or numeric ids
    projects: tuple[str, ...] = ()  # GitLab projects (paths or ids), or Harbor's (names)
    namespaces: tuple[str, ...] = ()  # Docker Hub users or organisations
    harbor: bool = False  # the projects are Harbor's (``api: harbor``)

    @property
    def vendor(self) -> str:
        """``ghcr``, ``hub``, ``harbor`` or ``gitlab``: whose API lists them."""
        if self.owners:
            return "ghcr"
        if self.namespaces:
            return "hub"
        return "harbor" if self.harbor else "gitlab"

    @property
    def sources(self) -> tuple[tuple[str, str], ...]:
        """What the API is asked for, in order: (``owner``, ``group``, ``project`` or
        ``namespace``, its name)."""
        return (
            *(("owner", name) for name in self.owners),
            *(("group", name) for name in self.groups),
            *(("project", name) for name in self.projects),
            *(("namespace", name) for name in self.namespaces),
        )


@dataclass(frozen=True, slots=True)
class RegistryConfig:
    """One registry: where it is, how to authenticate, and what to crawl."""

    name: str
    url: str  # base URL without trailing slash; the API lives at url + "/v2/"
    host: str  # host[:port] requests go to (Docker Hub aliases resolved)
    pull_host: str  # host[/prefix] shown in pull commands
    auth: Auth = Auth()
    repositories: tuple[RepositoryConfig, ...] | None = None  # None: discover them
    tags: TagFilter = TagFilter()
    include: tuple[str, ...] = ()  # repository globs for catalog discovery
    exclude: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()  # show only these platforms ("linux/amd64"); () = all
    concurrency: int = DEFAULT_CONCURRENCY
    timeout: float = DEFAULT_TIMEOUT
    ca_file: Path | None = None
    client_cert: Path | None = None  # PEM certificate (and key, unless client_key) for mTLS
    client_key: Path | None = None
    insecure: bool = False
    http2: bool = False
    retries: int = DEFAULT_RETRIES  # extra attempts after a 429, 5xx or broken connection
    time_budget: float = DEFAULT_TIME_BUDGET  # seconds for the whole crawl of this registry
    show_url: bool = False  # the crawl address may appear on the site (else the pull host)
    api: str = "auto"  # one of API_CHOICES: a vendor listing API, detected, or none
    api_url: str | None = None  # the vendor API's base URL when not its default
    discover: Discovery | None = None  # None: without repositories, list with _catalog

    @property
    def hidden_addresses(self) -> tuple[str, ...]:
        """The spellings of the crawl address the site must not show (none with
        ``show_url``): the URL, ``host:port`` and the host name alone."""
        if self.show_url:
            return ()
        return (self.url, self.host, self.host.rpartition(":")[0] or self.host)

    @property
    def scheme(self) -> str:
        """``http`` or ``https``."""
        return self.url.partition(":")[0]

    def discovers(self, repository: str) -> bool:
        """Whether a discovered repository (``_catalog`` or ``discover``) passes
        ``include``/``exclude``."""
        if self.include and not any(fnmatch.fnmatchcase(repository, g) for g in self.include):
            return False
        return not any(fnmatch.fnmatchcase(repository, g) for g in self.exclude)


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps that keep a hostile or broken registry from exhausting the build."""

    manifest_bytes: int = 4 << 20  # docs/protocol.md item 18; distribution's own limit
    config_bytes: int = 8 << 20
    # One document of a signature, SBOM or attestation (its manifest, each blob read);
    # a bigger one is skipped with a note on the page.
    supply_chain_bytes: int = 4 << 20
    # One SBOM document (a layer of an SBOM attestation or referrer): syft writes tens of
    # megabytes for a large image, so it has its own, larger cap.
    sbom_bytes: int = 64 << 20
    listing_bytes: int = 16 << 20  # one page of _catalog or tags/list
    token_bytes: int = 256 << 10
    error_bytes: int = 64 << 10
    redirects: int = 10
    pages: int = 1000  # pages of one listing (Link: rel="next")
    tags: int = 100_000  # tags of one repository
    repositories: int = 100_000  # repositories of one registry (_catalog)
    site_pages: int = 1_000_000  # pages of the whole site
    build_time_budget: int = DEFAULT_BUILD_TIME_BUDGET  # seconds for the crawl of all registries


# The largest document the content cache keeps (``crawl/cache.py``): the limits of the
# documents it holds may not be higher, or a cached one could not be read back.
CACHED_DOCUMENT_BYTES = 256 << 20
LIMIT_MAXIMA = dict.fromkeys(
    ("manifest_bytes", "config_bytes", "supply_chain_bytes", "sbom_bytes"), CACHED_DOCUMENT_BYTES
)

LIMIT_KEYS = {
    "manifest_bytes": "manifest_bytes",
    "config_bytes": "config_bytes",
    "supply_chain_bytes": "supply_chain_bytes",
    "sbom_bytes": "sbom_bytes",
    "listing_bytes": "listing_bytes",
    "token_bytes": "token_bytes",
    "error_bytes": "error_bytes",
    "redirects": "redirects",
    "listing_pages": "pages",
    "tags_per_repository": "tags",
    "repositories_per_registry": "repositories",
    "site_pages": "site_pages",
    "build_time_budget": "build_time_budget",
}


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """Site-wide settings."""

    title: str = DEFAULT_TITLE
    url: str | None = None  # where the site is published, with a trailing slash
    description: str | None = None
    theme_dir: Path | None = None
    stale_after: float = DEFAULT_STALE_AFTER  # seconds; an older catalog warns its readers
    masker: Masker = field(default_factory=Masker)
    # The platform a multi-platform tag page shows inline, and whose size a tag's size is.
    default_platform: str = DEFAULT_PLATFORM


@dataclass(frozen=True, slots=True)
class Config:
    """The whole validated configuration."""

    path: Path
    site: SiteConfig
    registries: tuple[RegistryConfig, ...]
    limits: Limits = field(default_factory=Limits)
