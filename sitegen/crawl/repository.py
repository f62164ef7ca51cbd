"""One repository's crawl: its tags, the manifests and configs they point to (built by
``loader.ManifestLoader``, which this crawler feeds from the registry), their
referrers. Every digest is fetched at most once, however many tags share it.
"""

from __future__ import annotations

import asyncio
import logging

from sitegen.config import (
    RegistryConfig,
    RepositoryConfig,
    TagFilter,
    platform_matches,
)
from sitegen.crawl import seen
from sitegen.crawl.context import VERBOSE, CrawlContext, Outcome, reason
from sitegen.crawl.loader import ManifestLoader, remembered, shown_digests
from sitegen.crawl.state import RepositoryState, Seen
from sitegen.crawl.vendor import VendorListings
from sitegen.errors import NotFoundError, RegistryError
from sitegen.model import (
    Index,
    Manifest,
    Repository,
    Tag,
)
from sitegen.oci import mediatypes, supplychain
from sitegen.oci.masking import Masker
from sitegen.oci.versions import is_version, newest_first, version_key
from sitegen.registry.client import RawManifest, RegistrySession
from sitegen.registry.flight import SingleFlight
from sitegen.registry.vendors import ListedTag
from sitegen.supplychain_model import Referrer

log = logging.getLogger("sitegen.crawl")


class ReferrersSupport:
    """Whether the registry has the referrers API, learned from the first call.

    distribution 2.8 answers 404: after that first answer no more referrers requests
    are sent in this run (docs/protocol.md item 21).
    """

    def __init__(self, session: RegistrySession, masker: Masker) -> None:
        self.session = session
        self.masker = masker
        # The first call's answer, kept: whether the API is there.
        self._probe: SingleFlight[None, bool] = SingleFlight(keep=True)

    async def fetch(self, repository: str, digest: str) -> list[Referrer]:
        """The referrers of ``digest``; none without the API. Calls made while the
        first one finds out wait for its answer."""
        probed: list[list[dict[str, object]] | None] = []

        async def probe() -> bool:
            probed.append(await self._ask(repository, digest))
            return probed[0] is not None

        if not await self._probe.run(None, probe):
            return []
        found = probed[0] if probed else await self._ask(repository, digest)
        return self._referrers(found)

    def _referrers(self, found: list[dict[str, object]] | None) -> list[Referrer]:
        masked, _ = self.masker.document(found or [])
        return supplychain.from_descriptors(masked, "referrers API")

    async def _ask(self, repository: str, digest: str) -> list[dict[str, object]] | None:
        try:
            return await self.session.referrers(repository, digest)
        except RegistryError as exc:
            log.debug("%s", exc)
            return None


