"""The build pipeline: config -> crawl -> model -> pages -> staged site -> swap.

No request is sent while rendering. A repository's pages may be rendered into the
staging directory as soon as its crawl ends, from what the rest of the catalog most
likely says of it, and are kept only if that turns out to be what it says
(``sitegen.site.stream``); everything else is rendered once all data is in. Before any
request, the output and cache directories are checked and locked (one build at a time
in each). The crawl state is
committed together with the site's swap (``sitegen.crawl.state``), so a failed or killed
build changes nothing a reader can see, and the state always goes with the site.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from sitegen.config import Config
from sitegen.crawl import Outcome, Progress, crawl, run
from sitegen.crawl.cache import Cache
from sitegen.crawl.cache import lock as lock_cache
from sitegen.crawl.context import Handover, Shard
from sitegen.crawl.state import DEFAULT_KEEP_BUILDS, State, promote
from sitegen.dates import utc_seconds
from sitegen.model import Catalog, Change
from sitegen.registry.client import RegistryClient
from sitegen.registry.credentials import resolve_credentials
from sitegen.registry.transport import KINDS, Stats
from sitegen.site.guess import save_guess
from sitegen.site.output import (
    Staging,
    check_cache_dir,
    check_target,
    recover,
    remove_site,
    site_identity,
)
from sitegen.site.output import lock as lock_output
from sitegen.site.render import Renderer
from sitegen.site.stream import Stream
from sitegen.site.workers import PARALLEL_MIN_TAGS, usable_cpus
from sitegen.site.write import Streamed, render_site, writing

log = logging.getLogger("sitegen.build")

ProgressCallback = Callable[[Progress, Stats], None]


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build did, for the summary line and the exit code."""

    catalog: Catalog
    pages: int
    stats: Stats
    cache_hits: int
    failures: tuple[str, ...]
    seconds: float
    pruned: int = 0
    render_seconds: float = 0.0  # of ``seconds``: rendering and writing the site
    changes: tuple[Change, ...] = ()  # what this build saw change since the previous one

    @property
    def failed_registries(self) -> int:
        """Registries that could not be crawled at all."""
        return sum(1 for registry in self.catalog.registries if registry.error)

    @property
    def stale_repositories(self) -> int:
        """Repositories shown from an earlier build's data."""
        return sum(len(registry.stale_repositories) for registry in self.catalog.registries)

    def summary(self) -> str:
        """One line for the end of the log."""
        catalog = self.catalog
        text = (
            f"built {self.pages} pages: {len(catalog.registries)} registries, "
            f"{catalog.repository_count} repositories, {catalog.tag_count} tags in "
            f"{self.seconds:.1f}s; requests: {self.stats.summary()}; "
            f"cache hits {self.cache_hits}"
        )
        if self.failures:
            text += f"; {len(self.failures)} failures"
        if self.stale_repositories:
            text += f"; {self.stale_repositories} repositories shown from an earlier build"
        return text


