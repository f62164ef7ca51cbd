"""Model -> pages. One pure data builder per kind of page; no I/O, no Jinja.

Each :class:`Page` carries ``data``: plain JSON values that the template renders AND
that are written verbatim as the ``index.json`` beside the page, so scripts see
exactly what people see. ``docs/json.md`` documents these shapes; keep them in step.

A repository's tag list is long for some images (thousands of tags). Its page shows
the first ``PAGE_SIZE`` rows; ``_tags.js`` holds every row so the browser can sort and
filter all of them; and ``_pages/<n>/`` pages carry the rest for readers without
JavaScript.
"""

from __future__ import annotations

import functools
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sitegen.site import paths
from sitegen.site.pages.history import Timeline, changes_page, health_page
from sitegen.site.pages.manifest import (
    described,
    manifest_pages,
    manifest_summary,
    platform_cells,
)
from sitegen.site.markup import excerpt, render_markdown
from sitegen.model import Catalog, Registry, Repository
from sitegen.site.pages.page import SCHEMA_VERSION, Page, repo_crumbs
from sitegen.oci.versions import version_key

__all__ = [
    "PAGE_SIZE",
    "Page",
    "PageUnit",
    "build_pages",
    "catalog_document",
    "page_units",
    "tag_data_file",
]

PAGE_SIZE = 100
RECENT_LIMIT = 12


@dataclass(frozen=True, slots=True)
class PageUnit:
    """A share of the site's pages that is built as a whole: the site-wide pages, a
    registry's page, or everything of one repository. ``weight`` estimates its cost."""

    weight: int
    pages: Callable[[], Iterator[Page]]


def page_units(catalog: Catalog, timeline: Timeline | None = None) -> list[PageUnit]:
    """The site's pages as units, in page order; building a unit builds only its pages."""
    timeline = timeline or Timeline(catalog)
    locations = digest_locations(catalog)

    def site_pages() -> Iterator[Page]:
        yield home_page(catalog)
        yield search_page(catalog)
        yield changes_page(timeline)
        yield health_page(catalog)

    def registry_unit(registry: Registry) -> Iterator[Page]:
        yield registry_page(registry)

    def repository_unit(registry: Registry, repository: Repository) -> Iterator[Page]:
        rows = tag_rows(registry, repository)
        yield from repository_pages(registry, repository, rows, timeline)
        yield from manifest_pages(registry, repository, locations, timeline)
        yield from timeline.diff_pages(registry, repository)

    units = [PageUnit(4, site_pages)]
    for registry in catalog.registries:
        units.append(PageUnit(1, functools.partial(registry_unit, registry)))
        for repository in registry.repositories:
            units.append(
                PageUnit(
                    1 + len(repository.tags) + len(repository.manifests),
                    functools.partial(repository_unit, registry, repository),
                )
            )
    return units


def build_pages(catalog: Catalog) -> Iterator[Page]:
    """Every page of the site, home first, in a stable order."""
    for unit in page_units(catalog):
        yield from unit.pages()


def digest_locations(catalog: Catalog) -> dict[str, list[dict[str, str]]]:
    """Every (registry, repository, tag) each digest is tagged as: aliases across the site."""
    found: dict[str, list[dict[str, str]]] = defaultdict(list)
    for registry in catalog.registries:
        for repo in registry.repositories:
            for tag in repo.tags:
                found[tag.digest].append(
                    {
                        "registry": registry.name,
                        "repository": repo.name,
                        "tag": tag.name,
                        "path": paths.tag_path(registry.name, repo.name, tag.name),
                    }
                )
    return found


def catalog_document(catalog: Catalog) -> dict[str, Any]:
    """``api/catalog.json``: every registry and repository with the paths of their pages."""
    return {
        "schema": SCHEMA_VERSION,
        "title": catalog.title,
        "registries": [
            {
                "name": registry.name,
                "url": registry.url,
                "pull_host": registry.pull_host,
                "path": paths.registry_path(registry.name),
                "error": registry.error,
                "repositories": [
                    {
                        "name": repo.name,
                        "path": paths.repository_path(registry.name, repo.name),
                        "tags": [tag.name for tag in repo.tags],
                        "error": repo.error,
                        "stale_since": repo.stale_since,
                    }
                    for repo in registry.repositories
                ],
            }
            for registry in catalog.registries
        ],
    }


