"""The catalog-wide package index: every package name the SBOMs list -> its versions ->
the images that hold them. Pages (the Packages list, a page per name) and the JSON of
``api/packages/``, built from the model once per build.

An image here is a manifest with a page of its own: a platform of a multi-platform
image (a BuildKit SBOM is about one platform), a single-platform image, or a whole index
when an SBOM is about the index. Only SBOMs that were read count; an image without one is
in no package's list.

One page per name, whatever the ecosystem: ``openssl`` from Alpine (``apk``) and from
Debian (``deb``) share ``packages/openssl/``, each version on its own row with its
ecosystem (the purl type), so same-named packages of different ecosystems are told apart
where they are listed, and one search for the name finds them all.

Pages stay small at any scale: the list is paginated (``LIST_PAGE_SIZE`` names a page),
and a package page lists at most ``IMAGES_SHOWN`` images per version, with the count;
every image of every version is in the package's JSON shard, by number into the image
files (``api/packages/images-<n>.json``).
"""

from __future__ import annotations

import functools
import json
import operator
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from sitegen.model import Catalog, Image, Index, Registry, Repository, platform_label
from sitegen.oci.versions import natural_key, version_key
from sitegen.site import paths
from sitegen.site.pages.packages_shapes import (
    PackageData,
    PackageImage,
    PackageImagesDocument,
    PackagesData,
    PackagesIndexDocument,
    PackagesShardDocument,
    PackageSummary,
    PackageVersion,
    ShardPackage,
)
from sitegen.site.pages.page import SCHEMA_VERSION, Page
from sitegen.site.pages.searchrecord import SearchRecord
from sitegen.supplychain_model import Sbom

LIST_PAGE_SIZE = 1000  # names on one page of the Packages list
IMAGES_SHOWN = 5  # images of one version on a package page (all of them in the JSON)
VERSIONS_SEARCHED = 200  # versions of one package in its search record

_KEY = operator.attrgetter("name", "ecosystem", "version")  # of a Package
# (ecosystem, version) -> the numbers of the images that have it, ascending.
Versions = dict[tuple[str, str], list[int]]


@dataclass(frozen=True)  # not slots: ``summaries`` is cached in the instance
class PackageIndex:
    """Every image with an SBOM that was read (numbered by position), and every package
    name (sorted) with its versions."""

    images: list[PackageImage]
    packages: dict[str, Versions]

    @functools.cached_property
    def summaries(self) -> list[PackageSummary]:
        """A row of the Packages list per name, in name order."""
        return [
            {
                "name": name,
                "path": paths.package_path(name),
                "ecosystems": sorted({ecosystem for ecosystem, _ in versions}),
                "versions": len(versions),
                "images": len({n for numbers in versions.values() for n in numbers}),
            }
            for name, versions in self.packages.items()
        ]


def package_index(catalog: Catalog) -> PackageIndex:
    """The index of ``catalog``: a walk over the SBOMs the model holds, no page built.
    Millions of (package, image) pairs at scale: one flat dictionary while walking
    (``defaultdict`` makes no list for a key it has), grouped by name at the end."""
    images: list[PackageImage] = []
    found: defaultdict[tuple[str, str, str], list[int]] = defaultdict(list)
    for registry in catalog.registries:
        for repo in registry.repositories:
            for image, held in _images(registry, repo):
                number = len(images)
                images.append(image)
                for key in held:
                    found[key].append(number)
    packages: dict[str, Versions] = {}
    for (name, ecosystem, version), numbers in found.items():
        if name:  # a package without a name (or with a name of another type) has no page
            packages.setdefault(name, {})[ecosystem, version] = numbers
    return PackageIndex(
        images, {name: packages[name] for name in sorted(packages, key=_name_order)}
    )


def _name_order(name: str) -> tuple[str, str]:
    return (name.casefold(), name)


def _images(
    registry: Registry, repo: Repository
) -> Iterator[tuple[PackageImage, set[tuple[str, str, str]]]]:
    """The repository's images with an SBOM that was read, each with its packages."""
    held: dict[str, set[tuple[str, str, str]]] = {}

    def add(subject: str, sboms: tuple[Sbom, ...]) -> None:
        for item in sboms:
            if item.format:
                held.setdefault(subject, set()).update(map(_KEY, item.packages))

    parents: dict[str, list[tuple[Index, str]]] = {}  # platform digest -> (index, platform)
    for manifest in repo.manifests.values():
        if isinstance(manifest, Index):
            for attestation in manifest.attestations:
                add(attestation.subject, attestation.sboms)
            for entry in manifest.entries:
                if entry.image is not None:
                    label = platform_label(entry.platform)
                    parents.setdefault(entry.descriptor.digest, []).append((manifest, label))
    for subject, referrers in repo.referrers.items():
        for referrer in referrers:
            add(subject, referrer.sboms)
    tagged = repo.tags_by_digest()
    for subject in sorted(held):
        found = repo.manifests.get(subject)
        if found is None and subject not in parents:
            continue  # about a manifest with no page here (not tagged, not a platform)
        tags = set(tagged.get(subject, []))
        platform = ""
        for index, label in parents.get(subject, []):
            tags.update(tagged.get(index.digest, []))
            platform = platform or label
        if isinstance(found, Image) and found.platform is not None:
            platform = platform or platform_label(found.platform)
        names = sorted(tags, key=version_key, reverse=True)
        image: PackageImage = {
            "registry": registry.name,
            "repository": repo.name,
            "digest": subject,
            "platform": platform,
            "tags": names,
            "path": paths.digest_path(registry.name, repo.name, subject),
            "tag_path": paths.tag_path(registry.name, repo.name, names[0]) if names else "",
        }
        yield image, held[subject]


