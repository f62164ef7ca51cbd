"""Model -> pages. One pure data builder per kind of page; no I/O, no Jinja.

Each :class:`Page` carries ``data``: plain JSON values that the template renders AND
that are written verbatim as the ``index.json`` beside the page, so scripts see
exactly what people see. ``docs/json.md`` documents these shapes; keep them in step.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sitegen import paths
from sitegen.markup import excerpt, render_markdown
from sitegen.model import (
    Catalog,
    Image,
    Index,
    Manifest,
    Platform,
    Referrer,
    Registry,
    Repository,
    Tag,
)
from sitegen.versions import version_key

SCHEMA_VERSION = 1
RECENT_LIMIT = 12


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the site: where it goes, which template draws it, and its data."""

    path: str  # directory relative to the site root, "" or ending in "/"
    template: str
    title: str
    data: dict[str, Any]
    crumbs: tuple[tuple[str, str], ...] = ()  # (label, path) from the home page down


Locations = Mapping[str, list[dict[str, str]]]


def build_pages(catalog: Catalog) -> Iterator[Page]:
    """Every page of the site, home first, in a stable order."""
    yield home_page(catalog)
    locations = digest_locations(catalog)
    for registry in catalog.registries:
        yield registry_page(registry)
        for repository in registry.repositories:
            yield repository_page(registry, repository)
            for tag in repository.tags:
                yield from tag_pages(registry, repository, tag, locations)


def digest_locations(catalog: Catalog) -> dict[str, list[dict[str, str]]]:
    """Every (registry, repository, tag) each digest is tagged as: aliases across the site."""
    found: dict[str, list[dict[str, str]]] = defaultdict(list)
    for registry in catalog.registries:
        for repo in registry.repositories:
            for tag in repo.tags:
                found[tag.digest].append(
                    {
                        "registry": registry.name,
                        "repository": repo.name,
                        "tag": tag.name,
                        "path": paths.tag_path(registry.name, repo.name, tag.name),
                    }
                )
    return found


def catalog_document(catalog: Catalog) -> dict[str, Any]:
    """``api/catalog.json``: every registry and repository with the paths of their pages."""
    return {
        "schema": SCHEMA_VERSION,
        "title": catalog.title,
        "registries": [
            {
                "name": registry.name,
                "url": registry.url,
                "pull_host": registry.pull_host,
                "path": paths.registry_path(registry.name),
                "error": registry.error,
                "repositories": [
                    {
                        "name": repo.name,
                        "path": paths.repository_path(registry.name, repo.name),
                        "tags": [tag.name for tag in repo.tags],
                        "error": repo.error,
                    }
                    for repo in registry.repositories
                ],
            }
            for registry in catalog.registries
        ],
    }


# -- home and registry -------------------------------------------------------------------


def home_page(catalog: Catalog) -> Page:
    """The landing page: every registry with counts, and recently updated images."""
    recent: list[dict[str, Any]] = []
    for registry in catalog.registries:
        for repo in registry.repositories:
            for tag in repo.tags:
                manifest = repo.manifest(tag)
                if manifest is not None and manifest.created:
                    recent.append(
                        {
                            "registry": registry.name,
                            "repository": repo.name,
                            "tag": tag.name,
                            "digest": tag.digest,
                            "created": manifest.created,
                            "path": paths.tag_path(registry.name, repo.name, tag.name),
                        }
                    )
    recent.sort(
        key=lambda r: (r["created"], r["registry"], r["repository"], r["tag"]), reverse=True
    )
    data = {
        "schema": SCHEMA_VERSION,
        "kind": "home",
        "title": catalog.title,
        "description_html": render_markdown(catalog.description) if catalog.description else "",
        "registries": [_registry_summary(r) for r in catalog.registries],
        "recent": recent[:RECENT_LIMIT],
    }
    return Page(path="", template="home.html", title=catalog.title, data=data)


