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
import copyreg
import io
import logging
import math
import os
import pickle
import queue
import subprocess
import sys
import threading
import types
from collections import Counter, defaultdict
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

from sitegen.config import Config, SiteConfig
from sitegen.errors import OutputError
from sitegen.model import Registry, Repository
from sitegen.site.guess import GUESS_FILE, Guess, load_guess
from sitegen.site.output import Staging
from sitegen.site.pages.inputs import RepositoryInputs, repository_unit
from sitegen.site.render import Renderer
from sitegen.site.workers import failure
from sitegen.site.write import PageBudget, Rendered, Streamed, discard, render_unit

log = logging.getLogger("sitegen.site")

# When the crawl ends, the process renders only what it has been sent: the rest is
# rendered after the crawl on every CPU. (Off, it renders every repository handed over.)
GIVE_UP_UNSENT = True
# How often the process renders one repository, as repositories crawled later change
# its guess (see ``Renders``).
MAX_RENDERS = 3

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
            outcome, value = pickle.loads(_read(self._process.stdout))  # noqa: S301 (ours)
        except EOFError:
            code = self._process.wait()
            self._stop()
            raise OutputError(f"the render process ended unexpectedly (exit code {code})") from None
        self._stop()
        if outcome == "failed":
            error, text = value
            error.add_note(f"in the render process:\n{text}")
            raise error
        done: dict[Key, Streamed] = {}
        for key, (inputs, rendered) in value.items():
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
                [sys.executable, "-c", "from sitegen.site.stream import serve; serve()"],
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
        )
        self._sender = threading.Thread(
            target=self._send, args=(_pickled(setup),), name="sitegen-stream", daemon=True
        )
        self._sender.start()
        return True

    def _send(self, setup: bytes) -> None:
        """The thread that sends the process its ``setup``, each repository, then the
        end. A repository that cannot be sent ends the process's input: ``finish``
        raises."""
        assert self._process is not None and self._process.stdin is not None
        channel = self._process.stdin
        try:
            _write(channel, setup)
        except OSError:  # the process is gone: ``finish`` says why
            return
        while True:
            item = self._queue.get()
            if item is not None and self._stopping and GIVE_UP_UNSENT:
                continue  # left for the render after the crawl, on every CPU
            try:
                _write(channel, _pickled(item))
            except OSError:  # the process is gone: ``finish`` says why
                return
            except Exception as exc:
                self._error = exc
                channel.close()
                return
            if item is None:
                channel.close()
                return

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


def _write(channel: IO[bytes], data: bytes) -> None:
    """One message: its length (8 bytes), then its bytes."""
    channel.write(len(data).to_bytes(8, "big"))
    channel.write(data)
    channel.flush()


def _read(channel: IO[bytes]) -> bytes:
    """One message ``_write`` wrote; ``EOFError`` when the other side is gone."""
    header = channel.read(8)
    if len(header) < 8:
        raise EOFError
    size = int.from_bytes(header, "big")
    data = channel.read(size)
    if len(data) < size:
        raise EOFError
    return data


def _yield_to_the_crawl() -> None:
    """Run only on a CPU nothing else wants. The crawl, the registry and anything else
    on the machine answer requests one after another; a process that keeps a CPU busy
    delays each of those answers a little (a lower nice value is not enough: the woken
    process still waits for its turn), which adds up over thousands of requests.
    ``SCHED_IDLE`` (Linux) gives way at once; elsewhere, the lowest priority."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # type: ignore[attr-defined,unused-ignore]
    except (AttributeError, OSError):
        with contextlib.suppress(AttributeError, OSError):
            os.nice(19)


def _pickled(value: object) -> bytes:
    """``value`` pickled, with the model's read-only mappings (``MappingProxyType``,
    which pickle refuses) sent as what they wrap, and read back read-only."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[types.MappingProxyType] = _proxy
    pickler.dump(value)
    return out.getvalue()


