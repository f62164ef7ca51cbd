"""What a crawl shares: its counters (``Progress``), its result (``Outcome``) and the
state every repository crawler reads and feeds (``CrawlContext``): the cache, the
previous build's state, the masker, fetches under way and secrets found."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sitegen.crawl.cache import Cache
from sitegen.crawl.state import RegistryRun, RepositoryState, State
from sitegen.errors import RegistryError
from sitegen.model import (
    Catalog,
    Change,
    Image,
    Index,
    Manifest,
    Registry,
    Repository,
)
from sitegen.oci.masking import Masker, Secrets
from sitegen.registry.flight import SingleFlight
from sitegen.registry.results import RawManifest

log = logging.getLogger("sitegen.crawl")

_T = TypeVar("_T")
VERBOSE = 15  # between DEBUG and INFO: one line per repository with -v
MAX_SHARDS = 1000

# What a registry error says before its reason: the request, naming the one digest or
# tag it was for. Left out of a problem's cause, so that one cause hitting many tags
# (a registry that lost the config blobs of several images) is said once.
_REQUEST = re.compile(r"(?:get|check) (?:blob|manifest) \S+: ")


def reason(exc: RegistryError) -> str:
    """Why a request failed, without which request it was."""
    return _REQUEST.sub("", exc.detail, count=1)


# Repositories whose crawl is done, with their registry's name and pull host alone (the
# registry is not done yet): likely copies of one another together (``crawl_order``),
# none shown from an earlier build; and the manifests their tags moved in this build
# pointed to before, which they no longer show (by digest, for their diff pages).
Handover = Callable[[Registry, Sequence[Repository], Mapping[str, Manifest]], None]


@dataclass(frozen=True, slots=True)
class Shard:
    """``I/N`` (``sitegen crawl --shard``): the share of the repositories that the I-th
    of N crawls takes. A repository's share is a hash of its registry's name and its
    own, so it always lands in the same shard whatever else the registry holds."""

    index: int  # 1 to count
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/4"`` -> ``Shard(2, 4)``; ``ValueError`` naming what is wrong."""
        index, slash, count = text.partition("/")
        if not (slash and index.isdigit() and count.isdigit()):
            raise ValueError(f"{text!r} is not I/N (for example 1/4)")
        shard = cls(int(index), int(count))
        if not 1 <= shard.count <= MAX_SHARDS:
            raise ValueError(f"N must be 1 to {MAX_SHARDS}, not {shard.count}")
        if not 1 <= shard.index <= shard.count:
            raise ValueError(f"I must be 1 to {shard.count}, not {shard.index}")
        return shard

    def owns(self, registry: str, repository: str) -> bool:
        """Whether ``registry``'s ``repository`` is this shard's to crawl."""
        digest = hashlib.sha256(f"{registry}\n{repository}".encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass
class Progress:
    """Counters the CLI shows while the crawl runs."""

    registries_total: int = 0
    registries_done: int = 0
    repositories_total: int = 0
    repositories_done: int = 0
    tags_total: int = 0
    tags_done: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        """Record and log one failure."""
        self.failures.append(message)
        log.warning("%s", message)


@dataclass
class Outcome:
    """The crawl's result: the catalog, plus what the state file should remember."""

    catalog: Catalog
    fresh: dict[tuple[str, str], RepositoryState] = field(default_factory=dict)
    listed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # catalog listings
    changes: list[Change] = field(default_factory=list)  # since the previous build
    runs: dict[str, RegistryRun] = field(default_factory=dict)  # registries crawled in full

    def update(self, state: State, cache: Cache, keep_builds: int) -> list[str]:
        """Remember this build's successful crawls in ``state``; return the digests
        nobody used for ``keep_builds`` builds (forgotten here, pruned from the cache
        later)."""
        for registry, names in self.listed.items():
            state.forget_missing(registry, names)
        for (registry, name), repo_state in self.fresh.items():
            state.record(registry, name, repo_state)
        state.remember(self.changes)
        state.registries.update(self.runs)
        shown = {registry.name for registry in self.catalog.registries}
        state.registries = {n: run for n, run in state.registries.items() if n in shown}
        state.touch(cache.touched)
        expired = state.expired(keep_builds)
        for digest in expired:
            del state.digests[digest]
        return expired


@dataclass
class Built:
    """What this build made of each digest, shared by every repository that holds it
    (mirrors, promotion between environments, many tags on one manifest).

    A digest names its bytes, and the cache directory is this build's alone (``lock``),
    so a cache entry read, verified and parsed once cannot change for the rest of the
    build: it is verified once per digest per build, not once per repository. What is
    built from it depends on nothing else but the masker, which is the build's, and
    (for an index) the platforms shown. Only what was made without a problem is kept:
    a failure may be one repository's alone (denied, or broken there).
    """

    manifests: dict[str, RawManifest] = field(default_factory=dict)  # cached, parsed
    configs: dict[tuple[str, bool], bytes] = field(default_factory=dict)  # (digest, image?)
    images: dict[tuple[str, str], Image] = field(default_factory=dict)  # (digest, media type)
    # (digest, media type, platforms shown) -> the index with its platforms and attestations
    indexes: dict[tuple[str, str, tuple[str, ...]], Index] = field(default_factory=dict)


@dataclass
class CrawlContext:
    """What every repository crawl of one run reads and feeds."""

    cache: Cache
    state: State
    progress: Progress
    now: str
    masker: Masker
    # Digest -> the fetch under way. Content is addressed by digest, so repositories
    # holding the same manifests (mirrors, promotion between environments) crawled at
    # the same time share one GET instead of each missing the cache. A fetch that fails
    # with a registry's answer is not shared: another repository may be denied or
    # broken where this one is not.
    fetching: SingleFlight[str, Any] = field(
        default_factory=lambda: SingleFlight(private=(RegistryError,))
    )
    # Digest -> the secret values found in that image's config, to mask them in the
    # index that holds it. Only in memory, never in the model or on disk.
    secrets: dict[str, Secrets] = field(default_factory=dict)
    built: Built = field(default_factory=Built)
    started: float = 0.0  # the crawl's start on the loop's clock
    build_budget: float = 0.0
    supply_chain_cap: int = 4 << 20  # limits.supply_chain_bytes
    sbom_cap: int = 64 << 20  # limits.sbom_bytes: one SBOM layer
    shard: Shard | None = None  # crawl only this share of the repositories
    # Called with repositories as their crawl ends (see ``Handover``).
    on_repositories: Handover | None = None

    def owns(self, registry: str, repository: str) -> bool:
        """Whether this crawl takes ``registry``'s ``repository`` (its shard's, or all)."""
        return self.shard is None or self.shard.owns(registry, repository)

    def cancel_fetches(self, registry: str) -> None:
        """Stop the shared fetches a registry started (it ran out of time); whoever
        else waits for one of them fetches for itself."""
        self.fetching.cancel(registry)

    def fail(self, exc: RegistryError) -> str:
        """Record a failure; its message, masked like every registry string."""
        message = self.masker.message(str(exc))
        self.progress.fail(message)
        return message

    async def shared(self, digest: str, fetch: Callable[[], Awaitable[_T]], registry: str) -> _T:
        """``fetch()``, or the result of the same digest's fetch already under way.

        A fetch that fails elsewhere is not our failure (another repository may be
        denied or broken, another registry out of time): then we fetch for ourselves.
        """
        found: _T = await self.fetching.run(digest, fetch, owner=registry)
        return found
