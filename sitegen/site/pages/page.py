"""A page of the site, and the few facts every page builder shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sitegen.model import Registry, Repository, Tag
from sitegen.site import paths
from sitegen.site.pages.history_shapes import ChangesData, DiffData, HealthData
from sitegen.site.pages.packages_shapes import PackageData, PackagesData
from sitegen.site.pages.searchrecord import SearchRecord
from sitegen.site.pages.shapes import (
    DigestData,
    FirstSeenSource,
    HomeData,
    Location,
    RegistryData,
    RepositoryData,
    SearchData,
    TagData,
    TagListData,
    TagTimes,
)
from sitegen.site.pages.supplychain_shapes import BasesData, RebuildData
from sitegen.site.pages.views import NoView, PageView

SCHEMA_VERSION = 1

PageData = (
    HomeData
    | SearchData
    | RegistryData
    | RepositoryData
    | TagListData
    | TagData
    | DigestData
    | ChangesData
    | DiffData
    | HealthData
    | BasesData
    | RebuildData
    | PackagesData
    | PackageData
)
"""Any page's data (the 404 page has none: it is served for every missing path)."""

Locations = Mapping[str, list[Location]]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the site: where it goes, which template draws it, its data (also its
    ``index.json``) and the view of that data its template shows (``views``)."""

    path: str  # directory relative to the site root, "" or ending in "/"
    template: str
    title: str
    data: PageData
    crumbs: tuple[tuple[str, str], ...] = ()  # (label, path) from the home page down
    search: SearchRecord | None = None  # what the search index learns, if anything
    view: PageView = field(default_factory=NoView)


def repo_crumbs(registry: Registry, repo: Repository) -> tuple[tuple[str, str], ...]:
    """Breadcrumbs down to a repository."""
    return (
        (registry.name, paths.registry_path(registry.name)),
        (repo.name, paths.repository_path(registry.name, repo.name)),
    )


def tag_times(tag: Tag) -> TagTimes:
    """When a tag was pushed and first seen, as its rows and its page show them."""
    return {
        "pushed": tag.pushed or "",
        "first_seen": tag.first_seen or "",
        "first_seen_source": _SOURCES.get(tag.first_seen_source, ""),
        "new": tag.new,
    }


_SOURCES: dict[str, FirstSeenSource] = {s: s for s in ("registry", "catalog")}
