"""Base images and what must be rebuilt, against the real registry: a multi-platform
``base/os:1``, apps built on it (one whose annotations name it, one whose BuildKit
provenance names it among other images, one found by its layers alone, one built on a
base outside the catalog, two with hostile annotations), built; then a new ``base/os:1``
is pushed (the base moves) and the site rebuilt: the apps built on it are stale on their
tag and digest pages, in the tag lists, on the Rebuild page and its JSON, and in the
changes page and feed.

The provenance is BuildKit's real SLSA v0.2 statement
(``slsa-v02-buildkit-statement-2025.json``) with its materials pointed at the base.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lab.attestations import SLSA_V02, buildkit_sbom, statement
from lab.images import Built, attestation_manifest, image, index
from lab.push import Pusher
from lab.registry import RunningRegistry, running_registry
from sitegen.build import build
from sitegen.config import load_config
from sitegen.crawl.state import STATE_FILE, STATE_VERSION, State
from sitegen.site import paths
from tests.helpers import read_page, site_text, write_config

TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"
MARKUP = "<script>alert(1)</script>"
OUTSIDE = "docker.io/library/alpine:3.20"
OUTSIDE_DIGEST = "sha256:" + "ab" * 32
ARCHES = ("amd64", "arm64")


def base_image(version: str, architecture: str) -> Built:
    return image(
        architecture=architecture,
        created=f"2024-0{version}-01T00:00:00Z",
        files=({"/etc/os-release": f"os {version} {architecture}".encode()},),
    )


def app_image(
    name: str, architecture: str, annotations: dict[str, str] | None = None, base: str = "1"
) -> Built:
    """An image whose first layer is ``base_image(base, architecture)``'s."""
    return image(
        architecture=architecture,
        created="2024-06-01T00:00:00Z",
        files=(
            {"/etc/os-release": f"os {base} {architecture}".encode()},
            {"/app": f"{name} {architecture}".encode()},
        ),
        annotations=annotations,
    )


def provenance_naming(host: str, base: Built) -> Any:
    """For ``index(attestations=...)``: BuildKit's attestation per platform, whose
    provenance materials name the base (by index digest and platform), the SBOM
    scanner and a build stage's image that is not in the catalog."""

    def make(child: Built) -> Built:
        assert child.platform is not None
        arch = child.platform.architecture
        predicate = copy.deepcopy(statement(SLSA_V02)["predicate"])
        predicate["materials"] = [
            predicate["materials"][0],  # docker/buildkit-syft-scanner: tooling
            predicate["materials"][1],  # golang: a build stage, not in the catalog
            {
                "uri": f"pkg:docker/{host}/base/os@1?digest={base.digest}&platform=linux%2F{arch}",
                "digest": {"sha256": base.digest.partition(":")[2]},
            },
        ]
        return attestation_manifest(child, buildkit_sbom(), predicate)

    return make


@dataclass
class Sites:
    registry: RunningRegistry
    first: Path
    second: Path
    third: Path  # built again with nothing changed
    old_base: Built
    new_base: Built


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    root = tmp_path_factory.mktemp("bases")
    with running_registry(root / "registry") as registry:
        host = registry.host
        old_base = index([base_image("1", a) for a in ARCHES])
        new_base = index([base_image("2", a) for a in ARCHES])
        apps = {
            "app/annotated": app_image(
                "annotated",
                "amd64",
                {
                    "org.opencontainers.image.base.name": f"{host}/base/os:1",
                    "org.opencontainers.image.base.digest": old_base.digest,
                },
            ),
            "app/provenance": index(
                [app_image("provenance", a) for a in ARCHES],
                attestations=provenance_naming(host, old_base),
            ),
            "app/layered": index([app_image("layered", a) for a in ARCHES]),
            "app/outside": app_image(
                "outside",
                "amd64",
                {
                    "org.opencontainers.image.base.name": OUTSIDE,
                    "org.opencontainers.image.base.digest": OUTSIDE_DIGEST,
                },
            ),
            "app/hostile": app_image(
                "hostile",
                "amd64",
                {"org.opencontainers.image.base.name": MARKUP + TOKEN + " " + "x" * 5000},
            ),
            "app/secret-tag": app_image(
                "secret", "amd64", {"org.opencontainers.image.base.name": f"{host}/base/os:{TOKEN}"}
            ),
        }
        config = write_config(root, f"registries:\n  - name: lab\n    url: {registry.url}\n")
        with Pusher(registry.url) as pusher:
            pusher.push("base/os", old_base, ["1"])
            for name, built in apps.items():
                pusher.push(name, built, ["1.0"])
            build(load_config(config, environ={}), root / "first", cache_dir=root / "cache")
            pusher.push("base/os", new_base, ["1"])
        build(load_config(config, environ={}), root / "second", cache_dir=root / "cache")
        build(load_config(config, environ={}), root / "third", cache_dir=root / "cache")
        yield Sites(registry, root / "first", root / "second", root / "third", old_base, new_base)


