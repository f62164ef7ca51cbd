"""Base-image finding at scale: the time to find every image's base over a catalog.

``python -m bench.bases --images 10000``

The catalog is built in memory, as the crawl would leave it: ``BASES`` base images (each
a repository with three tags on one image, one to four layers), and ``--images`` app
images in repositories of 50 tags, each built on one of the bases (its layers plus one
to three of its own); every third app names its base in the OCI annotations, the others
are found by their layers. The base and rebuild pages' data are built too, as
``write_site`` does. Prints the figures; not a timed test (docs/performance.md).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time

from sitegen.crawl.bases import find_bases
from sitegen.model import Catalog, Descriptor, Image, Registry, Repository, Tag
from sitegen.oci.bases import BASE_DIGEST, BASE_NAME
from sitegen.oci.masking import Masker
from sitegen.site.pages.bases import bases_page, rebuild_document

BASES = 50
TAGS_PER_REPOSITORY = 50
BUDGET_SECONDS = 1.0  # issue 15: 10,000 images under a second
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
CONFIG = "application/vnd.oci.image.config.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
HOST = "registry.example"


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _image(name: str, layers: list[str], annotations: dict[str, str] | None = None) -> Image:
    return Image(
        digest=_digest(name),
        media_type=MANIFEST,
        manifest_size=500,
        config_descriptor=Descriptor(CONFIG, _digest(name + " config"), 1000),
        layers=tuple(Descriptor(LAYER, layer, 1 << 20) for layer in layers),
        annotations=annotations or {},
    )


def catalog(images: int) -> Catalog:
    """The synthetic catalog: ``BASES`` bases and ``images`` apps built on them."""
    repositories: list[Repository] = []
    base_layers: list[list[str]] = []
    for n in range(BASES):
        layers = [_digest(f"base {n} layer {k}") for k in range(1 + n % 4)]
        base_layers.append(layers)
        built = _image(f"base {n}", layers)
        tags = tuple(Tag(name, built.digest) for name in ("3.20.1", "3.20", "3"))
        repositories.append(Repository(f"base/os-{n}", tags=tags, manifests={built.digest: built}))
    for start in range(0, images, TAGS_PER_REPOSITORY):
        repository = f"apps/app-{start // TAGS_PER_REPOSITORY}"
        manifests: dict[str, Image] = {}
        app_tags: list[Tag] = []
        for n in range(start, min(images, start + TAGS_PER_REPOSITORY)):
            base = n % BASES
            own = [_digest(f"app {n} layer {k}") for k in range(1 + n % 3)]
            annotations = None
            if n % 3 == 0:
                annotations = {
                    BASE_NAME: f"{HOST}/base/os-{base}:3.20",
                    BASE_DIGEST: _digest(f"base {base}"),
                }
            built = _image(f"app {n}", base_layers[base] + own, annotations)
            manifests[built.digest] = built
            app_tags.append(Tag(f"1.{n}", built.digest))
        repositories.append(Repository(repository, tags=tuple(app_tags), manifests=manifests))
    return Catalog("bench", (Registry("lab", "", HOST, tuple(repositories)),))


def measure(images: int) -> dict[str, float]:
    """Seconds to find every base and to build the pages' data, and what was found."""
    built = catalog(images)
    started = time.perf_counter()
    found = find_bases(built, Masker())
    finding = time.perf_counter() - started
    with_bases = Catalog(built.title, built.registries, bases=found)
    started = time.perf_counter()
    bases_page(with_bases)
    rebuild_document(with_bases)
    pages = time.perf_counter() - started
    return {
        "images": images + BASES,
        "found": len(found),
        "find_seconds": finding,
        "pages_seconds": pages,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bases", description=__doc__)
    parser.add_argument("--images", type=int, default=10_000)
    args = parser.parse_args(argv)
    figures = measure(args.images)
    print(f"images in the catalog   {figures['images']:>10,.0f}")
    print(f"bases found             {figures['found']:>10,.0f}")
    print(f"finding every base      {figures['find_seconds']:>10.3f} s")
    print(f"bases and rebuild data  {figures['pages_seconds']:>10.3f} s")
    ratio = figures["find_seconds"] / BUDGET_SECONDS
    print(f"of the {BUDGET_SECONDS:.0f} s budget        {ratio:>10.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
