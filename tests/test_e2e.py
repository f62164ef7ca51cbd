"""End to end against real registries: every repository, tag and platform gets a page
and a JSON document, with the digests that ``skopeo inspect`` reports."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from lab.push import skopeo_inspect_config, skopeo_inspect_raw, skopeo_list_tags
from lab.registry import ADMIN_PASSWORD, ADMIN_USER, RunningRegistry
from lab.samples import SampleRepo
from sitegen.site import paths
from tests.helpers import page_data, run_cli, write_config

SUPPLY_CHAIN_PREFIX = "sha256-"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def check_against_skopeo(site: Path, registry: RunningRegistry, repos: list[SampleRepo]) -> int:
    """Assert pages and JSON for every repository, tag and platform; return pages checked."""
    creds = registry.creds()
    checked = 0
    for repo in repos:
        repo_data = page_data(site, paths.repository_path("lab", repo.name))
        listed = skopeo_list_tags(registry.ref(repo.name), creds)
        expected_tags = sorted(t for t in listed if not t.startswith(SUPPLY_CHAIN_PREFIX))
        assert sorted(t["name"] for t in repo_data["tags"]) == expected_tags, repo.name
        checked += 1
        for tag in expected_tags:
            raw = skopeo_inspect_raw(registry.ref(f"{repo.name}:{tag}"), creds)
            tag_data = page_data(site, paths.tag_path("lab", repo.name, tag))
            assert tag_data["digest"] == sha256(raw), f"{repo.name}:{tag}"
            row = next(t for t in repo_data["tags"] if t["name"] == tag)
            assert row["digest"] == sha256(raw)
            checked += 1
            document = json.loads(raw)
            if "manifests" in document:
                platforms = [
                    m for m in document["manifests"] if m.get("platform", {}).get("os") != "unknown"
                ]
                listed_platforms = tag_data["platform_list"]
                assert [p["digest"] for p in listed_platforms] == [m["digest"] for m in platforms]
                for entry in listed_platforms:
                    page = page_data(site, entry["path"])
                    child = skopeo_inspect_raw(
                        registry.ref(f"{repo.name}@{entry['digest']}"), creds
                    )
                    assert page["digest"] == sha256(child)
                    config = skopeo_inspect_config(
                        registry.ref(f"{repo.name}@{entry['digest']}"), creds
                    )
                    assert page["image"]["config_digest"] == sha256(config)
                    assert page["kind"] == "digest" and page["parents"][0]["digest"] == sha256(raw)
                    checked += 1
            elif tag_data["manifest_kind"] == "image":
                config = skopeo_inspect_config(registry.ref(f"{repo.name}:{tag}"), creds)
                assert tag_data["image"]["config_digest"] == sha256(config)
    return checked


def lab_config(tmp_path: Path, registry: RunningRegistry, auth: bool, extra: str = "") -> None:
    auth_block = (
        "    auth:\n      username: ${LAB_USER}\n      password: ${LAB_PASSWORD}\n" if auth else ""
    )
    write_config(
        tmp_path,
        f"registries:\n  - name: lab\n    url: {registry.url}\n{auth_block}{extra}",
    )


def test_plain_registry_catalog_discovery(
    tmp_path: Path, plain_registry: RunningRegistry, samples: list[SampleRepo]
) -> None:
    lab_config(tmp_path, plain_registry, auth=False)
    result = run_cli(["build"], tmp_path)
    assert result.exit_code == 0, result.output
    catalog = json.loads((result.site / "api" / "catalog.json").read_text())
    names = [r["name"] for r in catalog["registries"][0]["repositories"]]
    assert names == sorted(r.name for r in samples)
    assert check_against_skopeo(result.site, plain_registry, samples) > 20
    # The deleted-tag repository is listed by _catalog but has no tags: a page, no crash.
    empty = page_data(result.site, paths.repository_path("lab", "old/empty"))
    assert empty["tags"] == [] and empty["error"] == ""
    # The registry's page says where its repositories came from.
    page = (result.site / paths.registry_path("lab") / "index.html").read_text()
    assert "· repositories discovered through the registry catalog</p>" in page
    lab = page_data(result.site, paths.registry_path("lab"))
    assert (lab["listed_by"], lab["catalog_listed"], lab["listed_from"]) == ("catalog", True, [])


def test_basic_auth_registry(
    tmp_path: Path, basic_registry: RunningRegistry, samples: list[SampleRepo]
) -> None:
    lab_config(tmp_path, basic_registry, auth=True)
    env = {"LAB_USER": ADMIN_USER, "LAB_PASSWORD": ADMIN_PASSWORD}
    result = run_cli(["build", "-v"], tmp_path, env)
    assert result.exit_code == 0, result.output
    assert check_against_skopeo(result.site, basic_registry, samples) > 20
    assert ADMIN_PASSWORD not in result.output


def test_token_auth_registry(
    tmp_path: Path, token_registry: RunningRegistry, samples: list[SampleRepo]
) -> None:
    lab_config(tmp_path, token_registry, auth=True)
    env = {"LAB_USER": ADMIN_USER, "LAB_PASSWORD": ADMIN_PASSWORD}
    server = token_registry.token_server
    assert server is not None
    server.reset()
    result = run_cli(["build", "-vv"], tmp_path, env)
    assert result.exit_code == 0, result.output
    # One token per repository scope plus one for the catalog, not one per request.
    scopes = sorted(s for r in server.requests for s in r.scopes)
    assert scopes == sorted(["registry:catalog:*"] + [f"repository:{r.name}:pull" for r in samples])
    assert all(r.user == ADMIN_USER for r in server.requests)
    assert check_against_skopeo(result.site, token_registry, samples) > 20
    assert ADMIN_PASSWORD not in result.output


def test_anonymous_on_token_registry_builds_what_is_public(
    tmp_path: Path, token_registry: RunningRegistry
) -> None:
    lab_config(
        tmp_path,
        token_registry,
        auth=False,
        extra="    repositories: [public/hello, apps/web]\n",
    )
    result = run_cli(["build"], tmp_path)
    # One repository failed, the registry as a whole did not: exit 0 without --strict.
    assert result.exit_code == 0, result.output
    hello = page_data(result.site, paths.repository_path("lab", "public/hello"))
    assert sorted(t["name"] for t in hello["tags"]) == ["1", "latest"]
    web = page_data(result.site, paths.repository_path("lab", "apps/web"))
    assert web["tags"] == []
    assert "HTTP 401" in web["error"] and "lab/apps/web" in web["error"]
    assert (
        "Could not crawl"
        in (result.site / paths.repository_path("lab", "apps/web") / "index.html").read_text()
    )
    lab = page_data(result.site, paths.registry_path("lab"))
    assert (lab["listed_by"], lab["catalog_listed"]) == ("", False)  # the config names them
    strict = run_cli(["build", "--strict"], tmp_path)
    assert strict.exit_code == 1
    assert "--strict: 1 failures" in strict.stderr


def test_catalog_refused_tells_the_user_what_to_do(
    tmp_path: Path, token_registry: RunningRegistry
) -> None:
    lab_config(tmp_path, token_registry, auth=False)
    result = run_cli(["build"], tmp_path)
    assert result.exit_code == 1
    assert "does not let us list its repositories" in result.stderr
    assert "list them under 'repositories'" in result.stderr
    assert "every registry failed" in result.stderr


def test_warm_rebuild_sends_no_manifest_or_blob_get(
    tmp_path: Path, plain_registry: RunningRegistry
) -> None:
    lab_config(tmp_path, plain_registry, auth=False)
    first = run_cli(["build"], tmp_path)
    assert first.exit_code == 0, first.output
    before = len(plain_registry.access_log())
    second = run_cli(["build"], tmp_path)
    assert second.exit_code == 0, second.output
    requests = plain_registry.access_log(before)
    manifest_gets = [r for r in requests if r.method == "GET" and "/manifests/" in r.path]
    blob_gets = [r for r in requests if r.method == "GET" and "/blobs/" in r.path]
    assert manifest_gets == [] and blob_gets == []
    assert "0 manifest GET" not in second.stderr  # counts of zero are left out
    assert "manifest GET" not in second.stderr.split("requests:")[1].split(";")[0]
