"""Model -> pages. One pure data builder per kind of page; no I/O, no Jinja.

Each :class:`Page` carries ``data``: plain JSON values that the template renders AND
that are written verbatim as the ``index.json`` beside the page, so scripts see
exactly what people see. ``shapes`` declares each kind's shape and ``docs/json.md``
documents it (a test holds the two together).

This module builds the site-wide pages (home, search, registry) and ``api/catalog.json``
and says which pages the site has (``page_units``); ``repository`` builds a repository's
tag lists, ``manifest`` its tag and digest pages, ``history`` changes, diffs and health.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sitegen.model import (
    Catalog,
    Index,
    Manifest,
    Platform,
    Registry,
    Repository,
    platform_label,
)
from sitegen.oci.versions import version_key
from sitegen.site import paths
from sitegen.site.markup import excerpt, render_markdown
from sitegen.site.pages.bases import bases_page, rebuild_document, rebuild_page
from sitegen.site.pages.history import Timeline, changes_page, health_page
from sitegen.site.pages.inputs import CatalogInputs, RepositoryInputs, repository_unit
from sitegen.site.pages.manifest import manifest_kind
from sitegen.site.pages.packages import PackageIndex, package_index, package_pages
from sitegen.site.pages.page import SCHEMA_VERSION, Locations, Page
from sitegen.site.pages.repository import PAGE_SIZE, description
from sitegen.site.pages.shapes import (
    CatalogDocument,
    CatalogImage,
    CatalogRepository,
    HomeData,
    Location,
    Namespace,
    RecentImage,
    RegistryData,
    RegistrySummary,
    RepositoryEntry,
    SearchData,
)
from sitegen.site.pages.views import home_view, registry_view

__all__ = [
    "PAGE_SIZE",
    "Page",
    "PageUnit",
    "build_pages",
    "catalog_document",
    "page_units",
]

RECENT_LIMIT = 12


@dataclass(frozen=True, slots=True)
class PageUnit:
    """A share of the site's pages that is built as a whole: the site-wide pages, a
    registry's page, or everything of one repository. ``weight`` estimates its cost."""

    weight: int
    pages: Callable[[], Iterator[Page]]
    # A repository's unit: the repository and what its pages read of the rest.
    repository: Repository | None = None
    inputs: RepositoryInputs | None = None


def page_units(
    catalog: Catalog, timeline: Timeline | None = None, packages: PackageIndex | None = None
) -> list[PageUnit]:
    """The site's pages as units, in page order; building a unit builds only its pages.
    ``packages``: the catalog's package index, when the caller has built it already."""
    timeline = timeline or Timeline(catalog)
    inputs = CatalogInputs(catalog, timeline, digest_locations(catalog))
    index = packages if packages is not None else package_index(catalog)

    def site_pages() -> Iterator[Page]:
        yield home_page(catalog)
        yield search_page(catalog)
        yield changes_page(timeline)
        yield health_page(catalog)
        yield bases_page(catalog)
        yield rebuild_page(catalog)

    def registry_unit(registry: Registry) -> Iterator[Page]:
        yield registry_page(registry)

    units = [
        PageUnit(6, site_pages),
        PageUnit(1 + len(index.packages), lambda: package_pages(index)),
    ]
    for registry in catalog.registries:
        units.append(PageUnit(1, functools.partial(registry_unit, registry)))
        for repository in registry.repositories:
            found = inputs(registry, repository)
            units.append(
                PageUnit(
                    1 + len(repository.tags) + len(repository.manifests),
                    functools.partial(repository_unit, repository, found),
                    repository,
                    found,
                )
            )
    return units


def build_pages(catalog: Catalog) -> Iterator[Page]:
    """Every page of the site, home first, in a stable order."""
    for unit in page_units(catalog):
        yield from unit.pages()


def digest_locations(catalog: Catalog) -> Locations:
    """Every (registry, repository, tag) each digest is tagged as: aliases across the site."""
    found: dict[str, list[Location]] = defaultdict(list)
    for registry in catalog.registries:
        for repo in registry.repositories:
            for digest, location in tag_locations(registry.name, repo):
                found[digest].append(location)
    return found


def tag_locations(registry: str, repo: Repository) -> Iterator[tuple[str, Location]]:
    """Each tag of ``repo`` as (its digest, where it is)."""
    for tag in repo.tags:
        yield (
            tag.digest,
            {
                "registry": registry,
                "repository": repo.name,
                "tag": tag.name,
                "path": paths.tag_path(registry, repo.name, tag.name),
            },
        )


