"""A catalog crawled in shards and rendered once (``sitegen crawl --shard I/N``, then
``sitegen render``), against the real registry: the same site as one build of the same
data, every repository in exactly one shard, and a shard whose registry is down showing
its repositories' last good data in the merged site."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from lab.registry import RunningRegistry, running_registry
from lab.samples import push_samples
from sitegen import modeljson
from sitegen.build import build
from sitegen.config import load_config
from sitegen.crawl.context import Shard
from sitegen.errors import OutputError
from sitegen.shards import CATALOG_FILE, crawl_shard, read_part, render
from sitegen.site import paths
from tests.helpers import run_cli, tree, write_config

SHARDS = 4
STAMP = "api/stamp.js"  # the one file a rebuild changes: it holds the crawls' durations


def _config(tmp_path: Path, registry: RunningRegistry) -> Path:
    return write_config(
        tmp_path,
        f"registries:\n  - name: lab\n    url: {registry.url}\n    timeout: 2\n    retries: 0\n"
        "  - name: again\n"
        f"    url: {registry.url}\n    repositories: [apps/web, tools/cli, base/alpine]\n",
    )


def _shards(tmp_path: Path, config: Path) -> list[Path]:
    parts = []
    for index in range(1, SHARDS + 1):
        out = tmp_path / "parts" / str(index)
        crawl_shard(
            load_config(config, environ={}),
            out,
            Shard(index, SHARDS),
            cache_dir=tmp_path / "caches" / str(index),
        )
        parts.append(out)
    return parts


def test_shards_give_the_site_one_build_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1717200000")
    with running_registry(tmp_path / "registry") as registry:
        push_samples(registry)
        config = _config(tmp_path, registry)
        one = build(load_config(config, environ={}), tmp_path / "one", cache_dir=tmp_path / "c")
        parts = _shards(tmp_path, config)
    owned = [
        sorted((r.name, repo.name) for r in read_part(p).registries for repo in r.repositories)
        for p in parts
    ]
    every = sorted((r.name, repo.name) for r in one.catalog.registries for repo in r.repositories)
    assert sorted(itertools.chain(*owned)) == every  # each repository in exactly one shard
    assert sum(1 for o in owned if o) >= 2
    catalog, _ = render(load_config(config, environ={}), tmp_path / "merged", parts)
    assert [r.repositories for r in catalog.registries] == [
        r.repositories for r in one.catalog.registries
    ]
    single, merged = tree(tmp_path / "one"), tree(tmp_path / "merged")
    single.pop(STAMP)
    merged.pop(STAMP)
    assert merged == single


def test_a_shard_whose_registry_is_down_keeps_its_last_good_data(tmp_path: Path) -> None:
    with running_registry(tmp_path / "registry") as registry:
        push_samples(registry)
        config = _config(tmp_path, registry)
        parts = _shards(tmp_path, config)
        mine = next(p for p in parts if read_part(p).repository_count)
        index = int(mine.name)
    # The registry is gone; this shard crawls again, from its cache alone.
    crawl_shard(
        load_config(config, environ={}),
        mine,
        Shard(index, SHARDS),
        cache_dir=tmp_path / "caches" / str(index),
    )
    stale = read_part(mine)
    assert all(r.error for r in stale.registries)
    assert all(repo.stale_since for r in stale.registries for repo in r.repositories)
    catalog, _ = render(load_config(config, environ={}), tmp_path / "site", parts)
    merged = {(r.name, repo.name): repo for r in catalog.registries for repo in r.repositories}
    for registry_ in stale.registries:
        for repo in registry_.repositories:
            shown = merged[(registry_.name, repo.name)]
            assert shown.stale_since and shown.tags
            page = json.loads(
                (
                    tmp_path
                    / "site"
                    / paths.repository_path(registry_.name, repo.name)
                    / "index.json"
                ).read_text()
            )
            assert page["stale_since"] and page["tags"]
    assert any(r.error for r in catalog.registries)


def test_a_part_that_is_not_a_catalog_is_refused_by_name(tmp_path: Path) -> None:
    config = write_config(tmp_path, "registries:\n  - name: lab\n    url: https://r.test\n")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / CATALOG_FILE).write_text('{"format": "sitegen-catalog", "model": "other"}')
    with pytest.raises(OutputError, match="another version of sitegen"):
        render(load_config(config, environ={}), tmp_path / "site", [bad])
    (bad / CATALOG_FILE).write_bytes(b"\x00not json")
    with pytest.raises(OutputError, match=f"{CATALOG_FILE}: not JSON"):
        render(load_config(config, environ={}), tmp_path / "site", [bad])
    result = run_cli(["render", str(tmp_path / "missing")], tmp_path)
    assert result.exit_code == 1 and "cannot read" in result.stderr
    result = run_cli(["crawl", "--shard", "5/4", "--out", "x"], tmp_path)
    assert result.exit_code == 2 and "I must be 1 to 4, not 5" in result.stderr


@pytest.mark.parametrize(
    "document",
    [
        {"format": "sitegen-catalog", "model": modeljson.version(), "catalog": {"@": "Tag"}},
        {"format": "sitegen-catalog", "model": modeljson.version(), "catalog": [[[[]]]]},
        {
            "format": "sitegen-catalog",
            "model": modeljson.version(),
            "catalog": {"@": "Catalog", "title": 5, "registries": []},
        },
    ],
)
def test_hostile_catalog_json_is_refused(document: object) -> None:
    with pytest.raises(modeljson.ModelJSONError):
        modeljson.loads(json.dumps(document).encode())


def test_shard_shares_are_stable_and_cover_everything() -> None:
    names = [f"team-{n}/app-{m}" for n in range(20) for m in range(10)]
    shares = [[n for n in names if Shard(i, 4).owns("lab", n)] for i in range(1, 5)]
    assert sorted(itertools.chain(*shares)) == sorted(names)
    assert all(len(s) > 20 for s in shares)
    assert Shard.parse("2/4") == Shard(2, 4)
    for bad in ("0/4", "4", "a/b", "1/0", "1/1001"):
        with pytest.raises(ValueError):
            Shard.parse(bad)
