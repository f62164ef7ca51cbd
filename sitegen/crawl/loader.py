"""A repository's manifests by digest -> model objects, each digest built once.

``ManifestLoader`` turns a digest into an ``Image`` (with its config) or an ``Index``
(with its platforms and attestations), whatever number of tags and indexes ask for
it, and rebuilds a repository from the tags its last good crawl saw (``stale``).
What the cache lacks comes from ``_fetch_manifest`` and ``_fetch_blob``: the
``RepositoryCrawler`` (``repository.py``) asks the registry, the ``OfflineLoader``
has nowhere to ask and only reads the cache (a registry that failed or ran out of
time, the manifests moved tags pointed to before).
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sitegen.config import RegistryConfig, RepositoryConfig, platform_matches
from sitegen.crawl import seen
from sitegen.crawl.context import CrawlContext, reason
from sitegen.crawl.supplychain import SupplyChainReader
from sitegen.errors import NotFoundError, ProtocolError, RegistryError
from sitegen.model import (
    Descriptor,
    Image,
    Index,
    Manifest,
    Problem,
    Repository,
    Tag,
    platform_label,
)
from sitegen.oci import jsonload, kinds, manifests, mediatypes, supplychain
from sitegen.oci.masking import NO_SECRETS
from sitegen.oci.versions import version_key
from sitegen.registry.client import RawManifest, RegistrySession
from sitegen.registry.flight import SingleFlight
from sitegen.supplychain_model import Referrer

_NESTED = "nested index (not shown)"  # an index's platform that is an index itself


@dataclass(frozen=True, slots=True)
class Trouble:
    """One failure as the crawl meets it: its cause, and the tag or digest it hit."""

    cause: str
    tag: str = ""
    digest: str = ""


class ManifestLoader(abc.ABC):
    """Builds one repository's manifests from the cache, and from ``_fetch_*`` what
    the cache lacks."""

    def __init__(self, rc: RegistryConfig, repo: RepositoryConfig, ctx: CrawlContext) -> None:
        self.registry = rc.name
        self.name = repo.name
        self.ctx = ctx
        self.cache = ctx.cache
        self.platforms = repo.platforms if repo.platforms is not None else rc.platforms
        self.previous = ctx.state.repositories.get((rc.name, repo.name))
        # Kept for the whole crawl, failures too: a digest that failed once fails
        # everywhere in this repository without being asked for again.
        self._loads: SingleFlight[str, Manifest] = SingleFlight(keep=True)
        self._troubles: list[Trouble] = []
        # The config's description is the user's own text, but it is published too.
        self.description = (
            ctx.masker.text(repo.description) if repo.description is not None else None
        )
        self.recommended_tag = repo.recommended_tag
        self.supply_chain = self._supply_chain_reader(None)

    def _supply_chain_reader(self, session: RegistrySession | None) -> SupplyChainReader:
        """The reader of this repository's supply-chain documents; with no ``session``,
        of what the cache holds."""
        return SupplyChainReader(
            session,
            self.registry,
            self.name,
            self.ctx,
            lambda cause, exc, digest: self._problem(cause, exc, digest=digest),
        )

    @abc.abstractmethod
    async def _fetch_manifest(self, digest: str) -> RawManifest:
        """A manifest the cache lacks (``NotFoundError`` where there is nowhere to ask)."""

    @abc.abstractmethod
    async def _fetch_blob(self, digest: str) -> bytes:
        """A blob the cache lacks (``NotFoundError`` where there is nowhere to ask)."""

    async def stale(self, error: str) -> Repository:
        """The tags of the last good crawl with what can still be loaded of them, marked
        stale; or just the error when no earlier build saw the repository."""
        if self.previous is None:
            return Repository(
                name=self.name,
                description=self.description,
                recommended_tag=self.recommended_tag,
                error=error,
            )
        tags: list[Tag] = []
        found: dict[str, Manifest] = {}
        record = seen.kept(self.previous)
        for tag, digest in sorted(self.previous.tags.items()):
            try:
                manifest = await self.load(digest)
            except RegistryError:
                continue
            tags.append(seen.with_first_seen(Tag(tag, digest), record, None, self.ctx.now))
            found[digest] = manifest
        tags.sort(key=lambda t: version_key(t.name), reverse=True)
        # What the last good crawl found about them, read again from the cache alone.
        await self._read_attestations(found)
        known = {s: list(r) for s, r in self.previous.referrers.items()}
        read = await self._read_referrers(known, found)
        return Repository(
            name=self.name,
            tags=tuple(tags),
            manifests=dict(sorted(found.items())),
            referrers=supplychain.merged({s: r for s, r in read.items() if s in known}),
            description=self.description,
            recommended_tag=self.recommended_tag,
            total_tags=len(self.previous.tags),
            error=error,
            stale_since=self.previous.crawled_at or "an earlier build",
        )

    async def _read_attestations(self, by_digest: dict[str, Manifest]) -> None:
        """The BuildKit attestations of the indexes in ``by_digest``, with their
        provenance and SBOMs read once per digest, side by side (replaced in place)."""
        attested = [m for m in by_digest.values() if isinstance(m, Index) and m.attestations]
        done = await asyncio.gather(
            *(self.supply_chain.attestation(a) for m in attested for a in m.attestations)
        )
        for manifest in attested:
            count = len(manifest.attestations)
            mine, done = done[:count], done[count:]
            by_digest[manifest.digest] = dataclasses.replace(manifest, attestations=tuple(mine))

    async def _read_referrers(
        self, referrers: dict[str, list[Referrer]], shown: dict[str, Manifest]
    ) -> dict[str, list[Referrer]]:
        """The documents of the referrers of what is shown (the tags' manifests and their
        platforms), each read once; the others are kept as found, unread."""
        subjects = shown_digests(shown)
        wanted = [(s, r) for s, found in referrers.items() if s in subjects for r in found]
        read = await asyncio.gather(*(self.supply_chain.read(r) for _, r in wanted))
        result = {s: found for s, found in referrers.items() if s not in subjects}
        for (subject, _), referrer in zip(wanted, read, strict=True):
            result.setdefault(subject, []).append(referrer)
        return result

    def _problem(self, cause: str, exc: RegistryError, *, tag: str = "", digest: str = "") -> None:
        """A part of the repository that could not be read: on its page (each cause
        once, ``problems``), and a failure for ``--strict`` and the build report."""
        self._troubles.append(Trouble(self.ctx.masker.message(cause), tag=tag, digest=digest))
        self.ctx.fail(exc)

    def problems(self, tags: Mapping[str, Manifest]) -> tuple[Problem, ...]:
        """Each cause once, naming the tags (of ``tags``: tag -> its manifest) and the
        platforms it affects."""
        reached: dict[str, set[tuple[str, str]]] = {}  # digest -> {(tag, platform)}
        for tag, manifest in tags.items():
            reached.setdefault(manifest.digest, set()).add((tag, ""))
            if isinstance(manifest, Index):
                for entry in manifest.entries:
                    where = (tag, platform_label(entry.platform))
                    reached.setdefault(entry.descriptor.digest, set()).add(where)
                for attestation in manifest.attestations:
                    reached.setdefault(attestation.descriptor.digest, set()).add((tag, ""))
        hit: dict[str, tuple[set[str], set[str]]] = {}
        for trouble in self._troubles:
            names, platforms = hit.setdefault(trouble.cause, (set(), set()))
            if trouble.tag:
                names.add(trouble.tag)
            for tag, platform in reached.get(trouble.digest, ()):
                names.add(tag)
                if platform:
                    platforms.add(platform)
        mask = self.ctx.masker.text
        return tuple(
            sorted(
                Problem(
                    cause=cause,
                    tags=tuple(mask(t) for t in sorted(names, key=version_key, reverse=True)),
                    platforms=tuple(mask(p) for p in sorted(platforms)),
                )
                for cause, (names, platforms) in hit.items()
            )
        )

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
                config_data = await self._config(needed.digest, image=image_config is not None)
            except RegistryError as exc:
                config_data = None
                problem = self.ctx.masker.message(f"config {needed.digest[:19]}: {exc.detail}")
                self._problem(f"config blob could not be read: {reason(exc)}", exc, digest=digest)
        key = (digest, raw.media_type)
        if not problem and key in self.ctx.built.images:
            return self.ctx.built.images[key]  # its secrets are in ctx.secrets already
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
        if not problem:
            self.ctx.built.images[key] = image
        return image

    async def _config(self, digest: str, *, image: bool) -> bytes:
        """A config blob, verified and checked once per build (``context.Built``)."""
        key = (digest, image)
        data = self.ctx.built.configs.get(key)
        if data is not None:
            self.cache.hit(digest)
            return data
        data = await self._blob(digest)
        self._check_config(data, image=image)
        self.ctx.built.configs[key] = data
        return data

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
                detail = masker.message(exc.detail)
                cause = f"platform manifest could not be read: {reason(exc)}"
                self._problem(cause, exc, digest=entry.digest)
                return None, detail
            if isinstance(found, Index):
                return None, _NESTED
            return found, ""

        async def attestation(entry: Descriptor) -> Mapping[str, Any] | None:
            try:
                fetched = await self._manifest(entry.digest)
            except RegistryError as exc:
                cause = f"attestation manifest could not be read: {reason(exc)}"
                self._problem(cause, exc, digest=entry.digest)
                return None
            return masker.document(fetched.document)[0]  # type: ignore[no-any-return]

        children = await asyncio.gather(*(child(e) for e in platforms))
        statements = await asyncio.gather(*(attestation(e) for e in attestation_entries))
        # Shared with other repositories only when nothing in it is this repository's
        # own: every platform and attestation read, none with a problem.
        key = (raw.digest, raw.media_type, self.platforms)
        clean = all(s is not None for s in statements) and all(
            problem == _NESTED if image is None else not image.problem
            for image, problem in children
        )
        if clean and key in self.ctx.built.indexes:
            return self.ctx.built.indexes[key]
        # What the platforms' configs hold secret is masked in the index too (an
        # annotation may repeat it); then the entries are read from the masked index.
        secrets = NO_SECRETS
        for entry in platforms:
            secrets = secrets | self.ctx.secrets.get(entry.digest, NO_SECRETS)
        data, document, redacted = manifests.publish(raw.data, raw.document, masker, secrets)
        platforms, attestation_entries = self._shown_entries(document)
        index = Index(
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
            kind=kinds.manifest_kind(
                raw.media_type, artifact_type=manifests.text(document.get("artifactType"))
            ),
        )
        if clean:
            self.ctx.built.indexes[key] = index
        return index

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
        """A manifest by digest: from the cache (read, verified and parsed once per build:
        ``context.Built``), else ``_fetch_manifest``."""
        kept = self.ctx.built.manifests.get(digest)
        if kept is not None:
            self.cache.hit(digest)
            return kept
        data = self.cache.get(digest)
        if data is None:
            return await self._fetch_manifest(digest)
        document = self._cached_document(digest, data)
        media_type, _ = mediatypes.resolve_media_type(None, document)
        raw = RawManifest(digest=digest, media_type=media_type, data=data, document=document)
        self.ctx.built.manifests[digest] = raw
        return raw

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
        """A blob by digest: from the cache, else ``_fetch_blob``."""
        data = self.cache.get(digest)
        if data is not None:
            return data
        return await self._fetch_blob(digest)


class OfflineLoader(ManifestLoader):
    """A repository's last good data from the cache alone, for a registry that cannot
    be asked (it failed or ran out of time) and for manifests no tag points to any more."""

    async def _fetch_manifest(self, digest: str) -> RawManifest:
        raise self._not_cached(digest)

    async def _fetch_blob(self, digest: str) -> bytes:
        raise self._not_cached(digest)

    def _not_cached(self, digest: str) -> RegistryError:
        return NotFoundError(
            f"{digest[:19]} is not in the cache", registry=self.registry, repository=self.name
        )


def shown_digests(shown: Mapping[str, Manifest]) -> set[str]:
    """The digests a reader sees: the tags' manifests and their platforms."""
    subjects = set(shown)
    for manifest in shown.values():
        if isinstance(manifest, Index):
            subjects.update(e.descriptor.digest for e in manifest.entries)
    return subjects


def remembered(referrers: Mapping[str, tuple[Referrer, ...]]) -> dict[str, tuple[Referrer, ...]]:
    """What the state keeps of a repository's referrers: where each is (digest, kind,
    source, tag), enough to read it again from the cache."""
    kept = {
        subject: tuple(
            Referrer(digest=r.digest, kind=r.kind, source=r.source, tag=r.tag)
            for r in found
            if r.digest
        )
        for subject, found in referrers.items()
    }
    return {subject: found for subject, found in sorted(kept.items()) if found}