def build_time() -> str:
    """Now, or ``SOURCE_DATE_EPOCH`` when set (reproducible builds), as RFC 3339."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return utc_seconds(moment)


async def gather(
    config: Config,
    cache: Cache,
    *,
    state: State,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress,
    on_progress: ProgressCallback | None = None,
    interval: float = 1.0,
    shard: Shard | None = None,
    on_repositories: Handover | None = None,
    now: str = "",
) -> tuple[Outcome, Stats]:
    """Crawl every registry (or ``shard``'s share of the repositories) through one
    shared client, reporting progress periodically; ``now``: the build's time
    (``build_time()`` when empty)."""
    credentials = {r.name: resolve_credentials(r, os.environ) for r in config.registries}
    async with RegistryClient(
        config.registries, credentials=credentials, transport=transport, limits=config.limits
    ) as client:
        reporter = None
        if on_progress is not None:
            reporter = asyncio.create_task(_report(progress, client.stats, on_progress, interval))
        try:
            outcome = await crawl(
                config,
                client,
                cache,
                state=state,
                progress=progress,
                now=now or build_time(),
                shard=shard,
                on_repositories=on_repositories,
            )
        finally:
            if reporter is not None:
                reporter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reporter
        return outcome, client.stats


async def _report(
    progress: Progress, stats: Stats, callback: ProgressCallback, interval: float
) -> None:
    while True:
        await asyncio.sleep(interval)
        callback(progress, stats)


@dataclass(frozen=True, slots=True)
class Crawled:
    """One crawl with what it used and saw: the cache, the state (this build counted),
    the progress counters, the outcome and the client's numbers."""

    cache: Cache
    state: State
    progress: Progress
    outcome: Outcome
    stats: Stats


def crawl_counted(
    config: Config,
    cache_dir: Path | None,
    *,
    site: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    on_progress: ProgressCallback | None = None,
    interval: float = 1.0,
    shard: Shard | None = None,
    on_repositories: Handover | None = None,
    now: str = "",
) -> Crawled:
    """Crawl with the cache and the state of ``cache_dir`` (the state that goes with the
    site ``site``), counted as one more build: a whole build's crawl, or a shard's."""
    cache = Cache(cache_dir)
    state = State.load(cache_dir, site=site)
    state.build += 1
    progress = Progress()
    outcome, stats = run(
        gather(
            config,
            cache,
            state=state,
            transport=transport,
            progress=progress,
            on_progress=on_progress,
            interval=interval,
            shard=shard,
            on_repositories=on_repositories,
            now=now,
        )
    )
    return Crawled(cache, state, progress, outcome, stats)


def build(
    config: Config,
    output: Path,
    *,
    cache_dir: Path | None,
    keep_builds: int = DEFAULT_KEEP_BUILDS,
    transport: httpx.AsyncBaseTransport | None = None,
    on_progress: ProgressCallback | None = None,
    progress_interval: float = 1.0,
) -> BuildResult:
    """Crawl, render and write the whole site. Raises only for config/output problems."""
    started = time.monotonic()
    target = check_target(output, protected=[config.path.resolve().parent])
    if cache_dir is not None:
        check_cache_dir(cache_dir, target, output)
    with contextlib.ExitStack() as held:
        held.enter_context(lock_output(target, output))
        if cache_dir is not None:
            held.enter_context(lock_cache(cache_dir))
        recover(target)
        return _build(
            config,
            target,
            started=started,
            cache_dir=cache_dir,
            keep_builds=keep_builds,
            transport=transport,
            on_progress=on_progress,
            progress_interval=progress_interval,
        )


def _build(
    config: Config,
    target: Path,
    *,
    started: float,
    cache_dir: Path | None,
    keep_builds: int,
    transport: httpx.AsyncBaseTransport | None,
    on_progress: ProgressCallback | None,
    progress_interval: float,
) -> BuildResult:
    """``build`` once the target is checked, both directories locked, leftovers gone.

    The staging directory is made first: repositories' pages are rendered into it as
    their crawl ends (``sitegen.site.stream``), and the rest once the catalog is whole.
    A failure until the swap removes it and leaves the site in place as it was; after
    the swap there is no staging directory left, only the cache's steps.
    """
    with writing():
        stage = Staging(target)
    renderer = Renderer(config.site)
    loading = threading.Thread(
        target=renderer.load_templates, name="sitegen-templates", daemon=True
    )
    loading.start()
    try:
        now = build_time()  # stamps this build's changes, also those the stream guesses
        streaming = Stream(
            config, stage, cache_dir, min_tags=_stream_from(), processes=usable_cpus(), built=now
        )
        with streaming as stream:
            crawled = crawl_counted(
                config,
                cache_dir,
                site=site_identity(target),
                now=now,
                transport=transport,
                on_progress=on_progress,
                interval=progress_interval,
                on_repositories=stream.submit,
            )
            streamed = stream.finish()
        if on_progress is not None:
            on_progress(crawled.progress, crawled.stats)
        _warn_recommended(crawled.outcome.catalog)
        rendering = time.monotonic()
        loading.join()
        count, expired, old = _swap_in(
            config, stage, crawled, streamed, renderer, cache_dir, keep_builds
        )
    except BaseException:
        stage.discard()
        raise
    # The old site goes while the cache's steps run: tens of thousands of files at
    # scale, mostly the kernel's time.
    removing = threading.Thread(target=remove_site, args=(old,), name="sitegen-old-site")
    if old is not None:
        removing.start()
    try:
        pruned = _after_swap(crawled, cache_dir, expired, keep_builds)
    finally:
        if old is not None:
            removing.join()
    return BuildResult(
        catalog=crawled.outcome.catalog,
        pages=count,
        stats=crawled.stats,
        cache_hits=crawled.cache.hits,
        failures=tuple(crawled.progress.failures),
        seconds=time.monotonic() - started,
        pruned=pruned,
        render_seconds=time.monotonic() - rendering,
        changes=tuple(crawled.outcome.changes),
    )


def _stream_from() -> float:
    """How many tags the crawl hands over before their pages are rendered beside it:
    ``PARALLEL_MIN_TAGS``; never with one CPU, or with ``SITEGEN_STREAM=0``."""
    if os.environ.get("SITEGEN_STREAM", "").strip() == "0" or usable_cpus() < 2:
        return math.inf
    return PARALLEL_MIN_TAGS


def _warn_recommended(catalog: Catalog) -> None:
    for registry in catalog.registries:
        for repo in registry.repositories:
            if repo.recommended_missing and not repo.error:
                # A config mistake, not a registry failure: the page says so too.
                log.warning(
                    "%s/%s: recommended_tag %r is not among the tags shown",
                    registry.name,
                    repo.name,
                    repo.recommended_tag,
                )


def _swap_in(
    config: Config,
    stage: Staging,
    crawled: Crawled,
    streamed: Mapping[tuple[str, str], Streamed],
    renderer: Renderer,
    cache_dir: Path | None,
    keep_builds: int,
) -> tuple[int, list[str], Path | None]:
    """Render the rest of the site and swap it into place, the new state prepared
    beside the old one. Return the pages, the digests to prune once the new state is
    in place, and where the old site now is (to remove)."""
    outcome, cache, state = crawled.outcome, crawled.cache, crawled.state
    expired: list[str] = []
    if cache_dir is not None:
        expired = outcome.update(state, cache, keep_builds)
    with writing():
        count = render_site(
            config,
            outcome.catalog,
            stage,
            stored_documents=cache.stored,
            streamed=streamed,
            renderer=renderer,
        )
        if cache_dir is not None:
            state.prepare(cache_dir, site=stage.identity)
        old = stage.swap()
    return count, expired, old


def _after_swap(
    crawled: Crawled, cache_dir: Path | None, expired: list[str], keep_builds: int
) -> int:
    """With the new site in place: its state in place too, the next build's render
    guess kept, the ``expired`` digests pruned from the cache. Return how many were."""
    if cache_dir is None:
        return 0
    promote(cache_dir)
    save_guess(cache_dir, crawled.outcome.catalog)
    # Only now: until the new state is in place, the old one may still name them.
    pruned = crawled.cache.prune(expired)
    if pruned:
        log.info("cache: removed %d entries unused for %d builds", pruned, keep_builds)
    return pruned


def report(result: BuildResult) -> dict[str, Any]:
    """What ``sitegen build --report FILE`` writes: the build's numbers as JSON values.

    Requests are counted by kind as the client sent them (retries included), per
    registry and in total; ``bytes_received`` counts response bodies.
    """
    stats = result.stats
    registries = sorted({registry for registry, _ in stats.requests})
    return {
        "pages": result.pages,
        "registries": len(result.catalog.registries),
        "repositories": result.catalog.repository_count,
        "tags": result.catalog.tag_count,
        "seconds": round(result.seconds, 3),
        "crawl_seconds": round(result.seconds - result.render_seconds, 3),
        "render_seconds": round(result.render_seconds, 3),
        "requests": {kind: stats.count(kind) for kind in KINDS},
        "requests_by_registry": {
            name: {kind: stats.count(kind, name) for kind in KINDS} for name in registries
        },
        "retries": sum(stats.retries.values()),
        "bytes_received": stats.bytes_received,
        "cache_hits": result.cache_hits,
        "cache_pruned": result.pruned,
        "failures": len(result.failures),
        "failure_messages": list(result.failures),
        "status": _status(result),
        "registry_status": {
            registry.name: {
                "status": registry.status,
                "error": registry.error,
                "failed_repositories": sorted(r.name for r in registry.failed_repositories),
                "repositories_with_problems": sorted(
                    r.name for r in registry.repositories_with_problems
                ),
                "problems": sum(len(r.problems) for r in registry.repositories),
                "stale_repositories": sorted(r.name for r in registry.stale_repositories),
                "recommended_tags_missing": {
                    r.name: r.recommended_tag
                    for r in registry.repositories
                    if r.recommended_missing and r.recommended_tag is not None
                },
                "rate_limit_remaining": result.catalog.rate_limits.get(registry.name, (None, None))[
                    0
                ],
            }
            for registry in result.catalog.registries
        },
        "changes": [
            {
                "kind": c.kind,
                "registry": c.registry,
                "repository": c.repository,
                "tag": c.tag,
                "old": c.old,
                "new": c.new,
                "base": c.base,
            }
            for c in result.changes
        ],
    }


def _status(result: BuildResult) -> str:
    """``ok``, ``partial`` (something failed) or ``failed`` (every registry failed)."""
    registries = result.catalog.registries
    if registries and all(r.error for r in registries):
        return "failed"
    return "partial" if result.failures else "ok"
