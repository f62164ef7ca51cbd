"""Search records: one per repository and one per image, whatever its number of tags."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lab.fakeregistry import FakeRegistry, from_samples
from lab.images import image
from sitegen.build import build
from sitegen.config import load_config
from sitegen.site import search
from sitegen.site.pages.catalog import Page, build_pages
from tests.helpers import write_config


def sample_pages(tmp_path: Path) -> list[Page]:
    config = load_config(
        write_config(tmp_path, "registries:\n  - name: lab\n    url: https://registry.test\n"),
        environ={},
    )
    catalog = build(
        config, tmp_path / "site", cache_dir=None, transport=from_samples().transport
    ).catalog
    return list(build_pages(catalog))


def test_the_tags_of_one_image_share_one_record(tmp_path: Path) -> None:
    pages = sample_pages(tmp_path)
    tags_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    for page in pages:
        if page.data.get("kind") == "tag":
            tags_of[(page.data["repository"], page.data["digest"])].append(page.data["tag"])
    assert any(len(tags) >= 3 for tags in tags_of.values())  # the samples have aliases

    data_at = {page.path: page.data for page in pages}
    records = [e for e in search.searchable(search.entries(pages)) if e.record["kind"] == "tag"]
    assert len(records) == len(tags_of)
    for entry in records:
        data = data_at[entry.path]
        first, *others = tags_of[(data["repository"], data["digest"])]
        assert entry.record["title"] == f"{data['repository']}:{first}"
        assert data["tag"] == first  # the record lives on its first tag's page
        words = entry.record["names"].split()
        for tag in others:
            assert tag in words and f"{data['repository']}:{tag}" in words
        if others:
            assert entry.record["summary"].startswith(f"also tagged {others[0]}")
        assert data["digest"] in entry.record["keywords"].split()


def test_above_the_limit_only_repositories_are_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = sample_pages(tmp_path)
    images = sum(1 for e in search.searchable(search.entries(pages)) if e.record["kind"] == "tag")
    monkeypatch.setattr(search, "TAG_RECORD_LIMIT", images - 1)
    kinds = {e.record["kind"] for e in search.searchable(search.entries(pages))}
    # Images are left out; repositories and the packages SBOMs list stay.
    assert kinds == {"repository", "package"}


def test_above_their_limit_the_packages_in_most_images_are_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = sample_pages(tmp_path)
    packages = [
        e for e in search.searchable(search.entries(pages)) if e.record["kind"] == "package"
    ]
    assert len(packages) >= 2
    monkeypatch.setattr(search, "PACKAGE_RECORD_LIMIT", len(packages) - 1)
    kept = [e for e in search.searchable(search.entries(pages)) if e.record["kind"] == "package"]
    ranked = sorted(packages, key=lambda e: (-e.record.get("rank", 0), e.path))
    assert {e.path for e in kept} == {e.path for e in ranked[: len(packages) - 1]}
    assert {e.record["kind"] for e in search.searchable(search.entries(pages))} >= {"tag"}


def records(tmp_path: Path) -> dict[str, search.Entry]:
    return {e.record["title"]: e for e in search.searchable(search.entries(sample_pages(tmp_path)))}


def test_names_weigh_more_than_labels_and_facets_are_filters(tmp_path: Path) -> None:
    found = records(tmp_path)
    document = search.document(found["base/alpine:3.20.1"])
    assert '<h1 data-pagefind-meta="title" data-pagefind-weight="10">base/alpine:3.20.1</h1>' in (
        document
    )
    names = document.split('<p data-pagefind-weight="5">')[1].split("</p>")[0]
    assert "base/alpine:latest" in names.split() and "3.20" in names.split()
    labels = document.split('<p data-pagefind-weight="0.5">')[-1].split("</p>")[0]
    assert "Alpine-style" in labels and "base/alpine:latest" not in labels
    for facet in ('registry">lab', 'kind">image', 'platform">linux/arm/v7'):
        assert f'<span data-pagefind-filter="{facet}</span>' in document
    assert '<div data-pagefind-ignore="index">' in document  # facets are not search text


def test_an_image_ranks_as_its_newest_version(tmp_path: Path) -> None:
    found = records(tmp_path)
    ranks = {title: e.record["rank"] for title, e in found.items() if e.record["kind"] == "tag"}
    worker = {t: r for t, r in ranks.items() if t.startswith("apps/worker:")}
    assert sorted(worker, key=worker.__getitem__, reverse=True) == [
        "apps/worker:v2.0.0",
        "apps/worker:v2.0.0-rc1",
        "apps/worker:v1.9.0",
        "apps/worker:main",
    ]
    # 3.20.1 shares a record with latest, 3 and 3.20 and ranks above 3.19.4.
    assert ranks["base/alpine:3.20.1"] > ranks["base/alpine:3.19.4"]
    assert found["base/alpine:3.20.1"].record["tags"][0] == "3.20.1"
    assert '<span data-pagefind-meta="tags">3.20.1 ' in search.document(found["base/alpine:3.20.1"])


@pytest.mark.parametrize(
    ("manifest_kind", "artifact_type", "kind"),
    [
        ("image", "", "image"),
        ("index", "", "image"),
        ("helm-chart", "", "helm chart"),
        ("signature", "application/vnd.dev.cosign.artifact.sig.v1+json", "signature"),
        ("attestation", "application/vnd.in-toto+json", "attestation"),
        ("sbom", "application/spdx+json", "sbom"),
        ("artifact", "application/vnd.example.thing", "artifact"),
        ("something-newer", "", "artifact"),
    ],
)
def test_the_kind_of_a_result(manifest_kind: str, artifact_type: str, kind: str) -> None:
    record: Any = {
        "title": "r:t",
        "registry": "lab",
        "repository": "r",
        "kind": "tag",
        "summary": "",
        "names": "",
        "keywords": "",
        "manifest_kind": manifest_kind,
        "artifact_type": artifact_type,
    }
    assert search.kind_of(record) == kind
    assert f'data-pagefind-filter="kind">{kind}<' in search.document(search.Entry("r/", record))


def test_the_sample_chart_is_a_helm_chart(tmp_path: Path) -> None:
    assert search.kind_of(records(tmp_path)["charts/demo:0.1.0"].record) == "helm chart"


def test_images_with_a_new_tag_and_only_they_carry_the_new_facet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeRegistry()
    old, kept, released = (image(files=[{"/app": v.encode()}]) for v in ("0.9", "1.0", "1.1"))
    fake.add("team/web", old, ["0.9"])
    fake.add("team/web", kept, ["1.0", "latest"])
    config = load_config(
        write_config(tmp_path, "registries:\n  - name: lab\n    url: https://registry.test\n"),
        environ={},
    )

    def night(epoch: int) -> dict[frozenset[str], search.Entry]:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
        catalog = build(
            config, tmp_path / "site", cache_dir=tmp_path / "cache", transport=fake.transport
        ).catalog
        found = search.searchable(search.entries(build_pages(catalog)))
        return {frozenset(e.record.get("tags", [e.record.get("tag", "")])): e for e in found}

    facet = '<span data-pagefind-filter="seen">new</span>'
    first = night(1717200000)
    assert first and not any(facet in search.document(e) for e in first.values())

    # The next night 1.1 is released and latest moves to it (latest is no new tag), and
    # the old image gets a new tag, stable: both images are new, 1.0's image is not.
    fake.add("team/web", released, ["1.1", "latest"])
    fake.add("team/web", old, ["stable"])
    second = night(1717200000 + 86400)
    new = {frozenset({"1.1", "latest"}), frozenset({"0.9", "stable"})}
    assert new < second.keys() and frozenset({"1.0"}) in second
    for tags, entry in second.items():
        document = search.document(entry)
        is_new = tags in new
        assert entry.record.get("new", False) is is_new, tags
        assert (facet in document) is is_new, tags
        # The result shows the new badge, after the supply-chain badges.
        assert ('<span data-pagefind-meta="badges">new</span>' in document) is is_new, tags
    assert second[frozenset({""})].record["kind"] == "repository"


def test_digests_and_commit_hashes_are_indexed_by_their_first_digits(tmp_path: Path) -> None:
    found = records(tmp_path)
    entry = found["base/alpine:3.20.1"]
    digest = entry.record["image"].partition("@")[2]
    commit = "80ba516a18188a2dc136359ca85084e3514aa558"
    keywords = f"{digest} {commit} sha512:{'ab' * 64} sha256:short org.label-schema.vcs-ref"
    document = search.document(replace(entry, record={**entry.record, "keywords": keywords}))
    words = document.split('<p data-pagefind-weight="0.5">')[-1].split("</p>")[0].split()
    width = search.HEX_INDEXED
    hex_digits = digest.partition(":")[2]
    assert words == [
        f"sha256:{hex_digits[:width]}",
        hex_digits[:width],
        commit[:width],
        f"sha512:{'ab' * (width // 2)}",
        "ab" * (width // 2),
        "sha256:short",
        "short",
        "org.label-schema.vcs-ref",
    ]
    assert digest not in document and commit not in document


def test_hostile_keywords_are_cut_and_escaped(tmp_path: Path) -> None:
    entry = records(tmp_path)["base/alpine:3.20.1"]
    huge = "f" * (1 << 20)  # a label value of a megabyte of hex digits
    keywords = f"SHA256:{'AB' * 32} {huge} sha256:<script>alert(1)</script> sha256: :{'0' * 40}"
    document = search.document(replace(entry, record={**entry.record, "keywords": keywords}))
    words = document.split('<p data-pagefind-weight="0.5">')[-1].split("</p>")[0].split()
    assert words == [
        f"SHA256:{'AB' * 8}",
        "AB" * 8,
        "f" * search.HEX_INDEXED,
        "sha256:&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "sha256:",
        f":{'0' * 40}",  # no algorithm: not a digest, one word as it is
    ]
    assert len(document) < 4096 and "<script>" not in document
