"""Counting honestly, against a real distribution registry: ``total_tags`` is every tag
the registry lists, signature and attestation tags are counted apart and never shown as
tags to pull, and a cause that hits several tags or platforms is one problem naming
them (repository page, health page and build report alike)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from lab.images import cosign_signature, image, index
from lab.oci import fallback_tag
from lab.registry import running_registry
from tests.helpers import read_page, run_cli, write_config

BLOB_GONE = "config blob could not be read: HTTP 404 BLOB_UNKNOWN: blob unknown to registry"
PLATFORM_GONE = "platform manifest could not be read: HTTP 404 MANIFEST_UNKNOWN"


def test_counts_and_problems_name_each_cause_once(tmp_path: Path) -> None:
    old = image(created="2024-01-01T00:00:00Z", files=({"/v": b"1.0"},))
    new = image(created="2024-02-01T00:00:00Z", files=({"/v": b"1.1"},))
    good = image(created="2024-03-01T00:00:00Z", files=({"/v": b"good"},))
    amd64 = image(architecture="amd64", files=({"/x": b"amd64"},))
    arm64 = image(architecture="arm64", variant="v8", files=({"/x": b"arm64"},))
    multi = index([amd64, arm64])
    with running_registry(tmp_path / "registry") as registry:
        pusher = registry.pusher()
        pusher.push("team/app", old, ["1.0"])
        pusher.push("team/app", new, ["1.1", "latest"])
        pusher.push("team/app", good, ["2.0"])
        pusher.push("team/app", cosign_signature(good), [f"{fallback_tag(good.digest)}.sig"])
        pusher.push("team/multi", multi, ["3.0", "3"])
        # The registry loses the config blobs of two images (three tags) and the arm64
        # manifest of the multi-platform image (two tags).
        for built in (old, new):
            assert built.config is not None
            gone = httpx.delete(f"{registry.url}/v2/team/app/blobs/{built.config.digest}")
            assert gone.status_code == 202
        pusher.delete_manifest("team/multi", arm64.digest)

        write_config(tmp_path, f"registries:\n  - name: lab\n    url: {registry.url}\n")
        result = run_cli(["build", "--no-cache", "--report", "report.json"], tmp_path)
    assert result.exit_code == 0, result.output
    site = result.site

    html, app = read_page(site, "lab/team/app/")
    assert app["total_tags"] == 5  # what the registry lists, the signature tag too
    assert app["supply_chain_tags"] == 1
    assert sorted(t["name"] for t in app["tags"]) == ["1.0", "1.1", "2.0", "latest"]
    assert ".sig" not in " ".join(t["name"] for t in app["tags"])
    assert "4 shown, newest version first; 1 more tag is a signature or attestation" in html
    # Two missing blobs, one cause: one problem naming the three tags.
    assert app["problems"] == [f"{BLOB_GONE} (tags 1.1, 1.0, latest)"]
    assert "1 problem while crawling" in html

    _, multi_page = read_page(site, "lab/team/multi/")
    assert multi_page["supply_chain_tags"] == 0 and multi_page["total_tags"] == 2
    (problem,) = multi_page["problems"]
    assert problem.startswith(PLATFORM_GONE)
    assert problem.endswith("(tags 3.0, 3; platform linux/arm64/v8)")

    health_html, health = read_page(site, "health/")
    (lab,) = health["registries"]
    assert lab["problems"] == 2
    troubled = {r["name"]: r["problems"] for r in lab["repositories_with_problems"]}
    assert troubled == {"team/app": app["problems"], "team/multi": multi_page["problems"]}
    assert "2 problems reading tags or platforms" in health_html

    report = json.loads((tmp_path / "report.json").read_text())
    status = report["registry_status"]["lab"]
    assert status["problems"] == 2
    assert status["repositories_with_problems"] == ["team/app", "team/multi"]
