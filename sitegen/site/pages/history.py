"""Pages about change and health: recent changes, tag diffs, and crawl health.

A :class:`Timeline` indexes the change history once, so repository and tag pages can
show their own history and link to diffs: between a tag's previous and current digest
(when the tag moved and both manifests are known) and between consecutive versions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from sitegen.model import Catalog, Change, Manifest, Registry, Repository
from sitegen.oci.versions import is_prerelease, is_version, version_key
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
    "base-moved": "base moved",
}


class Timeline:
    """The change history of a catalog, indexed for the pages that show it."""

    def __init__(self, catalog: Catalog, base_paths: Mapping[str, str] | None = None) -> None:
        """``base_paths``: the page of each base tag that ``base-moved`` changes name, for
        a catalog that does not hold those bases (one repository's share of it)."""
        self.catalog = catalog
        self.base_paths = base_paths
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
        # (registry, repository) -> {(old digest, new digest): [Planned, ...]}
        # One pair can be both a moved tag and a version step: each page picks its own.
        self.diffs: dict[tuple[str, str], dict[tuple[str, str], list[Planned]]] = defaultdict(dict)
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
        held = repo.tags_by_digest()
        for change in self.by_repo.get((registry, repo.name), []):
            if change.kind != "tag-moved":
                continue
            known = self.manifest(registry, repo.name, change.old) and self.manifest(
                registry, repo.name, change.new
            )
            reasons = planned.setdefault((change.old, change.new), [])
            if known and not any(r.reason == "moved" and r.tag == change.tag for r in reasons):
                old_name = _version_name(held.get(change.old, []), change.tag) or _version_name(
                    self._held_before(registry, repo.name, change.old), change.tag
                )
                new_name = _version_name(held.get(change.new, []), change.tag)
                before = f" before {change.time[:10]}"
                if old_name and old_name == new_name:  # the version itself was rebuilt
                    old_name += before
                reasons.append(
                    Planned(
                        "moved",
                        change.tag,
                        old_name or change.tag + before,
                        new_name or change.tag,
                    )
                )
            if not reasons:
                del planned[(change.old, change.new)]
        for older, newer in _version_steps(repo, held):
            planned.setdefault((older, newer), []).append(
                Planned("versions", "", _version_name(held[older]), _version_name(held[newer]))
            )

    def _held_before(self, registry: str, repository: str, digest: str) -> list[str]:
        """Tags the change history saw pointing to ``digest``."""
        return [
            c.tag
            for c in self.by_repo.get((registry, repository), [])
            if (c.kind in ("tag-moved", "tag-removed") and c.old == digest)
            or (c.kind == "tag-added" and c.new == digest)
        ]

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
            "base": change.base,
            "base_path": self.base_path(change.base),
        }

    def base_path(self, base: str) -> str:
        """The page of a ``base-moved`` change's base tag (``registry/name:tag``), while
        it is shown."""
        if self.base_paths is not None:
            return self.base_paths.get(base, "")
        registry, _, rest = base.partition("/")
        name, _, tag = rest.rpartition(":")
        repo = self.repositories.get((registry, name))
        if repo is None or not any(t.name == tag for t in repo.tags):
            return ""
        return paths.tag_path(registry, name, tag)

    def repository_history(self, registry: str, repository: str) -> list[ChangeRow]:
        """The newest changes of one repository."""
        changes = self.by_repo.get((registry, repository), [])[:HISTORY_SHOWN]
        return [self.change_row(c) for c in changes]

    def tag_history(self, registry: str, repository: str, tag: str) -> list[ChangeRow]:
        """The newest changes of one tag."""
        changes = self.by_tag.get((registry, repository, tag), [])[:HISTORY_SHOWN]
        return [self.change_row(c) for c in changes]

    def comparisons(self, registry: str, repository: str, tag: str) -> list[Comparison]:
        """Diffs that end at ``tag``: since it last moved, and from the previous version
        to its image. Each goes forward (old -> new) and names both ends."""
        repo = self.repositories.get((registry, repository))
        digest = next((t.digest for t in repo.tags if t.name == tag), "") if repo else ""
        found: list[Comparison] = []
        for (old, new), reasons in sorted(self.diffs.get((registry, repository), {}).items()):
            for planned in reasons:
                if planned.tag != tag and not (planned.reason == "versions" and new == digest):
                    continue
                found.append(
                    {
                        "label": planned.title,
                        "reason": planned.reason,
                        "path": paths.diff_path(registry, repository, old, new),
                    }
                )
        found.sort(key=lambda c: (c["reason"] != "moved", c["label"]))
        # A moved tag's diff may also be a version step: one chip per page, the first.
        unique: dict[str, Comparison] = {}
        for comparison in found:
            unique.setdefault(comparison["path"], comparison)
        return list(unique.values())

    # -- pages ---------------------------------------------------------------------------

    def diff_pages(self, registry: Registry, repo: Repository) -> Iterator[Page]:
        """One page per planned diff of ``repo``."""
        for (old_digest, new_digest), reasons in sorted(
            self.diffs.get((registry.name, repo.name), {}).items()
        ):
            planned = reasons[0]
            old = self.manifest(registry.name, repo.name, old_digest)
            new = self.manifest(registry.name, repo.name, new_digest)
            if old is None or new is None:
                continue
            path = paths.diff_path(registry.name, repo.name, old_digest, new_digest)
            title = f"{repo.name}: {planned.title}"
            data: DiffData = {
                "schema": SCHEMA_VERSION,
                "kind": "diff",
                "registry": registry.name,
                "repository": repo.name,
                "repository_path": paths.repository_path(registry.name, repo.name),
                "path": path,
                "reason": planned.reason,
                "tag": planned.tag,
                "title": planned.title,
                "old": _side(registry.name, repo, old_digest, planned.old),
                "new": _side(registry.name, repo, new_digest, planned.new),
                **compare(old, new),
            }
            yield Page(
                path=path,
                template="diff.html",
                title=title,
                data=data,
                crumbs=(*repo_crumbs(registry, repo), (planned.title, path)),
            )