def _registry_summary(registry: Registry) -> dict[str, Any]:
    return {
        "name": registry.name,
        "url": registry.url,
        "pull_host": registry.pull_host,
        "path": paths.registry_path(registry.name),
        "repositories": len(registry.repositories),
        "tags": sum(len(r.tags) for r in registry.repositories),
        "updated": max((_updated(r) for r in registry.repositories), default=""),
        "error": registry.error,
        "failed_repositories": sum(1 for r in registry.repositories if r.error),
        "stale_repositories": sum(1 for r in registry.repositories if r.stale_since),
    }


def registry_page(registry: Registry) -> Page:
    """One registry: its repositories with tag counts, last update and description."""
    path = paths.registry_path(registry.name)
    data = {
        "schema": SCHEMA_VERSION,
        "kind": "registry",
        **_registry_summary(registry),
        "catalog_listed": registry.catalog_listed,
        "repository_list": [
            {
                "name": repo.name,
                "path": paths.repository_path(registry.name, repo.name),
                "tags": len(repo.tags),
                "updated": _updated(repo),
                "description": excerpt(repo.description) if repo.description else "",
                "error": repo.error,
                "stale_since": repo.stale_since,
            }
            for repo in registry.repositories
        ],
    }
    return Page(
        path=path,
        template="registry.html",
        title=registry.name,
        data=data,
        crumbs=((registry.name, path),),
    )


def _updated(repo: Repository) -> str:
    return max((m.created for m in repo.manifests.values()), default="")


# -- repository --------------------------------------------------------------------------


def repository_page(registry: Registry, repo: Repository) -> Page:
    """A repository: description, every tag with digest, platforms, size and created."""
    path = paths.repository_path(registry.name, repo.name)
    by_digest: dict[str, list[str]] = defaultdict(list)
    for tag in repo.tags:
        by_digest[tag.digest].append(tag.name)
    ranks = {t.name: i for i, t in enumerate(sorted(repo.tags, key=lambda t: version_key(t.name)))}
    rows = []
    for tag in repo.tags:
        manifest = repo.manifest(tag)
        rows.append(
            {
                "name": tag.name,
                "path": paths.tag_path(registry.name, repo.name, tag.name),
                "digest": tag.digest,
                "version_rank": ranks[tag.name],
                "aliases": [t for t in by_digest[tag.digest] if t != tag.name],
                **(_manifest_summary(manifest) if manifest else {}),
            }
        )
    data = {
        "schema": SCHEMA_VERSION,
        "kind": "repository",
        "registry": registry.name,
        "name": repo.name,
        "path": path,
        "pull": f"{registry.pull_host}/{repo.name}",
        "description": repo.description or "",
        "description_html": render_markdown(repo.description) if repo.description else "",
        "total_tags": repo.total_tags,
        "tags": rows,
        "digests": [
            {"digest": digest, "tags": sorted(names, key=version_key, reverse=True)}
            for digest, names in sorted(by_digest.items())
        ],
        "problems": list(repo.problems),
        "error": repo.error,
        "stale_since": repo.stale_since,
    }
    return Page(
        path=path,
        template="repository.html",
        title=repo.name,
        data=data,
        crumbs=_repo_crumbs(registry, repo),
    )


def _manifest_summary(manifest: Manifest) -> dict[str, Any]:
    created, source = manifest.created_and_source
    if isinstance(manifest, Index):
        platforms = [str(p) for p in manifest.platforms]
        kind = "index"
    else:
        platforms = [str(manifest.platform)] if manifest.platform else []
        kind = "image" if manifest.is_image else "artifact"
    return {
        "manifest_kind": kind,
        "media_type": manifest.media_type,
        "artifact_type": manifest.artifact_type,
        "platforms": platforms,
        "size": manifest.size,
        "created": created,
        "created_source": source,
    }


def _repo_crumbs(registry: Registry, repo: Repository) -> tuple[tuple[str, str], ...]:
    return (
        (registry.name, paths.registry_path(registry.name)),
        (repo.name, paths.repository_path(registry.name, repo.name)),
    )


# -- tag and platform --------------------------------------------------------------------


