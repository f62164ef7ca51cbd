"""Config + client -> model. Failures are recorded in the model, never raised.

A registry that is down, a repository we may not read, a tag whose manifest is broken:
each becomes a message on its own page while everything else is still built. Where
the previous build saw the failed repository, its last good data is rebuilt from the
cache and shown marked stale (``loader.OfflineLoader``: not a request to a registry
that failed or ran out of time).

Per tag the crawl sends one HEAD (Docker Hub does not count it as a pull) and GETs
only digests that neither this run nor the cache has seen (docs/protocol.md item 12). Every
manifest and config is fetched at most once per run, however many tags, platforms or
repositories share it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Iterable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from sitegen.config import (
    Config,
    RegistryConfig,
    RepositoryConfig,
)
from sitegen.crawl import bases, changes
from sitegen.crawl.cache import Cache
from sitegen.crawl.context import CrawlContext, Handover, Outcome, Progress, Shard
from sitegen.crawl.loader import OfflineLoader
from sitegen.crawl.repository import ReferrersSupport, RepositoryCrawler
from sitegen.crawl.state import HISTORY_LIMIT, RegistryRun, State
from sitegen.crawl.vendor import VendorListings
from sitegen.errors import RegistryError
from sitegen.model import (
    Catalog,
    Change,
    Manifest,
    Registry,
    Repository,
    repository_changes,
)
from sitegen.registry import slots
from sitegen.registry.client import RegistryClient, RegistrySession
from sitegen.registry.vendors import discover

log = logging.getLogger("sitegen.crawl")
T = TypeVar("T")

# Repositories crawled at once, per request the registry may have in flight.
REPOSITORIES_PER_REQUEST = 4
# Likely copies handed over together at most (``_Copies``).
COPIES_AT_ONCE = 8

# Where a registry's repositories came from: ``Registry.listed_by`` and ``listed_from``.
Listing = tuple[str, tuple[tuple[str, str], ...]]


async def crawl(
    config: Config,
    client: RegistryClient,
    cache: Cache,
    *,
    state: State | None = None,
    progress: Progress | None = None,
    now: str = "",
    shard: Shard | None = None,
    on_repositories: Handover | None = None,
) -> Outcome:
    """Crawl every configured registry in parallel (with a ``shard``, only its share of
    the repositories). ``now`` stamps successful crawls; ``on_repositories`` is given the
    repositories as their crawl ends, likely copies of one another together."""
    context = CrawlContext(cache, state or State(), progress or Progress(), now, config.site.masker)
    context.shard = shard
    context.on_repositories = on_repositories
    context.progress.registries_total = len(config.registries)
    context.started = asyncio.get_running_loop().time()
    context.build_budget = config.limits.build_time_budget
    context.supply_chain_cap = config.limits.supply_chain_bytes
    context.sbom_cap = config.limits.sbom_bytes
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
    found = changes.compute(context.state, outcome.fresh, outcome.listed, now)
    history = (*sorted(found, reverse=True), *context.state.history)
    catalog = Catalog(
        title=config.site.title,
        url=config.site.url,
        description=(
            context.masker.text(config.site.description) if config.site.description else None
        ),
        registries=tuple(registries),
        changes=history[:HISTORY_LIMIT],
        previous=await _previous_digests(config, context, registries, history),
        rate_limits=dict(client.stats.rate_limit),
        default_platform=config.site.default_platform,
        built=now,
    )
    # Bases over the whole catalog, then the images whose base moved in this build.
    found_bases = bases.find_bases(catalog, context.masker)
    moves = bases.base_moves(found_bases, catalog, found, now)
    outcome.changes = [*found, *moves]
    history = (*sorted(outcome.changes, reverse=True), *context.state.history)
    outcome.catalog = replace(catalog, bases=found_bases, changes=history[:HISTORY_LIMIT])
    return outcome


async def _previous_digests(
    config: Config, ctx: CrawlContext, registries: list[Registry], history: Iterable[Change]
) -> dict[str, Manifest]:
    """The manifests moved tags pointed to before, from the cache, for diff pages: those
    the tag's repository no longer shows (another repository may still)."""
    shown = {
        (registry.name, repo.name): repo.manifests
        for registry in registries
        for repo in registry.repositories
    }
    wanted: dict[tuple[str, str], set[str]] = {}
    for change in history:
        if change.kind == "tag-moved":
            wanted.setdefault((change.registry, change.repository), set()).add(change.old)
    by_name = {rc.name: rc for rc in config.registries}
    found: dict[str, Manifest] = {}
    for (registry, repository), digests in sorted(wanted.items()):
        if registry in by_name:
            own = shown.get((registry, repository), {})
            found.update(await _earlier(by_name[registry], repository, ctx, own, digests))
    return found


