"""What a build does after its crawl, step by step.

``python -m bench.tail --tags 10000`` builds the benchmark's data (``bench.dataset``)
cold, then warm twice, then once more after 1% of the tags moved to new images (a
night with changes), in this process, from ``lab.fakeregistry`` behind an
``httpx.MockTransport`` that waits ``--delay`` per request (the registry elsewhere, as
in ``bench.stream``), rendering beside the crawl (the default), the site and cache on
tmpfs. For each build it prints the CPU seconds of this process and of its children
(the render processes and Pagefind), the crawl's seconds and those of each step after it:
waiting for the render process's last repository and its results, the render of the
rest of the site (what the render process did not keep, in this process: render
workers, when there are, are not counted; of it, the search index's documents, and
the wait for Pagefind, which indexes them while the rest of the site is written),
the swap, the cache's steps, and removing the old site (in a thread, beside the
cache's steps; the build waits for it).
"""

from __future__ import annotations

import contextlib
import functools
import resource
import shutil
import tempfile
import time
import unittest.mock
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

import sitegen.build
from bench import elsewhere
from bench.run import default_workdir
from sitegen.config import load_config
from sitegen.site import indexing, output, search, stream, write

# (owner, attribute, label): what is timed, in the order printed.
STEPS: tuple[tuple[Any, str, str], ...] = (
    (sitegen.build, "crawl_counted", "crawl"),
    (stream.Stream, "finish", "the render process's last repository"),
    (sitegen.build, "render_site", "the rest of the site"),
    (write, "render_unit", "  of it, repositories rendered again or not sent"),
    (search, "start_index", "  of it, the search index's documents (or the previous index linked)"),
    (indexing.Indexing, "wait", "  of it, waiting for Pagefind after the rest"),
    (output.Staging, "swap", "swap"),
    (sitegen.build, "_after_swap", "the cache's steps"),
    (sitegen.build, "remove_site", "removing the old site (beside them)"),
)


@contextlib.contextmanager
def timed(seconds: dict[str, float]) -> Iterator[None]:
    """Add each step's seconds to ``seconds`` while in the block."""
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in STEPS]

    def wrap(function: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(function)
        def step(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[label] += time.perf_counter() - started

        return step

    for (owner, name, label), (_, _, function) in zip(STEPS, saved, strict=True):
        setattr(owner, name, wrap(function, label))
    try:
        yield
    finally:
        for owner, name, function in saved:
            setattr(owner, name, function)


@contextlib.contextmanager
def kept_count() -> Iterator[list[int]]:
    """[repositories the render process rendered that were kept, rendered again]."""
    counts = [0, 0]
    original = write._kept

    def counted(*args: Any) -> Any:
        kept, stale, leftover = original(*args)
        counts[:] = [len(kept), len(leftover)]
        return kept, stale, leftover

    with unittest.mock.patch.object(write, "_kept", counted):
        yield counts


def _cpu() -> tuple[float, float]:
    """CPU seconds (user and system) of this process, and of its children that ended
    (the render processes and Pagefind)."""
    found = []
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        found.append(usage.ru_utime + usage.ru_stime)
    return found[0], found[1]


def run(tags: int, delay: float, concurrency: int) -> list[dict[str, Any]]:
    """A cold build, two warm ones and one after 1% of the tags moved, each step's
    seconds."""
    registry = elsewhere.filled(tags)
    handler = elsewhere.delayed(registry, delay)
    work = Path(tempfile.mkdtemp(prefix="sitegen-bench-tail-", dir=default_workdir()))
    found = []
    try:
        config = load_config(elsewhere.write_config(work, concurrency), environ={})
        for label in ("cold", "warm", "warm again", "1% moved"):
            if label == "1% moved":
                elsewhere.move(registry, tags)
            seconds: dict[str, float] = defaultdict(float)
            cpu = _cpu()
            started = time.monotonic()
            with timed(seconds), kept_count() as kept:
                result = sitegen.build.build(
                    config,
                    work / "site",
                    cache_dir=work / "cache",
                    transport=httpx.MockTransport(handler),
                )
            found.append(
                {
                    "build": label,
                    "seconds": round(time.monotonic() - started, 2),
                    "after_crawl": round(result.render_seconds, 2),
                    "steps": {step: round(seconds[step], 2) for _, _, step in STEPS},
                    "kept": kept,
                    "cpu": [
                        round(after - before, 1) for before, after in zip(cpu, _cpu(), strict=True)
                    ],
                }
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return found


def main(argv: list[str] | None = None) -> int:
    args = elsewhere.parser("python -m bench.tail", __doc__).parse_args(argv)
    rows = run(args.tags, args.delay, args.concurrency)
    print("| step | " + " | ".join(r["build"] for r in rows) + " |")
    print("| --- |" + " ---: |" * len(rows))
    print("| whole build, s | " + " | ".join(str(r["seconds"]) for r in rows) + " |")
    print("| after the crawl, s | " + " | ".join(str(r["after_crawl"]) for r in rows) + " |")
    print("| CPU s: this process, its children (render processes, Pagefind) | "
          + " | ".join(f"{r['cpu'][0]}, {r['cpu'][1]}" for r in rows) + " |")  # fmt: skip
    print("| repositories streamed: kept, rendered again | "
          + " | ".join(f"{r['kept'][0]}, {r['kept'][1]}" for r in rows) + " |")  # fmt: skip
    for _, _, step in STEPS:
        print(f"| {step.strip()} | " + " | ".join(str(r["steps"][step]) for r in rows) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