def _tag(site: Path, repository: str, tag: str = "1.0") -> tuple[str, Any]:
    return read_page(site, paths.tag_path("lab", repository, tag))


def test_each_method_finds_the_base_before_it_moves(sites: Sites) -> None:
    _, annotated = _tag(sites.first, "app/annotated")
    assert annotated["base"]["method"] == "annotation"
    assert annotated["base"]["status"] == "current"
    assert annotated["base"]["path"] == paths.tag_path("lab", "base/os", "1")
    # The annotation names the index: the amd64 entry is what it was built on.
    assert annotated["base"]["digest"] == sites.old_base.digest
    amd64 = sites.old_base.children[0].digest
    assert annotated["base"]["platform_digest"] == amd64

    _, layered = _tag(sites.first, "app/layered")
    for platform, child in zip(layered["platform_list"], sites.old_base.children, strict=True):
        base = platform["base"]
        assert (base["method"], base["status"]) == ("layers", "current")
        assert (base["repository"], base["tag"]) == ("base/os", "1")
        assert base["digest"] == sites.old_base.digest
        assert base["platform_digest"] == child.digest, platform["platform"]

    _, built = _tag(sites.first, "app/provenance")
    assert built["base"] is None  # an index: per platform
    for platform, child in zip(built["platform_list"], sites.old_base.children, strict=True):
        base = platform["base"]
        assert (base["method"], base["status"]) == ("provenance", "current")
        assert base["platform_digest"] == child.digest, platform["platform"]
        assert base["reference"] == f"{sites.registry.host}/base/os:1"
        if platform["platform"] == "linux/amd64":  # golang (amd64 only) left out by layers
            assert "chosen among the 2 images" in base["note"]

    html, _ = _tag(sites.first, "app/annotated")
    assert "Base image has moved" not in html
    rebuild = json.loads((sites.first / paths.REBUILD_FILE).read_text())
    assert rebuild["groups"] == [] and rebuild["images"] == 0


def test_a_moved_base_flags_every_app_built_on_it(sites: Sites) -> None:
    new_amd64 = sites.new_base.children[0].digest
    html, data = _tag(sites.second, "app/annotated")
    assert data["base"]["status"] == "stale"
    assert data["base"]["current"] == sites.new_base.digest
    assert data["base"]["current_platform"] == new_amd64
    assert "Base image has moved: rebuild." in html
    for repository, method in (("app/provenance", "provenance"), ("app/layered", "layers")):
        html, data = _tag(sites.second, repository)
        assert "Base image has moved: rebuild." in html and "2 of 2 platforms" in html
        for platform, old, new in zip(
            data["platform_list"], sites.old_base.children, sites.new_base.children, strict=True
        ):
            assert platform["base"]["status"] == "stale", (repository, platform["platform"])
            assert platform["base"]["method"] == method
            assert platform["base"]["platform_digest"] == old.digest
            assert platform["base"]["current_platform"] == new.digest
            digest_html, digest_data = read_page(sites.second, platform["path"])
            assert digest_data["base"]["status"] == "stale"
            assert "Base image has moved: rebuild." in digest_html


def test_tag_lists_and_the_header_card_carry_the_badge(sites: Sites) -> None:
    for repository, stale in (("app/annotated", True), ("app/outside", False)):
        path = paths.repository_path("lab", repository)
        html, data = read_page(sites.second, path)
        assert data["tags"][0]["stale_base"] is stale
        assert data["recommended"]["stale_base"] is stale
        assert ("badge-stale-base" in html) is stale
        script = (sites.second / paths.tag_data_path("lab", repository)).read_text()
        assert f'"stale_base":{"true" if stale else "false"}' in script
    _, first = read_page(sites.first, paths.repository_path("lab", "app/annotated"))
    assert first["tags"][0]["stale_base"] is False


def test_the_rebuild_page_groups_the_images_by_base(sites: Sites) -> None:
    html, data = read_page(sites.second, paths.REBUILD_PATH)
    assert data == json.loads((sites.second / paths.REBUILD_FILE).read_text())
    [group] = data["groups"]
    assert group["reference"] == f"{sites.registry.host}/base/os:1"
    assert group["path"] == paths.tag_path("lab", "base/os", "1")
    assert group["current"] == sites.new_base.digest
    rows = {(i["repository"], i["platform"]) for i in group["images"]}
    assert rows == {
        ("app/annotated", "linux/amd64"),
        ("app/layered", "linux/amd64"),
        ("app/layered", "linux/arm64"),
        ("app/provenance", "linux/amd64"),
        ("app/provenance", "linux/arm64"),
    }
    assert data["images"] == group["count"] == group["stale"] == 3  # tags
    assert "app/annotated:1.0" in html and "app/outside" not in html
    home, home_data = read_page(sites.second, paths.HOME_PATH)
    assert home_data["rebuild"] == 3 and 'href="rebuild/index.html"' in home


