"""Search records: one per repository and one per image, whatever its number of tags."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from lab.fakeregistry import from_samples
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
        words = entry.record["keywords"].split()
        for tag in others:
            assert tag in words and f"{data['repository']}:{tag}" in words
        if others:
            assert entry.record["summary"].startswith(f"also tagged {others[0]}")
        assert data["digest"] in words


def test_above_the_limit_only_repositories_are_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = sample_pages(tmp_path)
    images = sum(1 for e in search.searchable(search.entries(pages)) if e.record["kind"] == "tag")
    monkeypatch.setattr(search, "TAG_RECORD_LIMIT", images - 1)
    kinds = {e.record["kind"] for e in search.searchable(search.entries(pages))}
    assert kinds == {"repository"}
