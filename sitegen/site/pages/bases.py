"""What images are built on, as pages show it: the "Base image" block of tag and digest
pages, the ``stale base`` badge of tag lists, the Bases page (every base with the images
built on it) and the Rebuild page (every image whose base has moved, by base).

The bases themselves are found by the crawl (``sitegen.crawl.bases``) and held in
``Catalog.bases``; this module only arranges them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sitegen.model import Catalog, Index, Repository, images_of, platform_label
from sitegen.oci.versions import version_key
from sitegen.site import paths
from sitegen.site.pages.page import SCHEMA_VERSION, Page
from sitegen.site.pages.supplychain_shapes import (
    BaseEntry,
    BaseGroup,
    BasesData,
    BuiltImage,
    RebuildData,
)
from sitegen.supplychain_model import BaseImage

Bases = Mapping[tuple[str, str, str], BaseImage]


def base_entry(bases: Bases, registry: str, repository: str, digest: str) -> BaseEntry | None:
    """The base of one platform manifest, with the base tag's page when it is shown."""
    base = bases.get((registry, repository, digest))
    if base is None:
        return None
    return {
        "method": base.method,
        "status": base.status,
        "reference": base.reference,
        "path": paths.tag_path(base.registry, base.repository, base.tag) if base.current else "",
        "digest": base.digest,
        "platform_digest": base.platform_digest,
        "registry": base.registry,
        "repository": base.repository,
        "tag": base.tag,
        "current": base.current,
        "current_platform": base.current_platform,
        "candidates": list(base.candidates),
        "note": base.note,
    }


def stale_bases(bases: Bases, registry: str, repo: Repository) -> set[str]:
    """The digests of the repository whose base (or a platform's) has moved."""
    found = set()
    for digest, manifest in repo.manifests.items():
        for image in images_of(manifest):
            base = bases.get((registry, repo.name, image.digest))
            if base is not None and base.status == "stale":
                found.add(digest)
    return found


def bases_page(catalog: Catalog) -> Page:
    """Every base image, with the images built on it: most used first."""
    groups, ambiguous = _groups(catalog)
    data: BasesData = {
        "schema": SCHEMA_VERSION,
        "kind": "bases",
        "path": paths.BASES_PATH,
        "bases": groups,
        "ambiguous": ambiguous,
    }
    return _page(data, "bases.html", "Base images")


def rebuild_page(catalog: Catalog) -> Page:
    """Every image whose base has moved since it was built, by base."""
    return _page(rebuild_document(catalog), "rebuild.html", "Rebuild")


def _page(data: BasesData | RebuildData, template: str, title: str) -> Page:
    """A site-wide page, one step below the home page."""
    path = data["path"]
    return Page(path=path, template=template, title=title, data=data, crumbs=((title, path),))


def rebuild_document(catalog: Catalog) -> RebuildData:
    """The Rebuild page's data, also ``api/rebuild.json``."""
    groups: list[BaseGroup] = []
    for group in _groups(catalog)[0]:
        stale = [image for image in group["images"] if image["status"] == "stale"]
        if stale:
            groups.append({**group, "images": stale, "count": _tags(stale), "stale": _tags(stale)})
    return {
        "schema": SCHEMA_VERSION,
        "kind": "rebuild",
        "path": paths.REBUILD_PATH,
        "groups": groups,
        "images": sum(group["count"] for group in groups),
    }


_Grouped = tuple[list[BaseGroup], list[BuiltImage]]
_last: list[tuple[Catalog, _Grouped]] = []  # the last catalog grouped, and its groups


def _groups(catalog: Catalog) -> _Grouped:
    """``_grouped(catalog)``, once per catalog: a build asks for it for the Bases and
    Rebuild pages, their JSON and the home page. Read only."""
    if not _last or _last[0][0] is not catalog:
        _last[:] = [(catalog, _grouped(catalog))]
    return _last[0][1]


def _grouped(catalog: Catalog) -> _Grouped:
    """The bases with the tags built on them (one row per tag and platform), and the
    rows whose provenance left the base ambiguous."""
    hosts = {registry.name: registry.pull_host for registry in catalog.registries}
    groups: dict[tuple[str, ...], BaseGroup] = {}
    ambiguous: list[BuiltImage] = []
    for registry in catalog.registries:
        for repo in registry.repositories:
            for row, base in _rows(catalog.bases, registry.name, repo):
                if base.status == "ambiguous":
                    ambiguous.append(row)
                    continue
                located = bool(base.current)
                key = (base.registry, base.repository, base.tag) if located else (base.reference,)
                group = groups.get(key)
                if group is None:
                    group = groups[key] = {
                        "reference": f"{hosts[base.registry]}/{base.repository}:{base.tag}"
                        if located
                        else base.reference,
                        "registry": base.registry if located else "",
                        "repository": base.repository if located else "",
                        "tag": base.tag if located else "",
                        "path": paths.tag_path(base.registry, base.repository, base.tag)
                        if located
                        else "",
                        "current": base.current,
                        "images": [],
                        "count": 0,
                        "stale": 0,
                    }
                group["images"].append(row)
    for group in groups.values():
        group["images"].sort(key=_order)
        group["count"] = _tags(group["images"])
        group["stale"] = _tags([i for i in group["images"] if i["status"] == "stale"])
    ordered = sorted(groups.values(), key=lambda g: (-g["count"], g["reference"]))
    return ordered, sorted(ambiguous, key=_order)


def _rows(bases: Bases, registry: str, repo: Repository) -> Iterable[tuple[BuiltImage, BaseImage]]:
    """(row, base) for each image of the repository and each platform it pulls; the
    row names the image by its first tag in version order, with the others."""
    for digest, names in repo.tags_by_digest().items():
        manifest = repo.manifests.get(digest)
        if manifest is None:
            continue
        names.sort(key=version_key, reverse=True)
        entries = manifest.entries if isinstance(manifest, Index) else ()
        platforms = {e.descriptor.digest: e.platform for e in entries}
        for image in images_of(manifest):
            base = bases.get((registry, repo.name, image.digest))
            if base is None:
                continue
            platform = platforms.get(image.digest, image.platform)
            yield (
                {
                    "registry": registry,
                    "repository": repo.name,
                    "tag": names[0],
                    "aliases": names[1:],
                    "path": paths.tag_path(registry, repo.name, names[0]),
                    "platform": platform_label(platform),
                    "digest": image.digest,
                    "digest_path": paths.digest_path(registry, repo.name, image.digest),
                    "method": base.method,
                    "status": base.status,
                    "built_on": base.platform_digest or base.digest,
                },
                base,
            )


def _tags(rows: list[BuiltImage]) -> int:
    """How many tags the rows are of (a row per image and platform, with its tags)."""
    images = {(row["registry"], row["repository"], row["tag"]): row for row in rows}
    return sum(1 + len(row["aliases"]) for row in images.values())


def _order(row: BuiltImage) -> tuple[str, ...]:
    return (row["registry"], row["repository"], row["tag"], row["platform"])
