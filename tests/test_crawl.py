"""Crawl behaviour against real registries: incremental, isolated, deterministic, atomic."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.images import image
from lab.proxy import delayed
from lab.registry import ADMIN_PASSWORD, ADMIN_USER, RunningRegistry, running_registry
from lab.samples import SampleRepo
from sitegen.build import build
from sitegen.config import load_config
from sitegen.crawl import Progress
from sitegen.registry.transport import Stats
from sitegen.site import paths
from tests.helpers import page_data, run_cli, tree, write_config

ROOT = Path(__file__).resolve().parent.parent


def requests_by_kind(entries: list[Any]) -> dict[str, int]:
    kinds = {"manifest GET": 0, "blob GET": 0, "HEAD": 0, "list": 0, "other": 0}
    for entry in entries:
        if entry.method == "HEAD" and "/manifests/" in entry.path:
            kinds["HEAD"] += 1
        elif entry.method == "GET" and "/manifests/" in entry.path:
            kinds["manifest GET"] += 1
        elif entry.method == "GET" and "/blobs/" in entry.path:
            kinds["blob GET"] += 1
        elif entry.method == "GET" and ("/tags/list" in entry.path or "/_catalog" in entry.path):
            kinds["list"] += 1
        else:
            kinds["other"] += 1
    return kinds


@pytest.fixture
def own_registry(tmp_path: Path) -> Iterator[RunningRegistry]:
    """A registry this test may change."""
    with running_registry(tmp_path / "own-registry") as registry:
        yield registry


def hello(version: str) -> Any:
    return image(created=f"2024-0{version}-01T00:00:00Z", files=({"/hello": version.encode()},))


def test_warm_rebuild_is_one_head_per_tag(
    tmp_path: Path, plain_registry: RunningRegistry, samples: list[SampleRepo]
) -> None:
    write_config(tmp_path, f"registries:\n  - name: lab\n    url: {plain_registry.url}\n")
    assert run_cli(["build"], tmp_path).exit_code == 0
    before = len(plain_registry.access_log())
    warm = run_cli(["build"], tmp_path)
    assert warm.exit_code == 0, warm.output
    kinds = requests_by_kind(plain_registry.access_log(before))
    assert kinds["manifest GET"] == 0 and kinds["blob GET"] == 0
    # Every listed tag is HEADed once, cosign's .sig too (its digest may have moved);
    # the signature manifests they name come from the cache.
    heads = sum(len(r.tags) for r in samples)
    assert kinds["HEAD"] == heads
    assert kinds["list"] == 1 + len(samples)  # one _catalog page, one tags/list per repository
    # The rest: one ping and a single referrers probe (distribution 2.8 answers 404).
    assert kinds["other"] == 2
    summary = warm.stderr.strip().splitlines()[-2]
    assert f"requests: 1 ping, {1 + len(samples)} list, {heads} HEAD, 1 referrers;" in summary


def test_moved_tag_costs_exactly_its_new_digests(
    tmp_path: Path, own_registry: RunningRegistry
) -> None:
    pusher = own_registry.pusher()
    pusher.push("team/hello", hello("1"), ["1", "latest", "stable"])
    write_config(tmp_path, f"registries:\n  - name: own\n    url: {own_registry.url}\n")
    assert run_cli(["build"], tmp_path).exit_code == 0
    new = hello("2")
    pusher.push("team/hello", new, ["latest"])
    before = len(own_registry.access_log())
    rebuilt = run_cli(["build"], tmp_path)
    assert rebuilt.exit_code == 0, rebuilt.output
    kinds = requests_by_kind(own_registry.access_log(before))
    # One new manifest digest and its one new config blob; nothing else is fetched.
    assert kinds["manifest GET"] == 1 and kinds["blob GET"] == 1
    assert kinds["HEAD"] == 3
    latest = page_data(tmp_path / "site", paths.tag_path("own", "team/hello", "latest"))
    assert latest["digest"] == new.digest


def test_dead_registry_beside_a_live_one(
    tmp_path: Path, plain_registry: RunningRegistry, samples: list[SampleRepo]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    write_config(
        tmp_path,
        f"""
        registries:
          - name: dead
            url: http://127.0.0.1:{dead_port}
            timeout: 2
            retries: 0  # retries of a refused connection only wait (backoff): not tested here
            repositories: [some/app]
          - name: live
            url: {plain_registry.url}
        """,
    )
    result = run_cli(["build"], tmp_path)
    assert result.exit_code == 0, result.output
    site = tmp_path / "site"
    live = page_data(site, "live/")
    assert live["repositories"] == len(samples) and live["error"] == ""
    for repo in samples:
        data = page_data(site, paths.repository_path("live", repo.name))
        assert data["error"] == ""
        for tag in data["tags"]:
            assert (site / tag["path"] / "index.html").is_file()
    dead = page_data(site, "dead/")
    assert "cannot connect" in dead["error"]
    home = (site / "index.html").read_text()
    assert "Crawl failed" in home
    assert run_cli(["build", "--strict"], tmp_path).exit_code == 1


def test_failed_registry_shows_last_good_data_marked_stale(
    tmp_path: Path, own_registry: RunningRegistry
) -> None:
    own_registry.pusher().push("team/hello", hello("1"), ["1", "latest"])
    write_config(
        tmp_path,
        f"registries:\n  - name: own\n    url: {own_registry.url}\n    timeout: 2\n"
        "    retries: 0\n",  # retries of a refused connection only wait (backoff): not tested here
    )
    env = {"SOURCE_DATE_EPOCH": "1700000000"}  # 2023-11-14T22:13:20Z
    assert run_cli(["build"], tmp_path, env).exit_code == 0
    own_registry.stop()
    down = run_cli(["build"], tmp_path, {"SOURCE_DATE_EPOCH": "1700086400"})
    assert down.exit_code == 1  # every registry failed
    assert "1 repositories shown from an earlier build" in down.stderr
    site = tmp_path / "site"
    repo = page_data(site, paths.repository_path("own", "team/hello"))
    assert [t["name"] for t in repo["tags"]] == ["1", "latest"]
    assert repo["stale_since"] == "2023-11-14T22:13:20Z"
    assert "cannot connect" in repo["error"]
    page = (site / paths.repository_path("own", "team/hello") / "index.html").read_text()
    assert "Showing the data of the last successful crawl, from" in page
    assert "2023-11-14 22:13 UTC" in page
    registry_page = (site / "own" / "index.html").read_text()
    assert ">stale</span>" in registry_page


def test_denied_repository_shows_stale_data_while_others_refresh(
    tmp_path: Path, token_registry: RunningRegistry
) -> None:
    cache = ["--cache-dir", str(tmp_path / "cache")]
    write_config(
        tmp_path,
        f"""
        registries:
          - name: tok
            url: {token_registry.url}
            auth: {{username: "${{U:-}}", password: "${{P:-}}"}}
            repositories: [public/hello, apps/web]
        """,
    )
    admin = run_cli(["build", *cache], tmp_path, {"U": ADMIN_USER, "P": ADMIN_PASSWORD})
    assert admin.exit_code == 0, admin.output
    # Same config, no credentials (U and P unset): apps/web is now refused.
    write_config(
        tmp_path,
        f"registries:\n  - name: tok\n    url: {token_registry.url}\n"
        "    repositories: [public/hello, apps/web]\n",
    )
    anonymous = run_cli(["build", *cache], tmp_path)
    assert anonymous.exit_code == 0, anonymous.output
    web = page_data(tmp_path / "site", paths.repository_path("tok", "apps/web"))
    assert "HTTP 401" in web["error"] and web["stale_since"]
    assert sorted(t["name"] for t in web["tags"]) == ["latest", "v1.0.0", "v1.1.0", "v1.2.0"]
    hello_repo = page_data(tmp_path / "site", paths.repository_path("tok", "public/hello"))
    assert hello_repo["error"] == "" and hello_repo["stale_since"] == ""


def test_same_registry_state_gives_byte_identical_sites(
    tmp_path: Path, plain_registry: RunningRegistry
) -> None:
    write_config(tmp_path, f"registries:\n  - name: lab\n    url: {plain_registry.url}\n")
    # At one build time: a warm build knows what earlier ones saw (when each tag was first
    # seen, site.md#first-seen-and-the-new-badge), which it shows from a later time on.
    at = {"SOURCE_DATE_EPOCH": "1717200000"}
    first = run_cli(["build", "-o", "one", "--cache-dir", "cache-one"], tmp_path, at)
    second = run_cli(["build", "-o", "two", "--cache-dir", "cache-two"], tmp_path, at)
    third = run_cli(["build", "-o", "two", "--cache-dir", "cache-two"], tmp_path, at)  # warm
    assert first.exit_code == second.exit_code == third.exit_code == 0
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert len(one) > 90
    # The build's stamp says when each build ran and how long its crawl took: it alone
    # may differ (tests/test_rebuild.py).
    del one[paths.STAMP_FILE], two[paths.STAMP_FILE]
    assert one == two


def _run_build_process(cwd: Path, config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "sitegen", "build", "-c", str(config)],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _cache_is_sound(cache: Path) -> None:
    for entry in (cache / "blobs" / "sha256").rglob("*"):
        if entry.is_file() and not entry.name.startswith(".tmp-"):
            assert hashlib.sha256(entry.read_bytes()).hexdigest() == entry.name


def test_killed_build_leaves_previous_site_and_cache(
    tmp_path: Path, own_registry: RunningRegistry
) -> None:
    pusher = own_registry.pusher()
    pusher.push("team/hello", hello("1"), ["1"])
    for n in range(150):
        pusher.push("team/many", hello(str(n % 9 + 1)), [f"v{n}"])
    write_config(tmp_path, f"registries:\n  - name: own\n    url: {own_registry.url}\n")
    assert run_cli(["build"], tmp_path).exit_code == 0
    site, cache = tmp_path / "site", tmp_path / ".sitegen-cache"
    before = tree(site)
    state_before = (cache / "state.json").read_bytes()

    # 1. Killed while crawling: every request takes 50 ms, the build about a second.
    pusher.push("team/hello", hello("2"), ["2"])
    with delayed(own_registry.url, 0.05) as proxy:
        slow = tmp_path / "slow.yaml"
        slow.write_text(f"registries:\n  - name: own\n    url: {proxy.url}\n    concurrency: 2\n")
        process = _run_build_process(tmp_path, slow)
        deadline = time.monotonic() + 10
        while proxy.requests < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    assert tree(site) == before
    assert (cache / "state.json").read_bytes() == state_before
    _cache_is_sound(cache)

    # 2. Killed while writing: the staging directory exists, the swap has not happened.
    # A theme whose pages take a while to render keeps the write phase open long enough
    # to be caught, however fast rendering is otherwise.
    theme = tmp_path / "slow-theme"
    theme.mkdir()
    (theme / "base.html").write_text(
        (ROOT / "templates" / "base.html")
        .read_text()
        .replace(
            "{% block content %}{% endblock %}",
            "{% for _ in range(60000) %}{% endfor %}{% block content %}{% endblock %}",
        )
    )
    slow_render = tmp_path / "slow-render.yaml"
    slow_render.write_text(
        f"site:\n  theme_dir: slow-theme\nregistries:\n  - name: own\n    url: {own_registry.url}\n"
    )
    process = _run_build_process(tmp_path, slow_render)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        if any(p.name.startswith(".sitegen-staging-") for p in tmp_path.iterdir()):
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    process.wait(10)
    assert process.returncode == -signal.SIGKILL, "the build finished before it could be killed"
    assert tree(site) == before
    assert (cache / "state.json").read_bytes() == state_before
    _cache_is_sound(cache)

    # The next build cleans up the leftovers and succeeds.
    assert run_cli(["build"], tmp_path).exit_code == 0
    assert not [
        p for p in tmp_path.iterdir() if p.name.startswith((".sitegen-staging", ".sitegen-retired"))
    ]
    assert page_data(site, paths.repository_path("own", "team/hello"))["tags"][0]["name"] == "2"


def test_filters(tmp_path: Path, plain_registry: RunningRegistry) -> None:
    write_config(
        tmp_path,
        f"""
        registries:
          - name: lab
            url: {plain_registry.url}
            include: ["apps/*", "base/*", "tools/*"]
            exclude: ["apps/web"]
            platforms: [linux/arm64]
        """,
    )
    result = run_cli(["build"], tmp_path)
    assert result.exit_code == 0, result.output
    site = tmp_path / "site"
    names = [r["name"] for r in page_data(site, "lab/")["repository_list"]]
    assert names == ["apps/worker", "base/alpine", "tools/cli"]
    worker = page_data(site, paths.repository_path("lab", "apps/worker"))
    assert worker["tags"] == []  # linux/amd64 only: hidden
    # Listed: four tags, and two referrers tags (a notation signature, a sigstore bundle).
    assert (worker["total_tags"], worker["supply_chain_tags"]) == (6, 2)
    alpine = page_data(site, paths.tag_path("lab", "base/alpine", "latest"))
    assert [p["platform"] for p in alpine["platform_list"]] == ["linux/arm64/v8"]
    assert len(alpine["attestations"]) == 1  # only the one describing arm64
    cli = page_data(site, paths.tag_path("lab", "tools/cli", "1.0"))
    assert [p["platform"] for p in cli["platform_list"]] == ["linux/arm64/v8"]


def test_latest_n_in_version_order(tmp_path: Path, plain_registry: RunningRegistry) -> None:
    write_config(
        tmp_path,
        f"""
        registries:
          - name: lab
            url: {plain_registry.url}
            repositories:
              - name: apps/worker
                tags: {{latest: 2}}
              - name: apps/web
                tags: {{exclude: '^v1[.][01]', latest: 5}}
              - name: base/alpine
                tags: {{include: '^3\\.', latest: 3}}
        """,
    )
    assert run_cli(["build"], tmp_path).exit_code == 0
    site = tmp_path / "site"
    worker = page_data(site, paths.repository_path("lab", "apps/worker"))
    assert [t["name"] for t in worker["tags"]] == ["v2.0.0", "v2.0.0-rc1"]
    assert (worker["total_tags"], worker["supply_chain_tags"]) == (6, 2)
    web = page_data(site, paths.repository_path("lab", "apps/web"))
    assert [t["name"] for t in web["tags"]] == ["v1.2.0", "latest"]
    alpine = page_data(site, paths.repository_path("lab", "base/alpine"))
    assert [t["name"] for t in alpine["tags"]] == ["3.20.1", "3.20", "3.19.4"]


def test_supply_chain_attached_to_its_subject(
    tmp_path: Path, plain_registry: RunningRegistry, samples: list[SampleRepo]
) -> None:
    write_config(tmp_path, f"registries:\n  - name: lab\n    url: {plain_registry.url}\n")
    assert run_cli(["build"], tmp_path).exit_code == 0
    site = tmp_path / "site"
    web = page_data(site, paths.repository_path("lab", "apps/web"))
    # Neither cosign's .sig tag nor the referrers fallback tag is listed as a tag.
    assert not [t for t in web["tags"] if t["name"].startswith("sha256-")]
    tag = page_data(site, paths.tag_path("lab", "apps/web", "v1.2.0"))
    kinds = sorted((r["kind"], r["source"]) for r in tag["referrers"])
    fallback = f"referrers tag sha256-{tag['digest'][7:]}"
    assert kinds == [
        ("sbom", fallback),
        ("signature", "cosign tag"),
        ("vex", fallback),
        ("vulnerability-report", fallback),
    ]
    sbom = next(r for r in tag["referrers"] if r["kind"] == "sbom")
    assert sbom["artifact_type"] == "application/spdx+json" and sbom["digest"]
    older = page_data(site, paths.tag_path("lab", "apps/web", "v1.0.0"))
    assert older["referrers"] == []
    alpine = page_data(site, paths.tag_path("lab", "base/alpine", "latest"))
    assert [p["platform"] for p in alpine["platform_list"]] == [
        "linux/amd64",
        "linux/arm64/v8",
        "linux/arm/v7",
    ]
    subjects = {p["digest"] for p in alpine["platform_list"]}
    assert {a["subject"] for a in alpine["attestations"]} == subjects
    assert all(
        a["predicate_types"] == ["https://slsa.dev/provenance/v0.2", "https://spdx.dev/Document"]
        for a in alpine["attestations"]
    )
    page = (site / paths.tag_path("lab", "apps/web", "v1.2.0") / "index.html").read_text()
    assert "Signatures and attestations" in page and "application/spdx+json" in page


def test_aliases_across_repositories_and_registries(
    tmp_path: Path, own_registry: RunningRegistry
) -> None:
    shared = hello("3")
    pusher = own_registry.pusher()
    pusher.push("mirror/hello", shared, ["v3"])
    pusher.push("other/hello", shared, ["current"])
    write_config(
        tmp_path,
        f"""
        registries:
          - name: own
            url: {own_registry.url}
          - name: second
            url: {own_registry.url}
            repositories: [other/hello]
        """,
    )
    assert run_cli(["build"], tmp_path).exit_code == 0
    tag = page_data(tmp_path / "site", paths.tag_path("own", "mirror/hello", "v3"))
    assert [(e["registry"], e["repository"], e["tag"]) for e in tag["elsewhere"]] == [
        ("own", "other/hello", "current"),
        ("second", "other/hello", "current"),
    ]
    page = tmp_path / "site" / paths.tag_path("own", "mirror/hello", "v3") / "index.html"
    assert "second/other/hello:current" in page.read_text()


def test_repositories_crawled_together_share_each_fetch(
    tmp_path: Path, own_registry: RunningRegistry
) -> None:
    # Mirrors holding the same image, crawled at the same time through a slow link:
    # their manifest and config requests are in flight together, and sent once.
    shared = hello("4")
    pusher = own_registry.pusher()
    for name in ("dev/hello", "staging/hello", "prod/hello"):
        pusher.push(name, shared, ["v4", "latest"])
    before = len(own_registry.access_log())
    with delayed(own_registry.url, 0.05) as proxy:
        write_config(tmp_path, f"registries:\n  - name: own\n    url: {proxy.url}\n")
        assert run_cli(["build"], tmp_path).exit_code == 0
    kinds = requests_by_kind(own_registry.access_log(before))
    assert kinds["HEAD"] == 6
    assert kinds["manifest GET"] == 1 and kinds["blob GET"] == 1
    for name in ("dev/hello", "staging/hello", "prod/hello"):
        tag = page_data(tmp_path / "site", paths.tag_path("own", name, "v4"))
        assert tag["digest"] == shared.digest and tag["image"]["config"] is not None


def test_connections_are_reused(
    tmp_path: Path, plain_registry: RunningRegistry, samples: list[SampleRepo]
) -> None:
    # A warm rebuild is mostly HEADs: each must leave its connection ready for the next.
    with delayed(plain_registry.url, 0.005) as proxy:
        write_config(
            tmp_path, f"registries:\n  - name: lab\n    url: {proxy.url}\n    concurrency: 4\n"
        )
        assert run_cli(["build"], tmp_path).exit_code == 0
        before = (proxy.requests, proxy.connections)
        assert run_cli(["build"], tmp_path).exit_code == 0
        requests, connections = proxy.requests - before[0], proxy.connections - before[1]
    assert requests > 2 * len(samples)
    assert connections <= 4


def test_corrupt_cache_entry_is_dropped_and_fetched_again(
    tmp_path: Path, own_registry: RunningRegistry
) -> None:
    built = hello("4")
    own_registry.pusher().push("team/hello", built, ["4"])
    write_config(tmp_path, f"registries:\n  - name: own\n    url: {own_registry.url}\n")
    assert run_cli(["build"], tmp_path).exit_code == 0
    entry = tmp_path / ".sitegen-cache" / "blobs" / "sha256" / built.digest[7:9] / built.digest[7:]
    entry.write_bytes(b'{"tampered": true}')
    before = len(own_registry.access_log())
    result = run_cli(["build"], tmp_path)
    assert result.exit_code == 0
    assert "dropping corrupt entry" in result.stderr
    kinds = requests_by_kind(own_registry.access_log(before))
    assert kinds["manifest GET"] == 1 and kinds["blob GET"] == 0
    assert hashlib.sha256(entry.read_bytes()).hexdigest() == built.digest[7:]


def test_cache_prunes_digests_unused_for_n_builds(
    tmp_path: Path, own_registry: RunningRegistry
) -> None:
    kept, dropped = hello("5"), hello("6")
    pusher = own_registry.pusher()
    pusher.push("keep/me", kept, ["1"])
    pusher.push("drop/me", dropped, ["1"])
    write_config(tmp_path, f"registries:\n  - name: own\n    url: {own_registry.url}\n")
    assert run_cli(["build"], tmp_path).exit_code == 0
    blobs = tmp_path / ".sitegen-cache" / "blobs" / "sha256"
    path_of = lambda digest: blobs / digest[7:9] / digest[7:]  # noqa: E731
    assert path_of(dropped.digest).is_file()
    write_config(
        tmp_path,
        f"registries:\n  - name: own\n    url: {own_registry.url}\n    include: [keep/*]\n",
    )
    assert run_cli(["build", "--keep-builds", "2"], tmp_path).exit_code == 0
    assert path_of(dropped.digest).is_file()  # unused for one build only
    assert run_cli(["build", "--keep-builds", "2"], tmp_path).exit_code == 0
    assert not path_of(dropped.digest).exists()
    assert path_of(kept.digest).is_file()


def test_progress_is_reported_periodically(tmp_path: Path, plain_registry: RunningRegistry) -> None:
    with delayed(plain_registry.url, 0.02) as proxy:
        config = write_config(tmp_path, f"registries:\n  - name: lab\n    url: {proxy.url}\n")
        seen: list[tuple[int, int, int]] = []

        def report(progress: Progress, stats: Stats) -> None:
            seen.append(
                (progress.repositories_done, progress.tags_done, sum(stats.requests.values()))
            )

        result = build(
            load_config(config, environ={}),
            tmp_path / "site",
            cache_dir=None,
            on_progress=report,
            progress_interval=0.05,
        )
    assert result.failures == ()
    assert len(seen) >= 3
    assert seen == sorted(seen)  # counters only grow
    assert seen[-1][1] == sum(len(r.tags) for r in result.catalog.registries[0].repositories)


def test_plain_log_lines_when_not_a_terminal(
    tmp_path: Path, plain_registry: RunningRegistry
) -> None:
    write_config(tmp_path, f"registries:\n  - name: lab\n    url: {plain_registry.url}\n")
    completed = subprocess.run(
        [sys.executable, "-m", "sitegen", "build"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert completed.returncode == 0
    assert "\r" not in completed.stderr and "\x1b[" not in completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert lines[-1].startswith("site written to site/")
    assert lines[-2].startswith("built ") and "requests:" in lines[-2]
    assert lines[-3].startswith("registries 1/1 · repositories 7/7 · tags ")
