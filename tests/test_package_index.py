"""The catalog-wide package index and the SBOM downloads, as a reader and a script see
them: real SPDX and CycloneDX documents pushed into the real registry (two alpine
images that share packages at different versions, a distroless image with a cosign
``.sbom`` tag, a multi-platform image with BuildKit's per-platform SBOMs, an image
without any), built, and read back from the Packages pages, a package's page, the JSON
of ``api/packages/`` and the files of ``sboms/``. Hostile package names are escaped in
pages and kept out of paths, and secrets never reach a downloaded file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lab.attestations import buildkit_attestations
from lab.images import Built, artifact, fallback_tag, image, index, referrers_index
from lab.push import Pusher
from lab.registry import RunningRegistry, running_registry
from lab.sboms import (
    CYCLONEDX_JSON,
    alpine_spdx,
    distroless_cyclonedx,
    sbom_referrer,
    spdx_package,
)
from sitegen.build import build
from sitegen.config import load_config
from sitegen.site import paths
from tests.helpers import read_page, site_text, tree, write_config

TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"  # a secret shape
MARKUP = "<script>alert(1)</script>"
# Names no path may be built from as they are.
ODD_NAMES = ("../../x", "a/b?c#d", "Ünïcode pkg", "con", "index.html", "OpenSSL", "y" * 300)


def _app(n: int, architecture: str = "amd64") -> Built:
    return image(
        created=f"2024-0{n}-01T00:00:00Z",
        architecture=architecture,
        files=({"/app": f"app {n} {architecture}".encode()},),
    )


def _hostile() -> dict[str, Any]:
    """alpine at newer versions, with hostile packages: markup, a token in a version and
    in the document's own fields, odd names, wrong types, tzdata from another ecosystem."""
    extra = [
        spdx_package(MARKUP, "1.0"),
        spdx_package("leaky", f"2.0-{TOKEN}"),
        spdx_package("tzdata", "2024a-r0", "pkg:apk/alpine/tzdata@2024a-r0"),
        spdx_package(["not", "a", "name"], {"not": "a version"}),
        *(spdx_package(name, "1") for name in ODD_NAMES),
    ]
    document = alpine_spdx(
        "apps/beta", {"libssl1.1": "1.1.1w-r1", "libcrypto1.1": "1.1.1w-r1"}, extra
    )
    document["creationInfo"]["comment"] = f"token={TOKEN}"
    document[f"x-{TOKEN}"] = "a key that carries a value"
    return document


@dataclass
class Pushed:
    registry: RunningRegistry
    images: dict[str, Built]  # repository -> the image its tag 1.0 points to


@pytest.fixture(scope="module")
def pushed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pushed]:
    with running_registry(tmp_path_factory.mktemp("packages")) as registry:
        images = {
            "apps/alpha": _app(1),
            "apps/beta": _app(2),
            "apps/alpha-copy": _app(1),  # the same image in a second repository
            "apps/distroless": _app(3),
            "apps/plain": _app(4),  # no SBOM
            "apps/multi": index(
                [_app(5, "amd64"), _app(5, "arm64")],
                attestations=buildkit_attestations(
                    source="https://github.com/example/multi", revision="0" * 40, args={}
                ),
            ),
        }
        alpha = sbom_referrer(images["apps/alpha"], alpine_spdx("apps/alpha"))
        beta = sbom_referrer(images["apps/beta"], _hostile())
        # cosign attach sbom: the plain CycloneDX document as the layer of the .sbom tag.
        distroless = artifact(
            artifact_type=CYCLONEDX_JSON,
            layers=((CYCLONEDX_JSON, json.dumps(distroless_cyclonedx()).encode()),),
        )
        with Pusher(registry.url) as pusher:
            for repository, built in images.items():
                pusher.push(repository, built, ["1.0"])
            # Registry 2.8 has no referrers API: the client writes the fallback tag.
            for repository, referrer in (
                ("apps/alpha", alpha),
                ("apps/alpha-copy", alpha),
                ("apps/beta", beta),
            ):
                subject = images[repository].digest
                pusher.push(repository, referrers_index([referrer]), [fallback_tag(subject)])
            subject = images["apps/distroless"].digest
            pusher.push("apps/distroless", distroless, [f"{fallback_tag(subject)}.sbom"])
        yield Pushed(registry, images)


def _build(directory: Path, registry: RunningRegistry) -> Path:
    config = write_config(directory, f"registries:\n  - name: lab\n    url: {registry.url}\n")
    site = directory / "site"
    build(load_config(config, environ={}), site, cache_dir=directory / "cache")
    return site


@pytest.fixture(scope="module")
def site(pushed: Pushed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("site"), pushed.registry)


def _packages(site: Path) -> dict[str, Any]:
    _, data = read_page(site, paths.PACKAGES_PATH)
    assert data["kind"] == "packages" and data["pages"] == 1
    return {row["name"]: row for row in data["packages"]}


