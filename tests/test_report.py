"""``sitegen build --report FILE``: the build's numbers as JSON, agreeing with what the
registry itself logged."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from lab.registry import RunningRegistry
from tests.helpers import run_cli, write_config


def logged_kinds(registry: RunningRegistry, since: int) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for entry in registry.access_log(since):
        route = entry.path.split("?", 1)[0]
        if route == "/v2/":
            kinds["ping"] += 1
        elif route == "/v2/_catalog" or route.endswith("/tags/list"):
            kinds["list"] += 1
        elif "/manifests/" in route:
            kinds["head" if entry.method == "HEAD" else "manifest"] += 1
        elif "/blobs/" in route:
            kinds["blob"] += 1
        elif "/referrers/" in route:
            kinds["referrers"] += 1
        else:
            kinds["other"] += 1
    return kinds


def test_report_counts_what_the_registry_saw(
    tmp_path: Path, plain_registry: RunningRegistry
) -> None:
    write_config(tmp_path, f"registries:\n  - name: lab\n    url: {plain_registry.url}\n")
    reports = []
    for _ in ("cold", "warm"):
        before = len(plain_registry.access_log())
        result = run_cli(["build", "-q", "--report", "report.json"], tmp_path)
        assert result.exit_code == 0, result.output
        report = json.loads((tmp_path / "report.json").read_text())
        logged = logged_kinds(plain_registry, before)
        sent = {kind: n for kind, n in report["requests"].items() if n}
        assert sent == {kind: n for kind, n in logged.items() if n}
        assert report["requests_by_registry"]["lab"] == report["requests"]
        reports.append(report)
    cold, warm = reports
    assert cold["requests"]["manifest"] > 0 and cold["bytes_received"] > 0
    assert warm["requests"]["manifest"] == warm["requests"]["blob"] == 0
    assert warm["cache_hits"] > 0
    for report in reports:
        assert report["pages"] > report["tags"] > 0
        assert report["registries"] == 1 and report["failures"] == 0
        assert 0 < report["render_seconds"] <= report["seconds"]
        assert report["crawl_seconds"] == pytest.approx(
            report["seconds"] - report["render_seconds"], abs=0.002
        )


def test_report_that_cannot_be_written_exits_1(
    tmp_path: Path, plain_registry: RunningRegistry
) -> None:
    write_config(tmp_path, f"registries:\n  - name: lab\n    url: {plain_registry.url}\n")
    result = run_cli(["build", "-q", "--report", "missing/dir/report.json"], tmp_path)
    assert result.exit_code == 1
    assert "error: cannot write the report missing/dir/report.json" in result.stderr


def test_a_tag_that_failed_makes_its_registry_partial(tmp_path: Path) -> None:
    """Not "ok" when a tag or platform could not be read, in the report and on the page."""
    from lab.fakeregistry import from_samples
    from sitegen.build import build, report
    from sitegen.config import load_config

    fake = from_samples()
    broken = fake.repositories["apps/web"]["latest"]
    manifest = json.loads(fake.manifests[broken][1])
    del fake.blobs[manifest["config"]["digest"]]  # the config blob is gone: 404
    config = write_config(tmp_path, "registries:\n  - name: fake\n    url: https://registry.test\n")
    result = build(
        load_config(config, environ={}), tmp_path / "site", cache_dir=None, transport=fake.transport
    )
    status = report(result)
    assert status["status"] == "partial"
    assert status["registry_status"]["fake"]["status"] == "partial"
    assert status["registry_status"]["fake"]["repositories_with_problems"] == ["apps/web"]
    health = json.loads((tmp_path / "site/health/index.json").read_text())
    (registry,) = health["registries"]
    assert registry["status"] == "partial"
    assert registry["repositories_with_problems"][0]["name"] == "apps/web"
    page = (tmp_path / "site/health/index.html").read_text()
    assert "1 problem reading tags or platforms" in page and ">ok<" not in page
    assert status["registry_status"]["fake"]["problems"] == registry["problems"] == 1