async def _moved_from(
    rc: RegistryConfig, ctx: CrawlContext, repo: Repository
) -> dict[str, Manifest]:
    """The manifests this build's moved tags of ``repo`` pointed to before, which it no
    longer shows: what its diff pages will read (``_previous_digests``), for its pages
    rendered beside the crawl."""
    before = ctx.state.repositories.get((rc.name, repo.name))
    if before is None or repo.stale_since:
        return {}
    now = {tag.name: tag.digest for tag in repo.tags}
    found = repository_changes(ctx.now, rc.name, repo.name, before.tags, now)
    old = [change.old for change in found if change.kind == "tag-moved"]
    return await _earlier(rc, repo.name, ctx, repo.manifests, old) if old else {}


async def _earlier(
    rc: RegistryConfig,
    repository: str,
    ctx: CrawlContext,
    own: Mapping[str, Manifest],
    digests: Iterable[str],
) -> dict[str, Manifest]:
    """The manifests of ``digests`` that ``repository`` does not show (``own``), from
    the cache; one that is not there is left out."""
    loader = OfflineLoader(rc, RepositoryConfig(name=repository), ctx)
    found: dict[str, Manifest] = {}
    for digest in sorted(set(digests).difference(own)):
        with contextlib.suppress(RegistryError):
            found[digest] = await loader.load(digest)
    return found


async def _crawl_registry(
    rc: RegistryConfig,
    session: RegistrySession,
    ctx: CrawlContext,
    outcome: Outcome,
    deadline: float,
) -> Registry:
    """One registry, within its time budget (``deadline`` on the loop's clock).

    Out of time, the repositories already crawled are kept, the others show their last
    good data, and the registry is failed, like any registry that could not be crawled.
    """
    # The way the config asks for; a registry that fails before its repositories are
    # listed (its page shows their last good data) keeps it.
    listing = _listing(rc)
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        async with asyncio.timeout_at(deadline):
            await session.login()
            repo_configs = rc.repositories
            if repo_configs is None:
                found = await discover(session)
                if found is None:  # no vendor API to ask: the registry's own catalog
                    listing = ("catalog", ())
                    found = await session.catalog()
                names = [n for n in found if rc.discovers(n)]
                outcome.listed[rc.name] = tuple(names)
                repo_configs = tuple(RepositoryConfig(name=n) for n in names)
            repo_configs = tuple(r for r in repo_configs if ctx.owns(rc.name, r.name))
    except (RegistryError, TimeoutError) as exc:
        if isinstance(exc, RegistryError):
            message = ctx.fail(exc)
        else:
            ctx.cancel_fetches(rc.name)
            message = _out_of_time(rc, ctx, deadline)
        ctx.progress.registries_done += 1
        stale = await _stale_registry(rc, ctx, message)
        return _crawled(rc, ctx, stale, message, listing)
    ctx.progress.repositories_total += len(repo_configs)
    referrers = ReferrersSupport(session, ctx.masker)
    vendor = VendorListings(session, ctx, [repo.name for repo in repo_configs])
    # A few repositories at a time (each keeps several requests in flight), so that
    # they finish one after another during the crawl, not all at its end: each one's
    # pages can be rendered while the others are crawled.
    window = asyncio.Semaphore(REPOSITORIES_PER_REQUEST * rc.concurrency)

    # Copies one after the other (``crawl_order``), so that each is rendered once.
    ordered = sorted(repo_configs, key=lambda repo: crawl_order(repo.name))
    handover = _Copies(rc, ctx.on_repositories, [repo.name for repo in ordered])

    async def in_window(place: int, repo: RepositoryConfig) -> Repository:
        slots.PRIORITY.set(place)  # this task's and those it starts: they finish in order
        async with window:
            crawler = RepositoryCrawler(rc, session, repo, ctx, referrers, vendor)
            repository = await crawler.run(outcome)
        earlier = await _moved_from(rc, ctx, repository) if ctx.on_repositories else {}
        handover.done(place, repository, earlier)
        return repository

    runs = {asyncio.ensure_future(in_window(n, repo)): repo for n, repo in enumerate(ordered)}
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
                crawled.append(await OfflineLoader(rc, runs[task], ctx).stale(error))
    ctx.progress.registries_done += 1
    # Credentials refused half-way (a token revoked during the crawl): the repositories
    # after it show their last good data, and the registry as a whole has failed.
    refused = session.refused
    if refused is not None and not error:
        error = ctx.masker.message(str(refused))
    if not error:
        outcome.runs[rc.name] = RegistryRun(ctx.now, round(loop.time() - started, 3))
    repositories = tuple(sorted(crawled, key=lambda r: r.name))
    return _crawled(rc, ctx, repositories, error, listing, outcome.runs.get(rc.name))


