"""A slow registry cannot hold a nightly build for hours.

Each registry has a time budget (``time_budget``) and the crawl of all of them one more
(``limits.build_time_budget``). A registry out of time is failed like any other: its
last good data stays on its pages, the other registries are built, and the exit code
follows the usual rules. The registries here sit behind a relay that holds every
request back, as a registry answering one byte a second or a minute per response would.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from lab.proxy import delayed
from lab.registry import RunningRegistry
from tests.helpers import run_cli, write_config

REPOSITORIES = "[apps/web, base/alpine, tools/cli]"


def test_a_registry_out_of_time_is_failed_and_keeps_its_last_good_data(
    tmp_path: Path, plain_registry: RunningRegistry
) -> None:
    with delayed(plain_registry.url, 0.0) as proxy:
        write_config(
            tmp_path,
            f"""
            registries:
              - name: slow
                url: {proxy.url}
                time_budget: 2
                repositories: {REPOSITORIES}
              - name: fast
                url: {plain_registry.url}
                repositories: {REPOSITORIES}
            """,
        )
        assert run_cli(["build"], tmp_path).exit_code == 0
        proxy.delay = 30.0  # a response every 30 s: hours for a big registry
        started = time.monotonic()
        result = run_cli(["build", "--report", "report.json"], tmp_path)
        elapsed = time.monotonic() - started
        sent = proxy.requests
        time.sleep(1.0)
        assert proxy.requests == sent  # nothing left running after the build
    assert result.exit_code == 0, result.output
    assert elapsed < 15, elapsed
    report = json.loads((tmp_path / "report.json").read_text())
    slow = report["registry_status"]["slow"]
    assert slow["status"] == "failed"
    assert (
        slow["error"]
        == "slow: the crawl did not finish within its time budget of 2 s (time_budget)"
    )
    assert slow["stale_repositories"] == ["apps/web", "base/alpine", "tools/cli"]
    assert report["registry_status"]["fast"]["status"] == "ok"
    page = (tmp_path / "site/slow/apps/web/_tags/latest/index.html").read_text()
    assert "Showing the data of the last successful crawl" in page
    assert (
        "did not finish within its time budget" in (tmp_path / "site/health/index.html").read_text()
    )


def test_the_build_budget_bounds_every_registry(
    tmp_path: Path, plain_registry: RunningRegistry
) -> None:
    with delayed(plain_registry.url, 30.0) as one, delayed(plain_registry.url, 30.0) as two:
        write_config(
            tmp_path,
            f"""
            limits:
              build_time_budget: 2
            registries:
              - name: one
                url: {one.url}
                repositories: {REPOSITORIES}
              - name: two
                url: {two.url}
                repositories: {REPOSITORIES}
            """,
        )
        started = time.monotonic()
        result = run_cli(["build"], tmp_path)
        elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert elapsed < 15, elapsed
    assert "error: every registry failed" in result.stderr
    assert (
        "one: the crawl did not finish within the build's time budget of 2 s "
        "(limits.build_time_budget)"
    ) in result.stderr
    assert (tmp_path / "site/one/index.html").is_file()


def test_repositories_crawled_in_time_are_kept(tmp_path: Path) -> None:
    """Out of time half-way: what was crawled is shown fresh, the rest from the last
    good crawl (here: none), and the fetches still under way are stopped."""
    import asyncio

    import httpx

    from lab.fakeregistry import from_samples
    from sitegen.build import build, report
    from sitegen.config import load_config

    fake = from_samples()
    hanging: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v2/tools/cli/"):
            hanging.append(request.url.path)
            await asyncio.sleep(600)
        return fake.handle(request)

    config = write_config(
        tmp_path,
        "registries:\n  - name: fake\n    url: https://registry.test\n    time_budget: 1\n",
    )
    started = time.monotonic()
    result = build(
        load_config(config, environ={}),
        tmp_path / "site",
        cache_dir=None,
        transport=httpx.MockTransport(handler),
    )
    assert time.monotonic() - started < 10
    status = report(result)["registry_status"]["fake"]
    assert status["status"] == "failed"
    assert status["error"].endswith(
        "; 1 of 7 repositories not crawled, shown from the last good crawl"
    )
    repositories = {r.name: r for r in result.catalog.registries[0].repositories}
    assert repositories["tools/cli"].error and not repositories["tools/cli"].tags
    assert repositories["apps/web"].tags and not repositories["apps/web"].error
    assert hanging == ["/v2/tools/cli/tags/list"]
