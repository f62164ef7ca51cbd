"""The benchmark's building blocks do what its numbers claim (no timing here)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench import bases, catalog_size, packages, scale, searchindex, snapshot, stream, vendor
from bench.dataset import Spec, contents, moved_image, moved_tags
from bench.measure import request_kind
from bench.network import measure as measure_transports
from bench.report import render, targets
from sitegen.crawl.vendor import SAMPLE
from sitegen.site import paths
from sitegen.site.pages.catalog import catalog_document
from sitegen.site.pages.packages import IMAGES_SHOWN, package_index, package_pages


def test_dataset_has_the_documented_shape() -> None:
    spec = Spec(repositories=6)
    tags: Counter[str] = Counter()
    manifests: dict[str, set[str]] = {}
    multiarch = 0
    for repository, built, names in contents(spec):
        tags[repository] += len(names)
        manifests.setdefault(repository, set()).add(built.digest)
        if built.children:
            multiarch += len(names)
            assert len(built.children) == 4
    assert sum(tags.values()) == spec.tags == 300
    assert set(tags.values()) == {50}
    assert multiarch / spec.tags == spec.describe()["multiarch_tag_share"] == 0.2
    # Members of a family hold the same manifests; families differ.
    names = [spec.repository(n) for n in range(6)]
    assert manifests[names[0]] == manifests[names[1]]
    assert not manifests[names[0]] & manifests[names[2]]
    assert spec.describe()["distinct_manifests"] == 3 * (8 + 2 * 5)


def test_moved_tags_are_one_percent_and_each_gets_its_own_image() -> None:
    spec = Spec(repositories=20)
    moved = moved_tags(spec)
    assert len(moved) == len(set(moved)) == spec.tags // 100
    digests = {moved_image(repository, tag).digest for repository, tag in moved}
    assert len(digests) == len(moved)
    existing = {built.digest for _, built, _ in contents(spec)}
    assert not digests & existing


def test_request_kinds_from_access_log_paths() -> None:
    assert request_kind("GET", "/v2/") == "ping"
    assert request_kind("GET", "/v2/_catalog?n=100") == "catalog"
    assert request_kind("GET", "/v2/a/b/tags/list?n=1000") == "list"
    assert request_kind("HEAD", "/v2/a/b/manifests/latest") == "head"
    assert request_kind("GET", "/v2/a/b/manifests/sha256:00") == "manifest"
    assert request_kind("GET", "/v2/a/b/blobs/sha256:00") == "blob"
    assert request_kind("GET", "/v2/a/b/referrers/sha256:00") == "referrers"


def _results(**measured: Any) -> dict[str, Any]:
    """A quick run's results around what ``measured`` gives, for the report."""
    return {
        "mode": "quick",
        "delay_ms": 20.0,
        "concurrency": 8,
        "machine": {"cores": 2, "cpu": "x", "memory_gib": 1},
        "workdir": "tmpfs",
        "load_average_start": 0.0,
        "load_average_end": 0.0,
        "dataset": Spec(repositories=2).describe(),
        **measured,
    }


def test_a_scale_model_renders_and_is_reported(tmp_path: Path) -> None:
    config = scale.write_config(tmp_path / "registries.yaml", scale.FAKE_URL)
    made = scale.model(100, config, tmp_path / "model.pickle")
    assert made["requests"] > 100
    assert (
        sum(
            len(r.tags) for r in snapshot.load(tmp_path / "model.pickle").registries[0].repositories
        )
        == 100
    )
    point = scale.render(config, tmp_path / "model.pickle", tmp_path / "site")
    assert point["tags"] == 100 and point["pages"] > 100 and point["files"] > 2 * point["pages"]
    assert 0 <= point["search_seconds"] <= point["seconds"]
    point.update(filesystem="tmpfs", pages_per_second=1, cores_busy=1.0, process_peak_rss_mb=1)
    results = _results(scale=[point])
    results["targets"] = targets(results)
    assert [t["target"].split(":")[0] for t in results["targets"]] == ["Rendering incl. writes"]
    text = render(results, markdown=True)
    assert "| 100 | tmpfs |" in text and "| FAIL |" in text


