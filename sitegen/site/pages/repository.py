"""A repository's pages: its tag list (first page, further pages) and the tag x platform
matrix, from one row per shown tag.

A repository's tag list is long for some images (thousands of tags). Its page shows
the first ``PAGE_SIZE`` rows; ``_tags.js`` holds every row so the browser can sort and
filter all of them; and ``_pages/<n>/`` pages carry the rest for readers without
JavaScript.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Literal

from sitegen.model import Image, Registry, Repository, Tag
from sitegen.oci import kinds
from sitegen.oci.versions import is_prerelease, is_version, version_key
from sitegen.site import paths
from sitegen.site.markup import excerpt, render_markdown
from sitegen.site.pages.bases import Bases, stale_bases
from sitegen.site.pages.commands import use_commands
from sitegen.site.pages.history import Timeline
from sitegen.site.pages.image import described
from sitegen.site.pages.labels import about
from sitegen.site.pages.manifest import manifest_summary, platform_cells
from sitegen.site.pages.page import SCHEMA_VERSION, Page, repo_crumbs, tag_times
from sitegen.site.pages.provenance import provenance_by_subject, provenanced
from sitegen.site.pages.sbom import with_sbom
from sitegen.site.pages.searchrecord import SearchRecord
from sitegen.site.pages.shapes import (
    RecommendedTag,
    RepositoryData,
    TagListData,
    TagListFields,
    TagRow,
)
from sitegen.site.pages.supplychain import is_signed
from sitegen.site.pages.views import matrix_view, repository_view
from sitegen.site.pages.vulnerabilities import Vulnerabilities

PAGE_SIZE = 100
Reason = Literal["configured", "stable", "other", "prerelease"]


def recommend(repo: Repository) -> tuple[Tag, Reason] | None:
    """The tag the repository page recommends, and why.

    The configured ``recommended_tag`` when it is shown; else the newest stable version
    (a bare ``3.20.1`` before a variant such as ``3.21-alpine``); else a tag that is
    no version (``latest`` first, then the newest); a pre-release only when nothing
    else is left. Only tags whose manifest was read can be recommended.
    """
    tags = [t for t in repo.tags if repo.manifest(t) is not None]
    if not tags:
        return None
    for tag in tags:
        if tag.name == repo.recommended_tag:
            return tag, "configured"
    stable = [t for t in tags if is_version(t.name) and not is_prerelease(t.name)]
    if stable:
        bare = [t for t in stable if version_key(t.name)[2] == 1] or stable
        return max(bare, key=lambda t: version_key(t.name)), "stable"
    others = [t for t in tags if not is_version(t.name) and not is_prerelease(t.name)]
    if others:
        return max(others, key=lambda t: (t.name == "latest", _created(repo, t), t.name)), "other"
    versions = [t for t in tags if is_version(t.name)]
    if versions:
        return max(versions, key=lambda t: version_key(t.name)), "prerelease"
    return max(tags, key=lambda t: (_created(repo, t), t.name)), "prerelease"


def _created(repo: Repository, tag: Tag) -> str:
    manifest = repo.manifest(tag)
    return manifest.created if manifest is not None else ""


def description(repo: Repository) -> str:
    """The configured description, else the OCI description label of the recommended
    tag's image, else of the newest tag that has one."""
    if repo.description:
        return repo.description
    chosen = recommend(repo)
    for tag in [chosen[0]] if chosen else []:
        manifest = repo.manifest(tag)
        if manifest is not None and described(manifest):
            return described(manifest)
    for tag in repo.tags:
        manifest = repo.manifest(tag)
        if manifest is not None and described(manifest):
            return described(manifest)
    return ""


