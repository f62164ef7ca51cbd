"""Nightly regeneration against a real registry: what changed between two builds shows up
on the changes page, in both Atom feeds, on the repository and tag pages, and as a diff."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from lab.images import Built, HistoryStep, image
from lab.registry import RunningRegistry, running_registry
from sitegen.site import paths
from tests.helpers import page_data, run_cli, write_config

ATOM = "{http://www.w3.org/2005/Atom}"


def app(version: str, created: str, extra_env: str, layers: int) -> Built:
    return image(
        created=created,
        env=["PATH=/usr/bin", f"APP_VERSION={version}", extra_env],
        labels={"org.opencontainers.image.version": version, "org.example.team": "web"},
        entrypoint=["/app"],
        cmd=["--port", "8080"] if version == "1.0" else ["--port", "9090"],
        history=[HistoryStep(created_by=f"COPY layer{n} /") for n in range(layers)],
        files=tuple(
            {f"/layer{n}": f"{version if n else 'base'}-{n}".encode()} for n in range(layers)
        ),
    )


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[RunningRegistry]:
    with running_registry(tmp_path / "registry") as running:
        yield running


def validate_atom(text: str) -> ET.Element:
    """RFC 4287: the required elements, unique ids, RFC 3339 dates; and feedparser agrees."""
    parsed = feedparser.parse(text)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    root = ET.fromstring(text)
    assert root.tag == f"{ATOM}feed"
    for element in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{element}") is not None, element
    ids = [root.findtext(f"{ATOM}id")]
    for entry in root.findall(f"{ATOM}entry"):
        for element in ("id", "title", "updated", "link", "summary"):
            assert entry.find(f"{ATOM}{element}") is not None, element
        ids.append(entry.findtext(f"{ATOM}id"))
    assert len(ids) == len(set(ids))
    assert all(i and i.startswith("urn:uuid:") for i in ids)
    return root


def test_moved_tag_appears_in_changes_feeds_and_diff(
    tmp_path: Path, registry: RunningRegistry
) -> None:
    pusher = registry.pusher()
    v1 = app("1.0", "2024-01-01T00:00:00Z", "OLD_ONLY=yes", layers=2)
    pusher.push("team/web", v1, ["1.0", "latest", "old-tag"])
    pusher.push("team/api", image(files=({"/api": b"1"},)), ["1"])
    write_config(
        tmp_path,
        f"site:\n  title: Nightly\nregistries:\n  - name: lab\n    url: {registry.url}\n",
    )
    first = run_cli(["build"], tmp_path, {"SOURCE_DATE_EPOCH": "1717200000"})
    assert first.exit_code == 0, first.output
    site = tmp_path / "site"
    assert page_data(site, "changes/")["changes"] == []  # a first build is not a change

    # Overnight: latest moves to a new image, 1.1 appears, old-tag and team/api go away,
    # and a new repository appears.
    v2 = app("1.1", "2024-02-01T00:00:00Z", "NEW_ONLY=yes", layers=3)
    pusher.push("team/web", v2, ["1.1", "latest"])
    pusher.delete_manifest("team/api", image(files=({"/api": b"1"},)).digest)
    pusher.push("team/new", image(files=({"/new": b"n"},)), ["0.1"])
    # old-tag pointed at v1, which 1.0 still uses; delete only the tag by re-pointing it.
    second = run_cli(["build"], tmp_path, {"SOURCE_DATE_EPOCH": "1717286400"})
    assert second.exit_code == 0, second.output

    when = "2024-06-02T00:00:00Z"
    changes = [
        (c["kind"], c["repository"], c["tag"]) for c in page_data(site, "changes/")["changes"]
    ]
    assert ("tag-moved", "team/web", "latest") in changes
    assert ("tag-added", "team/web", "1.1") in changes
    assert ("repository-added", "team/new", "") in changes
    assert ("tag-added", "team/new", "0.1") in changes
    assert ("tag-removed", "team/api", "1") in changes
    moved = next(c for c in page_data(site, "changes/")["changes"] if c["kind"] == "tag-moved")
    assert moved["old"] == v1.digest and moved["new"] == v2.digest and moved["time"] == when
    diff_path = paths.diff_path("lab", "team/web", v1.digest, v2.digest)
    assert moved["diff_path"] == diff_path
    changes_html = (site / "changes/index.html").read_text()
    assert "tag moved" in changes_html and f'{diff_path}index.html"' in changes_html

    # Both feeds: the site's and the repository's.
    site_feed = validate_atom((site / "feeds/changes.xml").read_text())
    repo_feed = validate_atom((site / "lab/team/web/_changes.xml").read_text())
    for feed in (site_feed, repo_feed):
        titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
        assert "team/web:latest: tag moved" in titles
        entry = next(
            e
            for e in feed.findall(f"{ATOM}entry")
            if e.findtext(f"{ATOM}title") == "team/web:latest: tag moved"
        )
        href = entry.find(f"{ATOM}link").get("href")  # type: ignore[union-attr]
        assert href is not None and href.endswith(f"{diff_path}index.html")
    api_titles = [e.findtext(f"{ATOM}title") for e in repo_feed.findall(f"{ATOM}entry")]
    assert not [t for t in api_titles if t and t.startswith("team/api")]

    # The diff page: env, labels, command, layers and history.
    diff = page_data(site, diff_path)
    # Named by the version tags that hold each end, old to new.
    assert (diff["old"]["label"], diff["new"]["label"]) == ("1.0", "1.1")
    assert diff["tag"] == "latest" and diff["title"] == "latest: 1.0 → 1.1"
    platform = diff["platforms"][0]
    assert platform["env"]["added"] == {"NEW_ONLY": "yes"}
    assert platform["env"]["removed"] == {"OLD_ONLY": "yes"}
    assert platform["env"]["changed"] == {"APP_VERSION": {"old": "1.0", "new": "1.1"}}
    assert platform["labels"]["changed"]["org.opencontainers.image.version"]["new"] == "1.1"
    assert platform["cmd"]["changed"] and not platform["entrypoint"]["changed"]
    assert len(platform["layers"]["shared"]) == 1  # the identical base layer
    assert len(platform["layers"]["added"]) == 2 and len(platform["layers"]["removed"]) == 1
    assert [s["op"] for s in platform["history"]] == ["same", "same", "added"]
    diff_html = (site / diff_path / "index.html").read_text()
    assert "<ins>yes</ins>" in diff_html and "NEW_ONLY" in diff_html

    # Repository and tag pages show their history and link to the diff.
    web = page_data(site, paths.repository_path("lab", "team/web"))
    assert {(c["kind"], c["tag"]) for c in web["history"]} == {
        ("tag-moved", "latest"),
        ("tag-added", "1.1"),
    }
    latest = page_data(site, paths.tag_path("lab", "team/web", "latest"))
    assert [c["kind"] for c in latest["history"]] == ["tag-moved"]
    # The move is also the step from 1.0 to 1.1: one chip, naming the moved tag.
    assert [c["label"] for c in latest["compare"]] == ["latest: 1.0 → 1.1"]
    one_one = page_data(site, paths.tag_path("lab", "team/web", "1.1"))
    assert [c["label"] for c in one_one["compare"]] == ["1.0 → 1.1"]
    assert one_one["compare"][0]["path"] == diff_path  # the same pair of digests
    page = (site / paths.tag_path("lab", "team/web", "latest") / "index.html").read_text()
    assert "History of this tag" in page and "latest: 1.0 → 1.1" in page

    # A third build without changes keeps the history and changes nothing.
    third = run_cli(["build"], tmp_path, {"SOURCE_DATE_EPOCH": "1717372800"})
    assert third.exit_code == 0
    assert page_data(site, "changes/")["changes"][0]["time"] == when


def test_version_diffs_and_health_page(tmp_path: Path, registry: RunningRegistry) -> None:
    pusher = registry.pusher()
    pusher.push("team/web", app("1.0", "2024-01-01T00:00:00Z", "A=1", 1), ["1.0"])
    pusher.push("team/web", app("1.1", "2024-02-01T00:00:00Z", "A=2", 1), ["1.1"])
    write_config(
        tmp_path,
        f"registries:\n  - name: lab\n    url: {registry.url}\n"
        "  - name: gone\n    url: http://127.0.0.1:9\n    timeout: 1\n    retries: 0\n"
        "    repositories: [x/y]\n",
    )
    assert run_cli(["build"], tmp_path).exit_code == 0
    site = tmp_path / "site"
    tag = page_data(site, paths.tag_path("lab", "team/web", "1.1"))
    assert [c["label"] for c in tag["compare"]] == ["1.0 → 1.1"]
    diff = page_data(site, tag["compare"][0]["path"])
    assert diff["reason"] == "versions"
    assert diff["platforms"][0]["env"]["changed"]["A"] == {"old": "1", "new": "2"}
    health = {r["name"]: r for r in page_data(site, "health/")["registries"]}
    assert health["lab"]["status"] == "ok"
    assert health["gone"]["status"] == "failed" and "cannot connect" in health["gone"]["error"]
    assert "Crawl health" in (site / "index.html").read_text()


def test_build_report_for_ci(tmp_path: Path, registry: RunningRegistry) -> None:
    pusher = registry.pusher()
    pusher.push("team/web", app("1.0", "2024-01-01T00:00:00Z", "A=1", 1), ["1.0", "latest"])
    write_config(
        tmp_path,
        f"registries:\n  - name: lab\n    url: {registry.url}\n"
        "  - name: gone\n    url: http://127.0.0.1:9\n    timeout: 1\n    retries: 0\n"
        "    repositories: [x/y]\n",
    )
    assert run_cli(["build"], tmp_path).exit_code == 0
    pusher.push("team/web", app("1.1", "2024-02-01T00:00:00Z", "A=2", 1), ["latest"])
    result = run_cli(["build", "--report", "report.json"], tmp_path)
    assert result.exit_code == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["status"] == "partial"
    assert report["registry_status"]["lab"]["status"] == "ok"
    assert report["registry_status"]["gone"]["status"] == "failed"
    assert any("cannot connect" in m for m in report["failure_messages"])
    assert [(c["kind"], c["tag"]) for c in report["changes"]] == [("tag-moved", "latest")]
    assert report["requests"]["manifest"] == 1 and report["requests"]["blob"] == 1
