"""SBOMs as a reader sees them: real SPDX and CycloneDX documents pushed into the real
registry (BuildKit attestation manifests in an index, a cosign attestation, a cosign
``.sbom`` tag, a referrer), built, and read back from the pages' data and HTML. Hostile
values are escaped and masked, broken documents become notes, documents over the size
cap are skipped with a note.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lab.attestations import DSSE, buildkit_attestations, compact, dsse_envelope, statement
from lab.images import Built, artifact, fallback_tag, image, index, referrers_index
from lab.push import Pusher
from lab.registry import RunningRegistry, running_registry
from lab.signatures import SUPPLY_CHAIN
from sitegen.build import build
from sitegen.config import load_config
from sitegen.site import paths
from tests.helpers import read_page, site_text, write_config

REPO = "built/app"
SPDX_JSON = "application/spdx+json"
CYCLONEDX_JSON = "application/vnd.cyclonedx+json"
TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"  # a secret shape anywhere
MARKUP = "<script>alert(1)</script>"


def _app(n: int, architecture: str = "amd64") -> Built:
    return image(
        created=f"2024-0{n}-01T00:00:00Z",
        architecture=architecture,
        files=({"/app": f"app {n} {architecture}".encode()},),
    )


def _hostile_spdx() -> bytes:
    document = statement("spdx-syft-alpine-2022.json")
    document["packages"][0]["name"] = MARKUP
    document["packages"][1]["versionInfo"] = f"1.0 {TOKEN}"
    return compact(document)


@dataclass
class Pushed:
    registry: RunningRegistry
    images: dict[str, Built]  # tag -> the image it points to
    tag_value: Built  # an SBOM in SPDX tag-value


@pytest.fixture(scope="module")
def pushed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pushed]:
    with running_registry(tmp_path_factory.mktemp("sbom")) as registry:
        multi = index(
            [_app(1, "amd64"), _app(1, "arm64")],
            attestations=buildkit_attestations(
                source="https://github.com/example/app", revision="0" * 40, args={}
            ),
        )
        images = {"1.0": multi, **{f"{n}.0": _app(n) for n in range(2, 7)}}
        # cosign attest --type cyclonedx: the real statement in a DSSE envelope.
        cyclonedx = statement("cyclonedx-cosign-attestation-statement-2023.json")
        attested = artifact(artifact_type=DSSE, layers=((DSSE, dsse_envelope(cyclonedx)),))
        # cosign attach sbom: the plain document as the layer of the .sbom tag.
        attached = artifact(
            artifact_type=CYCLONEDX_JSON,
            layers=(
                (
                    CYCLONEDX_JSON,
                    (SUPPLY_CHAIN / "cyclonedx-syft-distroless-2022.json").read_bytes(),
                ),
            ),
        )
        alpine = artifact(
            artifact_type=SPDX_JSON,
            subject=images["4.0"],
            layers=((SPDX_JSON, compact(statement("spdx-syft-alpine-2022.json"))),),
        )
        hostile = artifact(
            artifact_type=SPDX_JSON,
            subject=images["5.0"],
            layers=((SPDX_JSON, _hostile_spdx()), (SPDX_JSON, b"{not json")),
        )
        # cosign attach sbom of SPDX tag-value: a format that is not read.
        tag_value = artifact(
            artifact_type="text/spdx",
            layers=(("text/spdx", b"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n"),),
        )
        with Pusher(registry.url) as pusher:
            for tag, built in images.items():
                pusher.push(REPO, built, [tag])
            pusher.push(REPO, attested, [f"{fallback_tag(images['2.0'].digest)}.att"])
            pusher.push(REPO, attached, [f"{fallback_tag(images['3.0'].digest)}.sbom"])
            pusher.push(REPO, tag_value, [f"{fallback_tag(images['6.0'].digest)}.sbom"])
            # Registry 2.8 has no referrers API: the client writes the fallback tag.
            pusher.push(REPO, referrers_index([alpine]), [fallback_tag(images["4.0"].digest)])
            pusher.push(REPO, referrers_index([hostile]), [fallback_tag(images["5.0"].digest)])
        yield Pushed(registry, images, tag_value)


def _build(tmp_path: Path, registry: RunningRegistry, limits: str = "") -> Path:
    config = write_config(
        tmp_path, f"registries:\n  - name: lab\n    url: {registry.url}\n{limits}"
    )
    site = tmp_path / "site"
    build(load_config(config, environ={}), site, cache_dir=tmp_path / "cache")
    return site


@pytest.fixture(scope="module")
def site(pushed: Pushed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("site"), pushed.registry)


def _tag(site: Path, tag: str) -> tuple[str, Any]:
    return read_page(site, paths.tag_path("lab", REPO, tag))


def _names(entry: dict[str, Any]) -> list[str]:
    return [p["name"] for p in entry["packages"]]


def test_buildkit_spdx_on_each_platform_page_and_inline_on_the_tag_page(site: Path) -> None:
    page, data = _tag(site, "1.0")
    assert data["sboms"] == []  # the index itself has none; its platforms do
    platforms = {p["platform"]: p for p in data["platform_list"]}
    assert sorted(platforms) == ["linux/amd64", "linux/arm64"]
    for platform in platforms.values():
        (entry,) = platform["sboms"]
        assert entry["found_through"] == "BuildKit attestation"
        assert (entry["format"], entry["package_count"]) == ("SPDX-2.3", 2)
        assert entry["tool"] == "syft-v1.18.1, buildkit-v0.20.2"
    # A row per platform linked to its section; the inline platform's packages, filterable.
    assert page.count('<table class="sbom-platforms">') == 1
    amd64 = platforms["linux/amd64"]
    assert f"{amd64['path']}index.html#sbom-h" in page
    assert 'id="inline-sbom-h"' in page and 'id="inline-packages-1"' in page
    assert "pkg:golang/github.com/caarlos0/env@v11.3.1#v11" in page
    own, digest_data = read_page(site, amd64["path"])
    (entry,) = digest_data["sboms"]
    assert entry["packages"][1] == {
        "name": "github.com/caarlos0/env/v11",
        "version": "v11.3.1",
        "ecosystem": "golang",
        "license": "",
        "purl": "pkg:golang/github.com/caarlos0/env@v11.3.1#v11",
    }
    assert '<table class="packages" id="packages-1">' in own and 'id="sbom-h"' in own
    # The tag's JSON lists packages for the inline platform only: the others' lists are
    # on their digest pages, so a tag of many platforms does not weigh megabytes.
    assert len(platforms["linux/amd64"]["sboms"][0]["packages"]) == 2
    assert platforms["linux/arm64"]["sboms"][0]["packages"] == []
    _, arm64 = read_page(site, platforms["linux/arm64"]["path"])
    assert len(arm64["sboms"][0]["packages"]) == 2


def test_cyclonedx_in_a_cosign_attestation(site: Path) -> None:
    page, data = _tag(site, "2.0")
    (entry,) = data["sboms"]
    assert entry["found_through"].startswith("cosign tag sha256-")
    assert entry["found_through"].endswith(".att")
    assert (entry["format"], entry["package_count"]) == ("CycloneDX 1.4", 7)
    libc = next(p for p in entry["packages"] if p["name"] == "libc6")
    assert libc["license"] == "GPL-2.0-only, LGPL-2.1-only" and libc["ecosystem"] == "deb"
    assert data["provenance"] == []  # a statement of another predicate is no provenance
    assert "SBOM: what is inside" in page and "7 packages" in page


def test_plain_cyclonedx_from_a_cosign_sbom_tag(site: Path) -> None:
    _, data = _tag(site, "3.0")
    (entry,) = data["sboms"]
    assert entry["found_through"].endswith(".sbom")
    assert _names(entry) == ["base-files", "netbase", "tzdata"]
    (referrer,) = data["referrers"]
    assert referrer["kind"] == "sbom"


def test_plain_spdx_from_a_referrer(site: Path) -> None:
    _, data = _tag(site, "4.0")
    (entry,) = data["sboms"]
    assert entry["found_through"] == f"referrers tag {fallback_tag(data['digest'])}"
    assert (entry["format"], entry["package_count"]) == ("SPDX-2.2", 14)
    musl = next(p for p in entry["packages"] if p["name"] == "musl")
    assert (musl["version"], musl["license"], musl["ecosystem"]) == ("1.2.3-r0", "MIT", "alpine")


def test_hostile_and_broken_documents_escaped_masked_and_noted(site: Path) -> None:
    page, data = _tag(site, "5.0")
    read, broken = sorted(data["sboms"], key=lambda e: e["format"], reverse=True)
    assert MARKUP in _names(read)
    assert any(p["version"] == "1.0 ghp_••••••" for p in read["packages"])  # the shape masked
    assert broken["format"] == "" and "could not be read" in broken["note"]
    assert "could not be read" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert TOKEN not in site_text(site)


def test_a_format_that_is_not_read_is_named_without_fetching_it(site: Path, pushed: Pushed) -> None:
    _, data = _tag(site, "6.0")
    (entry,) = data["sboms"]
    assert entry["format"] == "" and entry["packages"] == []
    assert entry["note"] == "not read: text/spdx (SPDX 2.x and CycloneDX JSON are)"
    layer = json.loads(pushed.tag_value.manifest)["layers"][0]["digest"]
    assert not [e for e in pushed.registry.access_log() if e.method == "GET" and layer in e.path]


def test_sbom_badge_in_tag_lists_and_header(site: Path) -> None:
    page, data = read_page(site, paths.repository_path("lab", REPO))
    badged = {row["name"]: row["sbom"] for row in data["tags"]}
    assert badged == {"6.0": False, "5.0": True, "4.0": True, "3.0": True, "2.0": True, "1.0": True}
    assert data["recommended"]["name"] == "6.0" and data["recommended"]["sbom"] is False
    # Five rows in the tag table and five in the "group by image" table.
    assert page.count('class="badge badge-sbom"') == 10
    tags_js = (site / paths.repository_path("lab", REPO) / "_tags.js").read_text()
    assert tags_js.count('"sbom":true') == 5


def test_documents_over_the_cap_are_skipped_with_a_note(tmp_path: Path, pushed: Pushed) -> None:
    # SBOM layers have their own, larger cap: syft's 52 kB alpine SPDX is read when
    # supply_chain_bytes is below its size.
    site = _build(tmp_path, pushed.registry, "limits:\n  supply_chain_bytes: 16384\n")
    _, data = _tag(site, "4.0")
    assert data["sboms"][0]["format"].startswith("SPDX-2.")
    site = _build(tmp_path, pushed.registry, "limits:\n  sbom_bytes: 16384\n")
    _, data = _tag(site, "4.0")
    # Now the referrer's manifest is read, its layer is not.
    (entry,) = data["sboms"]
    assert entry["format"] == "" and entry["note"].startswith("not read: ")
    assert "limits.sbom_bytes" in entry["note"] and entry["download"] == ""
    _, listing = read_page(site, paths.repository_path("lab", REPO))
    # 5.0's hostile SBOM is the same alpine document: not read either, so no badge.
    assert {row["name"] for row in listing["tags"] if row["sbom"]} == {"1.0", "2.0", "3.0"}


def test_a_warm_rebuild_reads_no_document_again(tmp_path: Path, pushed: Pushed) -> None:
    first = _build(tmp_path, pushed.registry)
    before = len(pushed.registry.access_log())
    second = _build(tmp_path, pushed.registry)
    fetched = [
        e.path
        for e in pushed.registry.access_log(before)
        if e.method == "GET" and ("/manifests/" in e.path or "/blobs/" in e.path)
    ]
    assert fetched == []
    for tag in ("1.0", "2.0", "4.0"):
        cold, warm = _tag(first, tag)[1], _tag(second, tag)[1]
        assert json.dumps(warm["platform_list"]) == json.dumps(cold["platform_list"])
        assert warm["sboms"] == cold["sboms"]
