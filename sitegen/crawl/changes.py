"""What changed since the previous build: new, removed and moved tags, new and removed
repositories. Computed from the state file before it is updated.

Changes are about the tags the catalog shows (after filters). Only what this build
actually saw is compared: a repository that failed (and is shown
stale) has no changes, and a registry crawled for the first time has none either (a
first build is not a change).
"""

from __future__ import annotations

from sitegen.crawl.state import RepositoryState, State
from sitegen.model import Change, repository_changes


def compute(
    previous: State,
    fresh: dict[tuple[str, str], RepositoryState],
    listed: dict[str, tuple[str, ...]],
    now: str,
) -> list[Change]:
    """Changes between ``previous`` and this build's successful crawls."""
    known_registries = {registry for registry, _ in previous.repositories}
    changes: list[Change] = []
    for (registry, name), current in sorted(fresh.items()):
        if registry not in known_registries:
            continue
        before = previous.repositories.get((registry, name))
        old = None if before is None else before.tags
        changes.extend(repository_changes(now, registry, name, old, current.tags))
    for registry, names in sorted(listed.items()):
        if registry not in known_registries:
            continue
        present = set(names)
        for reg, name in sorted(previous.repositories):
            if reg == registry and name not in present:
                changes.append(Change(now, registry, name, "repository-removed"))
    return changes