def tag_rows(
    registry: Registry, repo: Repository, default_platform: str, bases: Bases | None = None
) -> list[TagRow]:
    """One row per shown tag, newest version first: what every tag list shows
    (``bases``: the catalog's, for the ``stale base`` badge)."""
    by_digest = repo.tags_by_digest()
    ranks = {t.name: i for i, t in enumerate(sorted(repo.tags, key=lambda t: version_key(t.name)))}
    rows: list[TagRow] = []
    built = provenanced(repo, provenance_by_subject(repo))
    inside = with_sbom(repo)
    moved = stale_bases(bases or {}, registry.name, repo)
    scans = Vulnerabilities(repo)
    for tag in repo.tags:
        manifest = repo.manifest(tag)
        if manifest is None:
            continue
        rows.append(
            {
                "name": tag.name,
                "path": paths.tag_path(registry.name, repo.name, tag.name),
                "digest": tag.digest,
                **tag_times(tag),
                "digest_path": paths.digest_path(registry.name, repo.name, tag.digest),
                "version_rank": ranks[tag.name],
                "prerelease": is_prerelease(tag.name),
                "points_to": _points_to(tag.name, by_digest[tag.digest]),
                "aliases": [t for t in by_digest[tag.digest] if t != tag.name],
                **manifest_summary(manifest, default_platform),
                "platforms": platform_cells(registry.name, repo.name, manifest),
                "signed": is_signed(repo, tag.digest),
                "provenance": tag.digest in built,
                "sbom": tag.digest in inside,
                "stale_base": tag.digest in moved,
                "vulnerabilities": scans.badge(tag.digest),
            }
        )
    return rows


def _points_to(name: str, same: list[str]) -> str:
    """For a tag that is no version (``latest``): the newest version tag of its image."""
    if is_version(name):
        return ""
    versions = [t for t in same if is_version(t)]
    return max(versions, key=version_key) if versions else ""


def recommended_card(
    registry: Registry, repo: Repository, rows: list[TagRow]
) -> RecommendedTag | None:
    """The header card's tag: its row, why it was chosen, and how to pull it."""
    chosen = recommend(repo)
    row = next((r for r in rows if chosen and r["name"] == chosen[0].name), None)
    if chosen is None or row is None:
        return None
    pull = f"{registry.pull_host}/{repo.name}"
    manifest = repo.manifest(chosen[0])
    chart = None
    if isinstance(manifest, Image) and manifest.kind == kinds.HELM_CHART:
        chart = kinds.helm_chart(manifest.artifact_config)
    return {
        **row,
        "reason": chosen[1],
        "pull_tag": f"{pull}:{row['name']}",
        "pull_digest": f"{pull}@{row['digest']}",
        "commands": use_commands(
            pull,
            row["digest"],
            manifest.kind if manifest is not None else kinds.ARTIFACT,
            tag=row["name"],
            chart=chart,
            subject=manifest.subject if manifest is not None else "",
        ),
    }


