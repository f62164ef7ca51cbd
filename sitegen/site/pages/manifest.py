"""Tag pages and digest permalink pages: everything about one manifest.

A tag page says what a tag points to now; a digest page (``_digests/sha256-<hex>/``)
says what one manifest is, and does not move when tags move. The platforms of a
multi-platform image are digest pages too, linked from the tag and from each other.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sitegen.config.schema import DEFAULT_PLATFORM
from sitegen.model import (
    Image,
    Index,
    Manifest,
    Registry,
    Repository,
    Tag,
    platform_label,
)
from sitegen.oci import kinds
from sitegen.oci.supplychain import is_supply_chain_tag, subject_of_referrers_tag
from sitegen.oci.versions import version_key
from sitegen.site import paths
from sitegen.site.pages.bases import Bases, base_entry
from sitegen.site.pages.commands import use_commands
from sitegen.site.pages.history import Timeline
from sitegen.site.pages.image import image_document, parsed
from sitegen.site.pages.page import SCHEMA_VERSION, Locations, Page, repo_crumbs, tag_times
from sitegen.site.pages.provenance import provenance_by_subject
from sitegen.site.pages.sbom import sboms_by_subject, summarised
from sitegen.site.pages.searchrecord import SearchRecord, search_text
from sitegen.site.pages.shapes import (
    ChartFacts,
    Command,
    DigestData,
    ImageDocument,
    ManifestFacts,
    ManifestKind,
    ManifestSummary,
    Parent,
    PlatformCell,
    Sibling,
    TagData,
)
from sitegen.site.pages.supplychain import (
    attestation_entry,
    attestations_by_subject,
    referrer_entries,
)
from sitegen.site.pages.supplychain_shapes import ProvenanceEntry, SbomEntry
from sitegen.site.pages.views import ManifestView, manifest_view
from sitegen.site.pages.vulnerabilities import Vulnerabilities


def manifest_summary(manifest: Manifest, default_platform: str) -> ManifestSummary:
    """The short facts every list shows about a manifest. Its size is what one pull
    downloads: for a multi-platform image, the ``default_platform``'s (see
    ``Index.pull_entry``), None when no platform could be read."""
    created, source = manifest.created_and_source
    size: int | None = manifest.size
    if isinstance(manifest, Index):
        entry = manifest.pull_entry(default_platform)
        size = entry.image.size if entry is not None and entry.image is not None else None
    summary: ManifestSummary = {
        "manifest_kind": manifest_kind(manifest),
        "media_type": manifest.media_type,
        "artifact_type": manifest.artifact_type,
        "size": size,
        "created": created,
        "created_source": source,
    }
    return summary


def manifest_kind(manifest: Manifest) -> ManifestKind:
    """What a manifest is (``sitegen.oci.kinds``), for every page and ``api/catalog.json``."""
    for known in kinds.KINDS:
        if known == manifest.kind:
            return known
    return kinds.ARTIFACT


def platform_cells(registry: str, repository: str, manifest: Manifest) -> list[PlatformCell]:
    """One cell per platform: label, digest, size and the digest page (if readable)."""
    if isinstance(manifest, Index):
        return [
            {
                "platform": platform_label(entry.platform),
                "digest": entry.descriptor.digest,
                # The descriptor's size is the manifest's, not the platform's: unknown.
                "size": entry.image.size if entry.image else None,
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
    registry: Registry,
    repo: Repository,
    locations: Locations,
    timeline: Timeline | None = None,
    default_platform: str = DEFAULT_PLATFORM,
    bases: Bases | None = None,
    badges: Mapping[str, list[str]] | None = None,
) -> Iterator[Page]:
    """Every tag page and digest page of one repository (``bases``: ``Catalog.bases``;
    ``badges``: digest -> its tag row's ``badge_tokens``, for search results)."""
    tags_by_digest = repo.tags_by_digest()
    for names in tags_by_digest.values():
        names.sort(key=version_key, reverse=True)
    # A manifest's facts are the same on the page of each of its tags and on its digest
    # page: built once per manifest and shared (read-only) by those pages' data, with
    # their view (which lets the renderer draw them once too).
    known: dict[str, ManifestView] = {}
    searched: dict[str, tuple[str, str]] = {}
    # Version order among the repository's tags (0 = oldest): newest first in search.
    ranks = {name: i for i, name in enumerate(sorted((t.name for t in repo.tags), key=version_key))}

    attested = attestations_by_subject(repo)  # a platform's page shows its own
    built = provenance_by_subject(repo)
    inside = sboms_by_subject(repo)
    scans = Vulnerabilities(repo)

    def facts(manifest: Manifest) -> ManifestView:
        found = known.get(manifest.digest)
        if found is None:
            made = _manifest_facts(
                registry,
                repo,
                manifest,
                locations,
                default_platform,
                built,
                inside,
                scans,
                bases or {},
            )
            if not isinstance(manifest, Index):
                made["attestations"] = attested.get(manifest.digest, [])
            found = known[manifest.digest] = manifest_view(made, _inline(manifest, made))
        return found

    def search(manifest: Manifest, tag: Tag) -> SearchRecord:
        found = searched.get(manifest.digest)
        if found is None:
            platforms = [c["platform"] for c in facts(manifest)["facts"]["platforms"]]
            brief = manifest_summary(manifest, default_platform)
            found = searched[manifest.digest] = search_text(manifest, brief, platforms)
        summary, keywords = found
        name = tag.name
        return {
            "title": f"{repo.name}:{name}",
            "registry": registry.name,
            "repository": repo.name,
            "kind": "tag",
            "summary": summary,
            "names": f"{repo.name}:{name} {name}",
            "keywords": keywords,
            # The search index gives the tags of one image one record.
            "image": f"{repo.name}@{manifest.digest}",
            "tag": name,
            "rank": ranks[name],
            "manifest_kind": manifest_kind(manifest),
            "artifact_type": manifest.artifact_type,
            "platforms": [c["platform"] for c in facts(manifest)["facts"]["platforms"]],
            "badges": list((badges or {}).get(manifest.digest, ())),
            "new": tag.new,
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
                search(manifest, tag),
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
        **tag_times(tag),
        "pull": {"tag": f"{pull}:{tag.name}", "digest": f"{pull}@{manifest.digest}"},
        "commands": _commands(pull, manifest, shared["facts"], tag.name),
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
        "commands": _commands(pull, manifest, shared["facts"], None),
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
    registry: Registry,
    repo: Repository,
    manifest: Manifest,
    locations: Locations,
    default_platform: str,
    built: dict[str, list[ProvenanceEntry]],
    inside: dict[str, list[SbomEntry]],
    scans: Vulnerabilities,
    bases: Bases,
) -> ManifestFacts:
    """What tag and digest pages share: the manifest, its platforms, its supply chain."""
    cells = platform_cells(registry.name, repo.name, manifest)
    pull = f"{registry.pull_host}/{repo.name}"
    facts: ManifestFacts = {
        "registry": registry.name,
        "repository": repo.name,
        "repository_path": paths.repository_path(registry.name, repo.name),
        "digest": manifest.digest,
        "digest_path": paths.digest_path(registry.name, repo.name, manifest.digest),
        **manifest_summary(manifest, default_platform),
        "total_stored": manifest.size if isinstance(manifest, Index) else None,
        "default_platform": "",
        "platforms": cells,
        "elsewhere": [
            place
            for place in locations.get(manifest.digest, [])
            if (place["registry"], place["repository"]) != (registry.name, repo.name)
        ],
        "stale_since": repo.stale_since,
        "annotations": dict(manifest.annotations),
        "referrers": referrer_entries(repo, manifest.digest, f"{pull}@{manifest.digest}"),
        "platform_list": [],
        "attestations": [],
        "provenance": built.get(manifest.digest, []),
        "sboms": inside.get(manifest.digest, []),
        "base": base_entry(bases, registry.name, repo.name, manifest.digest),
        "vulnerabilities": scans.report_entries(manifest.digest),
        "vex": scans.vex_entries(manifest.digest),
        "image": None,
        "manifest": None,
        "redacted": manifest.redacted,
        "chart": _chart(manifest),
    }
    if isinstance(manifest, Index):
        by_digest = {c["digest"]: c for c in cells}
        shown = manifest.pull_entry(default_platform)
        inline = platform_label(shown.platform) if shown is not None else ""
        facts["platform_list"] = [
            {
                **by_digest[entry.descriptor.digest],
                "media_type": entry.descriptor.media_type,
                "created": entry.image.created if entry.image else "",
                "problem": entry.problem,
                "pull": f"{pull}@{entry.descriptor.digest}",
                "referrers": referrer_entries(
                    repo, entry.descriptor.digest, f"{pull}@{entry.descriptor.digest}"
                ),
                "provenance": built.get(entry.descriptor.digest, []),
                # Package and finding lists only for the platform shown inline: the
                # others' are on their digest pages (four platforms' lists would weigh
                # megabytes).
                "sboms": summarised(
                    inside.get(entry.descriptor.digest, []),
                    keep_packages=platform_label(entry.platform) == inline,
                ),
                "base": base_entry(bases, registry.name, repo.name, entry.descriptor.digest),
                "vulnerabilities": scans.report_entries(
                    entry.descriptor.digest,
                    keep_findings=platform_label(entry.platform) == inline,
                ),
            }
            for entry in manifest.entries
        ]
        facts["attestations"] = [attestation_entry(a) for a in manifest.attestations]
        facts["manifest"] = parsed(manifest.raw)
        if shown is not None:
            facts["default_platform"] = inline
    else:
        image = facts["image"] = image_document(manifest)
        facts["manifest"] = image["manifest"]  # the same document, parsed once
    return facts


def _inline(manifest: Manifest, facts: ManifestFacts) -> ImageDocument | None:
    """The image a multi-platform tag page shows inline: its default platform's."""
    if not isinstance(manifest, Index) or not facts["default_platform"]:
        return None
    for entry in manifest.entries:
        if entry.image is not None and platform_label(entry.platform) == facts["default_platform"]:
            return image_document(entry.image)
    return None


def _chart(manifest: Manifest) -> ChartFacts | None:
    """A Helm chart's name, version and appVersion, from its config."""
    if not isinstance(manifest, Image) or manifest.kind != kinds.HELM_CHART:
        return None
    chart = kinds.helm_chart(manifest.artifact_config)
    if chart is None:
        return None
    return {
        "name": chart.name,
        "version": chart.version,
        "app_version": chart.app_version,
        "description": chart.description,
    }


def _commands(
    pull: str, manifest: Manifest, facts: ManifestFacts, tag: str | None
) -> list[Command]:
    """The commands of a tag page (``tag``) or a digest page (``None``)."""
    chart = facts["chart"]
    subject = manifest.subject
    if not subject and tag is not None and is_supply_chain_tag(tag):
        subject = subject_of_referrers_tag(tag)  # cosign's sha256-<hex>.sig names it
    return use_commands(
        pull,
        manifest.digest,
        manifest.kind,
        tag=tag,
        chart=None
        if chart is None
        else kinds.HelmChart(chart["name"], chart["version"], chart["app_version"]),
        subject=subject,
    )
