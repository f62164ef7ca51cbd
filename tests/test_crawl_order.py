"""The order a registry's repositories are crawled in: copies (repositories that share
their last path component) one after the other, so that each is rendered once; the
site lists them by name whatever the order. They finish in that order, and copies are
handed over to rendering together, once all of them are crawled."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx
import pytest

from lab.fakeregistry import FakeRegistry
from lab.images import image
from sitegen.build import build, crawl_counted
from sitegen.config import Config, load_config
from sitegen.crawl import crawler
from sitegen.crawl.crawler import crawl_order
from sitegen.model import Manifest, Registry, Repository
from tests.helpers import write_config

NAMES = ["dev/web", "prod/app", "prod/web", "staging/app", "tools/app/cli", "dev/app"]


def test_copies_are_crawled_one_after_the_other(tmp_path: Path) -> None:
    fake = FakeRegistry()
    for number, name in enumerate(NAMES):
        fake.add(name, image(files=({f"/{number}": name.encode()},)), ["1.0"])
    config = load_config(
        write_config(
            tmp_path,
            "registries:\n  - name: lab\n    url: https://registry.test\n    concurrency: 1\n",
        ),
        environ={},
    )
    build(config, tmp_path / "site", cache_dir=None, transport=fake.transport)
    listed = [
        path.removeprefix("/v2/").removesuffix("/tags/list")
        for method, path in fake.requests
        if path.endswith("/tags/list")
    ]
    assert listed == ["dev/app", "prod/app", "staging/app", "tools/app/cli", "dev/web", "prod/web"]
    assert listed == sorted(NAMES, key=crawl_order)
    registry = json.loads((tmp_path / "site" / "lab" / "index.json").read_text())
    assert [r["name"] for r in registry["repository_list"]] == sorted(NAMES)


def _registry(
    tmp_path: Path, tags: dict[str, int], concurrency: int
) -> tuple[Config, FakeRegistry]:
    """A repository per name, with that many tags, each tag an image of its own."""
    fake = FakeRegistry()
    for name, count in tags.items():
        for n in range(count):
            fake.add(name, image(files=({f"/{n}": name.encode()},)), [f"1.{n}"])
    text = "registries:\n  - name: lab\n    url: https://registry.test\n"
    config = load_config(write_config(tmp_path, f"{text}    concurrency: {concurrency}\n"),
                         environ={})  # fmt: skip
    return config, fake


def _handed_over(config: Config, fake: FakeRegistry) -> list[list[str]]:
    handed: list[list[str]] = []

    def take(
        registry: Registry, repositories: Sequence[Repository], earlier: Mapping[str, Manifest]
    ) -> None:
        assert registry.name == "lab"
        assert earlier == {}  # a first build: no tag has moved
        handed.append([repo.name for repo in repositories])

    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.001)  # requests overlap, as on a network
        return fake.handle(request)

    crawl_counted(config, None, transport=httpx.MockTransport(answer), on_repositories=take)
    return handed


@pytest.mark.parametrize("at_once", [8, 2])
def test_copies_are_handed_over_together_once_all_are_crawled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at_once: int
) -> None:
    monkeypatch.setattr(crawler, "COPIES_AT_ONCE", at_once)
    config, fake = _registry(tmp_path, dict.fromkeys(NAMES, 3), concurrency=4)
    apps = [["dev/app", "prod/app", "staging/app"]] if at_once > 2 else [
        ["dev/app", "prod/app"], ["staging/app"]]  # fmt: skip
    assert _handed_over(config, fake) == [*apps, ["tools/app/cli"], ["dev/web", "prod/web"]]


def test_repositories_crawled_at_once_finish_in_the_crawl_order(tmp_path: Path) -> None:
    # The first has the most to fetch; the others, crawled at the same time, wait for
    # it rather than finish before it: each is done as early as it can be.
    tags = {"a/one": 12, **{f"b/two-{n}": 1 for n in range(6)}}
    config, fake = _registry(tmp_path, tags, concurrency=2)
    assert _handed_over(config, fake) == [[name] for name in tags]
