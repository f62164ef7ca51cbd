"""Rendering shared among forked workers writes the same site as rendering alone, and a
failure in any worker fails the build the way a failure in one process does."""

from __future__ import annotations

import json
import multiprocessing
import sys
from pathlib import Path

import jinja2
import pytest

from lab.fakeregistry import from_samples
from sitegen.build import build
from sitegen.config import Config, load_config
from sitegen.errors import OutputError
from sitegen.model import Catalog
from sitegen.site.pages.catalog import build_pages, page_units
from sitegen.site.render import PageJson
from sitegen.site.workers import assign_shards
from sitegen.site.write import write_site
from tests.helpers import files, write_config

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="render workers are forked on Linux only"
)

CONFIG = """
site:
  title: Parallel catalog
  url: https://example.github.io/catalog/
registries:
  - name: golden
    url: https://registry.test
"""


def load(directory: Path, text: str = CONFIG) -> Config:
    directory.mkdir(parents=True, exist_ok=True)
    return load_config(write_config(directory, text), environ={})


def sample_catalog(tmp_path: Path) -> tuple[Config, Catalog]:
    config = load(tmp_path)
    result = build(config, tmp_path / "first", cache_dir=None, transport=from_samples().transport)
    assert result.failures == ()
    return config, result.catalog


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_workers_write_the_same_site_byte_for_byte(tmp_path: Path, workers: int) -> None:
    config, catalog = sample_catalog(tmp_path)
    alone = write_site(config, catalog, tmp_path / "alone", workers=1)
    shared = write_site(config, catalog, tmp_path / "shared", workers=workers)
    assert alone == shared
    # Pagefind's index is its own binary format; the pages it indexes are compared.
    serial = files(tmp_path / "alone", skip=("pagefind",))
    parallel = files(tmp_path / "shared", skip=("pagefind",))
    assert sorted(serial) == sorted(parallel)
    assert [name for name in serial if serial[name] != parallel[name]] == []
    assert (tmp_path / "shared" / "pagefind").is_dir()  # indexed once, by the parent
    assert multiprocessing.active_children() == []


def test_a_failing_worker_fails_the_build_and_keeps_the_old_site(tmp_path: Path) -> None:
    config, catalog = sample_catalog(tmp_path)
    write_site(config, catalog, tmp_path / "site", workers=1)
    before = files(tmp_path / "site")
    # A tag page that only worker 1 of 3 renders breaks.
    units = page_units(catalog)
    owners = assign_shards([unit.weight for unit in units], 3)
    victim = next(
        page
        for number, unit in enumerate(units)
        if owners[number] == 1
        for page in unit.pages()
        if page.data.get("kind") == "tag"
    )
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "tag.html").write_text(
        f'{{% extends "base.html" %}}{{% block content %}}'
        f'{{% if data.path == "{victim.path}" %}}{{{{ data.no_such_key }}}}{{% endif %}}'
        f"{{% endblock %}}"
    )
    broken = load(tmp_path / "broken", CONFIG.replace("site:\n", f"site:\n  theme_dir: {theme}\n"))
    with pytest.raises(jinja2.UndefinedError) as failure:
        write_site(broken, catalog, tmp_path / "site", workers=3)
    assert any("in render worker 1" in note for note in failure.value.__notes__)
    assert files(tmp_path / "site") == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".sitegen-staging-")]
    assert multiprocessing.active_children() == []


def test_the_page_limit_holds_with_workers(tmp_path: Path) -> None:
    _, catalog = sample_catalog(tmp_path)
    limited = load(tmp_path / "limited", CONFIG + "limits:\n  site_pages: 20\n")
    with pytest.raises(OutputError, match="more than 20 pages"):
        write_site(limited, catalog, tmp_path / "site", workers=2)
    assert not (tmp_path / "site").exists()
    assert multiprocessing.active_children() == []


def test_units_are_shared_out_by_weight() -> None:
    weights = [4, 1, 60, 55, 50, 1, 5, 5]
    owners = assign_shards(weights, 2)
    load = [sum(w for w, o in zip(weights, owners, strict=True) if o == s) for s in (0, 1)]
    assert sum(load) == sum(weights) and max(load) - min(load) <= max(weights)
    assert assign_shards(weights, 1) == [0] * len(weights)
    assert set(assign_shards(weights, 8)) == set(range(8))  # every worker gets a share


def test_index_json_is_the_compact_sorted_encoding_of_the_page_data(tmp_path: Path) -> None:
    _, catalog = sample_catalog(tmp_path)
    encode = PageJson()
    shared = 0
    for _ in range(2):  # the second time round, shared documents come from memory
        for page in build_pages(catalog):
            expected = json.dumps(
                page.data, sort_keys=True, ensure_ascii=False, separators=(",", ":")
            )
            assert encode(page) == expected
            shared += isinstance(page.data.get("image"), dict)
    assert shared > 0
