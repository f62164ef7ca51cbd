"""A repository's pages as a function of the repository and of what it needs from the
rest of the catalog.

The pages of one repository (its tag lists, tag and digest pages, diffs) show a few
things that other repositories decide: where else each of its digests is tagged, the
base image of each of its images (and whether that base has moved), its change history
as the catalog keeps it, and the base tags its ``base-moved`` changes link to.
:class:`RepositoryInputs` holds exactly those, and :func:`repository_unit` builds the
pages from the repository and its inputs alone, with nothing else of the catalog in
reach. So equal inputs give the same pages, byte for byte: a repository rendered while
the rest of the catalog was still being crawled, from inputs guessed then, is kept
when the guess equals the inputs of the finished catalog (``sitegen.site.stream``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sitegen.model import Catalog, Change, Manifest, Registry, Repository
from sitegen.site.pages.bases import Bases
from sitegen.site.pages.history import Timeline
from sitegen.site.pages.manifest import manifest_pages
from sitegen.site.pages.page import Locations, Page
from sitegen.site.pages.repository import repository_pages, tag_rows
from sitegen.site.pages.searchrecord import badge_tokens
from sitegen.supplychain_model import BaseImage


@dataclass(frozen=True, slots=True)
class RepositoryInputs:
    """What the pages of one repository read besides the repository itself."""

    registry: str
    pull_host: str
    default_platform: str
    # Each of its tagged digests -> every (registry, repository, tag) it is tagged as.
    locations: Locations
    bases: Bases  # its own platform manifests' bases (keys of ``Catalog.bases``)
    changes: tuple[Change, ...]  # its changes in the catalog's history, newest first
    previous: Mapping[str, Manifest]  # manifests its moved tags pointed to before
    base_paths: Mapping[str, str]  # base of each of its base-moved changes -> page or ""


class CatalogInputs:
    """The inputs of every repository of one catalog, each found without a walk over
    the whole catalog."""

    def __init__(self, catalog: Catalog, timeline: Timeline, locations: Locations) -> None:
        self.catalog = catalog
        self.timeline = timeline
        self.locations = locations
        self.bases: dict[tuple[str, str], dict[tuple[str, str, str], BaseImage]] = defaultdict(dict)
        for key, base in catalog.bases.items():
            self.bases[(key[0], key[1])][key] = base

    def __call__(self, registry: Registry, repo: Repository) -> RepositoryInputs:
        """The inputs of ``repo`` of ``registry``."""
        timeline = self.timeline
        changes = tuple(timeline.by_repo.get((registry.name, repo.name), ()))
        tagged = sorted({tag.digest for tag in repo.tags})
        return RepositoryInputs(
            registry=registry.name,
            pull_host=registry.pull_host,
            default_platform=self.catalog.default_platform,
            locations={d: self.locations[d] for d in tagged if d in self.locations},
            bases=self.bases.get((registry.name, repo.name), {}),
            changes=changes,
            previous=moved_manifests(changes, self.catalog.previous),
            base_paths={c.base: timeline.base_path(c.base) for c in changes if c.base},
        )


def moved_manifests(
    changes: tuple[Change, ...], *known: Mapping[str, Manifest]
) -> dict[str, Manifest]:
    """The manifests ``changes`` move a tag from or to, found in ``known`` (moved tags'
    earlier ones; the first that holds one)."""
    moved = {d for c in changes if c.kind == "tag-moved" for d in (c.old, c.new)}
    found: dict[str, Manifest] = {}
    for digest in sorted(moved):
        for manifests in known:
            if digest in manifests:
                found[digest] = manifests[digest]
                break
    return found


def repository_unit(repo: Repository, inputs: RepositoryInputs) -> Iterator[Page]:
    """Every page of ``repo``: its tag lists, tag and digest pages and diffs."""
    registry = Registry(name=inputs.registry, url="", pull_host=inputs.pull_host)
    own = Catalog(
        title="",
        registries=(Registry(name=inputs.registry, url="", pull_host="", repositories=(repo,)),),
        changes=inputs.changes,
        previous=inputs.previous,
        default_platform=inputs.default_platform,
        bases=inputs.bases,
    )
    timeline = Timeline(own, base_paths=inputs.base_paths)
    rows = tag_rows(registry, repo, inputs.default_platform, inputs.bases)
    yield from repository_pages(registry, repo, rows, timeline)
    badges = {row["digest"]: badge_tokens(row) for row in rows}
    yield from manifest_pages(
        registry,
        repo,
        inputs.locations,
        timeline,
        inputs.default_platform,
        inputs.bases,
        badges,
    )
    yield from timeline.diff_pages(registry, repo)
