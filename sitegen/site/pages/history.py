"""Pages about change and health: recent changes, tag diffs, and crawl health.

A :class:`Timeline` indexes the change history once, so repository and tag pages can
show their own history and link to diffs: between a tag's previous and current digest
(when the tag moved and both manifests are known) and between consecutive versions.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator

from sitegen.model import Catalog, Change, Manifest, Registry, Repository
from sitegen.oci.versions import is_version, version_key
from sitegen.site import paths
from sitegen.site.diff import compare
from sitegen.site.pages.history_shapes import (
    ChangesData,
    DiffData,
    DiffSide,
    FailedRepository,
    HealthData,
    RegistryHealth,
    TroubledRepository,
)
from sitegen.site.pages.page import SCHEMA_VERSION, Page, repo_crumbs
from sitegen.site.pages.shapes import ChangeRow, Comparison
from sitegen.site.pages.views import changes_view

HISTORY_SHOWN = 20
VERSION_DIFFS = 20  # consecutive-version diff pages per repository
_VERBS = {
    "tag-added": "new tag",
    "tag-removed": "tag removed",
    "tag-moved": "tag moved",
    "repository-added": "new repository",
    "repository-removed": "repository removed",
}


class Timeline:
    """The change history of a catalog, indexed for the pages that show it."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.repositories: dict[tuple[str, str], Repository] = {
            (registry.name, repo.name): repo
            for registry in catalog.registries
            for repo in registry.repositories
        }
        self.by_repo: dict[tuple[str, str], list[Change]] = defaultdict(list)
        self.by_tag: dict[tuple[str, str, str], list[Change]] = defaultdict(list)
        for change in catalog.changes:
            self.by_repo[(change.registry, change.repository)].append(change)
            if change.tag:
                self.by_tag[(change.registry, change.repository, change.tag)].append(change)
        # (registry, repository) -> {(old digest, new digest): [(reason, old label, new label)]}
        # One pair can be both a moved tag and a version step: each page picks its label.
        self.diffs: dict[tuple[str, str], dict[tuple[str, str], list[tuple[str, str, str]]]] = (
            defaultdict(dict)
        )
        for (registry, _), repo in self.repositories.items():
            self._plan_diffs(registry, repo)

    def manifest(self, registry: str, repository: str, digest: str) -> Manifest | None:
        """A manifest by digest: shown in the repository now, or loaded for a moved tag."""
        repo = self.repositories.get((registry, repository))
        if repo is not None and digest in repo.manifests:
            return repo.manifests[digest]
        return self.catalog.previous.get(digest)

    def _plan_diffs(self, registry: str, repo: Repository) -> None:
        planned = self.diffs[(registry, repo.name)]
        for change in self.by_repo.get((registry, repo.name), []):
            if change.kind != "tag-moved":
                continue
            known = self.manifest(registry, repo.name, change.old) and self.manifest(
                registry, repo.name, change.new
            )
            reasons = planned.setdefault((change.old, change.new), [])
            if known and not any(r[0] == "moved" and r[2] == change.tag for r in reasons):
                reasons.append(("moved", f"{change.tag} before {change.time[:10]}", change.tag))
            if not reasons:
                del planned[(change.old, change.new)]
        versions = sorted(
            (t for t in repo.tags if is_version(t.name)), key=lambda t: version_key(t.name)
        )
        # The newest steps only: people compare recent releases, and a diff page for each
        # of thousands of old versions would double the site for little use.
        for older, newer in itertools.pairwise(versions[-(VERSION_DIFFS + 1) :]):
            if older.digest != newer.digest:
                planned.setdefault((older.digest, newer.digest), []).append(
                    ("versions", older.name, newer.name)
                )

    # -- what repository and tag pages show ----------------------------------------------

    def change_row(self, change: Change) -> ChangeRow:
        """One change as a row: what, where, and links to the tag and the diff."""
        repo = self.repositories.get((change.registry, change.repository))
        tags_now = {t.name for t in repo.tags} if repo else set()
        diff = ""
        if change.kind == "tag-moved" and (change.old, change.new) in self.diffs.get(
            (change.registry, change.repository), {}
        ):
            diff = paths.diff_path(change.registry, change.repository, change.old, change.new)
        return {
            "time": change.time,
            "registry": change.registry,
            "repository": change.repository,
            "repository_path": paths.repository_path(change.registry, change.repository)
            if repo
            else "",
            "kind": change.kind,
            "what": _VERBS[change.kind],
            "tag": change.tag,
            "tag_path": paths.tag_path(change.registry, change.repository, change.tag)
            if change.tag in tags_now
            else "",
            "old": change.old,
            "new": change.new,
            "diff_path": diff,
        }

    def repository_history(self, registry: str, repository: str) -> list[ChangeRow]:
        """The newest changes of one repository."""
        changes = self.by_repo.get((registry, repository), [])[:HISTORY_SHOWN]
        return [self.change_row(c) for c in changes]

    def tag_history(self, registry: str, repository: str, tag: str) -> list[ChangeRow]:
        """The newest changes of one tag."""
        changes = self.by_tag.get((registry, repository, tag), [])[:HISTORY_SHOWN]
        return [self.change_row(c) for c in changes]

    def comparisons(self, registry: str, repository: str, tag: str) -> list[Comparison]:
        """Diffs that end at ``tag``: since it last moved, and since the previous version."""
        found: list[Comparison] = []
        for (old, new), reasons in sorted(self.diffs.get((registry, repository), {}).items()):
            for reason, old_label, new_label in reasons:
                if new_label != tag:
                    continue
                label = (
                    f"Changes since {old_label}"
                    if reason == "moved"
                    else f"Compare with {old_label}"
                )
                found.append(
                    {
                        "label": label,
                        "reason": reason,
                        "path": paths.diff_path(registry, repository, old, new),
                    }
                )
        return sorted(found, key=lambda c: (c["reason"] != "moved", c["label"]))

    # -- pages ---------------------------------------------------------------------------

    def diff_pages(self, registry: Registry, repo: Repository) -> Iterator[Page]:
        """One page per planned diff of ``repo``."""
        for (old_digest, new_digest), reasons in sorted(
            self.diffs.get((registry.name, repo.name), {}).items()
        ):
            reason, old_label, new_label = reasons[0]
            old = self.manifest(registry.name, repo.name, old_digest)
            new = self.manifest(registry.name, repo.name, new_digest)
            if old is None or new is None:
                continue
            path = paths.diff_path(registry.name, repo.name, old_digest, new_digest)
            title = f"{repo.name}: {old_label} → {new_label}"
            data: DiffData = {
                "schema": SCHEMA_VERSION,
                "kind": "diff",
                "registry": registry.name,
                "repository": repo.name,
                "repository_path": paths.repository_path(registry.name, repo.name),
                "path": path,
                "reason": reason,
                "old": _side(registry.name, repo, old_digest, old_label),
                "new": _side(registry.name, repo, new_digest, new_label),
                **compare(old, new),
            }
            yield Page(
                path=path,
                template="diff.html",
                title=title,
                data=data,
                crumbs=(*repo_crumbs(registry, repo), (f"{old_label} → {new_label}", path)),
            )