class RepositoryCrawler(ManifestLoader):
    """Crawls one repository: its tags, what they point to, their referrers. Each
    digest is fetched once however many tags, indexes or repositories share it."""

    def __init__(
        self,
        rc: RegistryConfig,
        session: RegistrySession,
        repo: RepositoryConfig,
        ctx: CrawlContext,
        referrers: ReferrersSupport,
        vendor: VendorListings | None = None,
    ) -> None:
        super().__init__(rc, repo, ctx)
        self.session = session
        self.filter: TagFilter = repo.tags.merged_over(rc.tags)
        self.referrers = referrers
        self.vendor = vendor
        self.supply_chain = self._supply_chain_reader(session)
        # Tag -> its entry in a vendor listing; empty: a HEAD per tag.
        self.listed: dict[str, ListedTag] = {}
        self.seen: dict[str, Seen] | None = None  # this build's record of first sightings

    # -- whole repository ---------------------------------------------------------------

    async def run(self, outcome: Outcome) -> Repository:
        """The repository as the registry shows it now; where its tags cannot be
        listed, the last good data (``stale``) or just the error."""
        try:
            listed = await self._list()
        except RegistryError as exc:
            self.ctx.progress.repositories_done += 1
            message = self.ctx.fail(exc)
            if isinstance(exc, NotFoundError) and self.previous is None:
                return Repository(
                    name=self.name,
                    description=self.description,
                    recommended_tag=self.recommended_tag,
                    error=message,
                )
            return await self.stale(message)
        plain = [t for t in listed if not supplychain.is_supply_chain_tag(t)]
        self.seen = seen.recorded(self.previous, plain, self.ctx.now)
        fallback_tags = [t for t in listed if supplychain.is_referrers_tag(t)]
        candidates = [t for t in plain if _matches(self.filter, t)]
        resolved = await self._select(candidates)
        fallback = await self._resolve_all(fallback_tags, count=False)
        repository = await self._assemble(resolved, fallback, listed)
        outcome.fresh[(self.registry, self.name)] = RepositoryState(
            crawled_at=self.ctx.now,
            tags={t.name: t.digest for t in repository.tags},
            referrers=remembered(repository.referrers),
            first_seen=self.seen,
        )
        self.ctx.progress.repositories_done += 1
        log.log(
            VERBOSE,
            "%s/%s: %d of %d tags",
            self.registry,
            self.name,
            len(repository.tags),
            repository.total_tags,
        )
        return repository

    async def _list(self) -> list[str]:
        """The repository's tags: from the vendor's listing with their digests (no HEAD
        per tag), or, without one or in doubt, from ``tags/list``."""
        found = await self.vendor.tags(self.name) if self.vendor is not None else None
        if found is None:
            return await self.session.tags(self.name)
        self.listed = dict(found)
        self.supply_chain.listed = {name: tag.digest for name, tag in found.items()}
        return list(found)

    async def _assemble(
        self,
        resolved: dict[str, Manifest],
        fallback: dict[str, Manifest],
        listed: list[str],
    ) -> Repository:
        by_digest: dict[str, Manifest] = {}
        tags = []
        for name in sorted(resolved, key=version_key, reverse=True):
            manifest = resolved[name]
            entry = self.listed.get(name)
            pushed, said = (entry.pushed, entry.first_seen) if entry else (None, None)
            shown = Tag(name=name, digest=manifest.digest, pushed=pushed)
            tags.append(seen.with_first_seen(shown, self.seen, said, self.ctx.now))
            by_digest[manifest.digest] = manifest
        referrers: dict[str, list[Referrer]] = {}
        for subject, found in supplychain.from_cosign_tags(listed).items():
            referrers.setdefault(subject, []).extend(found)
        for tag, index in fallback.items():
            subject = supplychain.subject_of_referrers_tag(tag)
            if isinstance(index, Index) or index.media_type in mediatypes.INDEX_TYPES:
                referrers.setdefault(subject, []).extend(
                    supplychain.from_descriptors(
                        supplychain.descriptors_of(index.raw), f"referrers tag {tag}"
                    )
                )
        await self._read_attestations(by_digest)
        # Referrers attach to a platform's manifest as often as to the index (a scan
        # report per platform, `cosign sign --recursive`): ask about both.
        subjects = sorted(shown_digests(by_digest))
        answers = await asyncio.gather(
            *(self.referrers.fetch(self.name, digest) for digest in subjects)
        )
        for digest, found in zip(subjects, answers, strict=True):
            referrers.setdefault(digest, []).extend(found)
        return Repository(
            name=self.name,
            tags=tuple(tags),
            manifests=dict(sorted(by_digest.items())),
            referrers=supplychain.merged(await self._read_referrers(referrers, by_digest)),
            description=self.description,
            recommended_tag=self.recommended_tag,
            total_tags=len(listed),
            supply_chain_tags=sum(supplychain.is_supply_chain_tag(t) for t in listed),
            problems=self.problems({**fallback, **resolved}),
        )

    # -- tags ---------------------------------------------------------------------------

    async def _select(self, candidates: list[str]) -> dict[str, Manifest]:
        """Resolve the tags to show; with ``latest: N`` only as many as needed."""
        limit = self.filter.latest
        if limit is not None and len(candidates) > limit:
            versions = sorted(
                (t for t in candidates if is_version(t)), key=version_key, reverse=True
            )
            if len(versions) >= limit:
                candidates = versions[:limit]  # decided by version alone: no dates needed
        resolved = await self._resolve_all(candidates)
        if self.platforms:
            resolved = {t: m for t, m in resolved.items() if self._platform_shown(m)}
        if limit is not None and len(resolved) > limit:
            keep = newest_first(list(resolved), lambda t: resolved[t].created)[:limit]
            resolved = {t: resolved[t] for t in keep}
        return resolved

    def _platform_shown(self, manifest: Manifest) -> bool:
        if isinstance(manifest, Index):
            return bool(manifest.entries)
        return manifest.platform is None or platform_matches(self.platforms, str(manifest.platform))

    async def _resolve_all(self, tags: list[str], *, count: bool = True) -> dict[str, Manifest]:
        if count:
            self.ctx.progress.tags_total += len(tags)
        results = await asyncio.gather(*(self._resolve(t, count) for t in tags))
        return {tag: manifest for tag, manifest in zip(tags, results, strict=True) if manifest}

    async def _resolve(self, tag: str, count: bool) -> Manifest | None:
        try:
            if tag in self.listed:
                return await self.load(self.listed[tag].digest)
            head = await self.session.head_manifest(self.name, tag)
            if head.digest is None:
                # No usable Docker-Content-Digest: GET and hash (docs/protocol.md item 17).
                raw = await self.session.manifest(self.name, tag)
                self.cache.put(raw.digest, raw.data, verified=True)
                return await self.load(raw.digest, raw)
            return await self.load(head.digest)
        except RegistryError as exc:
            return await self._tag_failed(tag, exc)
        finally:
            if count:
                self.ctx.progress.tags_done += 1

    async def _tag_failed(self, tag: str, exc: RegistryError) -> Manifest | None:
        """Show the digest the previous build saw, if its manifest is cached."""
        cause = f"manifest could not be read: {reason(exc)}"
        known = self.previous.tags.get(tag) if self.previous else None
        if known is not None:
            try:
                manifest: Manifest | None = await self.load(known)
            except RegistryError:
                manifest = None
            if manifest is not None:
                shown = f"{cause}; showing the digest from the last good crawl"
                self._problem(shown, exc, tag=tag)
                return manifest
        self._problem(cause, exc, tag=tag)
        return None

    # -- what the cache lacks -----------------------------------------------------------

    async def _fetch_manifest(self, digest: str) -> RawManifest:
        """One verified GET, shared with every repository that wants the digest now."""

        async def fetch() -> RawManifest:
            raw = await self.session.manifest(self.name, digest)
            self.cache.put(digest, raw.data, verified=True)
            return raw

        return await self.ctx.shared(digest, fetch, self.registry)

    async def _fetch_blob(self, digest: str) -> bytes:
        """One verified GET, shared with every repository that wants the digest now."""

        async def fetch() -> bytes:
            found = await self.session.blob(self.name, digest)
            self.cache.put(digest, found, verified=True)
            return found

        return await self.ctx.shared(digest, fetch, self.registry)


def _matches(tag_filter: TagFilter, tag: str) -> bool:
    if tag_filter.include is not None and not tag_filter.include.search(tag):
        return False
    return not (tag_filter.exclude is not None and tag_filter.exclude.search(tag))
