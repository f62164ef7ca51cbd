"""Model -> files: every page rendered (in worker processes for a big site), indexed for
search, and swapped into place as a whole (``output.py``)."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from sitegen.config import Config
from sitegen.errors import OutputError
from sitegen.files import describe
from sitegen.model import Catalog, Repository
from sitegen.site import paths, search
from sitegen.site.feeds import feeds
from sitegen.site.output import Staging, staging
from sitegen.site.pages.bases import bases_page, rebuild_document
from sitegen.site.pages.catalog import Page, PageUnit, catalog_document, page_units
from sitegen.site.pages.history import Timeline
from sitegen.site.pages.inputs import RepositoryInputs
from sitegen.site.pages.packages import PackageIndex, package_files, package_index
from sitegen.site.pages.repository import tag_data_file
from sitegen.site.pages.sbom import downloads as sbom_downloads
from sitegen.site.render import Renderer, default_theme
from sitegen.site.sitemap import sitemaps
from sitegen.site.stamp import stamp_script
from sitegen.site.workers import RenderWorkers, assign_shards, worker_count

log = logging.getLogger("sitegen.site")

# The bytes of a masked SBOM document by the digest of those bytes, or None.
Documents = Callable[[str], bytes | None]


def write_site(
    config: Config,
    catalog: Catalog,
    target: Path,
    *,
    workers: int | None = None,
    before_swap: Callable[[Staging], None] | None = None,
    stored_documents: Documents | None = None,
) -> int:
    """Render every page into a staging directory, index it, and swap it into place.

    Pages are rendered by ``workers`` processes (default: one per CPU for a big site,
    see ``sitegen.site.workers``), each building and rendering its share of the page units
    (a repository with all its pages is one unit); the site is the same byte for byte
    either way. This process renders shard 0 and alone does everything that needs all
    pages (search index, sitemap). ``before_swap`` runs once the site is complete.
    ``stored_documents`` gives the bytes of a masked SBOM document by digest (the crawl left
    them in the content cache); without it, no SBOM is offered for download.

    Any ``OSError`` (a full or read-only disk) becomes an ``OutputError`` naming the
    path and the reason; the staging directory is removed and the site in place kept.
    """
    with writing(), staging(target, before_swap) as stage:
        return render_site(
            config, catalog, stage, workers=workers, stored_documents=stored_documents
        )


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """An ``OSError`` while writing the site, as the ``OutputError`` that says so."""
    try:
        yield
    except OSError as exc:
        raise OutputError(
            f"cannot write the site: {describe(exc)}; the site in place was not changed"
        ) from None


@dataclass(frozen=True, slots=True)
class Streamed:
    """A repository's pages rendered before the catalog was complete
    (``sitegen.site.stream``): from what, and what was written."""

    repository: Repository
    inputs: RepositoryInputs
    rendered: Rendered

    def matches(self, unit: PageUnit) -> bool:
        """Its pages are ``unit``'s: the same repository object, with equal inputs."""
        return self.repository is unit.repository and self.inputs == unit.inputs


