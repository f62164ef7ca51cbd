"""Whole builds whose repositories are discovered through GitHub's packages API, GitLab's
registry repositories API or Docker Hub's namespace listing: ``include``/``exclude``
still apply, and a failed discovery is a message on its registry's page alone
(docs/configuration.md#discovery)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from lab.fakeregistry import from_samples
from lab.fakevendor import FakeVendorAPI
from sitegen.build import build
from sitegen.config import load_config
from tests.helpers import write_config
from tests.registry.fakes import fixture_bytes

TOKEN = "ghp_NotARealTokenJustAFixture00"


def test_a_build_discovers_through_the_api_and_include_exclude_still_apply(
    tmp_path: Path,
) -> None:
    api = FakeVendorAPI(from_samples(), "ghcr", registry_host="ghcr.io", page_size=1)
    config = write_config(
        tmp_path,
        f"""
        registries:
          - name: gh
            url: ghcr.io
            auth: {{username: me, password: {TOKEN}}}
            discover: {{owners: [apps, tools]}}
            exclude: "apps/worker"
        """,
    )
    result = build(load_config(config, environ={}), tmp_path / "site",
                   cache_dir=tmp_path / "cache", transport=api.transport)  # fmt: skip
    assert result.failures == ()
    [registry] = result.catalog.registries
    assert [r.name for r in registry.repositories] == ["apps/web", "tools/cli"]
    assert ("GET", "/v2/_catalog") not in api.registry.requests
    assert (tmp_path / "site/gh/apps/web/index.html").exists()
    packages = [r for r in api.requests if r.url.path.endswith("/packages")]
    assert len(packages) == 2 + 1  # apps: two pages of one package each; tools: one


def test_a_docker_hub_build_discovers_its_namespace(tmp_path: Path) -> None:
    api = FakeVendorAPI(from_samples(), "hub", registry_host="registry-1.docker.io", page_size=2)
    config = write_config(
        tmp_path,
        """
        registries:
          - name: hub
            url: docker.io
            discover: {namespaces: [apps, base]}
        """,
    )
    result = build(load_config(config, environ={}), tmp_path / "site",
                   cache_dir=tmp_path / "cache", transport=api.transport)  # fmt: skip
    assert result.failures == ()
    [registry] = result.catalog.registries
    assert [r.name for r in registry.repositories] == ["apps/web", "apps/worker", "base/alpine"]
    assert ("GET", "/v2/_catalog") not in api.registry.requests


def test_a_failed_discovery_is_a_message_on_its_registry_only(tmp_path: Path) -> None:
    gitlab = FakeVendorAPI(from_samples(), "gitlab", registry_host="registry.gitlab.com")
    refusal = fixture_bytes("vendor-apis/gitlab-api-401-unauthorized-2020.json")

    def transport(request: httpx.Request) -> httpx.Response:
        if request.url.host == "gitlab.com" and "/groups/secret" in request.url.path:
            return httpx.Response(401, content=refusal)
        return gitlab.handle(request)

    config = write_config(
        tmp_path,
        f"""
        registries:
          - name: good
            url: registry.gitlab.com
            auth: {{username: me, password: {TOKEN}}}
            discover: {{groups: [base], projects: [tools/cli]}}
          - name: bad
            url: registry.gitlab.com
            auth: {{username: me, password: {TOKEN}}}
            discover: {{groups: [secret]}}
        """,
    )
    result = build(load_config(config, environ={}), tmp_path / "site",
                   cache_dir=tmp_path / "cache",
                   transport=httpx.MockTransport(transport))  # fmt: skip
    good, bad = sorted(result.catalog.registries, key=lambda r: r.name != "good")
    assert [r.name for r in good.repositories] == ["base/alpine", "tools/cli"] and not good.error
    assert "401 Unauthorized" in bad.error and "read_api" in bad.error
    assert TOKEN not in bad.error and len(result.failures) == 1
    page = (tmp_path / "site/bad/index.html").read_text()
    assert "read_api" in page and TOKEN not in page
    registry_json = json.loads((tmp_path / "site/bad/index.json").read_text())
    assert "read_api" in json.dumps(registry_json)
    # GitLab's tags come from tags/list and a HEAD per tag, never its API.
    assert not [r for r in gitlab.requests if "/tags" in r.url.path]
