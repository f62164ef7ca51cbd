"""``api/catalog.json`` at scale: its size and the time to build it, against the budget.

``python -m bench.catalog_size --tags 100000``

The catalog is built in memory, as the crawl would leave it, with the benchmark's
dataset shape (``bench/dataset.py``): 50 tags per repository in releases of five
aliases, every fifth release a 4-platform index. The document is built and serialised
exactly as ``write_site`` does; the budget is the one docs/json.md states.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time

from sitegen.model import (
    Catalog,
    Descriptor,
    Image,
    ImageConfig,
    Index,
    IndexEntry,
    Manifest,
    Platform,
    Registry,
    Repository,
    Tag,
)
from sitegen.site.pages.catalog import catalog_document

# docs/json.md: api/catalog.json at 100,000 tags (five aliases per image).
BUDGET_BYTES = 16_000_000
BUDGET_SECONDS = 5.0
TAGS_PER_REPOSITORY = 50
ALIASES = 5
PLATFORMS = (
    Platform("linux", "amd64"),
    Platform("linux", "arm64", "v8"),
    Platform("linux", "arm", "v7"),
    Platform("linux", "ppc64le"),
)
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"


def _digest(*parts: object) -> str:
    return "sha256:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def _image(key: tuple[object, ...], platform: Platform, created: str) -> Image:
    config = ImageConfig(digest=_digest("config", *key), created=created)
    return Image(
        digest=_digest("image", *key),
        media_type=MANIFEST_TYPE,
        manifest_size=500,
        config_descriptor=Descriptor(CONFIG_TYPE, config.digest, 1000),
        platform=platform,
        config=config,
    )


def repository(number: int) -> Repository:
    """One repository: ``TAGS_PER_REPOSITORY`` tags, ``ALIASES`` per release."""
    tags: list[Tag] = []
    manifests: dict[str, Manifest] = {}
    for release in range(TAGS_PER_REPOSITORY // ALIASES):
        created = f"2024-{1 + release % 12:02d}-{1 + number % 28:02d}T00:00:00Z"
        manifest: Manifest
        if release % 5 == 4:
            children = [_image((number, release, str(p)), p, created) for p in PLATFORMS]
            manifest = Index(
                digest=_digest("index", number, release),
                media_type=INDEX_TYPE,
                manifest_size=1500,
                entries=tuple(
                    IndexEntry(Descriptor(MANIFEST_TYPE, c.digest, 500, platform=c.platform), c)
                    for c in children
                ),
            )
        else:
            manifest = _image((number, release), PLATFORMS[0], created)
        manifests[manifest.digest] = manifest
        version = f"2.{release}.{number % 10}"
        for name in (
            version,
            f"v{version}",
            version.rpartition(".")[0],
            f"{version}-20240301",
            f"sha-{release:07x}",
        ):
            tags.append(Tag(name, manifest.digest))
    return Repository(
        name=f"team-{number // 10}/app-{number % 10}", tags=tuple(tags), manifests=manifests
    )


def catalog(tags: int) -> Catalog:
    repositories = tuple(repository(n) for n in range(max(1, tags // TAGS_PER_REPOSITORY)))
    registry = Registry(
        name="bench", url="", pull_host="registry.example.com", repositories=repositories
    )
    return Catalog(title="bench", registries=(registry,))


def main(argv: list[str] | None = None) -> int:
    """Build the document for ``--tags`` tags; print size and time against the budget."""
    parser = argparse.ArgumentParser(prog="python -m bench.catalog_size")
    parser.add_argument("--tags", type=int, default=100_000)
    args = parser.parse_args(argv)
    data = catalog(args.tags)
    started = time.perf_counter()
    text = json.dumps(
        catalog_document(data), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    seconds = time.perf_counter() - started
    size = len(text.encode())
    scale = args.tags / 100_000
    budget = BUDGET_BYTES * scale
    print(f"api/catalog.json for {data.tag_count} tags ({data.repository_count} repositories)")
    print(f"  size    {size:>12,} bytes  budget {budget:>12,.0f}  ratio {size / budget:.2f}")
    print(f"  gzip    {len(gzip.compress(text.encode(), 6)):>12,} bytes")
    print(f"  per tag {size / data.tag_count:>12.1f} bytes")
    limit = BUDGET_SECONDS * scale
    print(f"  time    {seconds:>12.2f} s      budget {limit:>12.2f}  ratio {seconds / limit:.2f}")
    return 0 if size <= budget else 1


if __name__ == "__main__":
    sys.exit(main())
