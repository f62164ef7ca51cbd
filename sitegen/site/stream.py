"""Render each repository's pages while the crawl goes on, on another core.

A repository's pages depend on the repository and on its ``RepositoryInputs``: what
other repositories decide about it (where else its digests are tagged, its images'
bases, its history). The crawl hands each repository over as soon as it is done;
its inputs are guessed then from the previous build's catalog (kept in the cache
directory as ``render-guess.json``) with the repository's own tags, and a separate
process renders its pages into the staging directory while the crawl goes on.

Once the whole catalog is known, the site is rendered as usual, except that a
repository streamed with exactly the inputs it turns out to have (and the very
repository object the catalog holds) is not rendered again. A wrong guess costs the
files of that repository, removed and rendered again; never a different site. A
nightly build in which little changed keeps almost everything it streamed.

The process (a new interpreter, fed through its standard input: the crawl's process has
threads and sockets by then, and the program that runs the build must not run again)
is started once the repositories handed over hold ``min_tags`` tags: a small site renders
in about a second after the crawl and is not worth a process. It runs on CPU time
nothing else wants, and when the crawl ends it renders only what it has been sent:
the rest is rendered after the crawl on every CPU, so a build is never held up by it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from sitegen.config import Config
from sitegen.errors import OutputError
from sitegen.model import Manifest, Registry, Repository
from sitegen.site import channel
from sitegen.site.guess import GUESS_FILE
from sitegen.site.output import Staging
from sitegen.site.write import Streamed

log = logging.getLogger("sitegen.site")

# When the crawl ends, the process renders only what it has been sent: the rest is
# rendered after the crawl on every CPU. (Off, it renders every repository handed over,
# and those it rendered whose guess changed since.)
GIVE_UP_UNSENT = True
# How long a process's thread waits for a repository before it looks again whether the
# process has something to learn.
WAIT_SLICE = 0.05
# Render processes at most, whatever the CPUs: each holds the previous build's catalog
# and learns of every repository, and two already keep up with a crawl's repositories.
MAX_PROCESSES = 4

Key = tuple[str, str]  # (registry, repository)
# What ``submit`` was given.
Handed = tuple[Registry, tuple[Repository, ...], dict[str, Manifest]]


# -- the process that renders during the crawl -------------------------------------------


class Stream:
    """Hands finished repositories to rendering processes during the crawl.

    ``submit`` is called from the crawl's event loop and never blocks it: threads send
    (and pickle) the repositories, one per process. Each process renders the
    repositories it takes and learns of the others (where they tag their digests),
    so it knows when one it rendered is stale. ``finish`` waits for the processes to
    render what they were given and returns what they rendered. Leaving the block
    early stops them.

    It is ``waiting`` (repositories kept until they hold ``min_tags`` tags), then ``on``
    (the processes started: each repository sent as one asks), or ``off``: ``min_tags``
    is infinite or the processes could not start, and every page is rendered after the
    crawl, as without a stream; nothing submitted is kept.
    """

    def __init__(
        self,
        config: Config,
        stage: Staging,
        cache_dir: Path | None,
        *,
        min_tags: float,
        processes: int = 1,
        built: str = "",
    ) -> None:
        self.config = config
        self.built = built  # the build's time: it stamps the changes guessed
        self.stage = stage
        self.guess_file = cache_dir / GUESS_FILE if cache_dir is not None else None
        self.min_tags = min_tags
        self.processes = max(1, min(processes, MAX_PROCESSES))
        self.state: Literal["waiting", "on", "off"] = "off" if math.isinf(min_tags) else "waiting"
        self.submitted: dict[Key, Repository] = {}
        self._tags = 0
        self._backlog: list[Handed] = []
        self._queue: queue.SimpleQueue[Handed | None] = queue.SimpleQueue()
        self._renderers: list[_Renderer] = []
        # Every repository handed out, pickled, with the process that took it: the others
        # learn of it. Taking one from the queue and logging it happen under the lock.
        # What every process has learned is dropped: ``_dropped`` entries so far.
        self._taken: list[tuple[int, bytes]] = []
        self._dropped = 0
        self._taking = threading.Lock()
        self._error: Exception | None = None
        self._rendered: dict[Key, Any] = {}  # what they rendered: inputs and files, by key
        self._stopping = False  # the crawl is over: send nothing more

    def __enter__(self) -> Stream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()

    def submit(
        self,
        registry: Registry,
        repositories: Sequence[Repository],
        earlier: Mapping[str, Manifest],
    ) -> None:
        """Repositories whose crawl is done (none shown from an earlier build), likely
        copies of one another: one process learns of them all, then renders them.
        ``earlier``: the manifests their tags moved from, which they no longer show."""
        found = tuple(repo for repo in repositories if not repo.error and not repo.stale_since)
        if self.state == "off" or not found:
            return
        for repo in found:
            self.submitted[(registry.name, repo.name)] = repo
        handed = (registry, found, dict(earlier))
        if self.state == "on":
            self._queue.put(handed)
            return
        self._backlog.append(handed)
        self._tags += sum(len(repo.tags) for repo in found)
        if self._tags < self.min_tags:
            return
        backlog, self._backlog = self._backlog, []
        if not self._start():
            self.state = "off"
            self.submitted.clear()
            return
        self.state = "on"
        for item in backlog:
            self._queue.put(item)

    def finish(self) -> dict[Key, Streamed]:
        """What the processes rendered. Repositories not yet sent to one are left to the
        render after the crawl, which uses every CPU; they render what they were sent."""
        if not self._renderers:
            return {}
        self._stopping = True
        for _ in self._renderers:
            self._queue.put(None)
        for renderer in self._renderers:
            renderer.sender.join()
        if self._error is not None:
            self._stop()
            raise self._error
        said = []
        for renderer in self._renderers:
            assert renderer.process.stdout is not None
            try:
                said.append(renderer.said or channel.read(renderer.process.stdout))
            except EOFError:
                code = renderer.process.wait()
                self._stop()
                raise OutputError(
                    f"the render process ended unexpectedly (exit code {code})"
                ) from None
        self._stop()
        for outcome, value in said:
            if outcome == "failed":
                error, text = value
                error.add_note(f"in the render process:\n{text}")
                raise error
            self._rendered.update(value)
        done: dict[Key, Streamed] = {}
        for key, (inputs, rendered) in self._rendered.items():
            done[key] = Streamed(self.submitted[key], inputs, rendered)
        return done

    def _start(self) -> bool:
        """Start the processes and their threads; False (and why, in the log) when one
        cannot be started. New interpreters (not ``multiprocessing``, which would import
        the program that runs the build again in them), talking through their standard
        input and output."""
        package = str(Path(__file__).resolve().parents[2])
        path = os.environ.get("PYTHONPATH")
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (package, path)))}
        setup = (
            self.config.site,
            [registry.name for registry in self.config.registries],
            self.guess_file,
            self.built,
            (self.stage.root, self.stage.target, self.config.limits.site_pages),
            not GIVE_UP_UNSENT,
        )
        for number in range(self.processes):
            try:
                process = subprocess.Popen(
                    # -P: not the working directory first on its path, where another
                    # ``sitegen`` may be.
                    [
                        sys.executable,
                        "-P",
                        "-c",
                        "from sitegen.site.renderprocess import serve; serve()",
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    env=environment,
                )
            except OSError as exc:
                log.info("rendering after the crawl: no render process (%s)", exc)
                self._stop()
                return False
            sender = threading.Thread(
                target=self._send, args=(number, process, setup), name="sitegen-stream",
                daemon=True,
            )  # fmt: skip
            self._renderers.append(_Renderer(process, sender))
        for renderer in self._renderers:
            renderer.sender.start()
        return True

    def _send(self, number: int, process: subprocess.Popen[bytes], setup: object) -> None:
        """The thread that talks to process ``number``: its ``setup``, then, each time it
        asks, what ``_next`` gives; what it rendered since, it says as it asks. A
        repository that cannot be sent ends the process's input: ``finish`` raises. What
        the process says instead of asking is kept for ``finish``."""
        assert process.stdin is not None and process.stdout is not None
        units, answers = process.stdin, process.stdout
        try:
            channel.write(units, setup)
            while True:
                said = channel.read(answers)
                if said[0] != "ready":
                    self._renderers[number].said = said
                    return
                self._rendered.update(said[2])
                learned, item = self._next(number, wait=said[1])
                channel.write(units, (learned, item))
                if item is None:
                    units.close()
                    return
        except (OSError, EOFError):  # the process is gone: ``finish`` says why
            return
        except Exception as exc:
            self._error = exc
            units.close()

    def _next(self, number: int, *, wait: bool) -> tuple[list[bytes], bytes | str | None]:
        """What process ``number`` gets when it asks: the repositories the others took
        since it last asked (to learn of), and the next repository (pickled) for it to
        render; ``IDLE`` when none is waiting and it need not wait for one (it has
        something else to do, or something new to learn); None at the end, at once when
        the crawl is over (the rest is left to the render after the crawl)."""
        renderer = self._renderers[number]
        while True:
            with self._taking:
                item: Handed | str | None = channel.IDLE
                if self._stopping and GIVE_UP_UNSENT:
                    item = None
                else:
                    with contextlib.suppress(queue.Empty):
                        # Briefly: another process may want to learn or refresh meanwhile.
                        item = self._queue.get(block=wait, timeout=WAIT_SLICE if wait else None)
                data = item if item is None or isinstance(item, str) else channel.pickled(item)
                if isinstance(data, bytes):
                    self._taken.append((number, data))
                start = renderer.seen - self._dropped
                learned = [d for n, d in self._taken[start:] if n != number]
                renderer.seen = self._dropped + len(self._taken)
                self._forget_learned()
                if data != channel.IDLE or learned or not wait:
                    return learned, data

    def _forget_learned(self) -> None:
        """Drop the repositories every process has learned of (under ``_taking``): a
        crawl of 100,000 tags would otherwise keep all of them pickled, 130 MB, until
        it ends."""
        low = min((renderer.seen for renderer in self._renderers), default=self._dropped)
        if low > self._dropped:
            del self._taken[: low - self._dropped]
            self._dropped = low

    def _stop(self) -> None:
        """Stop the processes (if still running), then the threads; idempotent."""
        renderers, self._renderers = self._renderers, []
        for renderer in renderers:
            if renderer.process.poll() is None:
                renderer.process.terminate()
            renderer.process.wait()
        for _ in renderers:
            self._queue.put(None)  # a thread still sending fails: the process is gone
        for renderer in renderers:
            if renderer.sender.ident is not None:  # started
                renderer.sender.join()
            for pipe in (renderer.process.stdin, renderer.process.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()


@dataclass(eq=False)
class _Renderer:
    """A render process, the thread that talks to it, how many of the repositories
    handed out it has learned of, and what it said instead of asking for more."""

    process: subprocess.Popen[bytes]
    sender: threading.Thread
    seen: int = 0
    said: Any = None
