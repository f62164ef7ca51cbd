"""A page of the site, and the few facts every page builder shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sitegen.site import paths
from sitegen.model import Registry, Repository

SCHEMA_VERSION = 1

Locations = Mapping[str, list[dict[str, str]]]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the site: where it goes, which template draws it, and its data."""

    path: str  # directory relative to the site root, "" or ending in "/"
    template: str
    title: str
    data: dict[str, Any]
    crumbs: tuple[tuple[str, str], ...] = ()  # (label, path) from the home page down
    search: dict[str, Any] = field(default_factory=dict)  # what the search index learns


def repo_crumbs(registry: Registry, repo: Repository) -> tuple[tuple[str, str], ...]:
    """Breadcrumbs down to a repository."""
    return (
        (registry.name, paths.registry_path(registry.name)),
        (repo.name, paths.repository_path(registry.name, repo.name)),
    )
