"""``Slots``: at most N exchanges with a registry at once (docs/protocol.md item 24),
each place handed to the next exchange without a turn of the event loop, waiting ones
started by priority, and an exchange cancelled with its caller."""

from __future__ import annotations

import asyncio

import pytest

from sitegen.registry.slots import PRIORITY, Slots


def test_at_most_size_at_once_in_order_each_result_to_its_caller() -> None:
    events: list[str] = []
    running = {"now": 0, "peak": 0}

    async def exchange(name: str) -> str:
        running["now"] += 1
        running["peak"] = max(running["peak"], running["now"])
        events.append(f"{name} started")
        await asyncio.sleep(0.001)
        running["now"] -= 1
        return name.upper()

    async def main() -> tuple[list[str], Slots]:
        slots = Slots(3)
        names = [f"r{n}" for n in range(10)]
        found = await asyncio.gather(*(slots.run(lambda n=n: exchange(n)) for n in names))
        return found, slots

    found, slots = asyncio.run(main())
    assert found == [f"R{n}" for n in range(10)]
    assert running["peak"] == 3
    assert events == [f"r{n} started" for n in range(10)]  # in the order asked for
    assert not slots._runners  # nothing left running once nothing waits


def test_waiting_exchanges_start_by_priority_then_in_the_order_asked_for() -> None:
    started: list[str] = []

    async def exchange(name: str) -> str:
        started.append(name)
        await asyncio.sleep(0.001)
        return name

    async def caller(slots: Slots, priority: int | None, name: str) -> str:
        if priority is not None:  # a task of its own: the priority is this task's
            PRIORITY.set(priority)
        return await slots.run(lambda: exchange(name))

    async def main() -> list[str]:
        slots = Slots(1)
        asked = [(None, "first"), (3, "c1"), (1, "a1"), (2, "b1"), (1, "a2"), (0, "none"),
                 (3, "c2"), (2, "b2")]  # fmt: skip
        calls = [asyncio.ensure_future(caller(slots, p, name)) for p, name in asked]
        return await asyncio.gather(*calls)

    found = asyncio.run(main())
    assert found == ["first", "c1", "a1", "b1", "a2", "none", "c2", "b2"]  # each its own
    # The first takes the free place at once; the rest wait, lowest priority first.
    assert started == ["first", "none", "a1", "a2", "b1", "b2", "c1", "c2"]


def test_a_freed_place_starts_the_next_exchange_before_any_caller_resumes() -> None:
    events: list[str] = []

    async def exchange(name: str) -> str:
        events.append(f"{name} started")
        await asyncio.sleep(0)
        return name

    async def caller(slots: Slots, name: str) -> None:
        await slots.run(lambda: exchange(name))
        events.append(f"{name} returned")

    async def main() -> None:
        slots = Slots(1)
        await asyncio.gather(caller(slots, "a"), caller(slots, "b"))

    asyncio.run(main())
    # A semaphore would resume "a" first and start "b" one turn of the loop later.
    assert events == ["a started", "b started", "a returned", "b returned"]


def test_a_cancelled_caller_takes_its_exchange_with_it_and_the_others_go_on() -> None:
    events: list[str] = []

    async def exchange(name: str, seconds: float) -> str:
        events.append(f"{name} started")
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            events.append(f"{name} cancelled")
            raise
        events.append(f"{name} done")
        return name

    async def main() -> list[object]:
        slots = Slots(1)
        under_way = asyncio.ensure_future(slots.run(lambda: exchange("long", 60)))
        waiting = asyncio.ensure_future(slots.run(lambda: exchange("never", 0)))
        after = asyncio.ensure_future(slots.run(lambda: exchange("after", 0)))
        await asyncio.sleep(0.01)
        waiting.cancel()
        under_way.cancel()
        results = await asyncio.gather(under_way, waiting, after, return_exceptions=True)
        assert not slots._runners
        return results

    results = asyncio.run(asyncio.wait_for(main(), 10))
    assert isinstance(results[0], asyncio.CancelledError)
    assert isinstance(results[1], asyncio.CancelledError)
    assert results[2] == "after"
    assert events == ["long started", "long cancelled", "after started", "after done"]


def test_an_exchange_that_fails_fails_its_caller_only() -> None:
    async def exchange(name: str) -> str:
        await asyncio.sleep(0)
        if name == "bad":
            raise ValueError("refused")
        return name

    async def main() -> list[object]:
        slots = Slots(1)
        runs = (slots.run(lambda n=n: exchange(n)) for n in ("good", "bad", "also good"))
        return await asyncio.gather(*runs, return_exceptions=True)

    first, failed, last = asyncio.run(main())
    assert (first, last) == ("good", "also good")
    assert isinstance(failed, ValueError)


def test_a_runner_cancelled_from_outside_cancels_its_callers_exchange() -> None:
    async def main() -> None:
        slots = Slots(1)
        run = asyncio.ensure_future(slots.run(lambda: asyncio.sleep(60)))
        await asyncio.sleep(0.01)
        (runner,) = slots._runners
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run

    asyncio.run(asyncio.wait_for(main(), 10))
