"""Where the time goes: cProfile of rendering and of crawling, in this process.

``python -m bench.profile render --tags 10000``
    ``write_site`` in one process (no render workers) for a catalog crawled from
    memory; prints CPU time per page and the top functions.

``python -m bench.profile crawl --tags 2000``
    Fills a loopback registry (no added delay), crawls it cold, then warm three times;
    prints CPU time per request and profiles the last warm crawl (one HEAD per tag).

Numbers under cProfile are inflated, the ranking is what matters; the per-page and
per-request CPU times are measured without the profiler.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import elsewhere, scale, snapshot
from bench.fill import fill
from bench.run import default_workdir
from lab.registry import start_registry
from sitegen import build
from sitegen.config import load_config
from sitegen.crawl import Progress, run
from sitegen.crawl.cache import Cache
from sitegen.crawl.state import State
from sitegen.site.write import write_site


def _print(profile: cProfile.Profile, top: int) -> None:
    stats = pstats.Stats(profile, stream=sys.stdout)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def profile_render(tags: int, work: Path, top: int) -> None:
    """Profile ``write_site`` with one process."""
    config_path = scale.write_config(work / "registries.yaml", scale.FAKE_URL)
    model = work / "model.pickle"
    print(scale.model(tags, config_path, model))
    config = load_config(config_path, environ={})
    catalog = snapshot.load(model)
    cpu = elsewhere.cpu_seconds()
    pages = write_site(config, catalog, work / "plain", workers=1)
    cpu = elsewhere.cpu_seconds() - cpu
    print(f"{pages} pages: {cpu / pages * 1e6:.0f} us of CPU per page in this process")
    profile = cProfile.Profile()
    profile.enable()
    write_site(config, catalog, work / "profiled", workers=1)
    profile.disable()
    _print(profile, top)


def profile_crawl(tags: int, work: Path, top: int) -> None:
    """Profile crawls of a loopback registry without added delay."""
    registry = start_registry(work / "registry", log_level="error")
    try:
        fill(registry.url, scale.spec_for(tags))
        config = load_config(scale.write_config(work / "registries.yaml", registry.url), environ={})
        cache_dir = work / "cache"
        for round_ in ("cold", "warm", "warm", "warm", "profiled"):
            state = State.load(cache_dir)
            cache = Cache(cache_dir)
            profile = cProfile.Profile()
            cpu, started = elsewhere.cpu_seconds(), time.perf_counter()
            if round_ == "profiled":
                profile.enable()
            outcome, stats = run(build.gather(config, cache, state=state, progress=Progress()))
            profile.disable()
            cpu, seconds = elsewhere.cpu_seconds() - cpu, time.perf_counter() - started
            sent = sum(stats.requests.values())
            print(
                f"{round_}: {sent} requests in {seconds:.2f}s, "
                f"{cpu / sent * 1e6:.0f} us of CPU per request ({stats.summary()})"
            )
            if round_ == "cold":
                outcome.update(state, cache, 7)
                state.save(cache_dir)
        _print(profile, top)
    finally:
        registry.stop()


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("what", choices=("render", "crawl"))
    parser.add_argument("--tags", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="sitegen-profile-", dir=default_workdir()))
    try:
        if args.what == "render":
            profile_render(args.tags, work, args.top)
        else:
            profile_crawl(args.tags, work, args.top)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
