"""Where a request's time goes in a crawl: the network, the event loop, our own work.

``python -m bench.slots --tags 10000`` crawls the benchmark's data (``bench.dataset``)
cold, then warm (a HEAD per tag), in this process, from ``lab.fakeregistry`` behind an
``httpx.MockTransport`` that waits ``--delay`` per request (``asyncio.sleep``, so
requests overlap as on a network, and no registry process shares these CPUs). The
crawl keeps at most ``--concurrency`` requests in flight; each holds one of those
slots from the moment it may go until its reply is read. The lower bound, ``requests x
delay / concurrency``, assumes a slot is held for exactly the delay and is taken again
at once. For each crawl the benchmark prints how long a slot was really held, split
into:

- *before*: from taking the slot to the request reaching the transport (building it,
  authentication headers, httpx);
- *delay*: the network time the fake adds (``--delay``);
- *loop wait*: how much later than the delay the request's task ran again, because the
  event loop was running other tasks' steps (one thread runs every task: a step that
  is ready waits for the steps queued before it);
- *registry*: the fake registry answering (in a real crawl, the registry's own time,
  which the network delay stands for);
- *after*: reading the reply and releasing the slot;

with the share of the wall time the slots were held (the rest: a slot free and no
request yet at it) and the CPU time of this process per request (the event loop's
busy time: the crawl, and the fake registry with it).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench import elsewhere
from lab.fakeregistry import FakeRegistry
from sitegen.config import load_config
from sitegen.crawl import crawl
from sitegen.crawl.cache import Cache
from sitegen.crawl.state import State
from sitegen.registry import transport
from sitegen.registry.client import RegistryClient

PARTS = ("before", "delay", "loop wait", "registry", "after")


class Timings:
    """Per request: when it took its slot, and the parts of its hold."""

    def __init__(self) -> None:
        self.taken: dict[asyncio.Task[Any] | None, float] = {}
        self.holds: list[float] = []
        self.parts: dict[str, list[float]] = {part: [] for part in PARTS}

    def clear(self) -> None:
        self.taken.clear()
        self.holds.clear()
        for values in self.parts.values():
            values.clear()


@contextlib.contextmanager
def timed_slots(timings: Timings) -> Iterator[None]:
    """Time every exchange the transport makes while holding a slot."""
    exchange = transport.Transport._exchange

    async def timed(self: transport.Transport, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        timings.taken[asyncio.current_task()] = started
        try:
            return await exchange(self, *args, **kwargs)
        finally:
            timings.holds.append(time.perf_counter() - started)

    transport.Transport._exchange = timed  # type: ignore[method-assign]
    try:
        yield
    finally:
        transport.Transport._exchange = exchange  # type: ignore[method-assign]


def delayed(registry: FakeRegistry, delay: list[float], timings: Timings) -> httpx.MockTransport:
    """The fake registry, ``delay[0]`` seconds a request, each request's parts timed."""

    async def handler(request: httpx.Request) -> httpx.Response:
        arrived = time.perf_counter()
        taken = timings.taken.pop(asyncio.current_task(), None)
        await asyncio.sleep(delay[0])
        woken = time.perf_counter()
        response = registry.handle(request)
        answered = time.perf_counter()
        if taken is not None:
            timings.parts["before"].append(arrived - taken)
            timings.parts["delay"].append(delay[0])
            timings.parts["loop wait"].append(woken - arrived - delay[0])
            timings.parts["registry"].append(answered - woken)
        return response

    return httpx.MockTransport(handler)


def run(tags: int, delay: float, concurrency: int) -> list[dict[str, Any]]:
    """A cold crawl and a warm one, each with its slots timed."""
    registry = elsewhere.filled(tags)
    timings = Timings()
    wait = [delay]
    found = []
    with tempfile.TemporaryDirectory(prefix="sitegen-bench-slots-") as directory:
        work = Path(directory)
        config = load_config(elsewhere.write_config(work, concurrency), environ={})
        cache = Cache(work / "cache")

        async def once() -> int:
            async with RegistryClient(
                config.registries, transport=delayed(registry, wait, timings)
            ) as client:
                await crawl(config, client, cache, state=State(), now="2024-06-01T00:00:00Z")
                return sum(client.stats.requests.values())

        with timed_slots(timings):
            for label in ("cold", "warm"):
                timings.clear()
                started, cpu = time.perf_counter(), elsewhere.cpu_seconds()
                requests = asyncio.run(once())
                seconds, cpu = time.perf_counter() - started, elsewhere.cpu_seconds() - cpu
                found.append(_row(label, requests, seconds, cpu, delay, concurrency, timings))
    return found


def _row(
    label: str,
    requests: int,
    seconds: float,
    cpu: float,
    delay: float,
    concurrency: int,
    timings: Timings,
) -> dict[str, Any]:
    bound = requests * delay / concurrency
    hold = statistics.mean(timings.holds)
    parts = {part: statistics.mean(values) for part, values in timings.parts.items() if values}
    parts["after"] = hold - sum(parts.values())
    return {
        "crawl": label,
        "requests": requests,
        "seconds": round(seconds, 2),
        "bound_seconds": round(bound, 2),
        "ratio": round(seconds / bound, 3),
        "hold_ms": round(hold * 1000, 2),
        "parts_ms": {part: round(parts[part] * 1000, 2) for part in PARTS},
        "slots_held": round(sum(timings.holds) / concurrency / seconds, 3),
        "cpu_us_per_request": round(cpu / requests * 1e6),
        "cpu_share": round(cpu / seconds, 3),
    }


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a markdown table."""
    head = (
        "| crawl | requests | seconds | bound s | seconds / bound | slot held, ms | "
        + " | ".join(f"{part}, ms" for part in PARTS)
        + " | slots held, of the time | CPU µs / request | CPU busy |"
    )
    lines = [head, "| --- |" + " ---: |" * (len(PARTS) + 8)]
    for r in rows:
        parts = " | ".join(f"{r['parts_ms'][part]:.2f}" for part in PARTS)
        lines.append(
            f"| {r['crawl']} | {r['requests']:,} | {r['seconds']} | {r['bound_seconds']} "
            f"| x{r['ratio']} | {r['hold_ms']:.2f} | {parts} | {r['slots_held']:.0%} "
            f"| {r['cpu_us_per_request']:,} | {r['cpu_share']:.0%} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = elsewhere.parser("python -m bench.slots", __doc__).parse_args(argv)
    print(table(run(args.tags, args.delay, args.concurrency)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
