"""Vulnerability reports as a reader sees them: real Trivy and Grype reports, a cosign vuln
attestation and OpenVEX documents pushed into the real registry (referrers of an image
and of one platform of an index, a cosign ``.att`` tag), built, and read back from the
pages' data and HTML. VEX statements for this image change the counts after VEX, those
for another digest do not; an image without a report says so; hostile values are
escaped and masked, broken documents become notes, documents over the size cap are
skipped with a note.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lab.images import Built, attestation_manifest, fallback_tag, image, index, referrers_index
from lab.push import Pusher
from lab.registry import RunningRegistry, running_registry
from lab.vulnsamples import (
    COSIGN_VULN,
    COSIGN_VULN_TRIVY,
    GRYPE,
    OPENVEX_ALPINE,
    TRIVY_ALPINE,
    TRIVY_DEBIAN,
    TRIVY_REPORT,
    cosign_vuln_attestation,
    document,
    openvex,
    plain,
    report_referrer,
    vex_referrer,
)
from sitegen.build import build
from sitegen.config import load_config
from sitegen.site import paths
from tests.helpers import read_page, site_text, write_config

REPO = "scanned/app"
TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"  # a secret shape anywhere
MARKUP = "<script>alert(1)</script>"
NO_REPORT = "No vulnerability report attached"


def _app(n: int, architecture: str = "amd64") -> Built:
    return image(
        created=f"2024-0{n}-01T00:00:00Z",
        architecture=architecture,
        files=({"/app": f"app {n} {architecture}".encode()},),
    )


def _hostile_trivy() -> bytes:
    report = document(TRIVY_DEBIAN)
    entry = report["Results"][0]["Vulnerabilities"][0]
    entry["PkgName"] = MARKUP
    entry["InstalledVersion"] = f"5.0 {TOKEN}"
    entry["PrimaryURL"] = "javascript:alert(1)"
    entry["VulnerabilityID"] = 'CVE-2019-18276"><img src=x>'
    return json.dumps(report).encode()


def _big_trivy() -> bytes:
    report = document(TRIVY_ALPINE)
    (result,) = report["Results"]
    template = result["Vulnerabilities"][0]
    result["Vulnerabilities"] = [
        {**template, "PkgID": f"p{n}@1", "PkgName": f"p{n}"} for n in range(12)
    ]
    return json.dumps(report).encode()  # about 60 kB: the descriptions repeat


@dataclass
class Pushed:
    registry: RunningRegistry
    images: dict[str, Built]  # tag -> the image it points to


@pytest.fixture(scope="module")
def pushed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pushed]:
    with running_registry(tmp_path_factory.mktemp("vulnerabilities")) as registry:
        amd64, arm64 = _app(2, "amd64"), _app(2, "arm64")
        images = {"2.0": index([amd64, arm64])}
        images.update({f"{n}.0": _app(n) for n in (1, 3, 4, 5, 6, 7, 8)})
        # BuildKit attestation manifests carrying a cosign vuln statement next to their
        # SBOM and provenance (as `docker buildx build --attest type=...` can add).
        scanned = document(COSIGN_VULN_TRIVY)
        images["9.0"] = index(
            [_app(9, "amd64")],
            attestations=lambda child: attestation_manifest(child, more=[(COSIGN_VULN, scanned)]),
        )
        one = images["1.0"]
        # A Trivy report and an OpenVEX document saying its critical finding does not
        # affect this image (the statement names the image's digest).
        one_vex = openvex(
            one.digest,
            name=REPO,
            statuses=[
                (
                    "CVE-2019-18224",
                    "libidn2-0",
                    "not_affected",
                    "vulnerable_code_not_in_execute_path",
                )
            ],
        )
        # One platform of the index: its report, and a VEX on the index naming the
        # platform's digest (libssl3's finding fixed).
        platform_vex = openvex(
            amd64.digest,
            name=REPO,
            statuses=[("CVE-2024-9143", "libssl3", "fixed", "")],
        )
        referrers = {
            "1.0": [report_referrer(one, plain(TRIVY_DEBIAN)), vex_referrer(one, one_vex)],
            "3.0": [
                # Grype's JSON as a plain JSON layer of an artifact whose type says
                # nothing: sniffed from its content.
                report_referrer(
                    images["3.0"], plain(GRYPE), artifact_type="application/vnd.example.scan"
                )
            ],
            # The real OpenVEX document, whose products name another digest (alpine's).
            "5.0": [
                report_referrer(images["5.0"], plain(TRIVY_ALPINE)),
                vex_referrer(images["5.0"], plain(OPENVEX_ALPINE)),
            ],
            "7.0": [
                report_referrer(images["7.0"], _hostile_trivy()),
                report_referrer(images["7.0"], b"{not json", layer_type=TRIVY_REPORT),
            ],
            "8.0": [report_referrer(images["8.0"], _big_trivy())],
        }
        with Pusher(registry.url) as pusher:
            for tag, built in images.items():
                pusher.push(REPO, built, [tag])
            # Registry 2.8 has no referrers API: the client writes the fallback tag.
            for tag, found in referrers.items():
                subject = images[tag].digest
                pusher.push(REPO, referrers_index(found), [fallback_tag(subject)])
            pusher.push(
                REPO,
                referrers_index([report_referrer(amd64, plain(TRIVY_ALPINE))]),
                [fallback_tag(amd64.digest)],
            )
            pusher.push(
                REPO,
                referrers_index([vex_referrer(images["2.0"], platform_vex)]),
                [fallback_tag(images["2.0"].digest)],
            )
            att = cosign_vuln_attestation(images["4.0"])
            pusher.push(REPO, att, [f"{fallback_tag(images['4.0'].digest)}.att"])
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


def test_trivy_report_and_openvex_referrers_of_an_image(site: Path) -> None:
    page, data = _tag(site, "1.0")
    (report,) = data["vulnerabilities"]
    assert (report["format"], report["scanner"], report["scanner_version"]) == (
        "Trivy",
        "trivy",
        "dev",
    )
    assert report["found_through"] == f"referrers tag {fallback_tag(data['digest'])}"
    assert report["counts"] == {"critical": 1, "high": 0, "medium": 0, "low": 1, "unknown": 0}
    assert report["counts_after_vex"] == {
        "critical": 0,
        "high": 0,
        "medium": 0,
        "low": 1,
        "unknown": 0,
    }
    assert (report["vex_not_affected"], report["vex_fixed"]) == (1, 0)
    critical, low = report["findings"]
    assert (critical["id"], critical["vex_status"]) == ("CVE-2019-18224", "not_affected")
    assert critical["vex_justification"] == "vulnerable_code_not_in_execute_path"
    assert (low["package"], low["fixed"], low["vex_status"]) == ("bash", "", "")
    (vex,) = data["vex"]
    assert (vex["format"], vex["statement_count"], vex["applied"]) == ("OpenVEX v0.2.0", 1, 1)
    kinds = sorted(r["kind"] for r in data["referrers"])
    assert kinds == ["vex", "vulnerability-report"]
    # The page: counts both ways, the VEX effect, links, "no fix".
    assert '<p class="vex-effect">1 not affected per VEX, not counted after VEX.</p>' in page
    assert (
        '<a href="https://avd.aquasec.com/nvd/cve-2019-18224" rel="nofollow noopener">CVE-2019-18224</a>'
        in page
    )
    assert "no fix" in page and "1 of 1 apply to this image" in page
    assert NO_REPORT not in page


def test_one_platform_of_an_index(site: Path) -> None:
    page, data = _tag(site, "2.0")
    assert data["vulnerabilities"] == []  # the index itself has none; a platform does
    platforms = {p["platform"]: p for p in data["platform_list"]}
    (report,) = platforms["linux/amd64"]["vulnerabilities"]
    assert report["counts"]["low"] == 2 and report["counts_after_vex"]["low"] == 1
    assert report["vex_fixed"] == 1 and len(report["findings"]) == 2  # shown inline
    assert platforms["linux/arm64"]["vulnerabilities"] == []
    assert page.count('<table class="vulnerability-platforms">') == 1
    assert f"{platforms['linux/amd64']['path']}index.html#vulnerabilities-h" in page
    assert 'id="inline-findings-1"' in page and NO_REPORT in page  # arm64's row
    own, digest_data = read_page(site, platforms["linux/amd64"]["path"])
    (report,) = digest_data["vulnerabilities"]
    fixed = next(f for f in report["findings"] if f["package"] == "libssl3")
    assert fixed["vex_status"] == "fixed"
    assert 'id="findings-1"' in own and '<tr class="vex-resolved">' in own
    (vex,) = digest_data["vex"]  # the index's VEX, which names this platform
    assert vex["applied"] == 1
    other, arm64 = read_page(site, platforms["linux/arm64"]["path"])
    assert arm64["vulnerabilities"] == [] and NO_REPORT in other
    assert arm64["vex"][0]["applied"] == 0  # it names amd64's digest, not arm64's


def test_grype_report_sniffed_from_a_plain_json_layer(site: Path) -> None:
    page, data = _tag(site, "3.0")
    (report,) = data["vulnerabilities"]
    assert (report["format"], report["scanner_version"], report["finding_count"]) == (
        "Grype",
        "0.32.0",
        1,
    )
    (referrer,) = data["referrers"]
    assert referrer["kind"] == "vulnerability-report"
    assert (
        report["findings"][0]["url"]
        == "http://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2021-22946"
    )
    assert "Scanned" in page and "not recorded" in page  # grype 0.32 wrote no time


def test_cosign_vuln_attestation_in_an_att_tag(site: Path) -> None:
    _, data = _tag(site, "4.0")
    (report,) = data["vulnerabilities"]
    assert report["found_through"].endswith(".att")
    assert report["format"] == "cosign vuln (Trivy)"
    assert (report["scanner"], report["scanner_version"]) == ("trivy", "v0.30.1-8-gf9cb8a28")
    assert report["scanned_at"] == "2022-07-24T17:14:04.864682+09:00"
    assert report["counts"]["critical"] == 1
    assert data["provenance"] == [] and data["sboms"] == []


def test_a_statement_in_a_buildkit_attestation_manifest(site: Path) -> None:
    page, data = _tag(site, "9.0")
    (platform,) = data["platform_list"]
    (report,) = platform["vulnerabilities"]
    assert (report["found_through"], report["format"]) == (
        "BuildKit attestation",
        "cosign vuln (Trivy)",
    )
    assert report["attestation"] == data["attestations"][0]["digest"]
    assert len(platform["sboms"]) == 1 and len(platform["provenance"]) == 1  # read as before
    _, own = read_page(site, platform["path"])
    assert own["vulnerabilities"] == [report]
    assert 'id="inline-findings-1"' in page and "CVE-2021-36159" in page


def test_vex_for_another_digest_is_shown_not_applied(site: Path) -> None:
    page, data = _tag(site, "5.0")
    (report,) = data["vulnerabilities"]
    assert report["counts_after_vex"] == report["counts"]
    (vex,) = data["vex"]
    assert (vex["statement_count"], vex["applied"]) == (5, 0)
    assert not any(s["applies"] for s in vex["statements"])
    assert "0 of 5 apply to this image" in page
    assert "names pkg:oci/alpine@sha256%3A124c7d27" in page


def test_an_image_without_a_report_says_so(site: Path) -> None:
    page, data = _tag(site, "6.0")
    assert data["vulnerabilities"] == [] and data["vex"] == []
    assert f"{NO_REPORT}." in page
    assert "0 vulnerabilities" not in page and "No findings" not in page


def test_hostile_and_broken_reports_escaped_masked_and_noted(site: Path) -> None:
    page, data = _tag(site, "7.0")
    read, broken = sorted(data["vulnerabilities"], key=lambda e: e["format"], reverse=True)
    hostile = next(f for f in read["findings"] if f["package"] == MARKUP)
    assert hostile["installed"] == "5.0 ghp_••••••"  # the shape masked
    assert hostile["url"] == ""  # neither the report's javascript: nor NVD's for a bad id
    assert broken["format"] == "" and "could not be read" in broken["note"]
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x>" not in page and "javascript:alert" not in page
    assert TOKEN not in site_text(site)


def test_vulnerability_badge_in_tag_lists_and_header(site: Path) -> None:
    page, data = read_page(site, paths.repository_path("lab", REPO))
    badges = {row["name"]: row["vulnerabilities"] for row in data["tags"]}
    assert badges["6.0"] is None
    assert {tag: b["text"] for tag, b in badges.items() if b} == {
        "1.0": "1 low",  # the critical finding is not affected per VEX
        "2.0": "1 low",  # its amd64 platform, after VEX
        "3.0": "1 high",
        "4.0": "1 critical",
        "5.0": "2 low",
        "7.0": "1 critical",
        "8.0": "12 low",
        "9.0": "1 critical",
    }
    assert badges["4.0"]["severity"] == "critical" and "after VEX" in badges["4.0"]["title"]
    assert data["recommended"]["name"] == "9.0"
    assert 'class="badge badge-vuln badge-vuln-low"' in page
    tags_js = (site / paths.repository_path("lab", REPO) / "_tags.js").read_text()
    assert tags_js.count('"text":"1 low"') == 2


def test_a_report_over_the_cap_is_skipped_with_a_note(tmp_path: Path, pushed: Pushed) -> None:
    site = _build(tmp_path, pushed.registry, "limits:\n  supply_chain_bytes: 30000\n")
    page, data = _tag(site, "8.0")
    (report,) = data["vulnerabilities"]
    assert report["format"] == "" and report["note"].startswith("not read: ")
    assert "limits.supply_chain_bytes" in report["note"]
    assert "limits.supply_chain_bytes" in page
    _, listing = read_page(site, paths.repository_path("lab", REPO))
    badged = {row["name"] for row in listing["tags"] if row["vulnerabilities"]}
    assert "8.0" not in badged and "1.0" in badged  # the small ones are still read


def test_a_clean_report_says_no_findings(tmp_path: Path) -> None:
    with running_registry(tmp_path / "registry") as registry:
        clean = _app(1)
        report = report_referrer(clean, plain("grype-wolfi-clean-2026.json"))
        with Pusher(registry.url) as pusher:
            pusher.push(REPO, clean, ["clean"])
            pusher.push(REPO, referrers_index([report]), [fallback_tag(clean.digest)])
        site = _build(tmp_path, registry)
    page, data = _tag(site, "clean")
    assert data["vulnerabilities"][0]["finding_count"] == 0
    assert "No findings reported by grype." in page and NO_REPORT not in page
    _, listing = read_page(site, paths.repository_path("lab", REPO))
    assert listing["tags"][0]["vulnerabilities"]["text"] == "no findings"


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
        assert warm["vulnerabilities"] == cold["vulnerabilities"]
        assert json.dumps(warm["platform_list"]) == json.dumps(cold["platform_list"])


def test_a_failed_registry_keeps_its_reports_and_vex_from_the_cache(tmp_path: Path) -> None:
    cache, site = tmp_path / "cache", tmp_path / "site"
    with running_registry(tmp_path / "registry") as registry:
        one = _app(1)
        vex = openvex(
            one.digest, name=REPO, statuses=[("CVE-2019-18276", "bash", "not_affected", "")]
        )
        found = [report_referrer(one, plain(TRIVY_DEBIAN)), vex_referrer(one, vex)]
        with Pusher(registry.url) as pusher:
            pusher.push(REPO, one, ["1.0"])
            pusher.push(REPO, referrers_index(found), [fallback_tag(one.digest)])
        config = write_config(
            tmp_path,
            f"registries:\n  - name: lab\n    url: {registry.url}\n    timeout: 2\n"
            "    retries: 0\n",
        )
        build(load_config(config, environ={}), site, cache_dir=cache)
        _, good = _tag(site, "1.0")
    assert good["vulnerabilities"][0]["vex_not_affected"] == 1
    # The registry is gone: the reports, the VEX and the badge come from the cache.
    result = build(load_config(config, environ={}), site, cache_dir=cache)
    assert result.catalog.registries[0].repositories[0].error
    _, offline = _tag(site, "1.0")
    assert offline["vulnerabilities"] == good["vulnerabilities"]
    assert offline["vex"] == good["vex"]
    assert sorted(r["kind"] for r in offline["referrers"]) == ["vex", "vulnerability-report"]
    _, listing = read_page(site, paths.repository_path("lab", REPO))
    assert listing["tags"][0]["vulnerabilities"]["text"] == "1 critical"