def catalog_document(catalog: Catalog) -> CatalogDocument:
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
                    _catalog_repository(registry, repo) for repo in registry.repositories
                ],
            }
            for registry in catalog.registries
        ],
    }


def _catalog_repository(registry: Registry, repo: Repository) -> CatalogRepository:
    """A repository in ``api/catalog.json``: each tag's digest, each digest's facts once
    (the tags of one image share them, which keeps the file small)."""
    images: dict[str, CatalogImage] = {}
    for tag in repo.tags:
        manifest = repo.manifest(tag)
        if manifest is None or tag.digest in images:
            continue
        images[tag.digest] = {
            "kind": manifest_kind(manifest),
            "platforms": [platform_label(p) for p in _platforms(manifest)],
            "created": manifest.created,
        }
    return {
        "name": repo.name,
        "path": paths.repository_path(registry.name, repo.name),
        "tags": [tag.name for tag in repo.tags],
        "digests": {tag.name: tag.digest for tag in repo.tags},
        "images": images,
        "error": repo.error,
        "stale_since": repo.stale_since,
    }


def _platforms(manifest: Manifest) -> tuple[Platform, ...]:
    if isinstance(manifest, Index):
        return manifest.platforms
    return (manifest.platform,) if manifest.platform is not None else ()


# -- home, search and registry ----------------------------------------------------------


def home_page(catalog: Catalog) -> Page:
    """The landing page: every registry with counts, and recently updated images."""
    recent: list[RecentImage] = []
    for registry in catalog.registries:
        for repo in registry.repositories:
            # One row per image: its tags (``3.20.1``, ``3.20``, ``latest``) together,
            # named by the first in version order, as the repository page lists them.
            for digest, names in repo.tags_by_digest().items():
                manifest = repo.manifests.get(digest)
                if manifest is None or not manifest.created:
                    continue
                names.sort(key=version_key, reverse=True)
                recent.append(
                    {
                        "registry": registry.name,
                        "repository": repo.name,
                        "tag": names[0],
                        "aliases": names[1:],
                        "digest": digest,
                        "created": manifest.created,
                        "path": paths.tag_path(registry.name, repo.name, names[0]),
                    }
                )
    recent.sort(
        key=lambda r: (r["created"], r["registry"], r["repository"], r["tag"]), reverse=True
    )
    data: HomeData = {
        "schema": SCHEMA_VERSION,
        "kind": "home",
        "title": catalog.title,
        "description_html": render_markdown(catalog.description) if catalog.description else "",
        "registries": [_registry_summary(r) for r in catalog.registries],
        "recent": recent[:RECENT_LIMIT],
        "rebuild": rebuild_document(catalog)["images"],
    }
    return Page(
        path=paths.HOME_PATH,
        template="home.html",
        title=catalog.title,
        data=data,
        view=home_view(data["registries"]),
    )


def search_page(catalog: Catalog) -> Page:
    """The search page (the index itself is built by ``search.py``)."""
    data: SearchData = {"schema": SCHEMA_VERSION, "kind": "search", "title": catalog.title}
    return Page(
        path=paths.SEARCH_PATH,
        template="search.html",
        title="Search",
        data=data,
        crumbs=(("Search", paths.SEARCH_PATH),),
    )


def _registry_summary(registry: Registry) -> RegistrySummary:
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
    """One registry: one table of its repositories (namespace, tag count, last update,
    description, status), with the repositories grouped by namespace in its data."""
    path = paths.registry_path(registry.name)
    repositories: list[RepositoryEntry] = [
        {
            "name": repo.name,
            "namespace": repo.name.rpartition("/")[0],
            "path": paths.repository_path(registry.name, repo.name),
            "tags": len(repo.tags),
            "updated": repo.updated,
            "description": excerpt(description(repo)),
            "error": repo.error,
            "stale_since": repo.stale_since,
        }
        for repo in registry.repositories
    ]
    grouped: dict[str, list[str]] = defaultdict(list)
    for repo in repositories:
        grouped[repo["namespace"]].append(repo["name"])
    namespaces: list[Namespace] = [
        {"name": name, "repositories": names} for name, names in sorted(grouped.items())
    ]
    summary = _registry_summary(registry)
    data: RegistryData = {
        "schema": SCHEMA_VERSION,
        "kind": "registry",
        **summary,
        "catalog_listed": registry.listed_by == "catalog",
        "listed_by": registry.listed_by,
        "listed_from": [{"kind": kind, "name": name} for kind, name in registry.listed_from],
        "repository_list": repositories,
        "namespaces": namespaces,
    }
    return Page(
        path=path,
        template="registry.html",
        title=registry.name,
        data=data,
        crumbs=((registry.name, path),),
        view=registry_view(data),
    )