def _proxy(mapping: types.MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return _read_only, (dict(mapping),)


def _read_only(mapping: dict[Any, Any]) -> types.MappingProxyType[Any, Any]:
    return types.MappingProxyType(mapping)


def serve() -> None:
    """The render process (``python -c``): its setup, then repositories, from standard
    input; what it rendered to standard output, which nothing else may write to."""
    units, results = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    try:
        setup = pickle.loads(_read(units))  # noqa: S301 (ours)
    except EOFError:
        return
    _serve(units, results, *setup)


def _serve(
    units: IO[bytes],
    results: IO[bytes],
    site: SiteConfig,
    registries: list[str],
    guess_file: Path | None,
    into: tuple[Path, Path, int],
) -> None:
    """Guess the inputs of each repository it is sent and render its pages into the
    staging directory ``into`` (root, target, page limit); at the end, send back the
    inputs and what was written of each."""
    _yield_to_the_crawl()
    try:
        renderer = Renderer(site)
        root, target, limit = into
        stage = Staging.at(root, target)
        budget = PageBudget(limit)
        guess = Guess(site, registries, load_guess(guess_file))
        renders = Renders(stage, renderer, budget)
        while (item := pickle.loads(_read(units))) is not None:  # noqa: S301 (ours)
            registry, repo = item
            guess.learn(registry, repo)
            renders.render(registry, repo, guess.inputs(registry, repo))
            for other, earlier in renders.sharing(registry, repo):
                renders.render(other, earlier, guess.inputs(other, earlier))
    except BaseException as exc:  # every failure goes back to the parent
        _write(results, _pickled(("failed", failure(exc))))
    else:
        _write(results, _pickled(("done", renders.done)))
    finally:
        results.close()


class Renders:
    """What the render process rendered: each repository's inputs and files.

    A repository seen later may tag a digest of one rendered earlier (a mirror, a
    promotion to another environment): the earlier one's guess no longer holds, and it
    is rendered again here, on CPU time the crawl leaves, rather than after the crawl.
    At most ``MAX_RENDERS`` times each: a digest held by many repositories would
    otherwise have the first of them rendered again for every other one."""

    def __init__(self, stage: Staging, renderer: Renderer, budget: PageBudget) -> None:
        self.stage = stage
        self.renderer = renderer
        self.budget = budget
        self.done: dict[Key, tuple[RepositoryInputs, Rendered]] = {}
        self.repositories: dict[Key, tuple[Registry, Repository]] = {}
        self.holders: defaultdict[str, list[Key]] = defaultdict(list)  # digest -> keys
        self.times: Counter[Key] = Counter()

    def render(self, registry: Registry, repo: Repository, inputs: RepositoryInputs) -> None:
        """Render ``repo`` from ``inputs``, in place of its earlier pages if any, unless
        they are from the same inputs."""
        key = (registry.name, repo.name)
        earlier = self.done.get(key)
        if earlier is not None and earlier[0] == inputs:
            return
        if earlier is not None:
            discard(self.stage, earlier[1].files)
            self.budget.give_back(len(earlier[1].paths))
        else:
            self.repositories[key] = (registry, repo)
            for digest in sorted({tag.digest for tag in repo.tags}):
                self.holders[digest].append(key)
        pages = repository_unit(repo, inputs)
        self.done[key] = (inputs, render_unit(self.stage, self.renderer, 0, pages, self.budget))
        self.times[key] += 1

    def sharing(self, registry: Registry, repo: Repository) -> list[tuple[Registry, Repository]]:
        """The repositories rendered before ``repo`` that hold one of its digests and
        may be rendered again."""
        key = (registry.name, repo.name)
        found = {
            other
            for tag in repo.tags
            for other in self.holders.get(tag.digest, ())
            if other != key and self.times[other] < MAX_RENDERS
        }
        return [self.repositories[other] for other in sorted(found)]
