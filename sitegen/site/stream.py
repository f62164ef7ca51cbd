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
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from sitegen.config import Config
from sitegen.errors import OutputError
from sitegen.model import Registry, Repository
from sitegen.site import channel
from sitegen.site.guess import GUESS_FILE
from sitegen.site.output import Staging
from sitegen.site.write import Streamed

log = logging.getLogger("sitegen.site")

# When the crawl ends, the process renders only what it has been sent: the rest is
# rendered after the crawl on every CPU. (Off, it renders every repository handed over,
# and those it rendered whose guess changed since.)
GIVE_UP_UNSENT = True

Key = tuple[str, str]  # (registry, repository)


# -- the process that renders during the crawl -------------------------------------------


class Stream:
    """Hands finished repositories to a rendering process during the crawl.

    ``submit`` is called from the crawl's event loop and never blocks it: a thread
    sends (and pickles) the repositories. ``finish`` waits for the process to render
    what it was given and returns what it rendered. Leaving the block early stops it.

    It is ``waiting`` (repositories kept until they hold ``min_tags`` tags), then ``on``
    (the process started: each one sent as it comes), or ``off``: ``min_tags`` is
    infinite or the process could not start, and every page is rendered after the
    crawl, as without a stream; nothing submitted is kept.
    """

    def __init__(
        self, config: Config, stage: Staging, cache_dir: Path | None, *, min_tags: float
    ) -> None:
        self.config = config
        self.stage = stage
        self.guess_file = cache_dir / GUESS_FILE if cache_dir is not None else None
        self.min_tags = min_tags
        self.state: Literal["waiting", "on", "off"] = "off" if math.isinf(min_tags) else "waiting"
        self.submitted: dict[Key, Repository] = {}
        self._tags = 0
        self._backlog: list[tuple[Registry, Repository]] = []
        self._queue: queue.SimpleQueue[tuple[Registry, Repository] | None] = queue.SimpleQueue()
        self._process: subprocess.Popen[bytes] | None = None
        self._sender: threading.Thread | None = None
        self._error: Exception | None = None
        self._said: Any = None  # what the process said instead of asking for more
        self._rendered: dict[Key, Any] = {}  # what it rendered: inputs and files, by key
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

    def submit(self, registry: Registry, repo: Repository) -> None:
        """A repository whose crawl is done (not one shown from an earlier build)."""
        if self.state == "off" or repo.error or repo.stale_since:
            return
        self.submitted[(registry.name, repo.name)] = repo
        if self.state == "on":
            self._queue.put((registry, repo))
            return
        self._backlog.append((registry, repo))
        self._tags += len(repo.tags)
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
        """What the process rendered. Repositories not yet sent to it are left to the
        render after the crawl, which uses every CPU; it renders what it has been sent."""
        if self._process is None:
            return {}
        self._stopping = True
        self._queue.put(None)
        assert self._sender is not None and self._process.stdout is not None
        self._sender.join()
        if self._error is not None:
            self._stop()
            raise self._error
        try:
            outcome, value = self._said or channel.read(self._process.stdout)
        except EOFError:
            code = self._process.wait()
            self._stop()
            raise OutputError(f"the render process ended unexpectedly (exit code {code})") from None
        self._stop()
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
        """Start the process and the thread; False (and why, in the log) when the process
        cannot be started. A new interpreter (not ``multiprocessing``, which would import
        the program that runs the build again in it), talking through its standard input
        and output."""
        package = str(Path(__file__).resolve().parents[2])
        path = os.environ.get("PYTHONPATH")
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (package, path)))}
        try:
            self._process = subprocess.Popen(
                # -P: not the working directory first on its path, where another
                # ``sitegen`` may be.
                [sys.executable, "-P", "-c", "from sitegen.site.renderprocess import serve; serve()"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=environment,
            )
        except OSError as exc:
            log.info("rendering after the crawl: no render process (%s)", exc)
            return False
        setup = (
            self.config.site,
            [registry.name for registry in self.config.registries],
            self.guess_file,
            (self.stage.root, self.stage.target, self.config.limits.site_pages),
            not GIVE_UP_UNSENT,
        )
        self._sender = threading.Thread(
            target=self._send, args=(setup,), name="sitegen-stream", daemon=True
        )
        self._sender.start()
        return True

    def _send(self, setup: object) -> None:
        """The thread that talks to the process: its ``setup``, then, each time it asks,
        what ``_next`` gives; what it rendered since, it says as it asks. A repository
        that cannot be sent ends the process's input: ``finish`` raises. What the
        process says instead of asking is kept for ``finish``."""
        assert self._process is not None
        assert self._process.stdin is not None and self._process.stdout is not None
        units, answers = self._process.stdin, self._process.stdout
        try:
            channel.write(units, setup)
            while True:
                said = channel.read(answers)
                if said[0] != "ready":
                    self._said = said
                    return
                self._rendered.update(said[2])
                item = self._next(wait=said[1])
                channel.write(units, item)
                if item is None:
                    units.close()
                    return
        except (OSError, EOFError):  # the process is gone: ``finish`` says why
            return
        except Exception as exc:
            self._error = exc
            units.close()

    def _next(self, *, wait: bool) -> tuple[Registry, Repository] | str | None:
        """What the process gets when it asks: the next repository; ``IDLE`` when none
        is waiting and the process need not wait for one; None at the end, at once
        when the crawl is over (the rest is left to the render after the crawl)."""
        if self._stopping and GIVE_UP_UNSENT:
            return None
        try:
            return self._queue.get(block=wait)
        except queue.Empty:
            return channel.IDLE

    def _stop(self) -> None:
        """Stop the process (if still running), then the thread; idempotent."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
            process.wait()
        if self._sender is not None:
            self._queue.put(None)  # a thread still sending fails: the process is gone
            self._sender.join()
            self._sender = None
        if process is not None:
            for channel in (process.stdin, process.stdout):
                if channel is not None:
                    with contextlib.suppress(OSError):
                        channel.close()
