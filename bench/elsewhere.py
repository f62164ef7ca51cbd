"""The registry elsewhere: the benchmark's data served in this process.

``bench.stream``, ``bench.slots`` and ``bench.tail`` measure sitegen with no registry
process on these CPUs, as when the registry is another machine's: ``lab.fakeregistry``
holds the data (``bench.dataset``) behind an ``httpx.MockTransport`` that waits the
network delay per request (``asyncio.sleep``, so requests overlap as on a network).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx

from bench.dataset import Spec, contents, moved_image, moved_tags
from lab.fakeregistry import FakeRegistry

Handler = Callable[[httpx.Request], Coroutine[Any, Any, httpx.Response]]


def spec_of(tags: int) -> Spec:
    """The data set of ``tags`` tags."""
    return Spec(repositories=max(1, tags // Spec().tags_per_repository))


def filled(tags: int) -> FakeRegistry:
    """The fake registry holding the data set's ``tags`` tags."""
    registry = FakeRegistry()
    for repository, built, names in contents(spec_of(tags)):
        registry.add(repository, built, names)
    return registry


def move(registry: FakeRegistry, tags: int) -> int:
    """Point the data set's ``moved_percent`` of the tags at new images, as
    ``bench.fill.move`` does on the real registry; how many moved."""
    picked = moved_tags(spec_of(tags))
    for repository, tag in picked:
        registry.add(repository, moved_image(repository, tag), [tag])
    return len(picked)


def delayed(registry: FakeRegistry, delay: float) -> Handler:
    """Answers from ``registry`` after ``delay`` seconds each."""

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(delay)
        return registry.handle(request)

    return handler


def write_config(directory: Path, concurrency: int) -> Path:
    """``registries.yaml`` for the fake registry, listed through its ``_catalog``."""
    path = directory / "registries.yaml"
    path.write_text(
        "site:\n  title: Benchmark catalog\nregistries:\n  - name: bench\n"
        f"    url: https://registry.test\n    concurrency: {concurrency}\n"
    )
    return path


def parser(prog: str, description: str | None) -> argparse.ArgumentParser:
    """The options these benchmarks share: tags, delay, concurrency."""
    found = argparse.ArgumentParser(prog=prog, description=description)
    found.add_argument("--tags", type=int, default=10_000)
    found.add_argument("--delay", type=float, default=0.020, help="seconds per request")
    found.add_argument("--concurrency", type=int, default=8)
    return found


def cpu_seconds() -> float:
    """CPU seconds (user and system) this process has used."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime
