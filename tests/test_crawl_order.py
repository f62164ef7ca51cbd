"""The order a registry's repositories are crawled in: copies (repositories that share
their last path component) one after the other, so that each is rendered once; the
site lists them by name whatever the order."""

from __future__ import annotations

import json
from pathlib import Path

from lab.fakeregistry import FakeRegistry
from lab.images import image
from sitegen.build import build
from sitegen.config import load_config
from sitegen.crawl.crawler import crawl_order
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
