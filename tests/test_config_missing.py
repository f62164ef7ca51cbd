"""An image whose config blob is gone from the registry is still an image: its kind comes
from its media types, and its page says the config is unavailable (against a real
registry, whose blob is deleted through the API)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lab.images import image
from lab.registry import RunningRegistry, running_registry
from tests.helpers import page_data, run_cli, write_config


@pytest.fixture
def own_registry(tmp_path: Path) -> Iterator[RunningRegistry]:
    """A registry this test may change."""
    with running_registry(tmp_path / "own-registry") as registry:
        yield registry


def test_image_whose_config_blob_is_gone_is_still_an_image(
    tmp_path: Path, own_registry: RunningRegistry
) -> None:
    built = image(created="2024-01-01T00:00:00Z", files=({"/hello": b"1"},))
    own_registry.pusher().push("team/hello", built, ["1"])
    config_digest = json.loads(built.manifest)["config"]["digest"]
    deleted = httpx.delete(f"{own_registry.url}/v2/team/hello/blobs/{config_digest}")
    assert deleted.status_code == 202, deleted.text
    gone = httpx.get(f"{own_registry.url}/v2/team/hello/blobs/{config_digest}")
    assert gone.status_code == 404

    write_config(
        tmp_path,
        f"""
        registries:
          - name: lab
            url: {own_registry.url}
            pull_host: registry.example.com
            retries: 0
        """,
    )
    result = run_cli(["build"], tmp_path)
    assert result.exit_code in (0, 1), result.output  # 1: built, with a problem noted

    site = tmp_path / "site"
    data = page_data(site, "lab/team/hello/_tags/1/")
    assert data["manifest_kind"] == "image"
    assert data["image"]["config"] is None
    assert [c["text"] for c in data["commands"]] == [
        "docker pull registry.example.com/team/hello:1",
        f"docker pull registry.example.com/team/hello@{built.digest}",
        f"FROM registry.example.com/team/hello@{built.digest}",
    ]
    html = (site / "lab/team/hello/_tags/1/index.html").read_text()
    assert "Config unavailable:" in html
    row = page_data(site, "lab/team/hello/")["tags"][0]
    assert row["manifest_kind"] == "image"
