"""One repository's crawl: its tags, the manifests and configs they point to, their
referrers; and the same from the cache alone when the registry cannot be asked. Every
digest is fetched at most once, however many tags share it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from sitegen.config import (
    RegistryConfig,
    RepositoryConfig,
    TagFilter,
    platform_matches,
)
from sitegen.crawl.context import VERBOSE, CrawlContext, Outcome
from sitegen.crawl.state import RepositoryState
from sitegen.errors import NotFoundError, ProtocolError, RegistryError
from sitegen.model import (
    Descriptor,
    Image,
    Index,
    Manifest,
    Referrer,
    Repository,
    Tag,
)
from sitegen.oci import jsonload, manifests, mediatypes, supplychain
from sitegen.oci.masking import NO_SECRETS, Masker
from sitegen.oci.versions import is_version, newest_first, version_key
from sitegen.registry.client import RawManifest, RegistrySession
from sitegen.registry.flight import SingleFlight

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


class RepositoryCrawler:
    """Crawls one repository; fetches each digest once however many tags share it.

    With ``session=None`` it works offline from the cache (stale data).
    """

    def __init__(
        self,
        rc: RegistryConfig,
        session: RegistrySession | None,
        repo: RepositoryConfig,
        ctx: CrawlContext,
        referrers: ReferrersSupport | None,
    ) -> None:
        self.registry = rc.name
        self.session = session
        self.repo = repo
        self.name = repo.name
        self.ctx = ctx
        self.cache = ctx.cache
        self.filter: TagFilter = repo.tags.merged_over(rc.tags)
        self.platforms = repo.platforms if repo.platforms is not None else rc.platforms
        self.referrers = referrers
        self.previous = ctx.state.repositories.get((rc.name, repo.name))
        # Kept for the whole crawl, failures too: a digest that failed once fails
        # everywhere in this repository without being asked for again.
        self._loads: SingleFlight[str, Manifest] = SingleFlight(keep=True)
        self._problems: list[str] = []
        # The config's description is the user's own text, but it is published too.
        self.description = (
            ctx.masker.text(repo.description) if repo.description is not None else None
        )

    # -- whole repository ---------------------------------------------------------------

    async def run(self, outcome: Outcome) -> Repository:
        assert self.session is not None
        try:
            listed = await self.session.tags(self.name)
        except RegistryError as exc:
            self.ctx.progress.repositories_done += 1
            message = self.ctx.fail(exc)
            if isinstance(exc, NotFoundError) and self.previous is None:
                return Repository(name=self.name, description=self.description, error=message)
            return await self.offline(message)
        plain = [t for t in listed if not supplychain.is_supply_chain_tag(t)]
        fallback_tags = [t for t in listed if supplychain.is_referrers_tag(t)]
        candidates = [t for t in plain if _matches(self.filter, t)]
        resolved = await self._select(candidates)
        fallback = await self._resolve_all(fallback_tags, count=False)
        repository = await self._assemble(resolved, fallback, listed, len(plain))
        outcome.fresh[(self.registry, self.name)] = RepositoryState(
            crawled_at=self.ctx.now,
            tags={t.name: t.digest for t in repository.tags},
        )
        self.ctx.progress.repositories_done += 1
        log.log(
            VERBOSE,
            "%s/%s: %d of %d tags",
            self.registry,
            self.name,
            len(repository.tags),
            len(plain),
        )
        return repository

    async def offline(self, error: str) -> Repository:
        """The last good data from the cache, marked stale; or just the error."""
        if self.previous is None:
            return Repository(name=self.name, description=self.description, error=error)
        tags: list[Tag] = []
        found: dict[str, Manifest] = {}
        for tag, digest in sorted(self.previous.tags.items()):
            try:
                manifest = await self.load(digest)
            except RegistryError:
                continue
            tags.append(Tag(name=tag, digest=digest))
            found[digest] = manifest
        tags.sort(key=lambda t: version_key(t.name), reverse=True)
        return Repository(
            name=self.name,
            tags=tuple(tags),
            manifests=dict(sorted(found.items())),
            description=self.description,
            total_tags=len(self.previous.tags),
            error=error,
            stale_since=self.previous.crawled_at or "an earlier build",
        )

    async def _assemble(
        self,
        resolved: dict[str, Manifest],
        fallback: dict[str, Manifest],
        listed: list[str],
        total: int,
    ) -> Repository:
        by_digest: dict[str, Manifest] = {}
        tags = []
        for name in sorted(resolved, key=version_key, reverse=True):
            manifest = resolved[name]
            tags.append(Tag(name=name, digest=manifest.digest))
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
        if self.referrers is not None:
            subjects = sorted(by_digest)
            answers = await asyncio.gather(
                *(self.referrers.fetch(self.name, digest) for digest in subjects)
            )
            for digest, found in zip(subjects, answers, strict=True):
                referrers.setdefault(digest, []).extend(found)
        return Repository(
            name=self.name,
            tags=tuple(tags),
            manifests=dict(sorted(by_digest.items())),
            referrers=supplychain.merged(referrers),
            description=self.description,
            total_tags=total,
            problems=tuple(sorted(self._problems)),
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
        assert self.session is not None
        try:
            head = await self.session.head_manifest(self.name, tag)
            if head.digest is None:
                # No usable Docker-Content-Digest: GET and hash (docs/protocol.md item 17).
                raw = await self.session.manifest(self.name, tag)
                self.cache.put(raw.digest, raw.data)
                return await self.load(raw.digest, raw)
            return await self.load(head.digest)
        except RegistryError as exc:
            return await self._tag_failed(tag, exc)
        finally:
            if count:
                self.ctx.progress.tags_done += 1

    async def _tag_failed(self, tag: str, exc: RegistryError) -> Manifest | None:
        """Show the digest the previous build saw, if its manifest is cached."""
        message = f"tag {tag}: {exc.detail}"
        known = self.previous.tags.get(tag) if self.previous else None
        if known is not None:
            try:
                manifest: Manifest | None = await self.load(known)
            except RegistryError:
                manifest = None
            if manifest is not None:
                self._problem(f"{message}; showing the digest from the last good crawl", exc)
                return manifest
        self._problem(message, exc)
        return None

    def _problem(self, message: str, exc: RegistryError) -> None:
        """A part of the repository that could not be read: on its page, and a failure
        for ``--strict`` and the build report."""
        self._problems.append(self.ctx.masker.text(message))
        self.ctx.fail(exc)

    # -- manifests ----------------------------------------------------------------------

    async def load(self, digest: str, raw: RawManifest | None = None) -> Manifest:
        """The model for ``digest``, built once however many tags and indexes ask."""
        return await self._loads.run(digest, lambda: self._load(digest, raw))

    async def _load(self, digest: str, raw: RawManifest | None) -> Manifest:
        raw = raw or await self._manifest(digest)
        if raw.media_type in mediatypes.INDEX_TYPES:
            return await self._index(raw)
        config_data = None
        problem = ""
        image_config = manifests.image_config_needed(raw.document)
        needed = image_config or manifests.artifact_config_wanted(raw.document)
        if needed is not None:
            try:
                config_data = await self._blob(needed.digest)
                self._check_config(config_data, image=image_config is not None)
            except RegistryError as exc:
                config_data = None
                problem = self.ctx.masker.text(f"config {needed.digest[:19]}: {exc.detail}")
                self._problem(f"manifest {digest[:19]}: {problem}", exc)
        image, secrets = manifests.image(
            raw.document,
            digest=digest,
            media_type=raw.media_type,
            raw=raw.data,
            config_data=config_data,
            problem=problem,
            masker=self.ctx.masker,
        )
        if secrets:
            self.ctx.secrets[digest] = secrets
        return image

    def _check_config(self, data: bytes, *, image: bool) -> None:
        """``ProtocolError`` for a config blob whose JSON cannot be used: shown as the
        image's problem (like a config that could not be fetched), not as an empty config.
        An image's config must be an object; an artifact's may be any JSON."""
        try:
            (jsonload.load_object if image else jsonload.load_usable)(data)
        except jsonload.JSONRefused as exc:
            raise ProtocolError(str(exc), registry=self.registry, repository=self.name) from None

    async def _index(self, raw: RawManifest) -> Index:
        masker = self.ctx.masker
        platforms, attestation_entries = self._shown_entries(raw.document)

        async def child(entry: Descriptor) -> tuple[Image | None, str]:
            try:
                found = await self.load(entry.digest)
            except RegistryError as exc:
                # docs/protocol.md item 19: a child that fails greys out one platform only.
                detail = masker.text(exc.detail)
                self._problem(f"platform {entry.digest[:19]}: {detail}", exc)
                return None, detail
            if isinstance(found, Index):
                return None, "nested index (not shown)"
            return found, ""

        async def attestation(entry: Descriptor) -> Mapping[str, Any] | None:
            try:
                fetched = await self._manifest(entry.digest)
            except RegistryError as exc:
                self._problem(f"attestation {entry.digest[:19]}: {exc.detail}", exc)
                return None
            return masker.document(fetched.document)[0]  # type: ignore[no-any-return]

        children = await asyncio.gather(*(child(e) for e in platforms))
        statements = await asyncio.gather(*(attestation(e) for e in attestation_entries))
        # What the platforms' configs hold secret is masked in the index too (an
        # annotation may repeat it); then the entries are read from the masked index.
        secrets = NO_SECRETS
        for entry in platforms:
            secrets = secrets | self.ctx.secrets.get(entry.digest, NO_SECRETS)
        data, document, redacted = manifests.publish(raw.data, raw.document, masker, secrets)
        platforms, attestation_entries = self._shown_entries(document)
        return Index(
            digest=raw.digest,
            media_type=raw.media_type,
            manifest_size=len(raw.data),
            entries=tuple(
                manifests.entry(entry, image, problem)
                for entry, (image, problem) in zip(platforms, children, strict=True)
            ),
            attestations=tuple(
                manifests.attestation(entry, statement)
                for entry, statement in zip(attestation_entries, statements, strict=True)
            ),
            annotations=manifests.string_map(document.get("annotations")),
            artifact_type=manifests.text(document.get("artifactType")),
            subject=manifests.subject_digest(document),
            raw=data,
            redacted=redacted,
        )

    def _shown_entries(
        self, document: Mapping[str, Any]
    ) -> tuple[list[Descriptor], list[Descriptor]]:
        """(platform entries, attestation entries) of an index that this crawl shows."""
        platforms, attestation_entries = manifests.split_index(document)
        if self.platforms:
            platforms = [
                e
                for e in platforms
                if e.platform is None or platform_matches(self.platforms, str(e.platform))
            ]
            shown = {e.digest for e in platforms}
            attestation_entries = [
                e
                for e in attestation_entries
                if e.annotations.get(manifests.REFERENCE_DIGEST) in shown
            ]
        return platforms, attestation_entries

    async def _manifest(self, digest: str) -> RawManifest:
        """A manifest by digest: from the cache, else one verified GET."""
        data = self.cache.get(digest)
        if data is not None:
            document = self._cached_document(digest, data)
            media_type, _ = mediatypes.resolve_media_type(None, document)
            return RawManifest(digest=digest, media_type=media_type, data=data, document=document)
        session = self.session
        if session is None:
            raise _not_cached(self.registry, self.name, digest)

        async def fetch() -> RawManifest:
            raw = await session.manifest(self.name, digest)
            self.cache.put(digest, raw.data)
            return raw

        return await self.ctx.shared(digest, fetch, self.registry)

    def _cached_document(self, digest: str, data: bytes) -> dict[str, Any]:
        """A cached manifest, parsed. Only a cache written by a version that accepted
        more than this one refuses to load can hold one that is unusable."""
        try:
            return jsonload.load_object(data)
        except jsonload.JSONRefused as exc:
            raise ProtocolError(
                f"cached manifest {digest[:19]}: {exc}",
                registry=self.registry,
                repository=self.name,
            ) from None

    async def _blob(self, digest: str) -> bytes:
        data = self.cache.get(digest)
        if data is not None:
            return data
        session = self.session
        if session is None:
            raise _not_cached(self.registry, self.name, digest)

        async def fetch() -> bytes:
            found = await session.blob(self.name, digest)
            self.cache.put(digest, found)
            return found

        return await self.ctx.shared(digest, fetch, self.registry)


def _not_cached(registry: str, repository: str, digest: str) -> RegistryError:
    return NotFoundError(
        f"{digest[:19]} is not in the cache", registry=registry, repository=repository
    )


def _matches(tag_filter: TagFilter, tag: str) -> bool:
    if tag_filter.include is not None and not tag_filter.include.search(tag):
        return False
    return not (tag_filter.exclude is not None and tag_filter.exclude.search(tag))
