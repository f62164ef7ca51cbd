"""Whole builds whose repositories are discovered through GitHub's packages API, GitLab's
registry repositories API, Docker Hub's namespace listing or Harbor's projects: ``include``/``exclude``
still apply, a failed discovery is a message on its registry's page alone, and the
registry's page says where its repositories came from (docs/configuration.md#discovery)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from lab.fakeregistry import from_samples
from lab.fakevendor import FakeVendorAPI
from sitegen.build import build
from sitegen.config import SiteConfig, load_config
from sitegen.model import Registry
from sitegen.site.pages.catalog import registry_page
from sitegen.site.render import Renderer
from tests.helpers import write_config
from tests.registry.fakes import fixture_bytes

TOKEN = "ghp_NotARealTokenJustAFixture00"


def listed(html: str) -> str:
    """What a registry's page says, under its name, after the pull host."""
    found = re.search(r'<p class="muted">Pull from <code>[^<]*</code>(.*?)</p>', html)
    assert found is not None
    return found[1]


def listed_on(site: Path, registry: str) -> str:
    return listed((site / registry / "index.html").read_text())


def built_through(tmp_path: Path, api: FakeVendorAPI, registry: str) -> list[str]:
    """Build the one ``registry`` (YAML) through ``api``; the repositories it shows,
    none of them listed with ``/v2/_catalog``."""
    config = write_config(tmp_path, f"registries:\n{registry}")
    result = build(load_config(config, environ={}), tmp_path / "site",
                   cache_dir=tmp_path / "cache", transport=api.transport)  # fmt: skip
    assert result.failures == ()
    [shown] = result.catalog.registries
    assert ("GET", "/v2/_catalog") not in api.registry.requests
    return [r.name for r in shown.repositories]


def test_a_build_discovers_through_the_api_and_include_exclude_still_apply(
    tmp_path: Path,
) -> None:
    api = FakeVendorAPI(from_samples(), "ghcr", registry_host="ghcr.io", page_size=1)
    entry = f"""  - name: gh
    url: ghcr.io
    auth: {{username: me, password: {TOKEN}}}
    discover: {{owners: [apps, tools]}}
    exclude: "apps/worker"
"""
    assert built_through(tmp_path, api, entry) == ["apps/web", "tools/cli"]
    assert (tmp_path / "site/gh/apps/web/index.html").exists()
    packages = [r for r in api.requests if r.url.path.endswith("/packages")]
    assert len(packages) == 2 + 1  # apps: two pages of one package each; tools: one
    words = " · repositories discovered through GitHub Packages (owners apps, tools)"
    assert listed_on(tmp_path / "site", "gh") == words
    data = json.loads((tmp_path / "site/gh/index.json").read_text())
    assert (data["listed_by"], data["catalog_listed"]) == ("ghcr", False)
    assert data["listed_from"] == [{"kind": "owner", "name": n} for n in ("apps", "tools")]


def test_a_docker_hub_build_discovers_its_namespace(tmp_path: Path) -> None:
    api = FakeVendorAPI(from_samples(), "hub", registry_host="registry-1.docker.io", page_size=2)
    entry = "  - {name: hub, url: docker.io, discover: {namespaces: [apps, base]}}\n"
    assert built_through(tmp_path, api, entry) == ["apps/web", "apps/worker", "base/alpine"]
    words = " · repositories discovered through Docker Hub (namespaces apps, base)"
    assert listed_on(tmp_path / "site", "hub") == words


def test_a_harbor_build_discovers_its_projects(tmp_path: Path) -> None:
    api = FakeVendorAPI(from_samples(), "harbor", registry_host="harbor.test", page_size=1)
    entry = """  - name: harbor
    url: harbor.test
    api: harbor
    discover: {projects: [apps, tools]}
    exclude: "apps/worker"
"""
    assert built_through(tmp_path, api, entry) == ["apps/web", "tools/cli"]
    listing = [r for r in api.requests if r.url.path.endswith("/repositories")]
    assert len(listing) == 2 + 1  # apps: two pages of one repository each; tools: one
    words = " · repositories discovered through Harbor (projects apps, tools)"
    assert listed_on(tmp_path / "site", "harbor") == words


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
    # A failed discovery still names what it asked for (its page says why it failed).
    words = " · repositories discovered through GitLab (group base; project tools/cli)"
    assert listed_on(tmp_path / "site", "good") == words
    assert (
        listed_on(tmp_path / "site", "bad")
        == " · repositories discovered through GitLab (group secret)"
    )
    # GitLab's tags come from tags/list and a HEAD per tag, never its API.
    assert not [r for r in gitlab.requests if "/tags" in r.url.path]


def test_without_discover_the_page_says_the_registry_catalog_listed_them(tmp_path: Path) -> None:
    registry = from_samples()
    config = write_config(
        tmp_path,
        """
        registries:
          - name: listed
            url: registry.test
          - name: named
            url: registry.test
            repositories: [apps/web]
        """,
    )
    result = build(load_config(config, environ={}), tmp_path / "site",
                   cache_dir=tmp_path / "cache", transport=registry.transport)  # fmt: skip
    assert result.failures == ()
    assert ("GET", "/v2/_catalog") in registry.requests
    words = " · repositories discovered through the registry catalog"
    assert listed_on(tmp_path / "site", "listed") == words
    assert listed_on(tmp_path / "site", "named") == ""  # the config names them
    listed_json = json.loads((tmp_path / "site/listed/index.json").read_text())
    named_json = json.loads((tmp_path / "site/named/index.json").read_text())
    assert (listed_json["listed_by"], listed_json["catalog_listed"]) == ("catalog", True)
    assert (named_json["listed_by"], named_json["catalog_listed"]) == ("", False)


def test_what_discovery_was_asked_for_is_escaped_on_the_page() -> None:
    registry = Registry(name="gl", url="", pull_host="registry.gitlab.com", listed_by="gitlab",
                        listed_from=(("group", "<b>a&b</b>"), ("group", "c")))  # fmt: skip
    html = Renderer(SiteConfig()).html(registry_page(registry))
    words = " · repositories discovered through GitLab (groups &lt;b&gt;a&amp;b&lt;/b&gt;, c)"
    assert listed(html) == words
