"""What changed since the previous build: new, removed and moved tags, new and removed
repositories. Computed from the state file before it is updated.

Changes are about the tags the catalog shows (after filters). Only what this build
actually saw is compared: a repository that failed (and is shown
stale) has no changes, and a registry crawled for the first time has none either (a
first build is not a change).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sitegen.crawl.state import RepositoryState, State
from sitegen.model import Change


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
        if before is None:
            changes.append(Change(now, registry, name, "repository-added"))
            changes.extend(
                Change(now, registry, name, "tag-added", tag, "", digest)
                for tag, digest in sorted(current.tags.items())
            )
            continue
        changes.extend(_tag_changes(now, registry, name, before.tags, current.tags))
    for registry, names in sorted(listed.items()):
        if registry not in known_registries:
            continue
        present = set(names)
        for reg, name in sorted(previous.repositories):
            if reg == registry and name not in present:
                changes.append(Change(now, registry, name, "repository-removed"))
    return changes


def _tag_changes(
    now: str, registry: str, name: str, old: Mapping[str, str], after: Mapping[str, str]
) -> Iterable[Change]:
    for tag in sorted(set(old) | set(after)):
        if tag not in old:
            yield Change(now, registry, name, "tag-added", tag, "", after[tag])
        elif tag not in after:
            yield Change(now, registry, name, "tag-removed", tag, old[tag], "")
        elif old[tag] != after[tag]:
            yield Change(now, registry, name, "tag-moved", tag, old[tag], after[tag])