# -- home, search and registry ----------------------------------------------------------


def home_page(catalog: Catalog) -> Page:
    """The landing page: every registry with counts, and recently updated images."""
    recent: list[dict[str, Any]] = []
    for registry in catalog.registries:
        for repo in registry.repositories:
            for tag in repo.tags:
                manifest = repo.manifest(tag)
                if manifest is not None and manifest.created:
                    recent.append(
                        {
                            "registry": registry.name,
                            "repository": repo.name,
                            "tag": tag.name,
                            "digest": tag.digest,
                            "created": manifest.created,
                            "path": paths.tag_path(registry.name, repo.name, tag.name),
                        }
                    )
    recent.sort(
        key=lambda r: (r["created"], r["registry"], r["repository"], r["tag"]), reverse=True
    )
    data = {
        "schema": SCHEMA_VERSION,
        "kind": "home",
        "title": catalog.title,
        "description_html": render_markdown(catalog.description) if catalog.description else "",
        "registries": [_registry_summary(r) for r in catalog.registries],
        "recent": recent[:RECENT_LIMIT],
    }
    return Page(path="", template="home.html", title=catalog.title, data=data)


def search_page(catalog: Catalog) -> Page:
    """The search page (the index itself is built by ``search.py``)."""
    data = {"schema": SCHEMA_VERSION, "kind": "search", "title": catalog.title}
    return Page(
        path=paths.SEARCH_PATH,
        template="search.html",
        title="Search",
        data=data,
        crumbs=(("Search", paths.SEARCH_PATH),),
    )


def _registry_summary(registry: Registry) -> dict[str, Any]:
    return {
        "name": registry.name,
        "url": registry.url,
        "pull_host": registry.pull_host,
        "path": paths.registry_path(registry.name),
        "repositories": len(registry.repositories),
        "tags": registry.tag_count,
        "updated": max((r.updated for r in registry.repositories), default=""),
        "error": registry.error,
        "failed_repositories": len(registry.failed_repositories),
        "stale_repositories": len(registry.stale_repositories),
    }


def registry_page(registry: Registry) -> Page:
    """One registry: its repositories, grouped by namespace, with counts and status."""
    path = paths.registry_path(registry.name)
    repositories: list[dict[str, Any]] = [
        {
            "name": repo.name,
            "path": paths.repository_path(registry.name, repo.name),
            "tags": len(repo.tags),
            "updated": repo.updated,
            "description": excerpt(repo.description or _label_description(repo)),
            "error": repo.error,
            "stale_since": repo.stale_since,
        }
        for repo in registry.repositories
    ]
    namespaces: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for repo in repositories:
        namespace, sep, _ = repo["name"].rpartition("/")
        namespaces[namespace if sep else ""].append(repo)
    data = {
        "schema": SCHEMA_VERSION,
        "kind": "registry",
        **_registry_summary(registry),
        "catalog_listed": registry.catalog_listed,
        "repository_list": repositories,
        "namespaces": [
            {"name": name, "repositories": [r["name"] for r in repos]}
            for name, repos in sorted(namespaces.items())
        ],
    }
    return Page(
        path=path,
        template="registry.html",
        title=registry.name,
        data=data,
        crumbs=((registry.name, path),),
    )


def _label_description(repo: Repository) -> str:
    """Without a configured description, the newest tag's OCI description label."""
    for tag in repo.tags:
        manifest = repo.manifest(tag)
        if manifest is not None and described(manifest):
            return described(manifest)
    return ""


# -- repository: tag lists and the platform matrix --------------------------------------


def tag_rows(registry: Registry, repo: Repository) -> list[dict[str, Any]]:
    """One row per shown tag, newest version first: what every tag list shows."""
    by_digest = repo.tags_by_digest()
    ranks = {t.name: i for i, t in enumerate(sorted(repo.tags, key=lambda t: version_key(t.name)))}
    rows = []
    for tag in repo.tags:
        manifest = repo.manifest(tag)
        if manifest is None:
            continue
        rows.append(
            {
                "name": tag.name,
                "path": paths.tag_path(registry.name, repo.name, tag.name),
                "digest": tag.digest,
                "digest_path": paths.digest_path(registry.name, repo.name, tag.digest),
                "version_rank": ranks[tag.name],
                "aliases": [t for t in by_digest[tag.digest] if t != tag.name],
                **manifest_summary(manifest),
                "platforms": platform_cells(registry.name, repo.name, manifest),
            }
        )
    return rows


