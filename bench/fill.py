"""Fill a registry with a ``Spec``'s content through the registry API, in parallel.

One ``lab.push.Pusher`` per thread, each owning whole families of repositories, so
that a family's blobs are mounted across its repositories instead of uploaded again.
The registry is a separate (Go) process, so threads overlap its work with ours.
"""

from __future__ import annotations

import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bench.dataset import Spec, contents, moved_image, moved_tags
from lab.images import Built
from lab.push import Pusher

DEFAULT_THREADS = 4


@dataclass(frozen=True)
class FillResult:
    """How long filling took and how much was pushed."""

    seconds: float
    tags: int
    manifests: int

    def as_dict(self) -> dict[str, float | int]:
        """For the results file."""
        return {"seconds": round(self.seconds, 2), "tags": self.tags, "manifests": self.manifests}


def _push_all(url: str, work: list[tuple[str, Built, list[str]]]) -> int:
    with Pusher(url) as pusher:
        for repository, built, tags in work:
            pusher.push(repository, built, tags)
    return len(work)


def fill(url: str, spec: Spec, threads: int = DEFAULT_THREADS) -> FillResult:
    """Push every repository of ``spec`` to the registry at ``url``."""
    started = time.monotonic()
    shards: dict[int, list[tuple[str, Built, list[str]]]] = defaultdict(list)
    tags = manifests = 0
    for number, (repository, built, names) in enumerate(contents(spec)):
        family = number // (spec.releases * spec.family)
        shards[family % threads].append((repository, built, names))
        tags += len(names)
        manifests += sum(1 for _ in built.walk())
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(_push_all, [url] * len(shards), list(shards.values())))
    return FillResult(time.monotonic() - started, tags, manifests)


def move(url: str, spec: Spec) -> FillResult:
    """Point ``moved_percent`` of the tags at new images (a rebuild of some releases)."""
    started = time.monotonic()
    picked = moved_tags(spec)
    with Pusher(url) as pusher:
        for repository, tag in picked:
            pusher.push(repository, moved_image(repository, tag), [tag])
    return FillResult(time.monotonic() - started, len(picked), len(picked))
