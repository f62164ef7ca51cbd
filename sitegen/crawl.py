"""Config + client -> model. Failures are recorded in the model, never raised.

A registry that is down, a repository we may not read, a tag whose manifest is broken:
each becomes a message on its own page while everything else is still built. Where
the previous build saw the failed repository, its last good data is rebuilt from the
cache (no network) and shown marked stale.

Per tag the crawl sends one HEAD (Docker Hub does not count it as a pull) and GETs
only digests that neither this run nor the cache has seen (PROTOCOL.md 12). Every
manifest and config is fetched at most once per run, however many tags, platforms or
repositories share it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sitegen import changes, manifests, supplychain
from sitegen.cache import Cache
from sitegen.config import (
    Config,
    RegistryConfig,
    RepositoryConfig,
    TagFilter,
    platform_matches,
)
from sitegen.errors import NotFoundError, ProtocolError, RegistryError
from sitegen.masking import NO_SECRETS, Masker, Secrets
from sitegen.model import (
    Catalog,
    Change,
    Descriptor,
    Image,
    Index,
    Manifest,
    Referrer,
    Registry,
    Repository,
    Tag,
)
from sitegen.registry import jsonload, mediatypes
from sitegen.registry.client import RawManifest, RegistryClient, RegistrySession
from sitegen.state import HISTORY_LIMIT, RepositoryState, State
from sitegen.versions import is_version, newest_first, version_key

log = logging.getLogger("sitegen.crawl")

_T = TypeVar("_T")
VERBOSE = 15  # between DEBUG and INFO: one line per repository with -v


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


async def crawl(
    config: Config,
    client: RegistryClient,
    cache: Cache,
    *,
    state: State | None = None,
    progress: Progress | None = None,
    now: str = "",
) -> Outcome:
    """Crawl every configured registry in parallel. ``now`` stamps successful crawls."""
    context = _Context(cache, state or State(), progress or Progress(), now, config.site.masker)
    context.progress.registries_total = len(config.registries)
    context.started = asyncio.get_running_loop().time()
    context.build_budget = config.limits.build_time_budget
    outcome = Outcome(catalog=Catalog(title=config.site.title, registries=()))
    build_deadline = context.started + config.limits.build_time_budget
    registries = await asyncio.gather(
        *(
            _crawl_registry(
                rc,
                client[rc.name],
                context,
                outcome,
                min(context.started + rc.time_budget, build_deadline),
            )
            for rc in config.registries
        )
    )
    outcome.changes = changes.compute(context.state, outcome.fresh, outcome.listed, now)
    history = (*sorted(outcome.changes, reverse=True), *context.state.history)
    outcome.catalog = Catalog(
        title=config.site.title,
        url=config.site.url,
        description=(
            context.masker.text(config.site.description) if config.site.description else None
        ),
        registries=tuple(registries),
        changes=history[:HISTORY_LIMIT],
        previous=await _previous_digests(config, context, registries, history),
        rate_limits=dict(client.stats.rate_limit),
    )
    return outcome


async def _previous_digests(
    config: Config, ctx: _Context, registries: list[Registry], history: Iterable[Change]
) -> dict[str, Manifest]:
    """The manifests moved tags pointed to before, from the cache, for diff pages."""
    shown = {
        digest
        for registry in registries
        for repo in registry.repositories
        for digest in repo.manifests
    }
    wanted: dict[tuple[str, str], set[str]] = {}
    for change in history:
        if change.kind == "tag-moved" and change.old not in shown:
            wanted.setdefault((change.registry, change.repository), set()).add(change.old)
    by_name = {rc.name: rc for rc in config.registries}
    found: dict[str, Manifest] = {}
    for (registry, repository), digests in sorted(wanted.items()):
        if registry not in by_name:
            continue
        loader = _RepositoryCrawler(
            by_name[registry], None, RepositoryConfig(name=repository), ctx, None
        )
        for digest in sorted(digests):
            with contextlib.suppress(RegistryError):
                found[digest] = await loader.load(digest)
    return found


@dataclass
class _Context:
    cache: Cache
    state: State
    progress: Progress
    now: str
    masker: Masker
    # Digest -> the fetch under way. Content is addressed by digest, so repositories
    # holding the same manifests (mirrors, promotion between environments) crawled at
    # the same time share one GET instead of each missing the cache.
    fetching: dict[str, asyncio.Task[Any]] = field(default_factory=dict)
    # Digest -> the secret values found in that image's config, to mask them in the
    # index that holds it. Only in memory, never in the model or on disk.
    secrets: dict[str, Secrets] = field(default_factory=dict)
    # Registry -> its fetches under way, cancelled when it runs out of time.
    owned: dict[str, set[asyncio.Task[Any]]] = field(default_factory=dict)
    started: float = 0.0  # the crawl's start on the loop's clock
    build_budget: float = 0.0

    def cancel_fetches(self, registry: str) -> None:
        """Stop the shared fetches a registry started (it ran out of time)."""
        for task in self.owned.pop(registry, set()):
            task.cancel()

    def fail(self, exc: RegistryError) -> str:
        """Record a failure; its message, masked like every registry string."""
        message = self.masker.text(str(exc))
        self.progress.fail(message)
        return message

    async def shared(self, digest: str, fetch: Callable[[], Awaitable[_T]], registry: str) -> _T:
        """``fetch()``, or the result of the same digest's fetch already under way.

        A fetch that fails elsewhere is not our failure (another repository may be
        denied or broken, another registry out of time): then we fetch for ourselves.
        """
        pending = self.fetching.get(digest)
        if pending is not None:
            try:
                found: _T = await asyncio.shield(pending)
                return found
            except RegistryError:
                pass
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # we were cancelled, not the fetch we waited for
        task = asyncio.ensure_future(fetch())
        self.fetching[digest] = task
        owned = self.owned.setdefault(registry, set())
        owned.add(task)
        task.add_done_callback(owned.discard)
        try:
            # Shielded: if this repository's crawl is cancelled, the others still wait.
            return await asyncio.shield(task)
        finally:
            if self.fetching.get(digest) is task:
                del self.fetching[digest]


async def _crawl_registry(
    rc: RegistryConfig, session: RegistrySession, ctx: _Context, outcome: Outcome, deadline: float
) -> Registry:
    """One registry, within its time budget (``deadline`` on the loop's clock).

    Out of time, the repositories already crawled are kept, the others show their last
    good data, and the registry is failed, like any registry that could not be crawled.
    """
    listed = rc.repositories is None
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout_at(deadline):
            await session.login()
            repo_configs = rc.repositories
            if repo_configs is None:
                names = [n for n in await session.catalog() if rc.discovers(n)]
                outcome.listed[rc.name] = tuple(names)
                repo_configs = tuple(RepositoryConfig(name=n) for n in names)
    except (RegistryError, TimeoutError) as exc:
        if isinstance(exc, RegistryError):
            message = ctx.fail(exc)
        else:
            ctx.cancel_fetches(rc.name)
            message = _out_of_time(rc, ctx, deadline)
        ctx.progress.registries_done += 1
        return Registry(
            name=rc.name,
            url=rc.url,
            pull_host=rc.pull_host,
            repositories=await _stale_registry(rc, ctx, message),
            error=message,
            catalog_listed=listed,
        )
    ctx.progress.repositories_total += len(repo_configs)
    referrers = _ReferrersSupport(session, ctx.masker)
    runs = {
        asyncio.ensure_future(_RepositoryCrawler(rc, session, repo, ctx, referrers).run(outcome)): (
            repo
        )
        for repo in repo_configs
    }
    error = ""
    crawled: list[Repository] = []
    if runs:
        done, pending = await asyncio.wait(runs, timeout=max(0.0, deadline - loop.time()))
        crawled = [task.result() for task in done]
        if pending:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            ctx.cancel_fetches(rc.name)
            error = _out_of_time(rc, ctx, deadline, len(pending), len(runs))
            for task in pending:
                offline = _RepositoryCrawler(rc, None, runs[task], ctx, None)
                crawled.append(await offline.offline(error))
    ctx.progress.registries_done += 1
    # Credentials refused half-way (a token revoked during the crawl): the repositories
    # after it show their last good data, and the registry as a whole has failed.
    refused = session.refused
    if refused is not None and not error:
        error = ctx.masker.text(str(refused))
    return Registry(
        name=rc.name,
        url=rc.url,
        pull_host=rc.pull_host,
        repositories=tuple(sorted(crawled, key=lambda r: r.name)),
        error=error,
        catalog_listed=listed,
    )


def _out_of_time(
    rc: RegistryConfig, ctx: _Context, deadline: float, left: int = 0, total: int = 0
) -> str:
    """The failure of a registry whose crawl ran out of its time budget."""
    budget = rc.time_budget
    which = f"its time budget of {budget:g} s (time_budget)"
    if deadline < ctx.started + budget:
        which = f"the build's time budget of {ctx.build_budget:g} s (limits.build_time_budget)"
    message = f"{rc.name}: the crawl did not finish within {which}"
    if total:
        message += f"; {left} of {total} repositories not crawled, shown from the last good crawl"
    ctx.progress.fail(message)
    return message


async def _stale_registry(rc: RegistryConfig, ctx: _Context, error: str) -> tuple[Repository, ...]:
    """The last good data of a registry that failed as a whole, from the cache."""
    wanted = {r.name: r for r in rc.repositories} if rc.repositories is not None else None
    found = []
    for (registry, name), _ in sorted(ctx.state.repositories.items()):
        if registry != rc.name or (wanted is not None and name not in wanted):
            continue
        repo = wanted[name] if wanted is not None else RepositoryConfig(name=name)
        found.append(await _RepositoryCrawler(rc, None, repo, ctx, None).offline(error))
    return tuple(found)


class _ReferrersSupport:
    """Whether the registry has the referrers API, learned from the first call.

    distribution 2.8 answers 404: after that first answer no more referrers requests
    are sent in this run (PROTOCOL.md 21).
    """

    def __init__(self, session: RegistrySession, masker: Masker) -> None:
        self.session = session
        self.masker = masker
        self.supported: bool | None = None
        self._probe = asyncio.Lock()

    async def fetch(self, repository: str, digest: str) -> list[Referrer]:
        if self.supported is False:
            return []
        if self.supported is None:
            async with self._probe:
                if self.supported is None:
                    found = await self._ask(repository, digest)
                    self.supported = found is not None
                    return self._referrers(found)
        if not self.supported:
            return []
        return self._referrers(await self._ask(repository, digest))

    def _referrers(self, found: list[dict[str, object]] | None) -> list[Referrer]:
        masked, _ = self.masker.document(found or [])
        return supplychain.from_descriptors(masked, "referrers API")

    async def _ask(self, repository: str, digest: str) -> list[dict[str, object]] | None:
        try:
            return await self.session.referrers(repository, digest)
        except RegistryError as exc:
            log.debug("%s", exc)
            return None


class _RepositoryCrawler:
    """Crawls one repository; fetches each digest once however many tags share it.

    With ``session=None`` it works offline from the cache (stale data).
    """

    def __init__(
        self,
        rc: RegistryConfig,
        session: RegistrySession | None,
        repo: RepositoryConfig,
        ctx: _Context,
        referrers: _ReferrersSupport | None,
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
        self._loads: dict[str, asyncio.Future[Manifest]] = {}
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
                # No usable Docker-Content-Digest: GET and hash (PROTOCOL.md 17).
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

    def load(self, digest: str, raw: RawManifest | None = None) -> Awaitable[Manifest]:
        """The model for ``digest``; concurrent callers share one fetch."""
        task = self._loads.get(digest)
        if task is None:
            task = asyncio.ensure_future(self._load(digest, raw))
            self._loads[digest] = task
        return task

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
        image's problem (like a config that could not be fetched), not as an empty config."""
        try:
            document = jsonload.load(data)
        except jsonload.JSONRefused as exc:
            detail = f"not usable JSON: {exc}"
        else:
            if not image or isinstance(document, dict):
                return
            detail = "not a JSON object"
        raise ProtocolError(detail, registry=self.registry, repository=self.name)

    async def _index(self, raw: RawManifest) -> Index:
        masker = self.ctx.masker
        platforms, attestation_entries = self._shown_entries(raw.document)

        async def child(entry: Descriptor) -> tuple[Image | None, str]:
            try:
                found = await self.load(entry.digest)
            except RegistryError as exc:
                # PROTOCOL.md 19: a child that fails greys out one platform only.
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
            document = jsonload.load(data)
        except jsonload.JSONRefused as exc:
            detail = f"not usable JSON: {exc}"
        else:
            if isinstance(document, dict):
                return document
            detail = "not a JSON object"
        raise ProtocolError(
            f"cached manifest {digest[:19]}: {detail}", registry=self.registry, repository=self.name
        )

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
