"""When the catalog was built, and each registry's last successful crawl: in the build's
stamp (``api/stamp.js``), which every page loads, and nowhere else."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from lab.fakeregistry import from_samples
from sitegen.build import build
from sitegen.config import load_config
from sitegen.site import paths
from sitegen.site.pages.history_shapes import StampDocument
from sitegen.site.stamp import PREFIX
from tests.helpers import write_config
from tests.test_page_shapes import conforms

CONFIG = """
site:
  stale_after: 3h
registries:
  - name: steady
    url: https://steady.registry.test
  - name: flaky
    url: https://flaky.registry.test
    retries: 0
"""


def read_stamp(site: Path) -> dict[str, object]:
    text = (site / paths.STAMP_FILE).read_text()
    assert text.startswith(PREFIX) and text.endswith(";\n")
    document: dict[str, object] = json.loads(text[text.index("{") : text.rindex("}") + 1])
    return document


def test_the_stamp_keeps_a_failed_registry_s_last_success(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(write_config(tmp_path, CONFIG), environ={})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1717200000")  # 2024-06-01T00:00:00Z
    build(
        config, tmp_path / "site", cache_dir=tmp_path / "cache", transport=from_samples().transport
    )
    first = read_stamp(tmp_path / "site")
    assert first["built"] == "2024-06-01T00:00:00Z"
    assert first["stale_after"] == 3 * 3600
    assert conforms(first, StampDocument, "stamp.js") == []

    samples = from_samples()

    def flaky_down(request: httpx.Request) -> httpx.Response:
        if request.url.host == "flaky.registry.test":
            return httpx.Response(503, text="down for maintenance")
        return samples.handle(request)

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1717286400")  # a day later
    config = load_config(write_config(tmp_path, CONFIG), environ={})
    build(
        config,
        tmp_path / "site",
        cache_dir=tmp_path / "cache",
        transport=httpx.MockTransport(flaky_down),
    )
    second = read_stamp(tmp_path / "site")
    assert second["built"] == "2024-06-02T00:00:00Z"
    registries = {r["name"]: r for r in second["registries"]}  # type: ignore[attr-defined]
    assert registries["steady"]["status"] == "ok"
    assert registries["steady"]["last_success"] == "2024-06-02T00:00:00Z"
    assert registries["flaky"]["status"] == "failed"
    assert registries["flaky"]["last_success"] == "2024-06-01T00:00:00Z"  # the earlier build
    assert registries["flaky"]["seconds"] >= 0
    # The pages hold no build time: that is what keeps a rebuild from rewriting them all.
    home = (tmp_path / "site" / "index.html").read_text()
    assert "2024-06-02" not in home and paths.STAMP_FILE in home