def crawl_order(name: str) -> tuple[str, str]:
    """Where a repository comes in its registry's crawl: by its last path component,
    then its name. Repositories that share the last component (a promoted or mirrored
    copy: ``staging/app`` and ``prod/app``) often hold the same images, and a
    repository's pages say where else its images are tagged: crawled together, a copy
    is crawled before the other's pages are rendered (beside the crawl), not half a
    crawl later, when they would have to be rendered again."""
    return name.rpartition("/")[2], name


class _Copies:
    """Hands a registry's repositories over (``CrawlContext.on_repositories``) as their
    crawl ends, likely copies together: those that share their last path component
    (``crawl_order``), up to ``COPIES_AT_ONCE`` of them, once all of those are done. A
    repository's pages say where else its images are tagged: rendered together, copies
    are rendered once. One that cannot be crawled in time is never done: the others of
    its group are rendered after the crawl."""

    def __init__(self, rc: RegistryConfig, handover: Handover | None, names: list[str]) -> None:
        self.registry = Registry(name=rc.name, url="", pull_host=rc.pull_host)
        self.handover = handover
        self.group: list[int] = []  # by place in the crawl's order
        self.left: list[int] = []
        self.crawled: list[list[Repository]] = []
        self.earlier: list[dict[str, Manifest]] = []  # their moved tags' earlier manifests
        last = None
        for name in names:
            key = crawl_order(name)[0]
            if key != last or self.left[-1] == COPIES_AT_ONCE:
                self.left.append(0)
                self.crawled.append([])
                self.earlier.append({})
                last = key
            self.left[-1] += 1
            self.group.append(len(self.left) - 1)

    def done(self, place: int, repository: Repository, earlier: Mapping[str, Manifest]) -> None:
        """The crawl of ``repository``, at ``place`` in the crawl's order, is done (and
        ``earlier``: its moved tags' earlier manifests it no longer shows): its group
        goes if it was the last one."""
        group = self.group[place]
        if not repository.stale_since:  # one shown from an earlier build is not new
            self.crawled[group].append(repository)
            self.earlier[group].update(earlier)
        self.left[group] -= 1
        if self.left[group] == 0:
            crawled, self.crawled[group] = self.crawled[group], []
            earlier, self.earlier[group] = self.earlier[group], {}
            if crawled and self.handover is not None:
                self.handover(self.registry, crawled, earlier)


def _crawled(
    rc: RegistryConfig,
    ctx: CrawlContext,
    repositories: tuple[Repository, ...],
    error: str,
    listing: Listing,
    run: RegistryRun | None = None,
) -> Registry:
    """The registry's result, with its last successful crawl: ``run`` (this one), or an
    earlier one. Its crawl address only when the config says to show it."""
    registry = Registry(
        name=rc.name,
        url=rc.url if rc.show_url else "",
        pull_host=rc.pull_host,
        repositories=repositories,
        error=error,
        listed_by=listing[0],
        listed_from=listing[1],
    )
    run = run or ctx.state.registries.get(rc.name)
    if run is None:
        return registry
    return replace(registry, last_success=run.crawled_at, last_success_seconds=run.seconds)


def _listing(rc: RegistryConfig) -> Listing:
    """Where the config has the crawl find the registry's repositories: nowhere (it names
    them), the vendor API of its ``discover`` key, or ``/v2/_catalog``."""
    if rc.repositories is not None:
        return "", ()
    if rc.discover is not None:
        return rc.discover.vendor, rc.discover.sources
    return "catalog", ()


def _out_of_time(
    rc: RegistryConfig, ctx: CrawlContext, deadline: float, left: int = 0, total: int = 0
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


async def _stale_registry(
    rc: RegistryConfig, ctx: CrawlContext, error: str
) -> tuple[Repository, ...]:
    """The last good data of a registry that failed as a whole, from the cache."""
    wanted = {r.name: r for r in rc.repositories} if rc.repositories is not None else None
    found = []
    for (registry, name), _ in sorted(ctx.state.repositories.items()):
        if registry != rc.name or (wanted is not None and name not in wanted):
            continue
        if not ctx.owns(registry, name):
            continue
        repo = wanted[name] if wanted is not None else RepositoryConfig(name=name)
        found.append(await OfflineLoader(rc, repo, ctx).stale(error))
    return tuple(found)


def run(work: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(work)``, its result handed over beside the main task, not as its
    result. When ``asyncio.run`` restores Ctrl-C's handler, Python 3.11 formats that
    handler (which holds the main task) into an error message it then drops: the
    task's ``repr``, result included, is a whole catalog's, twice, a second of CPU at
    10,000 tags at the end of every crawl."""
    done: list[T] = []

    async def main() -> None:
        done.append(await work)

    asyncio.run(main())
    return done[0]