def _package(site: Path, name: str) -> tuple[str, Any]:
    return read_page(site, paths.package_path(name))


def test_the_packages_page_lists_every_name_with_types_versions_and_images(site: Path) -> None:
    listed = _packages(site)
    _, data = read_page(site, paths.PACKAGES_PATH)
    # alpha, alpha-copy, beta, distroless, and the two platforms of multi.
    assert data["image_count"] == 6
    assert listed["musl"] == {
        "name": "musl",
        "path": "packages/musl/",
        "ecosystems": ["alpine"],
        "versions": 1,
        "images": 3,
    }
    assert (listed["libssl1.1"]["versions"], listed["libssl1.1"]["images"]) == (2, 3)
    # One name, two ecosystems: Debian's tzdata from the CycloneDX, Alpine's from beta.
    assert listed["tzdata"]["ecosystems"] == ["apk", "deb"]
    assert listed["github.com/caarlos0/env/v11"]["images"] == 2  # BuildKit, per platform
    assert list(listed) == sorted(listed, key=lambda n: (n.casefold(), n))
    # A name of the wrong type is no name: left out, not shown as "['not', ...]".
    assert not any("not" in name and "a" in name and "[" in name for name in listed)
    html = (site / paths.PACKAGES_PATH / paths.PAGE_HTML).read_text()
    assert MARKUP not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Linked from every page's header.
    home = (site / paths.PAGE_HTML).read_text()
    assert f'href="{paths.PACKAGES_PATH}{paths.PAGE_HTML}"' in home


def test_a_package_page_lists_versions_then_images_linked_to_their_pages(
    site: Path, pushed: Pushed
) -> None:
    html, data = _package(site, "libssl1.1")
    assert data["kind"] == "package" and data["image_count"] == 3
    versions = [(v["ecosystem"], v["version"], v["image_count"]) for v in data["versions"]]
    assert versions == [("alpine", "1.1.1w-r1", 1), ("alpine", "1.1.1q-r0", 2)]
    newest, older = data["versions"]
    assert [i["repository"] for i in newest["images"]] == ["apps/beta"]
    assert [i["repository"] for i in older["images"]] == ["apps/alpha", "apps/alpha-copy"]
    for found in newest["images"] + older["images"]:
        assert found["tags"] == ["1.0"] and found["platform"] == "linux/amd64"
        assert found["digest"] == pushed.images[found["repository"]].digest
        for page in (found["path"], found["tag_path"]):
            assert (site / page / paths.PAGE_HTML).is_file()
            assert f'href="../../{page}{paths.PAGE_HTML}"' in html


def test_per_platform_sboms_make_an_image_per_platform(site: Path, pushed: Pushed) -> None:
    _, data = _package(site, "github.com/caarlos0/env/v11")
    (version,) = data["versions"]
    multi = pushed.images["apps/multi"]
    platforms = {c.digest for c in multi.children if c.artifact_type is None and c.platform}
    platforms -= {c.digest for c in multi.children if c.platform and c.platform.os == "unknown"}
    assert len(platforms) == 2
    assert {i["digest"] for i in version["images"]} == platforms
    assert sorted(i["platform"] for i in version["images"]) == ["linux/amd64", "linux/arm64"]
    for found in version["images"]:
        # A platform has no tag of its own: the index's tags are its.
        assert found["tags"] == ["1.0"]
        assert found["tag_path"] == paths.tag_path("lab", "apps/multi", "1.0")


def test_an_image_without_an_sbom_is_in_no_list(site: Path, pushed: Pushed) -> None:
    plain = pushed.images["apps/plain"].digest
    everything = json.dumps([json.loads(p.read_text()) for p in _api_files(site)])
    assert plain not in everything and "apps/plain" not in everything
    for row in _packages(site).values():
        _, data = _package(site, row["name"])
        assert all(i["repository"] != "apps/plain" for v in data["versions"] for i in v["images"])


def _api_files(site: Path) -> list[Path]:
    return sorted((site / paths.PACKAGES_INDEX_FILE).parent.glob("*.json"))


def test_the_json_shards_hold_every_image_of_every_version(site: Path) -> None:
    api = site / paths.PACKAGES_INDEX_FILE
    index_document = json.loads(api.read_text())
    images = [
        image for path in index_document["image_files"] for image in _load(site, path)["images"]
    ]
    assert len(images) == index_document["image_count"] == 6
    listed = _packages(site)
    in_shards = {}
    for shard, names in index_document["shards"].items():
        assert shard == paths.package_shard(names[0]) and len(shard) == 2
        document = _load(site, paths.package_shard_file(shard))
        assert [p["name"] for p in document["packages"]] == names
        for package in document["packages"]:
            assert paths.package_shard(package["name"]) == shard
            in_shards[package["name"]] = package
    assert set(in_shards) == set(listed)
    # A shard's version lists the same images as the page, all of them, by number.
    for name in ("musl", "libssl1.1", "tzdata"):
        _, page = _package(site, name)
        for version, on_page in zip(in_shards[name]["versions"], page["versions"], strict=True):
            assert (version["ecosystem"], version["version"]) == (
                on_page["ecosystem"],
                on_page["version"],
            )
            assert [images[n] for n in version["images"]] == on_page["images"]
    # Every file is small here; the bench holds the budget at scale.
    assert max(p.stat().st_size for p in _api_files(site)) < 64_000


