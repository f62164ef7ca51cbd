"""The package index at scale: building it, and writing its pages and JSON, against the
budget.

``python -m bench.packages --images 10000 --packages 300``

The catalog is built in memory, as the crawl would leave it: ``--images`` images (20 a
repository, one tag each), each with an SBOM referrer listing ``--packages`` packages.
The packages come from a pool of name/version pairs with the skew of real images: half
of each image's packages are its base distribution's (one of a few families, each at
one of a few releases, so thousands of images share them), the other half come from a
long tail of application packages picked by a Zipf-like weight (a few are in most
images, most are in a few). Seeded, so every run measures the same catalog.

Measured: ``package_index`` (the walk over the model), then every page of the index
rendered by the site's renderer (HTML and ``index.json``) and every file of
``api/packages/`` serialised, as ``write_site`` does: their count, total bytes, the
largest page and the largest JSON file, and the seconds each stage takes. The budget is
the one docs/performance.md states.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from dataclasses import dataclass

from sitegen.config.schema import SiteConfig
from sitegen.model import Catalog, Descriptor, Image, Platform, Registry, Repository, Tag
from sitegen.site.pages.packages import package_files, package_index, package_pages
from sitegen.site.render import Renderer
from sitegen.supplychain_model import Package, Referrer, Sbom

# docs/performance.md: the package index at 10,000 images x 300 packages.
BUDGET_INDEX_SECONDS = 10.0
BUDGET_WRITE_SECONDS = 60.0
BUDGET_PAGE_BYTES = 512_000  # the largest HTML page
BUDGET_JSON_BYTES = 1_000_000  # the largest file of api/packages/
IMAGES_PER_REPOSITORY = 20
FAMILIES = 4  # base distributions
RELEASES = 5  # releases of each, images spread over them
BASE_NAMES = 120  # packages of one base distribution
TAIL_NAMES = 5_000  # application packages
TAIL_VERSIONS = 6
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
AMD64 = Platform("linux", "amd64")


def _digest(*parts: object) -> str:
    return "sha256:" + hashlib.sha256(repr(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Pool:
    """Every name/version pair an image can hold: base packages per family and release,
    and the tail, each name with its versions."""

    base: list[list[list[Package]]]  # family -> release -> packages
    tail: list[list[Package]]  # name -> versions
    weights: list[float]

    @property
    def pairs(self) -> int:
        base = {(p.name, p.version) for f in self.base for r in f for p in r}
        return len(base) + sum(len(versions) for versions in self.tail)


def pool() -> Pool:
    ecosystems = ("deb", "apk", "rpm", "apk")
    base = [
        [
            [
                Package(
                    f"{ecosystems[f]}-lib{n}",
                    version=f"{n % 7}.{release}.{(n * 3) % 11}-r{release}",
                    ecosystem=ecosystems[f],
                    purl=f"pkg:{ecosystems[f]}/lib{n}@{n % 7}.{release}",
                )
                for n in range(BASE_NAMES)
            ]
            for release in range(RELEASES)
        ]
        for f in range(FAMILIES)
    ]
    kinds = ("golang", "npm", "pypi", "maven")
    tail = [
        [
            Package(
                f"example.com/module-{n}" if n % 4 == 0 else f"package-{n}",
                version=f"{v}.{n % 10}.{(n + v) % 13}",
                ecosystem=kinds[n % 4],
                license="MIT",
            )
            for v in range(1 + n % TAIL_VERSIONS)
        ]
        for n in range(TAIL_NAMES)
    ]
    return Pool(base, tail, [1.0 / (n + 1) ** 0.9 for n in range(TAIL_NAMES)])


def catalog(images: int, packages: int, seed: int = 15) -> tuple[Catalog, Pool]:
    """``images`` images with an SBOM of ``packages`` packages each (see the docstring)."""
    chance = random.Random(seed)
    made = pool()
    repositories = []
    for first in range(0, images, IMAGES_PER_REPOSITORY):
        number = first // IMAGES_PER_REPOSITORY
        tags, manifests, referrers = [], {}, {}
        for n in range(first, min(images, first + IMAGES_PER_REPOSITORY)):
            family = made.base[number % FAMILIES]
            base = family[chance.randrange(RELEASES)][: min(BASE_NAMES, packages // 2)]
            picked = chance.choices(range(TAIL_NAMES), made.weights, k=packages - len(base))
            tail = {made.tail[i][chance.randrange(len(made.tail[i]))] for i in picked}
            held = tuple(sorted({*base, *tail}, key=lambda p: (p.name, p.version)))
            image = Image(
                digest=_digest("image", n),
                media_type=MANIFEST_TYPE,
                manifest_size=500,
                config_descriptor=Descriptor(CONFIG_TYPE, _digest("config", n), 1000),
                platform=AMD64,
            )
            manifests[image.digest] = image
            tags.append(Tag(f"1.{n - first}.0", image.digest))
            document = Sbom("SPDX-2.3", packages=held, package_count=len(held))
            referrers[image.digest] = (
                Referrer(_digest("sbom", n), "sbom", source="referrers API", sboms=(document,)),
            )
        repositories.append(
            Repository(
                name=f"team-{number // 10}/app-{number % 10}",
                tags=tuple(tags),
                manifests=manifests,
                referrers=referrers,
            )
        )
    registry = Registry(
        name="bench", url="", pull_host="registry.example.com", repositories=tuple(repositories)
    )
    return Catalog(title="bench", registries=(registry,)), made


@dataclass(frozen=True)
class Measured:
    names: int
    pairs: int
    index_seconds: float
    write_seconds: float
    files: int
    total_bytes: int
    largest_page: tuple[int, str]
    largest_json: tuple[int, str]
    largest_shard: tuple[int, str]


def measure(images: int, packages: int) -> Measured:
    """Build the index of the model, render its pages and serialise its JSON."""
    data, made = catalog(images, packages)
    started = time.perf_counter()
    index = package_index(data)
    indexed = time.perf_counter()
    renderer = Renderer(SiteConfig())
    files = 0
    total = 0
    largest_page = (0, "")
    largest_json = (0, "")
    largest_shard = (0, "")
    for page in package_pages(index):
        html = renderer.html(page).encode()
        data_json = renderer.json(page).encode()
        files += 2
        total += len(html) + len(data_json)
        largest_page = max(largest_page, (len(html), page.path))
        largest_json = max(largest_json, (len(data_json), f"{page.path}index.json"))
    for path, text in package_files(index):
        size = len(text.encode())
        files += 1
        total += size
        largest_json = max(largest_json, (size, path))
        if "/images-" not in path and not path.endswith("/index.json"):
            largest_shard = max(largest_shard, (size, path))
    written = time.perf_counter()
    return Measured(
        names=len(index.packages),
        pairs=made.pairs,
        index_seconds=indexed - started,
        write_seconds=written - indexed,
        files=files,
        total_bytes=total,
        largest_page=largest_page,
        largest_json=largest_json,
        largest_shard=largest_shard,
    )


def _row(label: str, value: float, budget: float, unit: str) -> tuple[str, bool]:
    ok = value <= budget
    line = (
        f"  {label:<14}{value:>14,.2f} {unit:<6} budget {budget:>12,.2f}  "
        f"ratio {value / budget:.2f}  {'PASS' if ok else 'FAIL'}"
    )
    return line, ok


def main(argv: list[str] | None = None) -> int:
    """Measure ``--images`` x ``--packages``; print the figures against the budget."""
    parser = argparse.ArgumentParser(prog="python -m bench.packages")
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--packages", type=int, default=300)
    args = parser.parse_args(argv)
    found = measure(args.images, args.packages)
    scale = max(args.images / 10_000, 0.1)  # time budgets scale, down to a tenth
    print(f"package index for {args.images:,} images x {args.packages} packages")
    print(f"  pool          {found.pairs:>14,} name/version pairs, {found.names:,} names used")
    print(f"  files         {found.files:>14,}")
    print(f"  total         {found.total_bytes:>14,} bytes")
    print(f"  largest page  {found.largest_page[0]:>14,} bytes  {found.largest_page[1]}")
    print(f"  largest JSON  {found.largest_json[0]:>14,} bytes  {found.largest_json[1]}")
    print(f"  largest shard {found.largest_shard[0]:>14,} bytes  {found.largest_shard[1]}")
    rows = [
        _row("index", found.index_seconds, BUDGET_INDEX_SECONDS * scale, "s"),
        _row("pages + JSON", found.write_seconds, BUDGET_WRITE_SECONDS * scale, "s"),
        _row("largest page", found.largest_page[0] / 1000, BUDGET_PAGE_BYTES / 1000, "kB"),
        _row("largest JSON", found.largest_json[0] / 1000, BUDGET_JSON_BYTES / 1000, "kB"),
    ]
    for line, _ in rows:
        print(line)
    return 0 if all(ok for _, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