def _ordered(versions: Versions) -> list[tuple[str, str]]:
    """Ecosystems in name order, each one's versions newest first."""
    keys = sorted(versions, key=lambda k: (natural_key(k[1]), k[1]), reverse=True)
    return sorted(keys, key=lambda k: k[0])


# -- pages -----------------------------------------------------------------------------


def package_pages(index: PackageIndex) -> Iterator[Page]:
    """The Packages list (page after page) and a page per package name."""
    summaries = index.summaries
    pages = max(1, -(-len(summaries) // LIST_PAGE_SIZE))
    for page in range(1, pages + 1):
        yield _list_page(index, summaries, page, pages)
    for summary in summaries:
        yield _package_page(index, summary)


def _list_page(index: PackageIndex, summaries: list[PackageSummary], page: int, pages: int) -> Page:
    path = paths.packages_path(page)
    data: PackagesData = {
        "schema": SCHEMA_VERSION,
        "kind": "packages",
        "title": "Packages",
        "page": page,
        "pages": pages,
        "previous": paths.packages_path(page - 1) if page > 1 else "",
        "next": paths.packages_path(page + 1) if page < pages else "",
        "package_count": len(summaries),
        "image_count": len(index.images),
        "index_file": paths.PACKAGES_INDEX_FILE,
        "packages": summaries[(page - 1) * LIST_PAGE_SIZE : page * LIST_PAGE_SIZE],
    }
    crumbs = [("Packages", paths.PACKAGES_PATH)]
    if page > 1:
        crumbs.append((f"Page {page}", path))
    return Page(
        path=path,
        template="packages.html",
        title="Packages" if page == 1 else f"Packages, page {page}",
        data=data,
        crumbs=tuple(crumbs),
    )


def _package_page(index: PackageIndex, summary: PackageSummary) -> Page:
    name = summary["name"]
    versions = index.packages[name]
    rows: list[PackageVersion] = [
        {
            "ecosystem": ecosystem,
            "version": version,
            "image_count": len(versions[ecosystem, version]),
            "images": [index.images[n] for n in versions[ecosystem, version][:IMAGES_SHOWN]],
        }
        for ecosystem, version in _ordered(versions)
    ]
    data: PackageData = {
        "schema": SCHEMA_VERSION,
        "kind": "package",
        "title": name,
        "name": name,
        "path": summary["path"],
        "shard_file": paths.package_shard_file(paths.package_shard(name)),
        "ecosystems": summary["ecosystems"],
        "image_count": summary["images"],
        "images_shown": IMAGES_SHOWN,
        "versions": rows,
    }
    return Page(
        path=summary["path"],
        template="package.html",
        title=f"Package {name}",
        data=data,
        crumbs=(("Packages", paths.PACKAGES_PATH), (name, summary["path"])),
        search=_search_record(summary, rows),
    )


def _search_record(summary: PackageSummary, rows: list[PackageVersion]) -> SearchRecord:
    """The package's name weighs as a name; its versions as keywords, below image names:
    "openssl 3.0.13" finds the page, and the page the images."""
    versions = list(dict.fromkeys(row["version"] for row in rows if row["version"]))
    count = summary["versions"]
    shown = ", ".join(versions[:5]) + (" …" if len(versions) > 5 else "")
    ecosystems = ", ".join(summary["ecosystems"]) or "no ecosystem given"
    images = summary["images"]
    return {
        "title": summary["name"],
        "registry": "",
        "repository": "",
        "kind": "package",
        "summary": (
            f"package ({ecosystems}) · {count:,} {'version' if count == 1 else 'versions'}"
            f" ({shown}) · in {images:,} {'image' if images == 1 else 'images'}"
        ),
        "names": summary["name"],
        "keywords": " ".join(versions[:VERSIONS_SEARCHED] + summary["ecosystems"]),
        "rank": images,
    }


# -- api/packages/ ---------------------------------------------------------------------


def package_files(index: PackageIndex) -> Iterator[tuple[str, str]]:
    """(path, JSON text) of ``api/packages/``: the index, a file per shard, the images."""
    shards: dict[str, list[ShardPackage]] = {}
    for summary in index.summaries:
        name = summary["name"]
        versions = index.packages[name]
        shards.setdefault(paths.package_shard(name), []).append(
            {
                "name": name,
                "path": summary["path"],
                "versions": [
                    {"ecosystem": e, "version": v, "images": versions[e, v]}
                    for e, v in _ordered(versions)
                ],
            }
        )
    per_file = paths.PACKAGE_IMAGES_PER_FILE
    image_files = [paths.package_images_file(n) for n in range(-(-len(index.images) // per_file))]
    document: PackagesIndexDocument = {
        "schema": SCHEMA_VERSION,
        "kind": "package-index",  # every index.json of the site says what it is
        "package_count": len(index.packages),
        "image_count": len(index.images),
        "shards": {shard: [p["name"] for p in found] for shard, found in sorted(shards.items())},
        "image_files": image_files,
        "images_per_file": per_file,
    }
    yield paths.PACKAGES_INDEX_FILE, _json(document)
    for shard, found in sorted(shards.items()):
        shard_document: PackagesShardDocument = {
            "schema": SCHEMA_VERSION,
            "shard": shard,
            "packages": found,
        }
        yield paths.package_shard_file(shard), _json(shard_document)
    for number, path in enumerate(image_files):
        first = number * per_file
        images_document: PackageImagesDocument = {
            "schema": SCHEMA_VERSION,
            "first": first,
            "images": index.images[first : first + per_file],
        }
        yield path, _json(images_document)


def _json(document: object) -> str:
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