def test_the_bases_page_lists_every_base_with_its_images(sites: Sites) -> None:
    _, data = read_page(sites.second, paths.BASES_PATH)
    assert data == json.loads((sites.second / paths.BASES_FILE).read_text())
    by_reference = {g["reference"]: g for g in data["bases"]}
    ours = by_reference[f"{sites.registry.host}/base/os:1"]
    assert (ours["count"], ours["stale"]) == (3, 3)
    assert len(ours["images"]) == 5  # a row per tag and platform
    outside = by_reference[OUTSIDE]
    assert outside["path"] == "" and outside["count"] == 1
    assert outside["images"][0]["status"] == "unchecked"


def test_the_changes_feed_says_the_base_moved(sites: Sites) -> None:
    _, changes = read_page(sites.second, paths.CHANGES_PATH)
    moved = [c for c in changes["changes"] if c["kind"] == "base-moved"]
    assert {(c["repository"], c["tag"]) for c in moved} == {
        ("app/annotated", "1.0"),
        ("app/layered", "1.0"),
        ("app/provenance", "1.0"),
    }
    for change in moved:
        assert (change["old"], change["new"]) == (sites.old_base.digest, sites.new_base.digest)
        assert change["base"] == "lab/base/os:1"
        assert change["base_path"] == paths.tag_path("lab", "base/os", "1")
        assert change["what"] == "base moved"
    feed = (sites.second / paths.SITE_FEED).read_text()
    assert "app/annotated:1.0: base moved" in feed
    assert sites.old_base.digest in feed and sites.new_base.digest in feed
    _, tag = _tag(sites.second, "app/layered")
    assert any(h["kind"] == "base-moved" for h in tag["history"])
    # The next build remembers them (state.json), adds none, and still says stale.
    _, later = read_page(sites.third, paths.CHANGES_PATH)
    assert [c for c in later["changes"] if c["kind"] == "base-moved"] == moved
    assert _tag(sites.third, "app/annotated")[1]["base"]["status"] == "stale"


@pytest.mark.parametrize(
    ("base", "kept"),
    [
        ("lab/base/os:1", True),
        ("", False),  # a base-moved change names its base
        ("lab/<b>:1", False),
        ("lab/base/os:" + "x" * 200, False),
        ("base/os", False),
    ],
)
def test_the_history_keeps_only_well_formed_base_moves(
    base: str, kept: bool, tmp_path: Path
) -> None:
    item = {
        "time": "2024-06-01T00:00:00Z",
        "registry": "lab",
        "repository": "app/web",
        "kind": "base-moved",
        "tag": "1.0",
        "old": "sha256:" + "a" * 64,
        "new": "sha256:" + "b" * 64,
        "base": base,
    }
    document = {"version": STATE_VERSION, "history": [item]}
    (tmp_path / STATE_FILE).write_text(json.dumps(document))
    state = State.load(tmp_path)
    assert [c.base for c in state.history] == ([base] if kept else [])


def test_a_base_outside_the_catalog_is_not_checked(sites: Sites) -> None:
    for site in (sites.first, sites.second):
        html, data = _tag(site, "app/outside")
        base = data["base"]
        assert (base["status"], base["method"], base["path"]) == ("unchecked", "annotation", "")
        assert base["reference"] == OUTSIDE and base["digest"] == OUTSIDE_DIGEST
        assert "not checked" in html and "base not in the catalog" in html
        assert "current: its tag" not in html


def test_hostile_base_annotations_are_escaped_masked_and_cut(sites: Sites) -> None:
    html, data = _tag(sites.second, "app/hostile")
    base = data["base"]
    assert base["status"] == "unchecked" and "not named as a valid" in base["note"]
    assert len(base["reference"]) <= 256 and base["reference"].endswith("…")
    assert MARKUP not in html and "&lt;script&gt;" in html
    _, secret = _tag(sites.second, "app/secret-tag")  # a token as the tag of base/os
    assert secret["base"]["status"] == "unchecked" and secret["base"]["tag"] == ""
    assert base["reference"].startswith(MARKUP)  # data as written, for scripts
    assert TOKEN not in site_text(sites.second)
    for page in sites.second.rglob("*.html"):
        assert MARKUP not in page.read_text(), page