def repository_pages(
    registry: Registry,
    repo: Repository,
    rows: list[dict[str, Any]],
    timeline: Timeline | None = None,
) -> Iterator[Page]:
    """The repository page, its further tag-list pages, and the platform matrix pages."""
    path = paths.repository_path(registry.name, repo.name)
    count = max(1, -(-len(rows) // PAGE_SIZE))
    list_pages = [paths.tag_list_path(registry.name, repo.name, n) for n in range(1, count + 1)]
    matrix_pages = [paths.matrix_path(registry.name, repo.name, n) for n in range(1, count + 1)]
    columns = _platform_columns(rows)
    description = repo.description or _label_description(repo)
    common = {
        "registry": registry.name,
        "repository": repo.name,
        "repository_path": path,
        "pull": f"{registry.pull_host}/{repo.name}",
        "data_file": paths.tag_data_path(registry.name, repo.name),
        "matrix_path": matrix_pages[0],
        "list_pages": list_pages,
        "matrix_pages": matrix_pages,
        "platform_columns": columns,
        "total_tags": repo.total_tags,
        "shown_tags": len(rows),
        "page_size": PAGE_SIZE,
    }
    yield Page(
        path=path,
        template="repository.html",
        title=repo.name,
        data={
            "schema": SCHEMA_VERSION,
            "kind": "repository",
            **common,
            "name": repo.name,
            "path": path,
            "page": 1,
            "description": description,
            "description_source": "config" if repo.description else "label" if description else "",
            "description_html": render_markdown(description) if description else "",
            "tags": rows,
            # The alias groups among the rows: the tags of each manifest that was read.
            "digests": [
                {"digest": digest, "tags": sorted(names, key=version_key, reverse=True)}
                for digest, names in sorted(repo.tags_by_digest().items())
                if digest in repo.manifests
            ],
            "problems": list(repo.problems),
            "error": repo.error,
            "stale_since": repo.stale_since,
            "history": timeline.repository_history(registry.name, repo.name) if timeline else [],
            "feed": paths.repository_feed(registry.name, repo.name),
        },
        crumbs=repo_crumbs(registry, repo),
        search={
            "title": repo.name,
            "registry": registry.name,
            "kind": "repository",
            "summary": f"{len(rows)} tags" + (f" · {excerpt(description)}" if description else ""),
            "keywords": " ".join(r["name"] for r in rows),
        },
    )
    for number in range(2, count + 1):
        yield Page(
            path=list_pages[number - 1],
            template="tag_list.html",
            title=f"{repo.name}: tags, page {number}",
            data={
                "schema": SCHEMA_VERSION,
                "kind": "tag-list",
                **common,
                "path": list_pages[number - 1],
                "page": number,
                "tags": rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
            },
            crumbs=(*repo_crumbs(registry, repo), (f"page {number}", list_pages[number - 1])),
        )
    for number in range(1, count + 1):
        yield Page(
            path=matrix_pages[number - 1],
            template="matrix.html",
            title=f"{repo.name}: platforms" + (f", page {number}" if number > 1 else ""),
            data={
                "schema": SCHEMA_VERSION,
                "kind": "platform-matrix",
                **common,
                "path": matrix_pages[number - 1],
                "page": number,
                "tags": rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
            },
            crumbs=(*repo_crumbs(registry, repo), ("platforms", matrix_pages[number - 1])),
        )


def _platform_columns(rows: list[dict[str, Any]]) -> list[str]:
    """Platforms present in the repository, most common first."""
    counts = Counter(cell["platform"] for row in rows for cell in row["platforms"])
    return [p for p, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def tag_data_file(page: Page) -> tuple[str, str] | None:
    """``_tags.js`` beside a repository page: every row, for sorting and filtering.

    A script rather than JSON because ``fetch()`` does not work for pages opened from
    disk, while ``<script src>`` does.
    """
    if page.data.get("kind") != "repository":
        return None
    payload = json.dumps(
        page.data["tags"], sort_keys=True, ensure_ascii=True, separators=(",", ":")
    )
    # ensure_ascii plus escaping "<" keeps a "</script>" in registry data harmless.
    payload = payload.replace("<", "\\u003c")
    return page.data["data_file"], f"window.sitegenTags = {payload};\n"
