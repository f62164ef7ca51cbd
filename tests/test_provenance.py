"""Provenance as a reader sees it: real SLSA v0.2 and v1 statements pushed into the real
registry (BuildKit attestation manifests in an index, a cosign attestation, a referrer),
built, and read back from the pages' data and HTML. Hostile values degrade to notes,
escaped and masked; statements over the size cap are skipped with a note.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lab.attestations import (
    SLSA_V02,
    SLSA_V1,
    buildkit_attestations,
    compact,
    cosign_attestation,
    dsse_envelope,
    statement,
)
from lab.images import Built, artifact, fallback_tag, image, index, referrers_index
from lab.oci import IN_TOTO
from lab.push import Pusher
from lab.registry import RunningRegistry, running_registry
from sitegen.build import build
from sitegen.config import load_config
from sitegen.site import paths
from tests.helpers import read_page, site_text, write_config

REPO = "built/app"
SOURCE = "https://github.com/example/app"
REVISION = "0123456789abcdef0123456789abcdef01234567"
BUILD_SECRET = "npm-build-secret-4f9a1c"  # the value of a build arg whose name says TOKEN
TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"  # a secret shape anywhere
MARKUP_BUILDER = "<script>alert(1)</script>"


def _app(n: int, architecture: str = "amd64") -> Built:
    return image(
        created=f"2024-0{n}-01T00:00:00Z",
        architecture=architecture,
        files=({"/app": f"app {n} {architecture}".encode()},),
    )


def _hostile_statement() -> dict[str, Any]:
    found = statement(SLSA_V02)
    predicate = found["predicate"]
    predicate["builder"]["id"] = MARKUP_BUILDER + BUILD_SECRET
    predicate["invocation"]["parameters"]["args"] = {
        "build-arg:NPM_TOKEN": BUILD_SECRET,
        "build-arg:VERSION": "<b>4.0</b>",
    }
    predicate["invocation"]["environment"]["github_event_name"] = f"push {TOKEN}"
    vcs = predicate["metadata"]["https://mobyproject.org/buildkit@v1#metadata"]["vcs"]
    vcs["source"] = "javascript:alert(2)"
    predicate["materials"].append(
        {"uri": f"pkg:docker/base@1?token={BUILD_SECRET}", "digest": {"sha256": "ab" * 32}}
    )
    return found


@dataclass
class Pushed:
    registry: RunningRegistry
    images: dict[str, Built]  # tag -> the image it points to


@pytest.fixture(scope="module")
def pushed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pushed]:
    with running_registry(tmp_path_factory.mktemp("provenance")) as registry:
        multi = index(
            [_app(1, "amd64"), _app(1, "arm64")],
            attestations=buildkit_attestations(
                source=SOURCE, revision=REVISION, args={"VERSION": "1.0", "NPM_TOKEN": BUILD_SECRET}
            ),
        )
        images = {"1.0": multi, "2.0": _app(2), "3.0": _app(3), "4.0": _app(4), "5.0": _app(5)}
        v1 = artifact(
            artifact_type=IN_TOTO,
            subject=images["3.0"],
            layers=((IN_TOTO, compact(statement(SLSA_V1))),),
        )
        hostile = cosign_attestation(
            images["4.0"],
            [dsse_envelope(_hostile_statement()), b"{not json", compact({"payload": "%%%"})],
        )
        with Pusher(registry.url) as pusher:
            for tag, built in images.items():
                pusher.push(REPO, built, [tag])
            # slsa-github-generator's real envelope, as a cosign attestation tag.
            real = cosign_attestation(images["2.0"], [dsse_envelope()])
            pusher.push(REPO, real, [f"{fallback_tag(images['2.0'].digest)}.att"])
            pusher.push(REPO, hostile, [f"{fallback_tag(images['4.0'].digest)}.att"])
            # Registry 2.8 has no referrers API: the client writes the fallback tag.
            pusher.push(REPO, referrers_index([v1]), [fallback_tag(images["3.0"].digest)])
        yield Pushed(registry, images)


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


def test_buildkit_provenance_on_each_platform_page_and_summarised_on_the_index(
    site: Path, pushed: Pushed
) -> None:
    page, data = _tag(site, "1.0")
    assert data["provenance"] == []  # the index itself has none; its platforms do
    platforms = {p["platform"]: p for p in data["platform_list"]}
    assert sorted(platforms) == ["linux/amd64", "linux/arm64"]
    for platform in platforms.values():
        (entry,) = platform["provenance"]
        assert entry["found_through"] == "BuildKit attestation"
        assert entry["builder_id"] == f"{SOURCE}/actions/runs/14008088422/attempts/1"
    # The tag page has a row per platform, linked to the platform's own page.
    assert page.count('<table class="provenance-platforms">') == 1
    amd64 = platforms["linux/amd64"]
    assert f"{amd64['path']}index.html#provenance-h" in page
    own, digest_data = read_page(site, amd64["path"])
    (entry,) = digest_data["provenance"]
    assert entry == {
        **entry,
        "predicate_type": "https://slsa.dev/provenance/v0.2",
        "build_type": "https://mobyproject.org/buildkit@v1",
        "source": SOURCE,
        "source_url": SOURCE,
        "commit": REVISION,
        "commit_url": f"{SOURCE}/commit/{REVISION}",
        "trigger": "",
        "build_args": {"NPM_TOKEN": "••••••", "VERSION": "1.0"},
        "note": "",
    }
    # The materials are the real statement's: base images with their digests.
    golang = [m for m in entry["materials"] if m["uri"].startswith("pkg:docker/golang@1.24.1")]
    assert golang == [
        {
            "uri": golang[0]["uri"],
            "digest": "sha256:c5adecdb7b3f8c5ca3c88648a861882849cc8b02fed68ece31e25de88ad13418",
            "image": True,
        }
    ]
    assert f'<a href="{SOURCE}/commit/{REVISION}" rel="nofollow noopener"' in own
    assert BUILD_SECRET not in site_text(site)


def test_cosign_attestation_with_a_real_slsa_generator_envelope(site: Path) -> None:
    page, data = _tag(site, "2.0")
    (entry,) = data["provenance"]
    assert entry["found_through"].startswith("cosign tag sha256-")
    assert entry["found_through"].endswith(".att")
    assert entry["builder_id"] == (
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
        "generator_container_slsa3.yml@refs/heads/main"
    )
    assert entry["source"] == "git+https://github.com/zlabjp/slsa-provenance-test"
    assert entry["source_url"] == "https://github.com/zlabjp/slsa-provenance-test"
    assert entry["commit"] == "b24673de2d8a1f1ae5dd4b5a74b6b4ec2e4f88de"
    assert entry["commit_url"] == (
        "https://github.com/zlabjp/slsa-provenance-test/commit/"
        "b24673de2d8a1f1ae5dd4b5a74b6b4ec2e4f88de"
    )
    assert entry["trigger"] == "push"
    assert entry["materials"][0]["digest"] == "sha1:b24673de2d8a1f1ae5dd4b5a74b6b4ec2e4f88de"
    assert entry["materials"][0]["image"] is False
    assert "Not verified by sitegen." in page and 'id="provenance-h"' in page


def test_slsa_v1_statement_from_a_referrer(site: Path) -> None:
    _, data = _tag(site, "3.0")
    (entry,) = data["provenance"]
    assert entry["found_through"] == f"referrers tag {fallback_tag(data['digest'])}"
    assert entry["predicate_type"] == "https://slsa.dev/provenance/v1"
    assert entry["build_type"] == "https://actions.github.io/buildtypes/workflow/v1"
    assert entry["builder_id"].startswith("https://github.com/gpoulios/testpkg/.github/")
    assert entry["source"] == "https://github.com/gpoulios/testpkg"
    assert entry["commit"] == "5b07e3bac70089fa60a35f72f3771a709b2aa173"
    assert entry["trigger"] == "workflow_dispatch"


def test_hostile_statements_degrade_to_notes_escaped_and_masked(site: Path) -> None:
    page, data = _tag(site, "4.0")
    read, broken, empty = data["provenance"]
    assert read["builder_id"] == MARKUP_BUILDER + "••••••"
    assert read["build_args"] == {"NPM_TOKEN": "••••••", "VERSION": "<b>4.0</b>"}
    assert TOKEN not in read["trigger"] and read["trigger"].startswith("push ")
    assert read["source"] == "javascript:alert(2)" and read["source_url"] == ""
    assert read["commit_url"] == ""
    assert any(m["uri"] == "pkg:docker/base@1?token=••••••" for m in read["materials"])
    assert broken["predicate_type"] == "" and "could not be read" in broken["note"]
    assert empty["predicate_type"] == "" and empty["note"] == "the layer holds no in-toto statement"
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page and "<b>4.0</b>" not in page
    text = site_text(site)
    assert BUILD_SECRET not in text and TOKEN not in text


def test_provenance_badge_in_tag_lists_and_header(site: Path) -> None:
    page, data = read_page(site, paths.repository_path("lab", REPO))
    badged = {row["name"]: row["provenance"] for row in data["tags"]}
    assert badged == {"5.0": False, "4.0": True, "3.0": True, "2.0": True, "1.0": True}
    assert data["recommended"]["name"] == "5.0" and data["recommended"]["provenance"] is False
    # Four rows in the tag table and four in the "group by image" table.
    assert page.count('class="badge badge-provenance"') == 8
    tags_js = (site / paths.repository_path("lab", REPO) / "_tags.js").read_text()
    assert tags_js.count('"provenance":true') == 4


def test_statements_over_the_cap_are_skipped_with_a_note(tmp_path: Path, pushed: Pushed) -> None:
    site = _build(tmp_path, pushed.registry, "limits:\n  supply_chain_bytes: 4096\n")
    _, data = _tag(site, "1.0")
    # BuildKit's SLSA statement is about 34 kB: the attestation manifest is read, it is not.
    for platform in data["platform_list"]:
        (entry,) = platform["provenance"]
        assert entry["predicate_type"] == "" and entry["note"].startswith("not read: ")
        assert "limits.supply_chain_bytes" in entry["note"]
    # The cosign attestation manifests (7 kB of certificate and bundle) are not read either.
    _, two = _tag(site, "2.0")
    assert two["provenance"] == []
    (referrer,) = two["referrers"]
    assert "limits.supply_chain_bytes" in referrer["note"]
    _, listing = read_page(site, paths.repository_path("lab", REPO))
    # Only the small SLSA v1 referrer was read.
    assert [row["name"] for row in listing["tags"] if row["provenance"]] == ["3.0"]


def test_a_warm_rebuild_reads_no_statement_again(tmp_path: Path, pushed: Pushed) -> None:
    first = _build(tmp_path, pushed.registry)
    before = len(pushed.registry.access_log())
    second = _build(tmp_path, pushed.registry)
    fetched = [
        e.path
        for e in pushed.registry.access_log(before)
        if e.method == "GET" and ("/manifests/" in e.path or "/blobs/" in e.path)
    ]
    assert fetched == []
    _, cold = _tag(first, "2.0")
    _, warm = _tag(second, "2.0")
    assert warm["provenance"] == cold["provenance"] != []