def _side(registry: str, repo: Repository, digest: str, label: str) -> DiffSide:
    return {
        "digest": digest,
        "label": label,
        "path": paths.digest_path(registry, repo.name, digest) if digest in repo.manifests else "",
    }


def changes_page(timeline: Timeline) -> Page:
    """Everything that changed, newest first, across all registries."""
    rows = [timeline.change_row(c) for c in timeline.catalog.changes]
    data: ChangesData = {
        "schema": SCHEMA_VERSION,
        "kind": "changes",
        "path": paths.CHANGES_PATH,
        "feed": paths.SITE_FEED,
        "changes": rows,
    }
    return Page(
        path=paths.CHANGES_PATH,
        template="changes.html",
        title="Recent changes",
        data=data,
        crumbs=(("Recent changes", paths.CHANGES_PATH),),
        view=changes_view(rows),
    )


def health_page(catalog: Catalog) -> Page:
    """Per registry: what was crawled, what failed, what is stale and since when."""
    registries: list[RegistryHealth] = []
    for registry in catalog.registries:
        failed: list[FailedRepository] = [
            {
                "name": repo.name,
                "path": paths.repository_path(registry.name, repo.name),
                "error": repo.error,
                "stale_since": repo.stale_since,
            }
            for repo in registry.failed_repositories
        ]
        troubled: list[TroubledRepository] = [
            {
                "name": repo.name,
                "path": paths.repository_path(registry.name, repo.name),
                "problems": list(repo.problems),
            }
            for repo in registry.repositories_with_problems
            if not repo.error
        ]
        remaining, limit = catalog.rate_limits.get(registry.name, (None, None))
        registries.append(
            {
                "name": registry.name,
                "url": registry.url,
                "pull_host": registry.pull_host,
                "path": paths.registry_path(registry.name),
                "status": registry.status,
                "error": registry.error,
                "repositories": len(registry.repositories),
                "failed_repositories": failed,
                "stale_since": registry.stale_since,
                "problems": sum(len(r.problems) for r in registry.repositories),
                "repositories_with_problems": troubled,
                "rate_limit_remaining": remaining,
                "rate_limit": limit,
            }
        )
    data: HealthData = {
        "schema": SCHEMA_VERSION,
        "kind": "health",
        "path": paths.HEALTH_PATH,
        "registries": registries,
    }
    return Page(
        path=paths.HEALTH_PATH,
        template="health.html",
        title="Crawl health",
        data=data,
        crumbs=(("Crawl health", paths.HEALTH_PATH),),
    )
