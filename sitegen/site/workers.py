"""Share the rendering of a site among forked processes, one per CPU.

Rendering is pure Python (page data, Jinja2, JSON) and holds the GIL, so threads
cannot use a second core; processes can. Workers are forked after the whole model
is in memory: each inherits the catalog and the renderer as they are, nothing is
pickled, and each writes its own share of the pages straight into the staging
directory. The pages come in units (a repository and its pages, see
``sitegen.site.pages.catalog.page_units``); each process builds and renders only the units of its
shard and sends back what the parent needs of them (paths, search records), so the
site is byte-identical whatever the number of workers.

Fork is only used on Linux (macOS system libraries are not fork-safe, Windows has no
fork) and only for sites big enough to gain from it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any

from sitegen.errors import OutputError
from sitegen.model import Catalog

# Below this many tags a site renders in about a second: a fork is not worth it.
PARALLEL_MIN_TAGS = 500
# Each worker touches (so copies) part of the model; past a handful of workers that
# costs more memory than it saves time.
MAX_WORKERS = 8

Shard = Callable[[int], Any]  # renders one shard (0 is the parent's) and returns a summary


def worker_count(catalog: Catalog) -> int:
    """How many processes should render ``catalog``: 1, or one per usable CPU."""
    forks = "fork" in multiprocessing.get_all_start_methods()
    if not sys.platform.startswith("linux") or not forks:
        return 1
    if catalog.tag_count < PARALLEL_MIN_TAGS:
        return 1
    return max(1, min(usable_cpus(), MAX_WORKERS))


def usable_cpus() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def assign_shards(weights: list[int], shards: int) -> list[int]:
    """The shard of each unit of work: heaviest first, each to the least loaded shard."""
    load = [0] * shards
    owners = [0] * len(weights)
    for number in sorted(range(len(weights)), key=lambda n: (-weights[n], n)):
        shard = min(range(shards), key=lambda s: (load[s], s))
        owners[number] = shard
        load[shard] += weights[number]
    return owners


class RenderWorkers:
    """Forked processes rendering shards ``1..count-1`` while the caller renders shard 0.

    Use as a context manager around the caller's own rendering and call :meth:`wait`
    at its end: it re-raises the first worker failure. Leaving the block early (an
    error in the caller, Ctrl-C) terminates the workers; none outlives the block.
    """

    def __init__(self, count: int, shard: Shard) -> None:
        self.count = max(1, count)
        self.shard = shard
        self._workers: list[tuple[int, BaseProcess, Connection]] = []

    def __enter__(self) -> RenderWorkers:
        if self.count > 1:
            # Objects the GC never visits keep their pages shared with the workers.
            gc.freeze()
            context = multiprocessing.get_context("fork")
            for number in range(1, self.count):
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(
                    target=_work,
                    args=(self.shard, number, writer),
                    name=f"sitegen-render-{number}",
                    daemon=True,
                )
                process.start()
                writer.close()  # ours: so a worker that dies shows up as EOF
                self._workers.append((number, process, reader))
        return self

    def wait(self) -> dict[int, Any]:
        """Every worker's summary by shard number; raise the first failure (the others
        are stopped)."""
        pending = {reader: (number, process) for number, process, reader in self._workers}
        results: dict[int, Any] = {}
        while pending:
            for reader in wait(list(pending)):
                assert isinstance(reader, Connection)
                number, process = pending.pop(reader)
                try:
                    message = reader.recv()
                except EOFError:
                    process.join()
                    self._stop()
                    raise OutputError(
                        f"render worker {number} ended unexpectedly (exit code {process.exitcode})"
                    ) from None
                outcome, value = message
                if outcome == "failed":
                    error, text = value
                    self._stop()
                    error.add_note(f"in render worker {number}:\n{text}")
                    raise error
                results[number] = value
        self._stop()
        return results

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()
        if self.count > 1:
            gc.unfreeze()

    def _stop(self) -> None:
        """Terminate and reap every worker still running (idempotent)."""
        for _, process, reader in self._workers:
            if process.is_alive():
                process.terminate()
            process.join()
            reader.close()
        self._workers = []


def _work(shard: Shard, number: int, channel: Connection) -> None:
    """A worker's life: render its shard, then report ("done", summary) or
    ("failed", (error, traceback))."""
    # Ctrl-C reaches the whole process group; the parent stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.enable()
    try:
        summary = shard(number)
    except BaseException as exc:  # every failure goes back to the parent
        channel.send(("failed", failure(exc)))
    else:
        channel.send(("done", summary))
    finally:
        channel.close()


def failure(exc: BaseException) -> tuple[BaseException, str]:
    """A worker's failure as it goes back to its parent: the exception (or, one that
    cannot be pickled, its text) and the traceback."""
    text = traceback.format_exc()
    try:
        pickle.dumps(exc)
    except Exception:  # an exception that cannot be pickled
        return RuntimeError(f"{type(exc).__name__}: {exc}"), text
    return exc, text
