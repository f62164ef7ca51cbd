"""Fetches of one digest under way at the same time are shared, failures are not."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sitegen.crawl import CrawlContext, Progress
from sitegen.crawl.cache import Cache
from sitegen.crawl.state import State
from sitegen.errors import RegistryError
from sitegen.oci.masking import Masker


def context(tmp: Path) -> CrawlContext:
    return CrawlContext(Cache(tmp), State(), Progress(), "", Masker())


def test_concurrent_fetches_of_one_digest_are_one(tmp_path: Path) -> None:
    calls: list[str] = []

    async def main() -> list[bytes]:
        ctx = context(tmp_path)

        async def fetch(who: str) -> bytes:
            calls.append(who)
            await asyncio.sleep(0.01)
            return b"manifest"

        return await asyncio.gather(
            *(ctx.shared("sha256:aa", lambda who=who: fetch(who), "r") for who in "abc")
        )

    assert asyncio.run(main()) == [b"manifest"] * 3
    assert calls == ["a"]


def test_a_failure_elsewhere_is_not_shared(tmp_path: Path) -> None:
    calls: list[str] = []

    async def main() -> tuple[BaseException | bytes, ...]:
        ctx = context(tmp_path)

        async def denied() -> bytes:
            calls.append("denied")
            await asyncio.sleep(0.01)
            raise RegistryError("denied: requested access to the resource is denied")

        async def allowed() -> bytes:
            calls.append("allowed")
            return b"manifest"

        first = asyncio.ensure_future(ctx.shared("sha256:bb", denied, "r"))
        await asyncio.sleep(0)  # the first fetch is under way
        second = asyncio.ensure_future(ctx.shared("sha256:bb", allowed, "r"))
        results = await asyncio.gather(first, second, return_exceptions=True)
        assert not ctx.fetching  # nothing left behind
        return tuple(results)

    first, second = asyncio.run(main())
    assert isinstance(first, RegistryError)
    assert second == b"manifest"
    assert calls == ["denied", "allowed"]


def test_a_cancelled_crawl_does_not_cancel_the_others_wait(tmp_path: Path) -> None:
    async def main() -> bytes:
        ctx = context(tmp_path)

        async def slow() -> bytes:
            await asyncio.sleep(0.02)
            return b"blob"

        owner = asyncio.ensure_future(ctx.shared("sha256:cc", slow, "r"))
        await asyncio.sleep(0)
        waiter = asyncio.ensure_future(ctx.shared("sha256:cc", slow, "r"))
        await asyncio.sleep(0)
        owner.cancel()
        return await waiter

    assert asyncio.run(main()) == b"blob"


def test_a_fetch_stopped_with_its_registry_is_fetched_again_by_another(tmp_path: Path) -> None:
    """A registry out of time stops its fetches; a mirror waiting on one fetches itself."""
    calls: list[str] = []

    async def main() -> bytes:
        ctx = context(tmp_path)

        async def fetch(who: str) -> bytes:
            calls.append(who)
            await asyncio.sleep(0.05 if who == "slow" else 0)
            return b"config"

        owner = asyncio.ensure_future(ctx.shared("sha256:dd", lambda: fetch("slow"), "slow"))
        await asyncio.sleep(0)
        mirror = asyncio.ensure_future(ctx.shared("sha256:dd", lambda: fetch("mirror"), "mirror"))
        await asyncio.sleep(0)
        ctx.cancel_fetches("slow")
        owner.cancel()
        return await mirror

    assert asyncio.run(main()) == b"config"
    assert calls == ["slow", "mirror"]


def test_a_fetch_nobody_waits_for_any_more_is_stopped(tmp_path: Path) -> None:
    """A crawl cancelled on its own leaves no request of its running behind."""
    stopped: list[str] = []

    async def main() -> None:
        ctx = context(tmp_path)

        async def slow() -> bytes:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                stopped.append("sha256:ee")
                raise
            return b"blob"

        owner = asyncio.ensure_future(ctx.shared("sha256:ee", slow, "r"))
        await asyncio.sleep(0)
        owner.cancel()
        await asyncio.gather(owner, return_exceptions=True)
        await asyncio.sleep(0)
        assert not ctx.fetching

    asyncio.run(main())
    assert stopped == ["sha256:ee"]


def test_a_failure_elsewhere_that_just_happened_is_not_shared_either(tmp_path: Path) -> None:
    """A second fetch arriving the moment the first failed, before anyone heard of it."""

    async def main() -> bytes:
        ctx = context(tmp_path)

        async def denied() -> bytes:
            raise RegistryError("denied: requested access to the resource is denied")

        async def allowed() -> bytes:
            return b"manifest"

        first = asyncio.ensure_future(ctx.shared("sha256:ff", denied, "r"))
        await asyncio.sleep(0)  # the first fetch is started; it fails on its first step
        second = asyncio.ensure_future(ctx.shared("sha256:ff", allowed, "r"))
        found = await asyncio.wait_for(second, 5)
        await asyncio.gather(first, return_exceptions=True)
        return found

    assert asyncio.run(main()) == b"manifest"
