"""Model -> files: every page rendered (in worker processes for a big site), indexed for
search, and swapped into place as a whole (``output.py``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sitegen.config import Config
from sitegen.errors import OutputError
from sitegen.files import describe
from sitegen.model import Catalog
from sitegen.site import paths, search
from sitegen.site.feeds import feeds
from sitegen.site.output import (
    Staging,
    staging,
)
from sitegen.site.pages.bases import bases_page, rebuild_document
from sitegen.site.pages.catalog import Page, catalog_document, page_units
from sitegen.site.pages.repository import tag_data_file
from sitegen.site.pages.history import Timeline
from sitegen.site.render import Renderer, default_theme
from sitegen.site.sitemap import sitemaps
from sitegen.site.stamp import stamp_script
from sitegen.site.workers import RenderWorkers, assign_shards, worker_count

log = logging.getLogger("sitegen.site")


def write_site(
    config: Config,
    catalog: Catalog,
    target: Path,
    *,
    workers: int | None = None,
    before_swap: Callable[[Staging], None] | None = None,
) -> int:
    """Render every page into a staging directory, index it, and swap it into place.

    Pages are rendered by ``workers`` processes (default: one per CPU for a big site,
    see ``sitegen.site.workers``), each building and rendering its share of the page units
    (a repository with all its pages is one unit); the site is the same byte for byte
    either way. This process renders shard 0 and alone does everything that needs all
    pages (search index, sitemap). ``before_swap`` runs once the site is complete.

    Any ``OSError`` (a full or read-only disk) becomes an ``OutputError`` naming the
    path and the reason; the staging directory is removed and the site in place kept.
    """
    try:
        return _write_site(config, catalog, target, workers, before_swap)
    except OSError as exc:
        raise OutputError(
            f"cannot write the site: {describe(exc)}; the site in place was not changed"
        ) from None


def _write_site(
    config: Config,
    catalog: Catalog,
    target: Path,
    workers: int | None,
    before_swap: Callable[[Staging], None] | None,
) -> int:
    renderer = Renderer(config.site)
    _, static_dir = default_theme()
    limit = config.limits.site_pages
    timeline = Timeline(catalog)
    units = page_units(catalog, timeline)
    shards = worker_count(catalog) if workers is None else max(1, workers)
    owners = assign_shards([unit.weight for unit in units], shards)
    with staging(target, before_swap) as stage:

        def render_shard(shard: int) -> list[_Rendered]:
            """Build and render the shard's units: what the parent needs of each."""
            done: list[_Rendered] = []
            count = 0
            for number, unit in enumerate(units):
                if owners[number] != shard:
                    continue
                page_paths: list[str] = []
                indexed: list[search.Entry] = []
                for page in unit.pages():
                    count += 1
                    if count > limit:
                        raise _too_many_pages(limit)
                    _write_page(stage, renderer, page)
                    page_paths.append(page.path)
                    # Only what the search index reads: whole pages (with their data)
                    # would hold every tag page of the site in memory.
                    indexed.extend(search.entries([page]))
                done.append(_Rendered(number, page_paths, indexed))
            return done

        with RenderWorkers(shards, render_shard) as pool:
            rendered = render_shard(0)
            for summary in pool.wait().values():
                rendered.extend(summary)
        rendered.sort(key=lambda r: r.unit)
        page_paths = [path for r in rendered for path in r.paths]
        indexed = [page for r in rendered for page in r.indexed]
        count = len(page_paths)
        if count > limit:
            raise _too_many_pages(limit)
        documents: list[tuple[str, object]] = [
            (paths.CATALOG_FILE, catalog_document(catalog)),
            (paths.REBUILD_FILE, rebuild_document(catalog)),
            (paths.BASES_FILE, bases_page(catalog).data),
        ]
        for path, document in documents:
            text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            stage.write(path, text)
        for path, xml in feeds(catalog, timeline, renderer):
            stage.write(path, xml)
        stage.write(paths.STAMP_FILE, stamp_script(catalog, config.site.stale_after))
        stage.write(paths.NOT_FOUND_FILE, renderer.not_found())
        stage.write(paths.NO_JEKYLL_FILE, "")
        if config.site.url:
            for name, text in sitemaps(renderer, config.site.url, page_paths).items():
                stage.write(name, text)
        stage.copy_tree(static_dir, paths.STATIC_DIR)
        theme_static = config.site.theme_dir / "static" if config.site.theme_dir else None
        if theme_static is not None and theme_static.is_dir():
            stage.copy_tree(theme_static, paths.STATIC_DIR)
        search.build_index(search.searchable(indexed), stage.root, previous=target)
    return count


@dataclass(frozen=True, slots=True)
class _Rendered:
    """One rendered page unit: its number, its pages' paths and search records."""

    unit: int
    paths: list[str]
    indexed: list[search.Entry]


def _too_many_pages(limit: int) -> OutputError:
    return OutputError(
        f"the site would have more than {limit} pages; narrow "
        "the repositories or tags shown, or raise limits.site_pages"
    )


def _write_page(stage: Staging, renderer: Renderer, page: Page) -> None:
    """One page's files: its HTML, its JSON, and a repository's tag data."""
    stage.write(f"{page.path}{paths.PAGE_HTML}", renderer.html(page))
    stage.write(f"{page.path}{paths.PAGE_JSON}", renderer.json(page))
    data_file = tag_data_file(page)
    if data_file is not None:
        stage.write(*data_file)
