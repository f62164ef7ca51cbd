"""Config + client -> model. Failures are recorded in the model, never raised.

A registry that is down, a repository we may not read, a tag whose manifest is broken:
each becomes a message on its own page while everything else is still built.

Per tag the crawl sends one HEAD (Docker Hub does not count it as a pull) and GETs
only digests that neither this run nor the cache has seen (PROTOCOL.md 12). Every
manifest and config is fetched at most once per run, however many tags, platforms or
repositories share it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sitegen import manifests
from sitegen.cache import Cache
from sitegen.config import Config, RegistryConfig, RepositoryConfig, TagFilter
from sitegen.errors import RegistryError
from sitegen.model import (
    Catalog,
    Descriptor,
    Index,
    IndexEntry,
    Manifest,
    Referrer,
    Registry,
    Repository,
    Tag,
)
from sitegen.registry import mediatypes
from sitegen.registry.client import RawManifest, RegistryClient, RegistrySession
from sitegen.versions import is_version, newest_first, version_key

log = logging.getLogger("sitegen.crawl")
VERBOSE = 15  # between DEBUG and INFO: one line per repository with -v

# cosign stores signatures, attestations and SBOMs under tags named after the subject;
# the OCI referrers tag schema uses the bare form. Neither is a version of the image.
SUPPLY_CHAIN_TAG_RE = re.compile(r"(sha256)-([a-f0-9]{64})(?:\.(sig|att|sbom))?")
_TAG_KIND = {"sig": "signature", "att": "attestation", "sbom": "sbom"}


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


async def crawl(
    config: Config, client: RegistryClient, cache: Cache, progress: Progress | None = None
) -> Catalog:
    """Crawl every configured registry in parallel."""
    progress = progress or Progress()
    progress.registries_total = len(config.registries)
    registries = await asyncio.gather(
        *(_crawl_registry(rc, client[rc.name], cache, progress) for rc in config.registries)
    )
    return Catalog(
        title=config.site.title,
        url=config.site.url,
        description=config.site.description,
        registries=tuple(registries),
    )


async def _crawl_registry(
    rc: RegistryConfig, session: RegistrySession, cache: Cache, progress: Progress
) -> Registry:
    def done(result: Registry) -> Registry:
        progress.registries_done += 1
        if result.error:
            progress.failures.append(result.error)
            log.error("%s", result.error)
        return result

    base = Registry(name=rc.name, url=rc.url, pull_host=rc.pull_host)
    try:
        await session.ping()
        listed = rc.repositories is None
        repo_configs = rc.repositories
        if repo_configs is None:
            repo_configs = tuple(RepositoryConfig(name=n) for n in await session.catalog())
    except RegistryError as exc:
        return done(Registry(name=rc.name, url=rc.url, pull_host=rc.pull_host, error=str(exc)))
    progress.repositories_total += len(repo_configs)
    repositories = await asyncio.gather(
        *(
            _RepositoryCrawler(session, cache, repo, rc.tags, progress).run()
            for repo in repo_configs
        )
    )
    return done(
        Registry(
            name=base.name,
            url=base.url,
            pull_host=base.pull_host,
            repositories=tuple(sorted(repositories, key=lambda r: r.name)),
            catalog_listed=listed,
        )
    )


class _RepositoryCrawler:
    """Crawls one repository; fetches each digest once however many tags share it."""

    def __init__(
        self,
        session: RegistrySession,
        cache: Cache,
        repo: RepositoryConfig,
        registry_filter: TagFilter,
        progress: Progress,
    ) -> None:
        self.session = session
        self.cache = cache
        self.repo = repo
        self.name = repo.name
        self.filter = repo.tags.merged_over(registry_filter)
        self.progress = progress
        self._loads: dict[str, asyncio.Task[Manifest]] = {}
        self._problems: list[str] = []

    async def run(self) -> Repository:
        try:
            listed = await self.session.tags(self.name)
        except RegistryError as exc:
            self.progress.repositories_done += 1
            self.progress.failures.append(str(exc))
            log.error("%s", exc)
            return Repository(name=self.name, description=self.repo.description, error=str(exc))
        plain = [t for t in listed if not SUPPLY_CHAIN_TAG_RE.fullmatch(t)]
        referrers = _referrers_from_tags(listed)
        candidates = [t for t in plain if _matches(self.filter, t)]
        resolved = await self._select(candidates)
        manifests_by_digest: dict[str, Manifest] = {}
        tags = []
        for name in sorted(resolved, key=version_key, reverse=True):
            manifest = resolved[name]
            tags.append(Tag(name=name, digest=manifest.digest))
            manifests_by_digest[manifest.digest] = manifest
        self.progress.repositories_done += 1
        log.log(
            VERBOSE, "%s/%s: %d of %d tags", self.session.name, self.name, len(tags), len(plain)
        )
        return Repository(
            name=self.name,
            tags=tuple(tags),
            manifests=dict(sorted(manifests_by_digest.items())),
            referrers=referrers,
            description=self.repo.description,
            total_tags=len(plain),
            problems=tuple(sorted(self._problems)),
        )

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
        if limit is not None and len(resolved) > limit:
            keep = newest_first(list(resolved), lambda t: resolved[t].created)[:limit]
            resolved = {t: resolved[t] for t in keep}
        return resolved

    async def _resolve_all(self, tags: list[str]) -> dict[str, Manifest]:
        self.progress.tags_total += len(tags)
        results = await asyncio.gather(*(self._resolve(t) for t in tags))
        return {tag: manifest for tag, manifest in zip(tags, results, strict=True) if manifest}

    async def _resolve(self, tag: str) -> Manifest | None:
        try:
            head = await self.session.head_manifest(self.name, tag)
            if head.digest is None:
                # No usable Docker-Content-Digest: GET and hash (PROTOCOL.md 17).
                raw = await self.session.manifest(self.name, tag)
                self.cache.put(raw.digest, raw.data)
                return await self.load(raw.digest, raw)
            return await self.load(head.digest)
        except RegistryError as exc:
            self._problems.append(f"tag {tag}: {exc.detail}")
            log.warning("%s", exc)
            return None
        finally:
            self.progress.tags_done += 1

    def load(self, digest: str, raw: RawManifest | None = None) -> Awaitable[Manifest]:
        """The model for ``digest``; concurrent callers share one fetch."""
        task = self._loads.get(digest)
        if task is None:
            task = asyncio.ensure_future(self._load(digest, raw))
            self._loads[digest] = task
        return task

    async def _load(self, digest: str, raw: RawManifest | None) -> Manifest:
        raw = raw or await self._manifest(digest)
        document = raw.document
        if raw.media_type in mediatypes.INDEX_TYPES:
            return await self._index(raw)
        config_data = None
        problem = ""
        needed = manifests.image_config_needed(document)
        if needed is not None:
            try:
                config_data = await self._blob(needed.digest)
            except RegistryError as exc:
                problem = f"config {needed.digest[:19]}: {exc.detail}"
                self._problems.append(f"manifest {digest[:19]}: {problem}")
        return manifests.image(
            document,
            digest=digest,
            media_type=raw.media_type,
            raw=raw.data,
            config_data=config_data,
            problem=problem,
        )

    async def _index(self, raw: RawManifest) -> Index:
        platforms, attestation_entries = manifests.split_index(raw.document)

        async def child(entry: Descriptor) -> IndexEntry:
            try:
                found = await self.load(entry.digest)
            except RegistryError as exc:
                # PROTOCOL.md 19: a child that fails greys out one platform only.
                self._problems.append(f"platform {entry.digest[:19]}: {exc.detail}")
                return manifests.entry(entry, None, exc.detail)
            if isinstance(found, Index):
                return manifests.entry(entry, None, "nested index (not shown)")
            return manifests.entry(entry, found)

        async def attestation(entry: Descriptor) -> Any:
            try:
                fetched = await self._manifest(entry.digest)
            except RegistryError as exc:
                self._problems.append(f"attestation {entry.digest[:19]}: {exc.detail}")
                return manifests.attestation(entry, None)
            return manifests.attestation(entry, fetched.document)

        entries = await asyncio.gather(*(child(e) for e in platforms))
        attestations = await asyncio.gather(*(attestation(e) for e in attestation_entries))
        return Index(
            digest=raw.digest,
            media_type=raw.media_type,
            manifest_size=len(raw.data),
            entries=tuple(entries),
            attestations=tuple(attestations),
            annotations=manifests.string_map(raw.document.get("annotations")),
            artifact_type=manifests.text(raw.document.get("artifactType")),
            subject=manifests.subject_digest(raw.document),
            raw=raw.data,
        )

    async def _manifest(self, digest: str) -> RawManifest:
        """A manifest by digest: from the cache, else one verified GET."""
        data = self.cache.get(digest)
        if data is not None:
            document = mediatypes.parse_json(data)
            media_type, _ = mediatypes.resolve_media_type(None, document)
            return RawManifest(digest=digest, media_type=media_type, data=data, document=document)
        raw = await self.session.manifest(self.name, digest)
        self.cache.put(digest, raw.data)
        return raw

    async def _blob(self, digest: str) -> bytes:
        data = self.cache.get(digest)
        if data is None:
            data = await self.session.blob(self.name, digest)
            self.cache.put(digest, data)
        return data


def _matches(tag_filter: TagFilter, tag: str) -> bool:
    if tag_filter.include is not None and not tag_filter.include.search(tag):
        return False
    return not (tag_filter.exclude is not None and tag_filter.exclude.search(tag))


def _referrers_from_tags(tags: list[str]) -> Mapping[str, tuple[Referrer, ...]]:
    """cosign ``sha256-<hex>.sig/.att/.sbom`` tags, attached to their subject for free.

    PROTOCOL.md 21: they are in the tag list we already have - no extra request.
    """
    found: dict[str, list[Referrer]] = {}
    for tag in tags:
        match = SUPPLY_CHAIN_TAG_RE.fullmatch(tag)
        if match is None or match.group(3) is None:
            continue
        subject = f"{match.group(1)}:{match.group(2)}"
        kind = _TAG_KIND[match.group(3)]
        found.setdefault(subject, []).append(
            Referrer(digest="", kind=kind, source=f"cosign tag {tag}", tag=tag)
        )
    return {k: tuple(sorted(v, key=lambda r: r.tag)) for k, v in sorted(found.items())}