def _load(site: Path, path: str) -> Any:
    return json.loads((site / path).read_text(encoding="utf-8"))


def test_odd_names_get_safe_paths_inside_the_package_directory(site: Path) -> None:
    listed = _packages(site)
    for name in (*ODD_NAMES[:-1], MARKUP):
        path = listed[name]["path"]
        assert path == paths.package_path(name)
        assert path.startswith(paths.PACKAGES_PATH) and path.count("/") == 2
        assert "~" in path and path.isascii() and "?" not in path and "#" not in path
        html, data = _package(site, name)
        assert data["name"] == name and MARKUP not in html
    # The long name is cut (256 characters), not refused, and still has a page.
    (long_name,) = [n for n in listed if n.startswith("yyy")]
    assert len(long_name) <= 256 and len(listed[long_name]["path"]) < 100
    assert not (site.parent / "x").exists() and not (site / "x").exists()
    # Case and reserved names stay apart from the plain ones.
    assert paths.package_path("OpenSSL") != paths.package_path("openssl")


def test_each_sbom_document_is_offered_once_and_as_the_registry_holds_it(
    site: Path, pushed: Pushed
) -> None:
    _, alpha = read_page(site, paths.tag_path("lab", "apps/alpha", "1.0"))
    _, copy = read_page(site, paths.tag_path("lab", "apps/alpha-copy", "1.0"))
    (entry,) = alpha["sboms"]
    # One file for the two images that share the document.
    assert entry["download"] == copy["sboms"][0]["download"]
    assert entry["download"].startswith(paths.SBOMS_DIR) and entry["download"].endswith(
        ".spdx.json"
    )
    data = (site / entry["download"]).read_bytes()
    assert (len(data), entry["masked"]) == (entry["download_size"], False)
    assert json.loads(data) == alpine_spdx("apps/alpha")  # the document, as it is
    page = paths.tag_path("lab", "apps/alpha", "1.0")
    html = (site / page / paths.PAGE_HTML).read_text()
    assert f'href="{paths.relative_root(page)}{entry["download"]}"' in html
    _, distroless = read_page(site, paths.tag_path("lab", "apps/distroless", "1.0"))
    cyclonedx = distroless["sboms"][0]["download"]
    assert cyclonedx.endswith(".cdx.json")
    assert json.loads((site / cyclonedx).read_bytes()) == distroless_cyclonedx()
    _, multi = read_page(site, paths.tag_path("lab", "apps/multi", "1.0"))
    # BuildKit's SBOM: the SPDX document of the in-toto statement, not the statement.
    inline = [b for p in multi["platform_list"] for b in p["sboms"]]
    assert inline and all(b["download"] for b in inline)
    statement = json.loads((site / inline[0]["download"]).read_bytes())
    assert statement["spdxVersion"] == "SPDX-2.3" and "predicate" not in statement
    written = sorted(p.name for p in (site / paths.SBOMS_DIR).iterdir())
    assert len(written) == len(set(written)) == 4  # alpha, beta, distroless, BuildKit's


def test_a_downloaded_document_has_its_secrets_masked_and_says_so(site: Path) -> None:
    _, beta = read_page(site, paths.tag_path("lab", "apps/beta", "1.0"))
    (entry,) = beta["sboms"]
    data = (site / entry["download"]).read_bytes()
    assert entry["masked"] is True
    assert TOKEN.encode() not in data and TOKEN[4:].encode() not in data
    document = json.loads(data)
    leaky = next(p for p in document["packages"] if p["name"] == "leaky")
    assert leaky["versionInfo"].startswith("2.0-") and TOKEN not in leaky["versionInfo"]
    assert not any(TOKEN in key for key in document)  # keys are masked too
    assert document["packages"][0] == alpine_spdx("x")["packages"][0]  # the rest as it is
    html = (site / paths.tag_path("lab", "apps/beta", "1.0") / paths.PAGE_HTML).read_text()
    assert "Secrets were masked in it" in html
    assert TOKEN not in site_text(site)


def test_an_unchanged_rebuild_is_byte_identical(tmp_path: Path, pushed: Pushed) -> None:
    first = _build(tmp_path, pushed.registry)
    before = tree(first)
    second = _build(tmp_path, pushed.registry)
    after = tree(second)
    assert {k: v for k, v in after.items() if k != paths.STAMP_FILE} == {
        k: v for k, v in before.items() if k != paths.STAMP_FILE
    }
    assert any(k.startswith(paths.SBOMS_DIR) for k in after)
    assert any(k.startswith("api/packages/") for k in after)
