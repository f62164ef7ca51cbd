"""Pagefind runs in its own process while the rest of the site is written: the index is
the one a build that waits for it writes; Pagefind failing leaves a site without an
index (and says why); a build that fails meanwhile stops it and leaves nothing behind."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pytest

from lab.fakeregistry import from_samples
from sitegen.build import build
from sitegen.config import load_config
from sitegen.errors import OutputError
from sitegen.site import paths, search, write
from tests.helpers import files, write_config
from tests.test_search import sample_pages

CONFIG = "registries:\n  - name: one\n    url: https://one.registry.test\n"


def scratch_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("sitegen-search-*")}


def test_an_index_built_beside_the_rest_is_the_index_built_alone(tmp_path: Path) -> None:
    found = search.searchable(search.entries(sample_pages(tmp_path)))
    assert search.build_index(found, tmp_path / "alone")
    (tmp_path / "beside").mkdir()
    indexing = search.start_index(found, tmp_path / "beside")
    (tmp_path / "beside" / "index.html").write_text("the rest of the site")
    assert indexing.wait() and indexing.built
    alone, beside = files(tmp_path / "alone"), files(tmp_path / "beside")
    index = sorted(name for name in alone if name.startswith("pagefind/"))
    assert index and index == sorted(name for name in beside if name.startswith("pagefind/"))
    assert all(alone[name] == beside[name] for name in index)


def test_pagefind_failing_leaves_a_site_without_an_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    before = scratch_dirs()
    monkeypatch.setattr(search, "OPTIONS", (*search.OPTIONS, "--no-such-option"))
    with caplog.at_level(logging.WARNING, logger="sitegen.site.search"):
        result = build(
            load_config(write_config(tmp_path, CONFIG), environ={}),
            tmp_path / "site",
            cache_dir=None,
            transport=from_samples().transport,
        )
    assert result.failures == ()
    assert (tmp_path / "site" / paths.PAGE_HTML).is_file()
    assert not (tmp_path / "site" / paths.SEARCH_INDEX_DIR).exists()
    assert [m for m in caplog.messages if "no index built: pagefind failed" in m]
    assert scratch_dirs() - before == set()


def test_a_build_failing_while_pagefind_runs_stops_it_and_keeps_the_old_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(write_config(tmp_path, CONFIG), environ={})
    build(config, tmp_path / "site", cache_dir=None, transport=from_samples().transport)
    old = files(tmp_path / "site")
    before = scratch_dirs()
    started: list[search.Indexing] = []
    start = search.start_index

    def recorded(*args: object, **kwargs: object) -> search.Indexing:
        started.append(start(*args, **kwargs))  # type: ignore[arg-type]
        return started[-1]

    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(search, "start_index", recorded)
    monkeypatch.setattr(search, "_reuse", lambda *args: False)  # Pagefind runs
    monkeypatch.setattr(write, "_write_the_rest", broken)
    with pytest.raises(OutputError, match="No space left"):
        build(config, tmp_path / "site", cache_dir=None, transport=from_samples().transport)
    [indexing] = started
    assert indexing._process is None  # stopped and reaped
    assert files(tmp_path / "site") == old
    assert scratch_dirs() - before == set()
    assert [
        p.name
        for p in tmp_path.iterdir()
        if p.name.startswith((".sitegen-staging", ".sitegen-retired"))
    ] == []
