"""Tag pages and digest permalink pages: everything about one manifest.

A tag page says what a tag points to now; a digest page (``_digests/sha256-<hex>/``)
says what one manifest is, and does not move when tags move. The platforms of a
multi-platform image are digest pages too, linked from the tag and from each other.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sitegen.site.pages.history import Timeline

from sitegen.site import paths
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
from sitegen.site.pages.page import SCHEMA_VERSION, Locations, Page, repo_crumbs
from sitegen.oci import jsonload
from sitegen.oci.versions import version_key


def manifest_summary(manifest: Manifest) -> dict[str, Any]:
    """The short facts every list shows about a manifest."""
    created, source = manifest.created_and_source
    kind = "index" if isinstance(manifest, Index) else "image"
    if isinstance(manifest, Image) and not manifest.is_image:
        kind = "artifact"
    return {
        "manifest_kind": kind,
        "media_type": manifest.media_type,
        "artifact_type": manifest.artifact_type,
        "size": manifest.size,
        "created": created,
        "created_source": source,
    }


def platform_cells(registry: str, repository: str, manifest: Manifest) -> list[dict[str, Any]]:
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
    # page: built once per manifest and shared (read-only) by those pages' data.
    known: dict[str, dict[str, Any]] = {}
    searched: dict[str, dict[str, Any]] = {}

    def facts(manifest: Manifest) -> dict[str, Any]:
        found = known.get(manifest.digest)
        if found is None:
            found = known[manifest.digest] = _manifest_data(registry, repo, manifest, locations)
        return found

    def search(manifest: Manifest, tag: str) -> dict[str, Any]:
        found = searched.get(manifest.digest)
        if found is None:
            cells = facts(manifest)["platforms"]
            found = searched[manifest.digest] = _search_record(registry, manifest, cells)
        # ``image`` and ``tag``: the search index gives an image's tags one record.
        return {
            "title": f"{repo.name}:{tag}",
            "image": f"{repo.name}@{manifest.digest}",
            "tag": tag,
            **found,
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
    facts: dict[str, Any],
    search: dict[str, Any],
    timeline: Timeline | None,
) -> Page:
    path = paths.tag_path(registry.name, repo.name, tag.name)
    pull = f"{registry.pull_host}/{repo.name}"
    data = {
        "schema": SCHEMA_VERSION,
        "kind": "tag",
        "tag": tag.name,
        "path": path,
        "pull": {"tag": f"{pull}:{tag.name}", "digest": f"{pull}@{manifest.digest}"},
        "aliases": [t for t in tags_by_digest.get(tag.digest, []) if t != tag.name],
        "history": timeline.tag_history(registry.name, repo.name, tag.name) if timeline else [],
        "compare": timeline.comparisons(registry.name, repo.name, tag.name) if timeline else [],
        **facts,
    }
    return Page(
        path=path,
        template="tag.html",
        title=f"{repo.name}:{tag.name}",
        data=data,
        crumbs=(*repo_crumbs(registry, repo), (tag.name, path)),
        search=search,
    )


def _digest_page(
    registry: Registry,
    repo: Repository,
    manifest: Manifest,
    tags_by_digest: Mapping[str, list[str]],
    facts: dict[str, Any],
    parents: list[Index],
) -> Page:
    path = paths.digest_path(registry.name, repo.name, manifest.digest)
    pull = f"{registry.pull_host}/{repo.name}"
    parent_list = []
    siblings: list[dict[str, str]] = []
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
    data = {
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
        **facts,
    }
    short = manifest.digest.partition(":")[2][:12]
    return Page(
        path=path,
        template="digest.html",
        title=f"{repo.name}@{short}{title_platform}",
        data=data,
        crumbs=(*repo_crumbs(registry, repo), (f"@{short}{title_platform}", path)),
    )


def _manifest_data(
    registry: Registry, repo: Repository, manifest: Manifest, locations: Locations
) -> dict[str, Any]:
    """What tag and digest pages share: the manifest, its platforms, its supply chain."""
    data: dict[str, Any] = {
        "registry": registry.name,
        "repository": repo.name,
        "repository_path": paths.repository_path(registry.name, repo.name),
        "digest": manifest.digest,
        "digest_path": paths.digest_path(registry.name, repo.name, manifest.digest),
        **manifest_summary(manifest),
        "platforms": platform_cells(registry.name, repo.name, manifest),
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
        "redacted": False,
    }
    if isinstance(manifest, Index):
        cells = {c["digest"]: c for c in data["platforms"]}
        data["platform_list"] = [
            {
                **cells[entry.descriptor.digest],
                "media_type": entry.descriptor.media_type,
                "created": entry.image.created if entry.image else "",
                "problem": entry.problem,
                "referrers": [
                    _referrer(r) for r in repo.referrers.get(entry.descriptor.digest, ())
                ],
            }
            for entry in manifest.entries
        ]
        data["attestations"] = [
            {
                "digest": a.descriptor.digest,
                "subject": a.subject,
                "predicate_types": list(a.predicate_types),
            }
            for a in manifest.attestations
        ]
        data["manifest"] = parsed(manifest.raw)
        data["redacted"] = manifest.redacted
    else:
        data["image"] = image_data(manifest)
        data["manifest"] = data["image"]["manifest"]  # the same document, parsed once
        data["redacted"] = manifest.redacted
    return data


def _referrer(referrer: Referrer) -> dict[str, Any]:
    return {
        "kind": referrer.kind,
        "digest": referrer.digest,
        "artifact_type": referrer.artifact_type,
        "media_type": referrer.media_type,
        "source": referrer.source,
        "tag": referrer.tag,
        "annotations": dict(referrer.annotations),
    }


def image_data(image: Image) -> dict[str, Any]:
    """Everything about one image manifest and its config."""
    created, source = image.created_and_source
    config = image.config
    return {
        "digest": image.digest,
        "media_type": image.media_type,
        "artifact_type": image.artifact_type,
        "platform": platform_label(image.platform) if image.platform else "",
        "platform_detail": None
        if image.platform is None
        else {
            "os": image.platform.os,
            "architecture": image.platform.architecture,
            "variant": image.platform.variant,
            "os_version": image.platform.os_version,
        },
        "created": created,
        "created_source": source,
        "size": image.size,
        "manifest_size": image.manifest_size,
        "config_digest": image.config_descriptor.digest,
        "config_media_type": image.config_descriptor.media_type,
        "subject": image.subject,
        "problem": image.problem,
        "annotations": dict(image.annotations),
        "layers": [
            {
                "digest": layer.digest,
                "size": layer.size,
                "media_type": layer.media_type,
                "annotations": dict(layer.annotations),
            }
            for layer in image.layers
        ],
        "config": None
        if config is None
        else {
            "author": config.author,
            "env": list(config.env),
            "entrypoint": None if config.entrypoint is None else list(config.entrypoint),
            "cmd": None if config.cmd is None else list(config.cmd),
            "working_dir": config.working_dir,
            "user": config.user,
            "exposed_ports": list(config.exposed_ports),
            "volumes": list(config.volumes),
            "stop_signal": config.stop_signal,
            "labels": dict(config.labels),
            "masked": list(config.masked),
        },
        "history": []
        if config is None
        else [
            {
                "created_by": step.created_by,
                "created": step.created,
                "comment": step.comment,
                "empty_layer": step.empty_layer,
                "layer_digest": step.layer.digest if step.layer else "",
                "layer_size": step.layer.size if step.layer else 0,
            }
            for step in config.history
        ],
        "artifact_config": parsed(image.artifact_config) if image.artifact_config else None,
        "manifest": parsed(image.raw),
        "config_blob": parsed(config.raw) if config is not None else None,
        "redacted": image.redacted,
    }


DESCRIPTION_KEYS = ("org.opencontainers.image.description", "org.opencontainers.image.title")


def described(manifest: Manifest) -> str:
    """The image's own one-line description: its OCI description (or title) label."""
    sources: list[Mapping[str, str]] = [manifest.annotations]
    for image in images_of(manifest):
        sources.append(image.annotations)
        if image.config:
            sources.append(image.config.labels)
    for key in DESCRIPTION_KEYS:
        for source in sources:
            if source.get(key):
                return source[key]
    return ""


def _search_record(
    registry: Registry, manifest: Manifest, cells: list[dict[str, Any]]
) -> dict[str, Any]:
    """A readable summary, plus keywords that find it: digests, platforms, labels.

    ``cells`` are the manifest's ``platform_cells``. The same for every tag of the
    manifest; the caller adds the ``title``.
    """
    summary = manifest_summary(manifest)
    platforms = [c["platform"] for c in cells]
    parts = [
        {"index": "multi-platform image", "image": "image", "artifact": "artifact"}[
            summary["manifest_kind"]
        ]
        + (f" ({', '.join(platforms)})" if platforms else ""),
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
    return {
        "registry": registry.name,
        "kind": "tag",
        "summary": " · ".join(parts),
        "keywords": " ".join(k for k in keywords if k),
    }


def parsed(raw: bytes) -> Any:
    """Raw JSON bytes as a value (None when not JSON)."""
    try:
        return jsonload.load(raw) if raw else None
    except jsonload.JSONRefused:
        return None
