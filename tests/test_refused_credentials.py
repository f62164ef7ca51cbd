"""Credentials a registry or its token service refuses fail that registry as a whole.

A build whose every registry refused its credentials is a failed build (exit 1), not a
success whose pages are all errors; the refused credentials are sent once, not once per
repository (a wrong password retried for every tag can lock the account); the last good
data stays; ``sitegen check`` says the credentials were refused.
"""

from __future__ import annotations

import json
from pathlib import Path

from lab.registry import ADMIN_PASSWORD, ADMIN_USER, RunningRegistry
from tests.helpers import run_cli, write_config

REPOSITORIES = "[apps/web, base/alpine, tools/cli]"


def two_registries(tmp_path: Path, basic: RunningRegistry, token: RunningRegistry) -> None:
    write_config(
        tmp_path,
        f"""
        registries:
          - name: basic
            url: {basic.url}
            auth: {{username: '${{U}}', password: '${{BASIC_P}}'}}
            repositories: {REPOSITORIES}
          - name: token
            url: {token.url}
            auth: {{username: '${{U}}', password: '${{TOKEN_P}}'}}
            repositories: {REPOSITORIES}
        """,
    )


def test_every_registry_refusing_credentials_fails_the_build(
    tmp_path: Path, basic_registry: RunningRegistry, token_registry: RunningRegistry
) -> None:
    two_registries(tmp_path, basic_registry, token_registry)
    assert token_registry.token_server is not None
    token_registry.token_server.reset()
    since = len(basic_registry.access_log())
    wrong = {"U": ADMIN_USER, "BASIC_P": "wrong-1", "TOKEN_P": "wrong-2"}
    result = run_cli(["build", "--report", "report.json"], tmp_path, wrong)

    assert result.exit_code == 1, result.output
    assert "error: every registry failed" in result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["status"] == "failed"
    assert {name: r["status"] for name, r in report["registry_status"].items()} == {
        "basic": "failed",
        "token": "failed",
    }
    assert (
        "the registry refused user 'admin' (HTTP 401)"
        in report["registry_status"]["basic"]["error"]
    )
    assert (
        "the token service refused user 'admin' (HTTP 401)"
        in report["registry_status"]["token"]["error"]
    )
    # Each wrong password was sent once, not once per repository or tag.
    token_requests = token_registry.token_server.requests
    assert [(r.status, r.user) for r in token_requests] == [(401, None)]
    with_credentials = [e for e in basic_registry.access_log(since) if e.path != "/v2/"]
    assert with_credentials == [], with_credentials
    # The registry pages say why.
    page = (tmp_path / "site/token/index.html").read_text()
    assert "the token service refused user" in page


def test_refused_credentials_keep_the_last_good_data(
    tmp_path: Path, basic_registry: RunningRegistry, token_registry: RunningRegistry
) -> None:
    two_registries(tmp_path, basic_registry, token_registry)
    good = {"U": ADMIN_USER, "BASIC_P": ADMIN_PASSWORD, "TOKEN_P": ADMIN_PASSWORD}
    assert run_cli(["build"], tmp_path, good).exit_code == 0
    # The token registry's password changes; the basic registry still works.
    result = run_cli(["build", "--report", "report.json"], tmp_path, {**good, "TOKEN_P": "rotated"})
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["status"] == "partial"
    assert report["registry_status"]["basic"]["status"] == "ok"
    assert report["registry_status"]["token"]["status"] == "failed"
    assert report["registry_status"]["token"]["stale_repositories"] == [
        "apps/web",
        "base/alpine",
        "tools/cli",
    ]
    tag_page = (tmp_path / "site/token/apps/web/_tags/latest/index.html").read_text()
    assert "Showing the data of the last successful crawl" in tag_page
    health = (tmp_path / "site/health/index.html").read_text()
    assert "the token service refused user" in health


def test_check_says_the_credentials_were_refused(
    tmp_path: Path, basic_registry: RunningRegistry, token_registry: RunningRegistry
) -> None:
    two_registries(tmp_path, basic_registry, token_registry)
    env = {"U": ADMIN_USER, "BASIC_P": "wrong-1", "TOKEN_P": "wrong-2"}
    result = run_cli(["check"], tmp_path, env)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert "  credentials: refused: the registry refused user 'admin' (HTTP 401)" in lines
    assert "  credentials: refused: the token service refused user 'admin' (HTTP 401)" in lines
    assert "catalog" not in result.stdout  # no "catalog not available" for refused credentials
    ok = run_cli(["check"], tmp_path, {**env, "BASIC_P": ADMIN_PASSWORD, "TOKEN_P": ADMIN_PASSWORD})
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.count("  credentials: accepted") == 2