def repository_pages(
    registry: Registry,
    repo: Repository,
    rows: list[TagRow],
    timeline: Timeline | None = None,
) -> Iterator[Page]:
    """The repository page, its further tag-list pages, and the platform matrix pages."""
    path = paths.repository_path(registry.name, repo.name)
    count = max(1, -(-len(rows) // PAGE_SIZE))
    list_pages = [paths.tag_list_path(registry.name, repo.name, n) for n in range(1, count + 1)]
    matrix_pages = [paths.matrix_path(registry.name, repo.name, n) for n in range(1, count + 1)]
    columns = _platform_columns(rows)
    text = description(repo)
    card = recommended_card(registry, repo, rows)

    def fields(page_path: str, number: int, tags: list[TagRow]) -> TagListFields:
        """What every list page of the repository carries: page ``number`` of it."""
        return {
            "registry": registry.name,
            "repository": repo.name,
            "repository_path": path,
            "path": page_path,
            "pull": f"{registry.pull_host}/{repo.name}",
            "data_file": paths.tag_data_path(registry.name, repo.name),
            "page": number,
            "page_size": PAGE_SIZE,
            "list_pages": list_pages,
            "matrix_path": matrix_pages[0],
            "matrix_pages": matrix_pages,
            "platform_columns": columns,
            "total_tags": repo.total_tags,
            "supply_chain_tags": repo.supply_chain_tags,
            "shown_tags": len(rows),
            "tags": tags,
        }

    def rows_of(number: int) -> list[TagRow]:
        return rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]

    history = timeline.repository_history(registry.name, repo.name) if timeline else []
    # Listed, readable, and no tags: the registry keeps a repository whose every tag was
    # deleted (distribution answers tags: null). Not a repository whose listing failed.
    emptied = not repo.tags and repo.total_tags == 0 and not repo.error
    data: RepositoryData = {
        "schema": SCHEMA_VERSION,
        "kind": "repository",
        **fields(path, 1, rows),  # every row: the page shows the first, _tags.js them all
        "name": repo.name,
        "description": text,
        "description_source": "config" if repo.description else "label" if text else "",
        "description_html": render_markdown(text) if text else "",
        "recommended": card,
        "recommended_missing": (repo.recommended_tag or "") if repo.recommended_missing else "",
        "about": about(repo.manifests.get(card["digest"]) if card else None),
        # The alias groups among the rows: the tags of each manifest that was read.
        "digests": [
            {"digest": digest, "tags": sorted(names, key=version_key, reverse=True)}
            for digest, names in sorted(repo.tags_by_digest().items())
            if digest in repo.manifests
        ],
        "problems": [str(problem) for problem in repo.problems],
        "error": repo.error,
        "stale_since": repo.stale_since,
        "history": history,
        "feed": paths.repository_feed(registry.name, repo.name),
        "emptied": emptied,
        "tags_gone_at": next(
            (row["time"] for row in history if emptied and row["kind"] == "tag-removed"), ""
        ),
    }
    search: SearchRecord = {
        "title": repo.name,
        "registry": registry.name,
        "repository": repo.name,
        "kind": "repository",
        "summary": f"{len(rows)} tags" + (f" · {excerpt(text)}" if text else ""),
        "names": repo.name,
        "keywords": " ".join(r["name"] for r in rows),
    }
    crumbs = repo_crumbs(registry, repo)
    yield Page(
        path=path,
        template="repository.html",
        title=repo.name,
        data=data,
        crumbs=crumbs,
        search=search,
        view=repository_view(data, PAGE_SIZE),
    )
    for number in range(2, count + 1):
        page_path = list_pages[number - 1]
        list_data: TagListData = {
            "schema": SCHEMA_VERSION,
            "kind": "tag-list",
            **fields(page_path, number, rows_of(number)),
        }
        yield Page(
            path=page_path,
            template="tag_list.html",
            title=f"{repo.name}: tags, page {number}",
            data=list_data,
            crumbs=(*crumbs, (f"page {number}", page_path)),
        )
    for number in range(1, count + 1):
        page_path = matrix_pages[number - 1]
        matrix_data: TagListData = {
            "schema": SCHEMA_VERSION,
            "kind": "platform-matrix",
            **fields(page_path, number, rows_of(number)),
        }
        yield Page(
            path=page_path,
            template="matrix.html",
            title=f"{repo.name}: platforms" + (f", page {number}" if number > 1 else ""),
            data=matrix_data,
            crumbs=(*crumbs, ("platforms", page_path)),
            view=matrix_view(matrix_data),
        )


def _platform_columns(rows: list[TagRow]) -> list[str]:
    """Platforms present in the repository, most common first."""
    counts = Counter(cell["platform"] for row in rows for cell in row["platforms"])
    return [p for p, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def tag_data_file(page: Page) -> tuple[str, str] | None:
    """``_tags.js`` beside a repository page: every row, for sorting and filtering.

    A script rather than JSON because ``fetch()`` does not work for pages opened from
    disk, while ``<script src>`` does.
    """
    if page.data["kind"] != "repository":
        return None
    payload = json.dumps(
        page.data["tags"], sort_keys=True, ensure_ascii=True, separators=(",", ":")
    )
    # ensure_ascii plus escaping "<" keeps a "</script>" in registry data harmless.
    payload = payload.replace("<", "\\u003c")
    return page.data["data_file"], f"window.sitegenTags = {payload};\n"
