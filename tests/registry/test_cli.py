"""What a person sees: ``sitegen check`` per registry (reachable, auth, who and from
where, catalog, rate limit), and no secret anywhere in a ``build -vv`` - its log, its
error messages or its site - against the real token registry and a fake that echoes
the Authorization header back in its error bodies."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from pathlib import Path

import httpx

from lab.registry import ADMIN_PASSWORD, ADMIN_USER, RunningRegistry
from tests.helpers import b64, run_cli, site_text, write_config
from tests.registry.fakes import fixture_bytes, fixture_headers, json_response, serve

ALICE_PASSWORD = "alice-basic-pw-4711"
ECHO_PASSWORD = "echo-token-pw-0815"
ISSUED = "echo-issued-token-"


def isolated_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """HOME, PATH and every auth-file variable pointed into ``tmp_path``."""
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True, exist_ok=True)
    (tmp_path / "bin").mkdir(exist_ok=True)
    return {
        "HOME": str(home),
        "PATH": os.pathsep.join((str(tmp_path / "bin"), os.environ.get("PATH", "/usr/bin:/bin"))),
        "DOCKER_CONFIG": str(home / ".docker"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "REGISTRY_AUTH_FILE": str(tmp_path / "no-such-auth.json"),
        **extra,
    }


def basic_fake(request: httpx.Request) -> httpx.Response:
    """A Basic-auth registry for alice that reports Docker Hub style rate limits."""
    _, limits = fixture_headers("dockerhub/ratelimit-headers-2021.txt")
    challenge = fixture_headers("distribution/v2-401-htpasswd.txt")[1]
    if request.headers.get("authorization") != "Basic " + b64(f"alice:{ALICE_PASSWORD}"):
        www = [(k, v) for k, v in challenge if k.lower() == "www-authenticate"]
        return httpx.Response(401, headers=www, json={"errors": [{"code": "UNAUTHORIZED"}]})
    if request.url.path == "/v2/_catalog":
        return httpx.Response(200, headers=limits, json={"repositories": ["team/a", "team/b"]})
    return httpx.Response(200, headers=limits, json={})


def no_catalog_fake(request: httpx.Request) -> httpx.Response:
    """An open registry without _catalog (ECR Public 2022 style 404)."""
    if request.url.path == "/v2/_catalog":
        return httpx.Response(404, content=fixture_bytes("ecr/public-tags-list-404-2022.json"))
    if request.url.path.endswith("/tags/list"):
        return json_response(200, {"tags": ["1", "2", "3"]})
    return json_response(200, {})


def test_check_reports_each_registry(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    with serve(basic_fake) as basic_url, serve(no_catalog_fake) as open_url:
        basic_host = basic_url.removeprefix("http://")
        open_host = open_url.removeprefix("http://")
        config_json = Path(env["DOCKER_CONFIG"]) / "config.json"
        config_json.write_text(
            json.dumps(
                {
                    "auths": {basic_host: {"auth": b64(f"alice:{ALICE_PASSWORD}")}},
                    "credHelpers": {open_host: "lab"},
                }
            )
        )
        helper = tmp_path / "bin" / "docker-credential-lab"
        helper.write_text(
            '#!/bin/sh\ncat >/dev/null\nprintf \'{"Username":"bob","Secret":"bob-helper-pw"}\'\n'
        )
        helper.chmod(helper.stat().st_mode | stat.S_IXUSR)
        write_config(
            tmp_path,
            f"""
            registries:
              - name: basic
                url: {basic_url}
              - name: open
                url: {open_url}
                repositories: [team/app]
            """,
        )
        result = run_cli(["check"], tmp_path, env)
    assert result.exit_code == 0, result.output
    out = re.sub(r"answered (\d+) in \d+ ms", r"answered \1 in N ms", result.stdout)
    assert out == (
        "registries.yaml: valid (2 registries)\n"
        f"basic: {basic_url}\n"
        "  reachable: yes (GET /v2/ answered 401 in N ms)\n"
        f"  auth: Basic; connecting as user alice (credentials from {config_json} ({basic_host}))\n"
        "  credentials: accepted\n"
        "  catalog: available, 2 repositories\n"
        "  rate limit: 76 of 100 remaining\n"
        f"open: {open_url}\n"
        "  reachable: yes (GET /v2/ answered 200 in N ms)\n"
        "  auth: none required; connecting as user bob (credentials from credential helper "
        f"docker-credential-lab (named in {config_json}))\n"
        "  catalog: not available (404)\n"
        "  team/app: 3 tags\n"
    )
    for secret in (ALICE_PASSWORD, "bob-helper-pw"):
        assert secret not in result.output


def test_check_names_the_vendor_api_a_build_would_use(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    with serve(no_catalog_fake) as url:
        write_config(
            tmp_path,
            f"""
            registries:
              - name: quay
                url: {url}
                api: quay
                repositories: [team/app]
            """,
        )
        result = run_cli(["check"], tmp_path, env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "  vendor API: Quay, tags with their digests (api: quay)" in lines
    assert lines.index("  vendor API: Quay, tags with their digests (api: quay)") == 4  # after auth


def test_check_with_an_unreadable_docker_config_is_a_clear_error(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    (Path(env["DOCKER_CONFIG"]) / "config.json").write_text("{not json")
    write_config(tmp_path, "registries:\n  - name: r\n    url: http://127.0.0.1:9\n")
    result = run_cli(["check"], tmp_path, env)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {env['DOCKER_CONFIG']}/config.json: not valid JSON")


class EchoRegistry:
    """Token auth whose every error body repeats the request's Authorization header."""

    def __init__(self) -> None:
        self.issued: list[str] = []
        self.url = ""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization", "")
        path = request.url.path
        if path == "/token":
            if auth != "Basic " + b64(f"echo:{ECHO_PASSWORD}"):
                return json_response(401, {"errors": [{"code": "UNAUTHORIZED", "message": auth}]})
            self.issued.append(f"{ISSUED}{len(self.issued) + 1}")
            return json_response(200, {"token": self.issued[-1], "expires_in": 300})
        if not auth.startswith(f"Bearer {ISSUED}"):
            challenge = f'Bearer realm="{self.url}/token",service="echo"'
            return json_response(401, {}, {"WWW-Authenticate": challenge})
        if path == "/v2/_catalog":
            return json_response(200, {"repositories": ["team/app", "team/xml"]})
        if path == "/v2/team/app/tags/list":
            return json_response(200, {"tags": ["v1"]})
        if path == "/v2/team/xml/tags/list":
            xml = fixture_bytes("s3/only-one-auth-mechanism-400-full.xml").decode()
            start, end = xml.index("<ArgumentValue>"), xml.index("</ArgumentValue>")
            echoed = xml[:start] + f"<ArgumentValue>{auth}" + xml[end:]
            return httpx.Response(403, content=echoed.encode())
        if request.method == "HEAD":
            return httpx.Response(200, headers={"Content-Type": "application/json"})
        message = f"rejected Authorization: {auth}"
        return json_response(400, {"errors": [{"code": "DENIED", "message": message}]})


