"""Tag pages and digest permalink pages: everything about one manifest.

A tag page says what a tag points to now; a digest page (``_digests/sha256-<hex>/``)
says what one manifest is, and does not move when tags move. The platforms of a
multi-platform image are digest pages too, linked from the tag and from each other.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Literal

from sitegen.model import (
    Image,
    Index,
    Manifest,
    Referrer,
    Registry,
    Repository,
    Tag,
    images_of,
    platform_label,
)
from sitegen.oci.versions import version_key
from sitegen.site import paths
from sitegen.site.pages.history import Timeline
from sitegen.site.pages.image import described, image_document, parsed
from sitegen.site.pages.page import SCHEMA_VERSION, Locations, Page, repo_crumbs
from sitegen.site.pages.shapes import (
    DigestData,
    ManifestFacts,
    ManifestSummary,
    Parent,
    PlatformCell,
    ReferrerEntry,
    SearchRecord,
    Sibling,
    TagData,
)
from sitegen.site.pages.views import ManifestView, manifest_view

_KINDS = {"index": "multi-platform image", "image": "image", "artifact": "artifact"}


def manifest_kind(manifest: Manifest) -> Literal["image", "index", "artifact"]:
    """What a manifest is, for every page and ``api/catalog.json``: the one decision."""
    if isinstance(manifest, Image):
        return "image" if manifest.is_image else "artifact"
    return "index"


def manifest_summary(manifest: Manifest) -> ManifestSummary:
    """The short facts every list shows about a manifest."""
    created, source = manifest.created_and_source
    return {
        "manifest_kind": manifest_kind(manifest),
        "media_type": manifest.media_type,
        "artifact_type": manifest.artifact_type,
        "size": manifest.size,
        "created": created,
        "created_source": source,
    }


def platform_cells(registry: str, repository: str, manifest: Manifest) -> list[PlatformCell]:
    """One cell per platform: label, digest, size and the digest page (if readable)."""
    if isinstance(manifest, Index):
        return [
            {
                "platform": platform_label(entry.platform),
                "digest": entry.descriptor.digest,
                "size": entry.image.size if entry.image else entry.descriptor.size,
                "path": paths.digest_path(registry, repository, entry.descriptor.digest)
                if entry.image
                else "",
            }
            for entry in manifest.entries
        ]
    if manifest.platform is None:
        return []
    return [
        {
            "platform": platform_label(manifest.platform),
            "digest": manifest.digest,
            "size": manifest.size,
            "path": paths.digest_path(registry, repository, manifest.digest),
        }
    ]


def manifest_pages(
    registry: Registry, repo: Repository, locations: Locations, timeline: Timeline | None = None
) -> Iterator[Page]:
    """Every tag page and every digest page of one repository."""
    tags_by_digest = repo.tags_by_digest()
    for names in tags_by_digest.values():
        names.sort(key=version_key, reverse=True)
    # A manifest's facts are the same on the page of each of its tags and on its digest
    # page: built once per manifest and shared (read-only) by those pages' data, with
    # their view (which lets the renderer draw them once too).
    known: dict[str, ManifestView] = {}
    searched: dict[str, tuple[str, str]] = {}

    def facts(manifest: Manifest) -> ManifestView:
        found = known.get(manifest.digest)
        if found is None:
            made = _manifest_facts(registry, repo, manifest, locations)
            found = known[manifest.digest] = manifest_view(made)
        return found

    def search(manifest: Manifest, tag: str) -> SearchRecord:
        found = searched.get(manifest.digest)
        if found is None:
            cells = facts(manifest)["facts"]["platforms"]
            found = searched[manifest.digest] = _search_text(manifest, cells)
        summary, keywords = found
        return {
            "title": f"{repo.name}:{tag}",
            "registry": registry.name,
            "kind": "tag",
            "summary": summary,
            "keywords": keywords,
            # The search index gives the tags of one image one record.
            "image": f"{repo.name}@{manifest.digest}",
            "tag": tag,
        }

    for tag in repo.tags:
        manifest = repo.manifest(tag)
        if manifest is not None:
            yield _tag_page(
                registry,
                repo,
                tag,
                manifest,
                tags_by_digest,
                facts(manifest),
                search(manifest, tag.name),
                timeline,
            )
    parents: dict[str, list[Index]] = {}
    children: dict[str, Image] = {}
    for manifest in repo.manifests.values():
        if isinstance(manifest, Index):
            for entry in manifest.entries:
                if entry.image is not None:
                    parents.setdefault(entry.descriptor.digest, []).append(manifest)
                    children.setdefault(entry.descriptor.digest, entry.image)
    for digest, manifest in repo.manifests.items():
        yield _digest_page(registry, repo, manifest, tags_by_digest, facts(manifest), [])
        children.pop(digest, None)
    for digest, image in sorted(children.items()):
        yield _digest_page(registry, repo, image, tags_by_digest, facts(image), parents[digest])


def _tag_page(
    registry: Registry,
    repo: Repository,
    tag: Tag,
    manifest: Manifest,
    tags_by_digest: Mapping[str, list[str]],
    shared: ManifestView,
    search: SearchRecord,
    timeline: Timeline | None,
) -> Page:
    path = paths.tag_path(registry.name, repo.name, tag.name)
    pull = f"{registry.pull_host}/{repo.name}"
    data: TagData = {
        "schema": SCHEMA_VERSION,
        "kind": "tag",
        "tag": tag.name,
        "path": path,
        "pull": {"tag": f"{pull}:{tag.name}", "digest": f"{pull}@{manifest.digest}"},
        "aliases": [t for t in tags_by_digest.get(tag.digest, []) if t != tag.name],
        "history": timeline.tag_history(registry.name, repo.name, tag.name) if timeline else [],
        "compare": timeline.comparisons(registry.name, repo.name, tag.name) if timeline else [],
        **shared["facts"],
    }
    return Page(
        path=path,
        template="tag.html",
        title=f"{repo.name}:{tag.name}",
        data=data,
        crumbs=(*repo_crumbs(registry, repo), (tag.name, path)),
        search=search,
        view={"manifest": shared},
    )


def _digest_page(
    registry: Registry,
    repo: Repository,
    manifest: Manifest,
    tags_by_digest: Mapping[str, list[str]],
    shared: ManifestView,
    parents: list[Index],
) -> Page:
    path = paths.digest_path(registry.name, repo.name, manifest.digest)
    pull = f"{registry.pull_host}/{repo.name}"
    parent_list: list[Parent] = []
    siblings: list[Sibling] = []
    for parent in sorted(parents, key=lambda p: p.digest):
        platform = next(
            e.platform for e in parent.entries if e.descriptor.digest == manifest.digest
        )
        parent_list.append(
            {
                "digest": parent.digest,
                "path": paths.digest_path(registry.name, repo.name, parent.digest),
                "platform": platform_label(platform),
                "tags": [
                    {"name": t, "path": paths.tag_path(registry.name, repo.name, t)}
                    for t in tags_by_digest.get(parent.digest, [])
                ],
            }
        )
        if not siblings:
            siblings = [
                {"platform": c["platform"], "path": c["path"], "digest": c["digest"]}
                for c in platform_cells(registry.name, repo.name, parent)
                if c["path"]
            ]
    title_platform = f" {parent_list[0]['platform']}" if parent_list else ""
    data: DigestData = {
        "schema": SCHEMA_VERSION,
        "kind": "digest",
        "path": path,
        "pull": {"digest": f"{pull}@{manifest.digest}"},
        "tags": [
            {"name": t, "path": paths.tag_path(registry.name, repo.name, t)}
            for t in tags_by_digest.get(manifest.digest, [])
        ],
        "parents": parent_list,
        "siblings": siblings,
        **shared["facts"],
    }
    short = manifest.digest.partition(":")[2][:12]
    return Page(
        path=path,
        template="digest.html",
        title=f"{repo.name}@{short}{title_platform}",
        data=data,
        crumbs=(*repo_crumbs(registry, repo), (f"@{short}{title_platform}", path)),
        view={"manifest": shared},
    )


def _manifest_facts(
    registry: Registry, repo: Repository, manifest: Manifest, locations: Locations
) -> ManifestFacts:
    """What tag and digest pages share: the manifest, its platforms, its supply chain."""
    cells = platform_cells(registry.name, repo.name, manifest)
    facts: ManifestFacts = {
        "registry": registry.name,
        "repository": repo.name,
        "repository_path": paths.repository_path(registry.name, repo.name),
        "digest": manifest.digest,
        "digest_path": paths.digest_path(registry.name, repo.name, manifest.digest),
        **manifest_summary(manifest),
        "platforms": cells,
        "elsewhere": [
            place
            for place in locations.get(manifest.digest, [])
            if (place["registry"], place["repository"]) != (registry.name, repo.name)
        ],
        "stale_since": repo.stale_since,
        "annotations": dict(manifest.annotations),
        "referrers": [_referrer(r) for r in repo.referrers.get(manifest.digest, ())],
        "platform_list": [],
        "attestations": [],
        "image": None,
        "manifest": None,
        "redacted": manifest.redacted,
    }
    if isinstance(manifest, Index):
        by_digest = {c["digest"]: c for c in cells}
        facts["platform_list"] = [
            {
                **by_digest[entry.descriptor.digest],
                "media_type": entry.descriptor.media_type,
                "created": entry.image.created if entry.image else "",
                "problem": entry.problem,
                "referrers": [
                    _referrer(r) for r in repo.referrers.get(entry.descriptor.digest, ())
                ],
            }
            for entry in manifest.entries
        ]
        facts["attestations"] = [
            {
                "digest": a.descriptor.digest,
                "subject": a.subject,
                "predicate_types": list(a.predicate_types),
            }
            for a in manifest.attestations
        ]
        facts["manifest"] = parsed(manifest.raw)
    else:
        image = facts["image"] = image_document(manifest)
        facts["manifest"] = image["manifest"]  # the same document, parsed once
    return facts


def _referrer(referrer: Referrer) -> ReferrerEntry:
    return {
        "kind": referrer.kind,
        "digest": referrer.digest,
        "artifact_type": referrer.artifact_type,
        "media_type": referrer.media_type,
        "source": referrer.source,
        "tag": referrer.tag,
        "annotations": dict(referrer.annotations),
    }


def _search_text(manifest: Manifest, cells: list[PlatformCell]) -> tuple[str, str]:
    """(summary, keywords) of a manifest's search record: a readable summary, and words
    that find it (digests, platforms, labels). The same for every tag of the manifest.

    ``cells`` are the manifest's ``platform_cells``.
    """
    summary = manifest_summary(manifest)
    platforms = [c["platform"] for c in cells]
    parts = [
        _KINDS[summary["manifest_kind"]] + (f" ({', '.join(platforms)})" if platforms else ""),
    ]
    if summary["created"]:
        parts.append(f"created {summary['created'][:10]}")
    if described(manifest):
        parts.append(described(manifest))
    keywords = [manifest.digest, manifest.artifact_type, *platforms]
    for image in images_of(manifest):
        keywords.append(image.digest)
        if image.config:
            keywords.append(image.config.digest)
            keywords.extend(f"{k} {v}" for k, v in image.config.labels.items())
    keywords.extend(f"{k} {v}" for k, v in manifest.annotations.items())
    return " · ".join(parts), " ".join(k for k in keywords if k)
