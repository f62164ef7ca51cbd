"""The guess of a repository's inputs while the catalog is still being crawled.

``sitegen.site.stream`` renders each repository as its crawl ends, before the catalog
is whole. What other repositories decide about it (``RepositoryInputs``) is guessed
then: from the previous build's catalog, kept in the cache directory as
``render-guess.json`` (its repositories with their tags alone, its history, old
manifests and bases), from this build's repositories crawled so far, and from the
repository's own tags against the previous build's: its changes, which the build
adds to the history once the crawl ends, with the manifests its moved tags pointed to
before (the crawl hands those over with the repository). Bases are past guessing.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from sitegen import modeljson
from sitegen.config import SiteConfig
from sitegen.errors import FileRefused
from sitegen.files import read_limited
from sitegen.model import Catalog, Manifest, Registry, Repository, repository_changes
from sitegen.site.pages.catalog import digest_locations, tag_locations
from sitegen.site.pages.history import Timeline
from sitegen.site.pages.inputs import CatalogInputs, RepositoryInputs, moved_manifests
from sitegen.site.pages.shapes import Location

log = logging.getLogger("sitegen.site")

GUESS_FILE = "render-guess.json"
MAX_GUESS_BYTES = 256 << 20


def save_guess(cache_dir: Path, catalog: Catalog) -> None:
    """Keep what the next build's guess needs of ``catalog``: its registries and
    repositories with their tags alone, its history, old manifests and bases. A
    repository that failed with nothing to show is left out: the build did not see it,
    so it is new when it is seen (``repository-added``)."""
    kept = replace(
        catalog,
        registries=tuple(
            replace(
                registry,
                repositories=tuple(
                    Repository(name=repo.name, tags=repo.tags)
                    for repo in registry.repositories
                    if repo.stale_since or not repo.error
                ),
            )
            for registry in catalog.registries
        ),
    )
    path = cache_dir / GUESS_FILE
    temporary = path.with_name(f".{GUESS_FILE}.{os.getpid()}")
    try:
        temporary.write_bytes(modeljson.dumps(kept))
        temporary.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        log.debug("cache: cannot keep %s (%s)", GUESS_FILE, exc)


def load_guess(path: Path | None) -> Catalog | None:
    """The catalog ``save_guess`` kept at ``path``, or None (none, unreadable, another
    version): only a guess, so any doubt is no guess."""
    if path is None:
        return None
    try:
        return modeljson.loads(read_limited(path, MAX_GUESS_BYTES))
    except (OSError, FileRefused, ValueError) as exc:
        log.debug("cache: no render guess (%s)", exc)
        return None


class Guess:
    """Each repository's likely inputs: the previous build's, except where its digests
    are tagged (this build's tags of the repositories seen so far, itself included, the
    previous build's of the others) and its history (the changes of its tags since the
    previous build, stamped ``built``, then the previous build's history).
    ``registries``: their names in the config's order (the catalog's)."""

    def __init__(
        self, site: SiteConfig, registries: list[str], previous: Catalog | None, built: str = ""
    ) -> None:
        self.order = {name: n for n, name in enumerate(registries)}
        self.built = built
        catalog = previous or Catalog(title="", registries=())
        catalog = replace(catalog, default_platform=site.default_platform)
        self.before = digest_locations(catalog)
        self.previous = CatalogInputs(catalog, Timeline(catalog), self.before)
        self.now: dict[str, list[Location]] = defaultdict(list)
        self.seen: set[tuple[str, str]] = set()
        # The manifests this build's moved tags pointed to before, where their
        # repositories no longer show them (the crawl hands them over).
        self.earlier: dict[str, Manifest] = {}
        # Each repository's tags in the previous build, for its changes; a registry
        # seen for the first time has none (a first build is not a change).
        self.tags_before = {
            (registry.name, repo.name): {tag.name: tag.digest for tag in repo.tags}
            for registry in catalog.registries
            for repo in registry.repositories
        }
        self.known = {registry for registry, _ in self.tags_before}

    def __call__(self, registry: Registry, repo: Repository) -> RepositoryInputs:
        """Learn where ``repo`` of ``registry`` (its name and pull host) tags its digests;
        return the inputs it will likely have."""
        self.learn(registry, repo)
        return self.inputs(registry, repo)

    def learn(self, registry: Registry, repo: Repository) -> None:
        """``repo`` is crawled: where it tags its digests is known now."""
        self.seen.add((registry.name, repo.name))
        for digest, entry in tag_locations(registry.name, repo):
            self.now[digest].append(entry)

    def inputs(self, registry: Registry, repo: Repository) -> RepositoryInputs:
        """The inputs ``repo`` will likely have, from what is known now."""
        before = self.previous(registry, repo)
        own = sorted({tag.digest for tag in repo.tags})
        before = replace(before, locations={d: self._where(d) for d in own})
        if registry.name not in self.known:
            return before
        tags = {tag.name: tag.digest for tag in repo.tags}
        old = self.tags_before.get((registry.name, repo.name))
        found = repository_changes(self.built, registry.name, repo.name, old, tags)
        if not found:
            return before
        changes = (*sorted(found, reverse=True), *before.changes)
        previous = moved_manifests(changes, self.earlier, self.previous.catalog.previous)
        return replace(before, changes=changes, previous=previous)

    def _where(self, digest: str) -> list[Location]:
        found = [
            entry
            for entry in self.before.get(digest, [])
            if (entry["registry"], entry["repository"]) not in self.seen
        ]
        found.extend(self.now[digest])
        # The catalog's order; stable, so each repository's tags keep theirs.
        found.sort(key=lambda e: (self.order.get(e["registry"], len(self.order)), e["repository"]))
        return found