def test_builds_with_the_registry_elsewhere_are_reported_against_the_target() -> None:
    rows = stream.run(100, 0.001, 8)  # cold and warm, each after the crawl and beside it
    assert [(r["build"], r["render"]) for r in rows] == [
        ("cold", "after the crawl"), ("cold", "beside the crawl"),
        ("warm", "after the crawl"), ("warm", "beside the crawl"),
    ]  # fmt: skip
    assert all(r["requests"] > 0 and r["ratio"] > 0 for r in rows)
    rows[1]["ratio"], rows[3]["ratio"] = 1.29, 1.31
    results = _results(elsewhere=rows)
    results["targets"] = targets(results)
    found = {t["target"].split(",")[0]: t["pass"] for t in results["targets"]}
    assert found == {"Cold build": True, "Warm build": False}
    assert all(t["target"].endswith("the registry elsewhere") for t in results["targets"])
    text = render(results, markdown=True)
    assert "| cold | beside the crawl |" in text and "x1.29" in text


def test_the_catalog_size_benchmark_resolves_every_tag() -> None:
    catalog = catalog_size.catalog(500)
    assert catalog.tag_count == 500
    document = catalog_document(catalog)
    for repository in document["registries"][0]["repositories"]:
        assert set(repository["digests"]) == set(repository["tags"])
        for digest in repository["digests"].values():
            facts = repository["images"][digest]
            assert facts["kind"] in ("image", "index") and facts["created"]
    kinds = {
        i["kind"] for r in document["registries"][0]["repositories"] for i in r["images"].values()
    }
    assert kinds == {"image", "index"}


def test_the_vendor_benchmark_compares_both_paths_on_the_same_tags() -> None:
    result = vendor.run(tags=100, delay=0.0, concurrency=8, vendor="hub")
    head, listed = result["head"], result["vendor_api"]
    assert head["tags"] == listed["tags"] == 100
    assert head["by_kind"] == {"ping": 1, "list": 2, "head": 100, "referrers": 1}
    assert listed["by_kind"] == {"ping": 1, "api": 2, "head": SAMPLE, "referrers": 1}
    assert result["request_ratio"] == round(listed["requests"] / head["requests"], 6)
    # 100 tags in two repositories: the fixed requests weigh too much for the target.
    assert not result["passed"] and "FAIL" in vendor.table(result)


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_the_network_benchmark_crawls_the_same_requests_through_both_transports(
    tls: bool,
) -> None:
    best = measure_transports(tags=100, rounds=1, tls=tls)
    assert list(best) == ["httpx (anyio)", "sitegen (asyncio)"]
    # Warm: a ping, the catalog, the tag lists, one HEAD per tag, the referrers probe.
    counts = {requests for requests, _, _ in best.values()}
    assert len(counts) == 1 and counts.pop() >= 100 + 3


def test_the_bases_benchmark_finds_every_app_s_base() -> None:
    figures = bases.measure(300)
    assert figures["found"] == 300  # every app; a base has none


def test_the_package_benchmark_measures_a_skewed_index(capsys: pytest.CaptureFixture[str]) -> None:
    catalog, _ = packages.catalog(60, 40)
    index = package_index(catalog)
    assert len(index.images) == 60
    shares = sorted((row["images"] for row in index.summaries), reverse=True)
    # Base packages are in many images, most of the tail in few.
    assert shares[0] >= 10 and shares[len(shares) // 2] <= 3
    # The most shared package's page lists a few images per version; its shard all.
    name = max(index.summaries, key=lambda row: row["images"])["name"]
    versions = index.packages[name]
    page = next(p for p in package_pages(index) if p.path == paths.package_path(name))
    for row in page.data["versions"]:
        held = versions[row["ecosystem"], row["version"]]
        assert row["image_count"] == len(held)
        assert row["images"] == [index.images[n] for n in held[:IMAGES_SHOWN]]
    assert any(len(held) > IMAGES_SHOWN for held in versions.values())
    assert packages.main(["--images", "60", "--packages", "40"]) == 0
    out = capsys.readouterr().out
    assert "package index for 60 images x 40 packages" in out
    assert out.count("PASS") == 4 and "FAIL" not in out


def test_the_search_index_benchmark_cuts_only_hex_words(capsys: pytest.CaptureFixture[str]) -> None:
    assert searchindex.main(["--tags", "100", "--rounds", "1"]) == 0
    said = capsys.readouterr().out
    assert "100 tags, 22 documents" in said
    ratios = dict(re.findall(r"cut / whole, (\w+): x([0-9.]+)", said))
    assert set(ratios) == {"seconds", "cpu", "bytes"}
    assert float(ratios["bytes"]) < 1  # the same documents, shorter words
