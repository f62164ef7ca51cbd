"""Render from cache at a given number of tags: the site-writing half of a build, alone.

Two steps, each its own process so that each one's peak memory is its own:

``python -m bench.scale model --tags N --config CFG --out MODEL``
    Crawls a ``Spec`` of N tags served from memory (``lab.fakeregistry`` behind
    ``httpx.MockTransport``: the real crawl code, no network) and pickles the resulting
    catalog: exactly what a build holds when it starts writing.

``python -m bench.scale render --config CFG --model MODEL --site DIR``
    Loads that catalog and times ``sitegen.build.write_site`` (every page, its JSON,
    the search index, the sitemap, the swap into place). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import snapshot
from bench.dataset import Spec, contents
from lab.fakeregistry import FakeRegistry
from sitegen.config import load_config
from sitegen.crawl import crawl, run
from sitegen.crawl.cache import Cache
from sitegen.crawl.state import State
from sitegen.model import Catalog
from sitegen.registry.client import RegistryClient
from sitegen.site import indexing, search
from sitegen.site import write as site_write
from sitegen.site.write import write_site

FAKE_URL = "https://registry.test"


def write_config(path: Path, url: str, *, concurrency: int = 8) -> Path:
    """The ``registries.yaml`` every benchmark build uses: one registry, catalog discovery."""
    path.write_text(
        "site:\n"
        "  title: Benchmark catalog\n"
        "  url: https://example.github.io/catalog/\n"
        "registries:\n"
        "  - name: bench\n"
        f"    url: {url}\n"
        f"    concurrency: {concurrency}\n"
    )
    return path


def spec_for(tags: int) -> Spec:
    """The benchmark's registry shape with ``tags`` tags (50 per repository)."""
    base = Spec()
    return Spec(repositories=max(1, tags // base.tags_per_repository))


def model(tags: int, config_path: Path, out: Path) -> dict[str, Any]:
    """Crawl ``tags`` tags from memory and pickle the catalog into ``out``."""
    started = time.perf_counter()
    fake = FakeRegistry()
    for repository, built, names in contents(spec_for(tags)):
        fake.add(repository, built, names)
    generated = time.perf_counter()
    config = load_config(config_path, environ={})

    async def crawled_catalog() -> Catalog:
        async with RegistryClient(config.registries, transport=fake.transport) as client:
            outcome = await crawl(config, client, Cache(None), state=State())
        return outcome.catalog

    catalog = run(crawled_catalog())
    crawled = time.perf_counter()
    snapshot.save(catalog, out)
    return {
        "generate_seconds": round(generated - started, 2),
        "crawl_seconds": round(crawled - generated, 2),
        "requests": len(fake.requests),
    }


def render(config_path: Path, model_path: Path, site: Path) -> dict[str, Any]:
    """Time ``write_site`` for the pickled catalog; count what it wrote."""
    config = load_config(config_path, environ={})
    catalog = snapshot.load(model_path)
    loaded = _rss_mb()
    phases: dict[str, float] = {}
    before = _cpu()
    started = time.perf_counter()
    with (
        _timed(search, "start_index", phases, "search"),
        _timed(indexing.Indexing, "wait", phases, "search"),
        _timed(site_write, "feeds", phases, "feeds"),
    ):
        pages = write_site(config, catalog, site)
    seconds = time.perf_counter() - started
    after = _cpu()
    files = total = 0
    for directory, _, names in os.walk(site):
        files += len(names)
        total += sum(Path(directory, n).stat().st_size for n in names)
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "tags": sum(len(r.tags) for g in catalog.registries for r in g.repositories),
        "pages": pages,
        "files": files,
        "megabytes": round(total / 1e6, 1),
        "seconds": round(seconds, 3),
        "cpu_seconds": round(after - before, 3),
        # Of ``seconds``: the search index (starting Pagefind, then waiting for it after
        # the rest of the site is written beside it), and the Atom feeds.
        "search_seconds": round(phases.get("search", 0.0), 3),
        "search_cpu_seconds": round(phases.get("search_cpu", 0.0), 3),
        "feeds_seconds": round(phases.get("feeds", 0.0), 3),
        # Render workers are done (and reaped) before the search index starts.
        "workers_peak_rss_mb": round(phases.get("search_children_rss_before", 0.0), 1),
        "model_rss_mb": round(loaded, 1),
        "peak_rss_mb": round(own.ru_maxrss / 1024, 1),
        "children_peak_rss_mb": round(children.ru_maxrss / 1024, 1),
    }


@contextlib.contextmanager
def _timed(module: Any, name: str, phases: dict[str, float], key: str) -> Iterator[None]:
    """Time every call of ``module.name`` (wall and CPU, children included) into ``phases``."""
    original = getattr(module, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        phases[f"{key}_children_rss_before"] = _children_rss_mb()
        cpu, started = _cpu(), time.perf_counter()
        try:
            result = original(*args, **kwargs)
            if isinstance(result, Iterator):
                result = list(result)  # a generator does its work when consumed
            return result
        finally:
            phases[key] = phases.get(key, 0.0) + time.perf_counter() - started
            phases[f"{key}_cpu"] = phases.get(f"{key}_cpu", 0.0) + _cpu() - cpu

    setattr(module, name, timed)
    try:
        yield
    finally:
        setattr(module, name, original)


def _children_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _rss_mb() -> float:
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> None:
    """Command line of the two steps."""
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    steps = parser.add_subparsers(dest="step", required=True)
    make = steps.add_parser("model")
    make.add_argument("--tags", type=int, required=True)
    make.add_argument("--config", type=Path, required=True)
    make.add_argument("--out", type=Path, required=True)
    draw = steps.add_parser("render")
    draw.add_argument("--config", type=Path, required=True)
    draw.add_argument("--model", type=Path, required=True)
    draw.add_argument("--site", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.step == "model":
        result = model(args.tags, args.config, args.out)
    else:
        result = render(args.config, args.model, args.site)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
