"""At most ``concurrency`` exchanges with a registry at once (docs/protocol.md item 24).

A semaphore would bound them too, but the request that frees a place would wake the
next waiting task through the event loop: one more turn of the loop per request, a
turn in which the place is held by no request at all, and on a busy loop a few percent
of the whole crawl. Here each place is a task, a *runner*, that starts the next waiting
exchange itself as soon as one ends; a runner ends when nothing is waiting, so none is
left behind. A caller that is cancelled (a registry out of time) takes its exchange
with it: still waiting, it is never started; under way, it is cancelled.

Waiting exchanges start by ``PRIORITY`` (lowest first), then in the order they were
asked for. The crawl gives each repository's exchanges its place in the crawl's order:
the repositories crawled at once then finish one after another, each as early as it
can, rather than all of them together, and each one's pages can be rendered while the
others are crawled. Either way the places are kept busy: the whole crawl takes as long.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# The priority of the exchanges asked for in this context: lowest first.
PRIORITY: contextvars.ContextVar[int] = contextvars.ContextVar("sitegen_priority", default=0)


class _Job(Generic[T]):
    __slots__ = ("exchange", "future", "order")

    def __init__(
        self,
        exchange: Callable[[], Awaitable[T]],
        future: asyncio.Future[T],
        order: tuple[int, int],
    ) -> None:
        self.exchange = exchange
        self.future = future
        self.order = order  # (priority, when it was asked for)

    def __lt__(self, other: _Job[Any]) -> bool:
        return self.order < other.order


class Slots:
    """Runs exchanges, at most ``size`` at once, by ``PRIORITY``, then in the order they
    were asked for."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._waiting: list[_Job[Any]] = []  # a heap
        self._asked = itertools.count()
        self._runners: set[asyncio.Task[None]] = set()

    async def run(self, exchange: Callable[[], Awaitable[T]]) -> T:
        """``exchange()``'s result, once a place is free."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, _Job(exchange, future, (PRIORITY.get(), next(self._asked))))
        if len(self._runners) < self.size:
            runner = asyncio.get_running_loop().create_task(self._runner())
            self._runners.add(runner)
        return await future

    async def _runner(self) -> None:
        runner = asyncio.current_task()
        assert runner is not None
        try:
            while self._waiting:
                job = heapq.heappop(self._waiting)
                if not job.future.done():  # done: its caller was cancelled meanwhile
                    await self._run(runner, job)
        finally:
            self._runners.discard(runner)

    async def _run(self, runner: asyncio.Task[None], job: _Job[Any]) -> None:
        """One exchange in ``runner``; cancelled with its caller."""

        under_way = True

        def caller_gone(future: asyncio.Future[Any]) -> None:
            # Called soon after, not at once: the runner may be on another job by then.
            if future.cancelled() and under_way:
                runner.cancel()

        job.future.add_done_callback(caller_gone)
        try:
            result = await job.exchange()
        except asyncio.CancelledError:
            if not job.future.cancelled():  # the runner itself was cancelled
                job.future.cancel()
                raise
            runner.uncancel()  # only the caller's exchange was: the runner goes on
        except BaseException as exc:
            if not job.future.done():
                job.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            if not job.future.done():
                job.future.set_result(result)
        finally:
            under_way = False
            job.future.remove_done_callback(caller_gone)
