"""Pagefind's index in one order (sitegen.site.searchorder): Pagefind writes its filters
from hash maps, so the same documents give differently ordered, differently named files
from run to run. Two indexes that differ only in that order must come out identical."""

from __future__ import annotations

import gzip
import json
import random
import shutil
from pathlib import Path

import pytest

from sitegen.site import search, searchorder
from tests.helpers import files
from tests.test_search import sample_pages


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pagefind's own output for the sample catalog (three filters, many values)."""
    site = tmp_path_factory.mktemp("index")
    assert search.build_index(search.searchable(search.entries(sample_pages(site))), site)
    return site / "pagefind"


def shuffled(index: Path, into: Path, seed: int) -> Path:
    """A copy of ``index`` as another Pagefind run could have written it: every filter's
    values and the filter list in another order, the files named by their new bytes."""
    shutil.copytree(index, into)
    rng = random.Random(seed)
    entry_path = into / searchorder.ENTRY_FILE
    entry = json.loads(entry_path.read_text())
    ((language, about),) = entry["languages"].items()
    meta_path = into / f"pagefind.{about['hash']}.pf_meta"
    meta = searchorder._read(meta_path)
    filters = []
    for name, old in meta[3]:
        path = into / "filter" / f"{old}.pf_filter"
        content = searchorder._read(path)
        rng.shuffle(content[1])
        data = searchorder._encode(content)
        new = searchorder._name(language, data + b"x", 7)
        path.unlink()
        (into / "filter" / f"{new}.pf_filter").write_bytes(gzip.compress(b"pagefind_dcd" + data))
        filters.append([name, new])
    rng.shuffle(filters)
    meta[3] = filters
    data = searchorder._encode(meta)
    new_meta = searchorder._name(language, data + b"x", 10)
    meta_path.unlink()
    (into / f"pagefind.{new_meta}.pf_meta").write_bytes(gzip.compress(b"pagefind_dcd" + data))
    entry_path.write_text(entry_path.read_text().replace(about["hash"], new_meta))
    return into


def test_two_orders_of_one_index_come_out_identical(index: Path, tmp_path: Path) -> None:
    one, two = shuffled(index, tmp_path / "one", 1), shuffled(index, tmp_path / "two", 2)
    assert files(one) != files(two)
    assert searchorder.canonical(one) and searchorder.canonical(two)
    assert files(one) == files(two)
    # Pagefind's own output, put in order, is that same index.
    mine = tmp_path / "mine"
    shutil.copytree(index, mine)
    assert searchorder.canonical(mine)
    assert files(mine) == files(one)
    # Every file the entry and the metadata name is there, and nothing else was added.
    entry = json.loads((one / searchorder.ENTRY_FILE).read_text())
    meta_hash = entry["languages"]["en"]["hash"]
    meta = searchorder._read(one / f"pagefind.{meta_hash}.pf_meta")
    assert [name for name, _ in meta[3]] == sorted(["registry", "kind", "platform", "has"])
    named = {f"filter/{h}.pf_filter" for _, h in meta[3]}
    assert named == {n for n in files(one) if n.startswith("filter/")}
    for _, h in meta[3]:
        values = searchorder._read(one / "filter" / f"{h}.pf_filter")[1]
        assert [v[0] for v in values] == sorted(v[0] for v in values)


def test_an_index_in_another_shape_is_left_as_pagefind_wrote_it(
    index: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(index, copy)
    (victim,) = sorted((copy / "filter").iterdir())[:1]
    victim.write_bytes(gzip.compress(b"pagefind_dcd" + b"\xa1\x01\x02"))  # a CBOR map
    before = files(copy)
    assert not searchorder.canonical(copy)
    assert files(copy) == before