def tag_pages(
    registry: Registry, repo: Repository, tag: Tag, locations: Locations | None = None
) -> Iterator[Page]:
    """The tag page, plus one page per platform when the tag is a multi-platform index."""
    manifest = repo.manifest(tag)
    if manifest is None:
        return
    path = paths.tag_path(registry.name, repo.name, tag.name)
    crumbs = (*_repo_crumbs(registry, repo), (tag.name, path))
    pull = f"{registry.pull_host}/{repo.name}"
    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "kind": "tag",
        "registry": registry.name,
        "repository": repo.name,
        "repository_path": paths.repository_path(registry.name, repo.name),
        "tag": tag.name,
        "path": path,
        "digest": manifest.digest,
        "pull": {"tag": f"{pull}:{tag.name}", "digest": f"{pull}@{manifest.digest}"},
        "aliases": sorted(
            (t.name for t in repo.tags if t.digest == tag.digest and t != tag),
            key=version_key,
            reverse=True,
        ),
        "elsewhere": [
            place
            for place in (locations or {}).get(tag.digest, [])
            if (place["registry"], place["repository"]) != (registry.name, repo.name)
        ],
        "stale_since": repo.stale_since,
        **_manifest_summary(manifest),
        "annotations": dict(manifest.annotations),
        "referrers": [_referrer(r) for r in repo.referrers.get(manifest.digest, ())],
        "platform_list": [],
        "attestations": [],
        "image": None,
        "manifest": _parsed(manifest.raw),
    }
    platform_pages: list[Page] = []
    if isinstance(manifest, Index):
        taken: set[str] = set()
        for entry in manifest.entries:
            slug = paths.platform_slug(entry.platform, taken)
            entry_path = f"{path}{slug}/"
            label = _platform_label(entry.platform)
            image = entry.image
            data["platform_list"].append(
                {
                    "platform": label,
                    "digest": entry.descriptor.digest,
                    "media_type": entry.descriptor.media_type,
                    "size": image.size if image else entry.descriptor.size,
                    "created": image.created if image else "",
                    "path": entry_path if image else "",
                    "problem": entry.problem,
                    "referrers": [
                        _referrer(r) for r in repo.referrers.get(entry.descriptor.digest, ())
                    ],
                }
            )
            if image is not None:
                platform_pages.append(
                    Page(
                        path=entry_path,
                        template="image.html",
                        title=f"{repo.name}:{tag.name} {label}",
                        data={
                            "schema": SCHEMA_VERSION,
                            "kind": "image",
                            "registry": registry.name,
                            "repository": repo.name,
                            "tag": tag.name,
                            "tag_path": path,
                            "index_digest": manifest.digest,
                            "path": entry_path,
                            "pull": {"digest": f"{pull}@{image.digest}"},
                            "siblings": [],  # filled below, once every slug is known
                            **image_data(image),
                        },
                        crumbs=(*crumbs, (label, entry_path)),
                    )
                )
        data["attestations"] = [
            {
                "digest": a.descriptor.digest,
                "subject": a.subject,
                "predicate_types": list(a.predicate_types),
            }
            for a in manifest.attestations
        ]
        siblings = [
            {"platform": p["platform"], "path": p["path"]}
            for p in data["platform_list"]
            if p["path"]
        ]
        for page in platform_pages:
            page.data["siblings"] = siblings
    else:
        data["image"] = image_data(manifest)
    yield Page(
        path=path, template="tag.html", title=f"{repo.name}:{tag.name}", data=data, crumbs=crumbs
    )
    yield from platform_pages


def _platform_label(platform: Platform | None) -> str:
    return platform.label if platform is not None else "unknown platform"


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
        "platform": _platform_label(image.platform) if image.platform else "",
        "platform_detail": _platform_detail(image.platform),
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
            {"digest": layer.digest, "size": layer.size, "media_type": layer.media_type}
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
        "manifest": _parsed(image.raw),
        "config_blob": _parsed(config.raw) if config is not None else None,
    }


def _platform_detail(platform: Platform | None) -> Mapping[str, str] | None:
    if platform is None:
        return None
    return {
        "os": platform.os,
        "architecture": platform.architecture,
        "variant": platform.variant,
        "os_version": platform.os_version,
    }


def _parsed(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None
