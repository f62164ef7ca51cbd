"""Pagefind runs in its own process while the rest of the site is written: the index is
the one a build that waits for it writes; Pagefind failing leaves a site without an
index (and says why); a build that fails meanwhile stops it and leaves nothing behind."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lab.fakeregistry import from_samples
from sitegen.build import build
from sitegen.config import load_config
from sitegen.errors import OutputError
from sitegen.site import indexing, paths, search, write
from sitegen.site.guess import Guess
from sitegen.site.output import Staging
from sitegen.site.render import Renderer
from sitegen.site.renderprocess import Renders
from tests.helpers import files, write_config
from tests.test_search import sample_pages

CONFIG = "registries:\n  - name: one\n    url: https://one.registry.test\n"


def scratch_dirs(root: Path) -> set[str]:
    """Pagefind's scratch sites under ``root``, or in the temporary directory."""
    found = [*root.rglob(f"{indexing.SCRATCH_PREFIX}*"),
             *Path(tempfile.gettempdir()).glob(f"{indexing.SCRATCH_PREFIX}*")]  # fmt: skip
    return {str(path) for path in found}


def test_an_index_built_beside_the_rest_is_the_index_built_alone(tmp_path: Path) -> None:
    found = search.searchable(search.entries(sample_pages(tmp_path)))
    assert search.build_index(found, tmp_path / "alone")
    (tmp_path / "beside").mkdir()
    indexing = search.start_index(found, tmp_path / "beside")
    # Pagefind reads its documents where the site is written, not elsewhere.
    assert len(scratch_dirs(tmp_path / "beside")) == 1
    (tmp_path / "beside" / "index.html").write_text("the rest of the site")
    assert indexing.wait() and indexing.built
    assert scratch_dirs(tmp_path) == set()
    alone, beside = files(tmp_path / "alone"), files(tmp_path / "beside")
    index = sorted(name for name in alone if name.startswith("pagefind/"))
    assert index and index == sorted(name for name in beside if name.startswith("pagefind/"))
    assert all(alone[name] == beside[name] for name in index)


def warnings_of_a_build_without_an_index(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> list[str]:
    """Build the samples; the site has its pages and no index, no scratch directory is
    left, and the build did not fail. The search module's warnings."""
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
    assert scratch_dirs(tmp_path) == set()
    return caplog.messages


def test_pagefind_failing_leaves_a_site_without_an_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(indexing, "OPTIONS", (*indexing.OPTIONS, "--no-such-option"))
    said = warnings_of_a_build_without_an_index(tmp_path, caplog)
    assert [m for m in said if "no index built: pagefind failed" in m]


def test_without_the_pagefind_binary_the_site_has_no_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    indexing.pagefind_binary.cache_clear()
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "no-pagefind-here"))
    try:
        said = warnings_of_a_build_without_an_index(tmp_path, caplog)
    finally:
        indexing.pagefind_binary.cache_clear()
    assert [m for m in said if m.startswith("search: no index built: ")]


def test_a_build_failing_while_pagefind_runs_stops_it_and_keeps_the_old_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(write_config(tmp_path, CONFIG), environ={})
    build(config, tmp_path / "site", cache_dir=None, transport=from_samples().transport)
    old = files(tmp_path / "site")
    started: list[indexing.Indexing] = []
    start = search.start_index

    def recorded(*args: object, **kwargs: object) -> indexing.Indexing:
        started.append(start(*args, **kwargs))  # type: ignore[arg-type]
        return started[-1]

    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(search, "start_index", recorded)
    monkeypatch.setattr(indexing, "reuse", lambda *args: False)  # Pagefind runs
    monkeypatch.setattr(write, "_write_the_rest", broken)
    with pytest.raises(OutputError, match="No space left"):
        build(config, tmp_path / "site", cache_dir=None, transport=from_samples().transport)
    [running] = started
    assert running._process is None  # stopped and reaped
    assert files(tmp_path / "site") == old
    assert scratch_dirs(tmp_path) == set()
    assert [
        p.name
        for p in tmp_path.iterdir()
        if p.name.startswith((".sitegen-staging", ".sitegen-retired"))
    ] == []


def _streamed_then_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, records_change: bool
) -> tuple[dict[str, bytes], dict[str, bytes], int]:
    """The sample catalog in three registries (each digest tagged three times), rendered
    with every repository streamed first, its inputs guessed without a previous build
    (so the first of each three is stale), and rendered in one go: both sites, and how
    often Pagefind was started for the streamed one."""
    registries = ("one", "two", "three")
    text = "".join(f"  - name: {n}\n    url: https://{n}.registry.test\n" for n in registries)
    config = load_config(write_config(tmp_path, f"registries:\n{text}"), environ={})
    catalog = build(
        config, tmp_path / "built", cache_dir=None, transport=from_samples().transport
    ).catalog
    plain = Staging(tmp_path / "plain")
    write.render_site(config, catalog, plain)
    stage = Staging(tmp_path / "streamed")
    guess = Guess(config.site, list(registries), None)
    renders = Renders(stage, Renderer(config.site), write.PageBudget(10**6), guess)
    for registry in catalog.registries:
        for repo in registry.repositories:
            renders.add(registry, [repo])
    streamed = {}
    for key, (inputs, written) in renders.done.items():
        guessed = written
        if records_change and key in renders.stale:
            entries = [
                replace(e, record={**e.record, "summary": "guessed"}) for e in written.indexed
            ]
            guessed = replace(written, indexed=entries)
        repo = next(r for g in catalog.registries if g.name == key[0]
                    for r in g.repositories if r.name == key[1])  # fmt: skip
        streamed[key] = write.Streamed(repo, inputs, guessed)
    assert renders.stale  # some guesses did not hold
    starts = []
    started = indexing.Indexing.started.__func__  # type: ignore[attr-defined]

    def counted(cls: type[indexing.Indexing], *args: Any) -> indexing.Indexing:
        starts.append(args)
        return started(cls, *args)  # type: ignore[no-any-return]

    monkeypatch.setattr(indexing.Indexing, "started", classmethod(counted))
    write.render_site(config, catalog, stage, streamed=streamed)
    sites = files(plain.root), files(stage.root)
    plain.discard()
    stage.discard()
    return *sites, len(starts)


@pytest.mark.parametrize("records_change", [False, True])
def test_pagefind_starts_on_the_streamed_records_and_again_only_if_they_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, records_change: bool
) -> None:
    plain, streamed, starts = _streamed_then_rendered(
        tmp_path, monkeypatch, records_change=records_change
    )
    assert any(name.startswith("pagefind/fragment/") for name in streamed)
    assert sorted(plain) == sorted(streamed)
    assert [name for name in plain if plain[name] != streamed[name]] == []
    assert starts == 2 if records_change else starts == 1
