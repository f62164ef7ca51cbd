"""The render process beside the crawl (``sitegen.site.stream`` starts it): it guesses
each repository's inputs and renders its pages into the staging directory.

It asks the build for each repository when it is ready for one (``sitegen.site.channel``),
so that when the crawl ends it holds at most the one it is rendering: the rest is
rendered after the crawl on every CPU. A repository crawled later may tag a digest of
one rendered earlier (a mirror, a promotion to another environment): the earlier one's
guess no longer holds, and it is rendered again here, when no repository is waiting,
on CPU time the crawl leaves, rather than after the crawl.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import IO

from sitegen.config import SiteConfig
from sitegen.model import Manifest, Registry, Repository
from sitegen.site import channel
from sitegen.site.guess import Guess, load_guess
from sitegen.site.output import Staging
from sitegen.site.pages.inputs import RepositoryInputs, repository_unit
from sitegen.site.render import Renderer
from sitegen.site.workers import failure
from sitegen.site.write import PageBudget, Rendered, discard, render_unit

# How often the process renders one repository, as repositories crawled later change
# its guess: a digest held by many repositories would otherwise have the first of them
# rendered again for every other one.
MAX_RENDERS = 3

Key = tuple[str, str]  # (registry, repository)
EMPTY_MANIFESTS: Mapping[str, Manifest] = MappingProxyType({})


def serve() -> None:
    """The render process (``python -c``): its setup, then repositories, from standard
    input; what it rendered to standard output, which nothing else may write to."""
    units, results = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    try:
        setup = channel.read(units)
    except EOFError:
        return
    _serve(units, results, *setup)


def _serve(
    units: IO[bytes],
    results: IO[bytes],
    site: SiteConfig,
    registries: list[str],
    guess_file: Path | None,
    built: str,
    into: tuple[Path, Path, int],
    finish_all: bool,
) -> None:
    """Render each repository it is sent into the staging directory ``into`` (root,
    target, page limit), and stale ones while none is waiting; send back the inputs and
    what was written of each with the next message, the last ones at the end.
    ``built``: the build's time, which stamps its changes. ``finish_all``: render the
    stale ones again before the end, too."""
    _yield_to_the_crawl()
    try:
        root, target, limit = into
        guess = Guess(site, registries, load_guess(guess_file), built)
        renders = Renders(Staging.at(root, target), Renderer(site), PageBudget(limit), guess)
        while True:
            channel.write(results, ("ready", not renders.stale, renders.take()))
            learned, item = channel.read(units)
            for data in learned:
                renders.learn(*channel.loads(data))
            if item is None:
                break
            if item != channel.IDLE:
                renders.add(*channel.loads(item))
            elif renders.stale:
                renders.refresh()
        while finish_all and renders.stale:
            renders.refresh()
    except BaseException as exc:  # every failure goes back to the parent
        channel.write(results, ("failed", failure(exc)))
    else:
        channel.write(results, ("done", renders.take()))
    finally:
        results.close()


class Renders:
    """What the render process rendered: each repository's inputs and files (those not
    yet sent back in ``fresh``), and the repositories whose guess changed since
    (``stale``, oldest first)."""

    def __init__(
        self, stage: Staging, renderer: Renderer, budget: PageBudget, guess: Guess
    ) -> None:
        self.stage = stage
        self.renderer = renderer
        self.budget = budget
        self.guess = guess
        self.done: dict[Key, tuple[RepositoryInputs, Rendered]] = {}
        self.fresh: dict[Key, tuple[RepositoryInputs, Rendered]] = {}
        self.stale: dict[Key, None] = {}
        self.times: Counter[Key] = Counter()
        self._repositories: dict[Key, tuple[Registry, Repository]] = {}
        self._holders: defaultdict[str, list[Key]] = defaultdict(list)  # digest -> keys

    def add(
        self,
        registry: Registry,
        repositories: Sequence[Repository],
        earlier: Mapping[str, Manifest] = EMPTY_MANIFESTS,
    ) -> None:
        """Render repositories whose crawl is done (likely copies of one another: each
        knows of the others when rendered; ``earlier``: the manifests their tags moved
        from, which they no longer show); those rendered before that hold one of their
        digests are stale now."""
        self.learn(registry, repositories, earlier)
        for repo in repositories:
            key = (registry.name, repo.name)
            self._repositories[key] = (registry, repo)
            for digest in {tag.digest for tag in repo.tags}:
                self._holders[digest].append(key)
        for repo in repositories:
            self._render((registry.name, repo.name))

    def learn(
        self,
        registry: Registry,
        repositories: Sequence[Repository],
        earlier: Mapping[str, Manifest] = EMPTY_MANIFESTS,
    ) -> None:
        """Repositories whose crawl is done (rendered by another process, unless ``add``
        says so): those rendered here that hold one of their digests are stale."""
        self.guess.earlier.update(earlier)
        for repo in repositories:
            key = (registry.name, repo.name)
            self.guess.learn(registry, repo)
            for digest in sorted({tag.digest for tag in repo.tags}):
                for other in self._holders[digest]:
                    if other != key and self.times[other] < MAX_RENDERS:
                        self.stale[other] = None

    def take(self) -> dict[Key, tuple[RepositoryInputs, Rendered]]:
        """What was rendered since the last call: sent back as it is done, rather than
        all of it once the crawl is over."""
        fresh, self.fresh = self.fresh, {}
        return fresh

    def refresh(self) -> None:
        """Render the oldest stale repository again, if its guess is another now."""
        key = next(iter(self.stale))
        del self.stale[key]
        self._render(key)

    def _render(self, key: Key) -> None:
        registry, repo = self._repositories[key]
        inputs = self.guess.inputs(registry, repo)
        earlier = self.done.get(key)
        if earlier is not None:
            if earlier[0] == inputs:
                return
            discard(self.stage, earlier[1].files)
            self.budget.give_back(len(earlier[1].paths))
        pages = repository_unit(repo, inputs)
        self.done[key] = (inputs, render_unit(self.stage, self.renderer, 0, pages, self.budget))
        self.fresh[key] = self.done[key]
        self.times[key] += 1


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
