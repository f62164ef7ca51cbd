"""Single flight: callers that want the same thing at the same time share one fetch.

When fifty requests need the same token, or two repositories the same manifest, the
first caller starts the fetch as a task and the others wait for that task instead of
sending their own requests (docs/protocol.md items 5 and 12).

Every caller waits through ``asyncio.shield``: a caller that is cancelled (its crawl
ran out of time) stops waiting without stopping the fetch for the others, and the
fetch is cancelled only when nobody waits for it any more.

What the owner decides:

- ``keep``: remember each outcome for the callers that come later (a memo), rather
  than forgetting the task as soon as it ends (then a later caller fetches afresh).
- ``private``: failures that belong to the caller whose fetch met them (another
  repository may be denied what this one may read). A waiter that meets one, or a
  fetch that someone else cancelled, fetches for itself. Other failures are shared
  like results.
- ``owner`` (per fetch) and ``cancel(owner)``: stop the fetches one party started
  (a registry out of time); the others' waiters then fetch for themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(eq=False)
class _Flight(Generic[V]):
    task: asyncio.Future[V]
    owner: str
    waiting: int = 0  # callers awaiting the task right now


class SingleFlight(Generic[K, V]):
    """One task per key at a time, shared by everyone who asks for that key meanwhile."""

    def __init__(self, *, keep: bool = False, private: tuple[type[Exception], ...] = ()) -> None:
        self._keep = keep
        self._private = private
        self._flights: dict[K, _Flight[V]] = {}

    def __len__(self) -> int:
        """How many fetches are under way (or kept)."""
        return len(self._flights)

    async def run(self, key: K, fetch: Callable[[], Awaitable[V]], *, owner: str = "") -> V:
        """``fetch()``'s outcome, or that of the fetch for ``key`` already under way."""
        while True:
            flight = self._flights.get(key)
            if flight is None:
                return await self._wait(self._start(key, fetch, owner))
            done = flight.task
            if done.done() and not done.cancelled() and done.exception() is None:
                return done.result()  # a kept result: nothing to wait for
            try:
                return await self._wait(flight)
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if not flight.task.cancelled() or (current is not None and current.cancelling()):
                    raise  # we were cancelled, not the fetch we waited for
            except self._private:
                pass
            # That fetch's failure is not ours: try again, with our own fetch unless a
            # new one for the key started meanwhile. Forgotten here too, as it may have
            # ended a moment ago, before ``_settle`` ran: we must not meet it again.
            self._forget(key, flight)

    def cancel(self, owner: str) -> None:
        """Stop the fetches ``owner`` started that are still under way."""
        for flight in list(self._flights.values()):
            if flight.owner == owner and not flight.task.done():
                flight.task.cancel()

    def _start(self, key: K, fetch: Callable[[], Awaitable[V]], owner: str) -> _Flight[V]:
        flight = _Flight(asyncio.ensure_future(fetch()), owner)
        self._flights[key] = flight
        flight.task.add_done_callback(lambda _: self._settle(key, flight))
        return flight

    def _settle(self, key: K, flight: _Flight[V]) -> None:
        """Forget an ended fetch, unless its outcome is kept for later callers."""
        task = flight.task
        # Read here, so that an outcome nobody waits for any more is never reported
        # as "never retrieved"; the waiters still get it.
        failure = None if task.cancelled() else task.exception()
        shared = not task.cancelled() and not isinstance(failure, self._private)
        if not (self._keep and shared):
            self._forget(key, flight)

    def _forget(self, key: K, flight: _Flight[V]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]

    async def _wait(self, flight: _Flight[V]) -> V:
        flight.waiting += 1
        try:
            return await asyncio.shield(flight.task)
        finally:
            flight.waiting -= 1
            if not flight.waiting and not flight.task.done():
                flight.task.cancel()  # every caller gave up on it