def render_site(
    config: Config,
    catalog: Catalog,
    stage: Staging,
    *,
    workers: int | None = None,
    stored_documents: Documents | None = None,
    streamed: Mapping[tuple[str, str], Streamed] | None = None,
    renderer: Renderer | None = None,
) -> int:
    """Render the whole site into ``stage`` (see ``write_site``); return its pages.

    ``streamed``: repositories already rendered into ``stage``, by registry and name.
    Those rendered from the inputs they have in ``catalog`` are kept as they are; the
    files of the others are removed, and they are rendered again. ``renderer``: one
    made for ``config.site`` earlier (its templates loaded during the crawl).
    """
    renderer = renderer or Renderer(config.site)
    limit = config.limits.site_pages
    timeline = Timeline(catalog)
    packages = package_index(catalog)
    units = page_units(catalog, timeline, packages)
    rendered, stale, leftover = _kept(units, streamed or {})
    for files in leftover:
        discard(stage, files)
    shards = worker_count(catalog) if workers is None else max(1, workers)
    render = functools.partial(_render_units, stage, renderer, units, shards, limit)
    done = {r.unit for r in rendered}
    rendered += render([n for n in range(len(units)) if n not in done and n not in stale], rendered)
    # Pagefind starts on the search records the stale repositories had when streamed
    # (they rarely change with their inputs) while those are rendered again.
    guessed = [*rendered, *(Rendered(n, indexed=entries) for n, entries in stale.items())]
    index = search.start_index(_searchable(guessed), stage.root, previous=stage.target)
    try:
        again = render(sorted(stale), rendered)
        rendered += again
        if any(r.indexed != stale[r.unit] for r in again):
            index.stop(discard=True)
            index = search.start_index(_searchable(rendered), stage.root, previous=stage.target)
        page_paths = [path for r in sorted(rendered, key=lambda r: r.unit) for path in r.paths]
        count = len(page_paths)
        PageBudget(limit, count)
        _write_the_rest(config, catalog, stage, renderer, timeline, packages, stored_documents,
                        page_paths)  # fmt: skip
    except BaseException:
        index.stop(discard=True)
        raise
    index.wait()
    return count


def _write_the_rest(
    config: Config,
    catalog: Catalog,
    stage: Staging,
    renderer: Renderer,
    timeline: Timeline,
    packages: PackageIndex,
    stored_documents: Documents | None,
    page_paths: list[str],
) -> None:
    """Every file of the site but its pages and search index: the catalog's JSON
    documents, packages, downloads, feeds, the stamp, 404, sitemaps, static files."""
    documents: list[tuple[str, object]] = [
        (paths.CATALOG_FILE, catalog_document(catalog)),
        (paths.REBUILD_FILE, rebuild_document(catalog)),
        (paths.BASES_FILE, bases_page(catalog).data),
    ]
    for path, document in documents:
        text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        stage.write(path, text)
    for path, text in package_files(packages):
        stage.write(path, text)
    _write_downloads(stage, catalog, stored_documents)
    for path, xml in feeds(catalog, timeline, renderer):
        stage.write(path, xml)
    stage.write(paths.STAMP_FILE, stamp_script(catalog, config.site.stale_after))
    stage.write(paths.NOT_FOUND_FILE, renderer.not_found())
    stage.write(paths.NO_JEKYLL_FILE, "")
    if config.site.url:
        for name, text in sitemaps(renderer, config.site.url, page_paths).items():
            stage.write(name, text)
    stage.copy_tree(default_theme()[1], paths.STATIC_DIR)
    theme_static = config.site.theme_dir / "static" if config.site.theme_dir else None
    if theme_static is not None and theme_static.is_dir():
        stage.copy_tree(theme_static, paths.STATIC_DIR)


def _render_units(
    stage: Staging,
    renderer: Renderer,
    units: list[PageUnit],
    shards: int,
    limit: int,
    numbers: list[int],
    before: list[Rendered],
) -> list[Rendered]:
    """Build and render the units ``numbers`` (``before``: those rendered already, for
    the page limit), in ``shards`` processes, this one included."""
    if not numbers:
        return []
    chosen = set(numbers)
    owners = assign_shards([u.weight if n in chosen else 0 for n, u in enumerate(units)], shards)

    def render_shard(shard: int) -> list[Rendered]:
        """Build and render the shard's units: what the parent needs of each."""
        budget = PageBudget(limit, sum(len(r.paths) for r in before))
        return [
            render_unit(stage, renderer, number, units[number].pages(), budget)
            for number in numbers
            if owners[number] == shard
        ]

    found: list[Rendered] = []
    with RenderWorkers(shards, render_shard) as pool:
        found.extend(render_shard(0))
        for summary in pool.wait().values():
            found.extend(summary)
    return found


def _searchable(rendered: list[Rendered]) -> list[search.Entry]:
    """The search entries of ``rendered``, in the order of their units."""
    ordered = sorted(rendered, key=lambda r: r.unit)
    return search.searchable([entry for r in ordered for entry in r.indexed])


