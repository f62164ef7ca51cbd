"""A rebuild with nothing changed leaves every file of the site byte-identical, the
search index included (Pagefind alone writes its filter map in hash order), and only
the build's stamp (``api/stamp.js``), which says when the catalog was built, changes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from lab.fakeregistry import FakeRegistry, from_samples
from lab.images import image
from sitegen.build import build
from sitegen.config import load_config
from sitegen.oci import cbor
from sitegen.site import indexing, paths, searchorder
from tests.helpers import files, write_config

# Several registries (each with the sample's repositories): with one, Pagefind's filter
# map has one value and comes out the same by chance.
CONFIG = """
site:
  title: Rebuilt catalog
registries:
  - name: one
    url: https://one.registry.test
  - name: two
    url: https://two.registry.test
  - name: three
    url: https://three.registry.test
  - name: four
    url: https://four.registry.test
  - name: five
    url: https://five.registry.test
"""


def build_site(tmp_path: Path, fake: FakeRegistry) -> dict[str, bytes]:
    config = load_config(write_config(tmp_path, CONFIG), environ={})
    result = build(
        config, tmp_path / "site", cache_dir=tmp_path / "cache", transport=fake.transport
    )
    assert result.failures == ()
    return files(tmp_path / "site")


def test_a_rebuild_with_nothing_changed_leaves_every_file_byte_identical(tmp_path: Path) -> None:
    first = build_site(tmp_path, from_samples())
    assert any(name.endswith(".pf_filter") for name in first)  # the index was built
    second = build_site(tmp_path, from_samples())
    # The stamp says when each build ran: it changes by design, and it alone.
    changed = sorted(
        name for name in first.keys() | second.keys() if first.get(name) != second.get(name)
    )
    assert paths.STAMP_FILE in first
    assert changed in ([], [paths.STAMP_FILE])
    del first[paths.STAMP_FILE], second[paths.STAMP_FILE]
    assert first == second


def test_a_search_index_changed_on_disk_is_built_again(tmp_path: Path) -> None:
    first = build_site(tmp_path, from_samples())
    site = tmp_path / "site"
    fragment = next(name for name in sorted(first) if name.startswith("pagefind/fragment/"))
    (site / fragment).write_bytes(b"not what pagefind wrote")
    (site / "pagefind" / "stray.js").write_text("alert(1)")
    second = build_site(tmp_path, from_samples())
    assert second[fragment] == first[fragment]  # Pagefind wrote it again
    assert "pagefind/stray.js" not in second


def test_a_new_tag_gets_a_new_index(tmp_path: Path) -> None:
    first = build_site(tmp_path, from_samples())
    fake = from_samples()
    fake.add("base/alpine", image(created="2025-01-01T00:00:00Z"), ["3.99"])
    second = build_site(tmp_path, fake)
    # One more image in each of the five registries: five more records.
    assert page_count(first) + 5 == page_count(second)
    record = json.loads((tmp_path / "site" / paths.SEARCH_INPUT_FILE).read_text())
    index = sorted(n for n in second if n.startswith("pagefind/"))
    assert sorted(record["files"]) == [n for n in index if n != paths.SEARCH_INPUT_FILE]


def test_a_rebuild_with_a_new_tag_and_nothing_changed_since_is_byte_identical(
    tmp_path: Path,
) -> None:
    build_site(tmp_path, from_samples())
    fake = from_samples()
    fake.add("base/alpine", image(created="2025-01-01T00:00:00Z"), ["3.99"])
    second = build_site(tmp_path, fake)
    # 3.99 is new in each of the five registries: the index has the "new" facet.
    assert filter_names(second) == ["has", "kind", "platform", "registry", "seen"]
    third = build_site(tmp_path, fake)
    del second[paths.STAMP_FILE], third[paths.STAMP_FILE]
    assert second == third


def filter_names(site: dict[str, bytes]) -> list[str]:
    """The filters of the search index, from its metadata file."""
    entry = json.loads(site["pagefind/pagefind-entry.json"])
    (about,) = entry["languages"].values()
    raw = gzip.decompress(site[f"pagefind/pagefind.{about['hash']}.pf_meta"])
    return [name for name, _ in cbor.loads(raw.removeprefix(searchorder.SIGNATURE))[3]]


def page_count(site: dict[str, bytes]) -> int:
    entry = json.loads(site["pagefind/pagefind-entry.json"])
    return sum(language["page_count"] for language in entry["languages"].values())


def test_the_catalog_resolves_every_tag_as_its_page_does(tmp_path: Path) -> None:
    build_site(tmp_path, from_samples())
    site = tmp_path / "site"
    catalog = json.loads((site / paths.CATALOG_FILE).read_text())
    resolved = 0
    for registry in catalog["registries"]:
        for repository in registry["repositories"]:
            for tag in repository["tags"]:
                page = json.loads(
                    (
                        site
                        / paths.tag_path(registry["name"], repository["name"], tag)
                        / "index.json"
                    ).read_text()
                )
                digest = repository["digests"][tag]
                facts = repository["images"][digest]
                assert digest == page["digest"]
                assert facts["kind"] == page["manifest_kind"]
                assert facts["created"] == page["created"]
                assert facts["platforms"] == [p["platform"] for p in page["platforms"]]
                resolved += 1
    assert resolved > 50
    kinds = {
        i["kind"]
        for r in catalog["registries"]
        for p in r["repositories"]
        for i in p["images"].values()
    }
    assert kinds == {"image", "index", "helm-chart"}


def test_a_link_in_the_previous_index_is_not_published_again(tmp_path: Path) -> None:
    first = build_site(tmp_path, from_samples())
    site = tmp_path / "site"
    fragment = next(name for name in sorted(first) if name.startswith("pagefind/fragment/"))
    # The same bytes, through a link to a file outside the site: not the index recorded.
    outside = tmp_path / "outside"
    outside.write_bytes(first[fragment])
    (site / fragment).unlink()
    (site / fragment).symlink_to(outside)
    build_site(tmp_path, from_samples())
    assert not (site / fragment).is_symlink()
    assert (site / fragment).read_bytes() == first[fragment]


def test_an_unchanged_index_is_linked_from_the_previous_site_or_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build_site(tmp_path, from_samples())
    previous = tmp_path / "site"
    documents = sorted((path, "x") for path in ("a/", "b/"))
    key = indexing.input_key(documents)
    indexing.record_input(previous, key)
    linked = tmp_path / "linked"
    assert indexing.reuse(previous, linked, key)
    index = [name for name in first if name.startswith("pagefind/")]
    assert all((linked / name).samefile(previous / name) for name in index)

    def no_links(source: str, target: str) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(indexing.os, "link", no_links)
    copied = tmp_path / "copied"
    assert indexing.reuse(previous, copied, key)
    for name in index:
        assert not (copied / name).samefile(previous / name)
        assert (copied / name).read_bytes() == (previous / name).read_bytes()
