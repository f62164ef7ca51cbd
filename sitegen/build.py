"""The build pipeline: config -> crawl -> model -> pages -> staged site -> swap.

mkdocs' rule: gather all data first, then write. No request is sent while rendering
and no site file is written while crawling.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from sitegen.cache import Cache
from sitegen.config import Config
from sitegen.crawl import Progress, crawl
from sitegen.model import Catalog
from sitegen.output import check_target, staging
from sitegen.pages import build_pages, catalog_document
from sitegen.registry.client import RegistryClient
from sitegen.registry.transport import Stats
from sitegen.render import Renderer, default_theme, page_json

log = logging.getLogger("sitegen.build")


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build did, for the summary line and the exit code."""

    catalog: Catalog
    pages: int
    stats: Stats
    cache_hits: int
    failures: tuple[str, ...]
    seconds: float

    @property
    def failed_registries(self) -> int:
        """Registries that could not be crawled at all."""
        return sum(1 for r in self.catalog.registries if r.error)

    def summary(self) -> str:
        """One line for the end of the log."""
        registries = len(self.catalog.registries)
        repositories = sum(len(r.repositories) for r in self.catalog.registries)
        tags = sum(len(repo.tags) for r in self.catalog.registries for repo in r.repositories)
        text = (
            f"built {self.pages} pages: {registries} registries, {repositories} repositories, "
            f"{tags} tags in {self.seconds:.1f}s; requests: {self.stats.summary()}; "
            f"cache hits {self.cache_hits}"
        )
        if self.failures:
            text += f"; {len(self.failures)} failures"
        return text


async def gather(
    config: Config,
    cache: Cache,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
) -> tuple[Catalog, Stats]:
    """Crawl every registry through one shared client."""
    async with RegistryClient(config.registries, transport=transport) as client:
        catalog = await crawl(config, client, cache, progress)
        return catalog, client.stats


def build(
    config: Config,
    output: Path,
    *,
    cache_dir: Path | None,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Crawl, render and write the whole site. Raises only for config/output problems."""
    started = time.monotonic()
    target = check_target(output, protected=[config.path.resolve().parent])
    cache = Cache(cache_dir)
    progress = progress or Progress()
    catalog, stats = asyncio.run(gather(config, cache, transport=transport, progress=progress))
    renderer = Renderer(config.site)
    _, static_dir = default_theme()
    count = 0
    with staging(target) as stage:
        for page in build_pages(catalog):
            stage.write(f"{page.path}index.html", renderer.html(page))
            stage.write(f"{page.path}index.json", page_json(page))
            count += 1
        stage.write(
            "api/catalog.json",
            json.dumps(catalog_document(catalog), sort_keys=True, ensure_ascii=False, indent=1),
        )
        stage.write("404.html", renderer.not_found())
        stage.write(".nojekyll", "")
        stage.copy_tree(static_dir, "static")
        if config.site.theme_dir and (config.site.theme_dir / "static").is_dir():
            stage.copy_tree(config.site.theme_dir / "static", "static")
    return BuildResult(
        catalog=catalog,
        pages=count,
        stats=stats,
        cache_hits=cache.hits,
        failures=tuple(progress.failures),
        seconds=time.monotonic() - started,
    )