def _kept(
    units: list[PageUnit], streamed: Mapping[tuple[str, str], Streamed]
) -> tuple[list[Rendered], dict[int, list[search.Entry]], list[list[str]]]:
    """The streamed repositories kept, as rendered units; the units of the others that
    are still in the catalog, with the search entries they had; the files of all the
    others."""
    kept: list[Rendered] = []
    stale: dict[int, list[search.Entry]] = {}
    used: set[tuple[str, str]] = set()
    for number, unit in enumerate(units):
        if unit.repository is None or unit.inputs is None:
            continue
        key = (unit.inputs.registry, unit.repository.name)
        found = streamed.get(key)
        if found is not None and found.matches(unit):
            kept.append(replace(found.rendered, unit=number))
            used.add(key)
        elif found is not None:
            stale[number] = found.rendered.indexed
    leftover = [found.rendered.files for key, found in streamed.items() if key not in used]
    if streamed:
        log.info(
            "rendered during the crawl: %d repositories kept, %d rendered again",
            len(used),
            len(leftover),
        )
    return kept, stale, leftover


@dataclass(frozen=True, slots=True)
class Rendered:
    """One rendered page unit: its number, its files, its pages' paths and search
    records (only what the search index reads: whole pages, with their data, would
    hold every tag page of the site in memory)."""

    unit: int
    files: list[str] = field(default_factory=list)  # relative to the site's root
    paths: list[str] = field(default_factory=list)
    indexed: list[search.Entry] = field(default_factory=list)


class PageBudget:
    """Counts pages against ``limits.site_pages``."""

    def __init__(self, limit: int, count: int = 0) -> None:
        self.limit = limit
        self.count = count
        self.take(0)

    def give_back(self, pages: int) -> None:
        """Count ``pages`` less: pages written and removed again."""
        self.count -= pages

    def take(self, pages: int = 1) -> None:
        """Count ``pages`` more; raise once the site would be over its limit."""
        self.count += pages
        if self.count > self.limit:
            raise OutputError(
                f"the site would have more than {self.limit} pages; narrow "
                "the repositories or tags shown, or raise limits.site_pages"
            )


def render_unit(
    stage: Staging, renderer: Renderer, number: int, pages: Iterable[Page], budget: PageBudget
) -> Rendered:
    """Render and write unit ``number``'s pages."""
    done = Rendered(number)
    for page in pages:
        budget.take()
        done.files.extend(write_page(stage, renderer, page))
        done.paths.append(page.path)
        done.indexed.extend(search.entries([page]))
    return done


def _write_downloads(stage: Staging, catalog: Catalog, stored: Documents | None) -> None:
    """Each SBOM document offered for download, once. Its bytes were masked by the crawl
    and are checked against their digest by the cache; one that is missing (a cache
    that could not be written) is left out, with a warning."""
    for digest, path in sbom_downloads(catalog).items():
        data = stored(digest) if stored is not None else None
        if data is None:
            log.warning("SBOM document %s is not in the cache: not offered for download", digest)
            continue
        stage.write(path, data)


def write_page(stage: Staging, renderer: Renderer, page: Page) -> list[str]:
    """One page's files: its HTML, its JSON, and a repository's tag data; return each
    file's place in the site."""
    files = [
        (f"{page.path}{paths.PAGE_HTML}", renderer.html(page)),
        (f"{page.path}{paths.PAGE_JSON}", renderer.json(page)),
    ]
    data_file = tag_data_file(page)
    if data_file is not None:
        files.append(data_file)
    for relative, text in files:
        stage.write(relative, text)
    return [relative for relative, _ in files]


def discard(stage: Staging, files: list[str]) -> None:
    """Remove files written earlier (a streamed repository's pages that do not stand)
    and the directories that leaves empty."""
    root = str(stage.root)
    directories: set[str] = set()
    for relative in files:
        path = os.path.join(root, relative)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        directories.add(os.path.dirname(path))
    for emptied in sorted(directories, key=len, reverse=True):
        directory = emptied
        while directory.startswith(root + os.sep):
            try:
                os.rmdir(directory)
            except OSError:  # not empty
                break
            stage.forget(directory)
            directory = os.path.dirname(directory)
