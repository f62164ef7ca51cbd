"""Pagefind on the benchmark's search documents: digests whole, and cut as indexed.

``python -m bench.searchindex --tags 10000`` crawls the benchmark's data
(``bench.dataset``) from memory, takes the search documents a build gives Pagefind
(one per repository and one per image), and indexes them as a build does (the
documents written as a scratch site, the binary, the index put in order), ``--rounds``
times each way, alternating: with every digest and commit hash whole (as before
``search.HEX_INDEXED``), and cut to its first ``HEX_INDEXED`` hex digits (now). It
prints, for each way, the documents' size, the seconds (wall, and Pagefind's CPU: it
uses more than one core), the index's files and bytes, and the ratios of the cut way
to the whole one.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
import unittest.mock
from pathlib import Path
from typing import Any

from bench import snapshot
from bench.run import default_workdir
from bench.scale import model, write_config
from sitegen.site import indexing, paths, search
from sitegen.site.pages.catalog import build_pages

WHOLE = 10**9  # HEX_INDEXED that cuts nothing


def documents(catalog: Any, hex_indexed: int) -> list[tuple[str, str]]:
    """The (path, HTML) documents Pagefind gets for ``catalog``."""
    found = search.searchable(search.entries(build_pages(catalog)))
    with unittest.mock.patch.object(search, "HEX_INDEXED", hex_indexed):
        return search.documents_of(found)


def pagefind(docs: list[tuple[str, str]], work: Path) -> dict[str, float]:
    """Index ``docs`` as a build does (``indexing.start``, then ``wait``: the scratch
    site written, Pagefind run, its index put in order); its seconds and what it wrote."""
    site = Path(tempfile.mkdtemp(dir=work))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    if not indexing.start(docs, site).wait():
        raise SystemExit("Pagefind failed: see the warning above")
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    written = [
        p
        for p in (site / paths.SEARCH_INDEX_DIR).rglob("*")
        if p.is_file() and p != site / paths.SEARCH_INPUT_FILE
    ]
    found = {
        "seconds": seconds,
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "files": len(written),
        "bytes": sum(p.stat().st_size for p in written),
    }
    shutil.rmtree(site)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.searchindex", description=__doc__)
    parser.add_argument("--tags", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="sitegen-bench-search-", dir=default_workdir()))
    try:
        config = write_config(work / "registries.yaml", "https://registry.bench")
        model(args.tags, config, work / "model.pickle")
        catalog = snapshot.load(work / "model.pickle")
        ways = {"whole": documents(catalog, WHOLE), "cut": documents(catalog, search.HEX_INDEXED)}
        runs: dict[str, list[dict[str, float]]] = {way: [] for way in ways}
        for _ in range(args.rounds):
            for way, docs in ways.items():
                runs[way].append(pagefind(docs, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.tags} tags, {len(ways['cut'])} documents, {args.rounds} rounds each, alternating")
    print("| digests | documents, bytes | indexing s (median, range) | CPU s | files | bytes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    medians = {}
    for way, found in runs.items():
        seconds = [r["seconds"] for r in found]
        medians[way] = {key: statistics.median(r[key] for r in found) for key in found[0]}
        size = sum(len(text.encode()) for _, text in ways[way])
        print(f"| {way} | {size:,} | {medians[way]['seconds']:.2f} ({min(seconds):.2f}-"
              f"{max(seconds):.2f}) | {medians[way]['cpu']:.2f} | {medians[way]['files']:.0f} | "
              f"{medians[way]['bytes']:,.0f} |")  # fmt: skip
    for key in ("seconds", "cpu", "bytes"):
        print(f"cut / whole, {key}: x{medians['cut'][key] / medians['whole'][key]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