def test_no_secret_in_any_log_line_message_or_page(
    tmp_path: Path, token_registry: RunningRegistry
) -> None:
    server = token_registry.token_server
    assert server is not None
    grant = httpx.post(
        server.realm,
        data={
            "grant_type": "password",
            "username": ADMIN_USER,
            "password": ADMIN_PASSWORD,
            "service": server.service,
            "client_id": "test",
        },
    )
    identity = grant.json()["refresh_token"]
    env = isolated_env(tmp_path, PW=ADMIN_PASSWORD, ECHO_PW=ECHO_PASSWORD)
    (Path(env["DOCKER_CONFIG"]) / "config.json").write_text(
        json.dumps(
            {
                "auths": {
                    token_registry.host: {"auth": b64(f"{ADMIN_USER}:"), "identitytoken": identity}
                }
            }
        )
    )
    echo = EchoRegistry()
    with serve(echo) as echo_url:
        echo.url = echo_url
        write_config(
            tmp_path,
            f"""
            registries:
              - name: password
                url: {token_registry.url}
                auth: {{username: {ADMIN_USER}, password: "${{PW}}"}}
                repositories: [apps/web, public/hello, no/such]
              - name: identity
                url: {token_registry.url}
                repositories: [tools/cli]
              - name: echo
                url: {echo_url}
                auth: {{username: echo, password: "${{ECHO_PW}}"}}
            """,
        )
        built = run_cli(["build", "-vv"], tmp_path, env)
        checked = run_cli(["check", "-v"], tmp_path, env)
    assert built.exit_code == 0, built.output
    log = built.output + checked.output
    # The build really went through every path: tokens issued, errors echoed and caught.
    assert echo.issued
    assert "/v2/apps/web/tags/list?... -> 200 HTTP/1.1" in built.stderr  # -vv: every request
    assert (
        "echo/team/app: get manifest v1: HTTP 400 DENIED: rejected Authorization: Bearer ***" in log
    )
    assert "echo/team/xml: list tags: HTTP 403 INVALIDARGUMENT" in log
    config_json = Path(env["DOCKER_CONFIG"]) / "config.json"
    assert (
        f"connecting as user {ADMIN_USER} (credentials from {config_json} ({token_registry.host}))"
    ) in checked.stdout
    text = log + site_text(tmp_path / "site") + site_text(tmp_path / ".sitegen-cache")
    secrets = [
        ADMIN_PASSWORD,
        identity,
        ECHO_PASSWORD,
        *echo.issued,
        b64(f"{ADMIN_USER}:{ADMIN_PASSWORD}"),
        b64(f"echo:{ECHO_PASSWORD}"),
        b64(f"{ADMIN_USER}:{identity}"),
    ]
    for secret in secrets:
        assert secret not in text, secret
    assert ISSUED not in text
    # No JWT the real token server issued: they all start with its header. (The cache
    # holds registry documents with other base64 JSON, such as a cosign Rekor bundle.)
    assert base64.urlsafe_b64encode(b'{"typ":"JWT","alg":"RS25').decode() not in text