class Planned(NamedTuple):
    """A diff page and why: a ``moved`` tag (``tag``) or a ``versions`` step; what its
    two ends are called (``v1.2.0``, or ``latest before 2024-06-01`` when no version
    tag is known to have held the old digest)."""

    reason: str
    tag: str
    old: str
    new: str

    @property
    def title(self) -> str:
        """``latest: v1.2.0 → v1.3.0``, ``v1.2.0 → v1.3.0``."""
        ends = f"{self.old} → {self.new}"
        if self.reason == "moved" and not self.old.startswith(f"{self.tag} before "):
            return f"{self.tag}: {ends}"
        return ends


def _version_name(tags: list[str], besides: str = "") -> str:
    """The newest version tag among ``tags`` (other than ``besides``), else ``""``."""
    versions = [t for t in tags if is_version(t) and t != besides]
    return max(versions, key=version_key) if versions else ""


def _version_steps(repo: Repository, held: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(older, newer) digest pairs between consecutive images in version order.

    An image is ranked by its newest version tag (``3`` and ``3.20`` are ``3.20.1``
    when they are the same digest). Each image is compared with the nearest lower
    version that is not newer in time (a maintenance release built after a major one
    is compared with its own line, not shown "going back"), a stable one with a stable
    one where there is one. The newest ``VERSION_DIFFS`` images only: people compare
    recent releases, and a diff per old version would double the site for little use.
    """
    ranked = sorted(
        ((_version_name(names), digest) for digest, names in held.items() if _version_name(names)),
        key=lambda pair: version_key(pair[0]),
    )
    created = {d: m.created for d, m in repo.manifests.items()}
    steps: list[tuple[str, str]] = []
    for position in range(max(0, len(ranked) - VERSION_DIFFS), len(ranked)):
        name, digest = ranked[position]
        lower = [
            (n, d)
            for n, d in reversed(ranked[:position])
            if not (created.get(d) and created.get(digest) and created[d] > created[digest])
        ]
        stable = [(n, d) for n, d in lower if not is_prerelease(n)]
        chosen = (stable if stable and not is_prerelease(name) else lower)[:1]
        steps.extend((d, digest) for _, d in chosen)
    return steps


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
                "problems": [str(problem) for problem in repo.problems],
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
