"""CLI contract: exit codes (0 ok, 1 error, 2 usage) and messages a person can act on."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lab.registry import ADMIN_PASSWORD, ADMIN_USER, RunningRegistry
from tests.helpers import run_cli, write_config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_config_error_exits_1_with_location(tmp_path: Path) -> None:
    write_config(tmp_path, "registries:\n  - name: a\n    url: http://127.0.0.1:1\n    tgas: {}\n")
    result = run_cli(["build"], tmp_path)
    assert result.exit_code == 1
    assert result.stderr == (
        "error: registries.yaml:4:5: registries[0].tgas: unknown key 'tgas'; did you mean 'tags'?\n"
    )
    assert not (tmp_path / "site").exists()


def test_missing_config_exits_1(tmp_path: Path) -> None:
    result = run_cli(["build", "-c", "nowhere.yaml"], tmp_path)
    assert result.exit_code == 1
    assert result.stderr == "error: nowhere.yaml: file not found\n"


@pytest.mark.parametrize(
    "args", [["build", "--no-such-option"], ["frobnicate"], ["serve", "--port", "x"]]
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = run_cli(args, tmp_path)
    assert result.exit_code == 2
    assert "Usage:" in result.output


def test_unreachable_registry_fails_the_build_with_exit_1(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here
    write_config(
        tmp_path,
        f"registries:\n  - name: gone\n    url: http://127.0.0.1:{port}\n    timeout: 2\n"
        "    retries: 0\n",  # retries of a refused connection only wait (backoff): not tested here
    )
    result = run_cli(["build"], tmp_path)
    assert result.exit_code == 1
    assert "gone: ping failed: cannot connect" in result.stderr
    assert "every registry failed" in result.stderr
    # The site is still written, showing the failure, so the published page says why.
    page = (tmp_path / "site" / "gone" / "index.html").read_text()
    assert "Could not crawl" in page


def test_output_directory_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    write_config(tmp_path, "registries:\n  - name: a\n    url: http://127.0.0.1:1\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "keep.md").write_text("precious")
    result = run_cli(["build", "-o", "docs"], tmp_path)
    assert result.exit_code == 1
    assert "refusing to build into docs: it is not empty and was not built by sitegen" in (
        result.stderr
    )
    assert (tmp_path / "docs" / "keep.md").read_text() == "precious"


@pytest.mark.parametrize("target", [".", "..", "/"])
def test_output_into_config_dir_or_parents_is_refused(tmp_path: Path, target: str) -> None:
    write_config(tmp_path, "registries:\n  - name: a\n    url: http://127.0.0.1:1\n")
    result = run_cli(["build", "-o", target], tmp_path)
    assert result.exit_code == 1
    assert f"refusing to build into {target}" in result.stderr


def test_check_reports_what_each_registry_allows(
    tmp_path: Path, token_registry: RunningRegistry
) -> None:
    write_config(
        tmp_path,
        f"""
        registries:
          - name: admin
            url: {token_registry.url}
            auth: {{username: {ADMIN_USER}, password: "${{PW}}"}}
          - name: anon
            url: {token_registry.url}
            repositories: [public/hello]
        """,
    )
    result = run_cli(["check"], tmp_path, {"PW": ADMIN_PASSWORD})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "registries.yaml: valid (2 registries)" in out
    assert f"admin: {token_registry.url}" in out
    assert "reachable: yes" in out
    assert f"auth: Bearer token from {token_registry.token_server.realm}" in out  # type: ignore[union-attr]
    assert f"connecting as user {ADMIN_USER}" in out
    assert "catalog: available, 7 repositories" in out
    assert "connecting anonymously" in out
    assert "catalog: not available (401)" in out
    assert "public/hello: 2 tags" in out
    assert ADMIN_PASSWORD not in result.output
    assert not (tmp_path / "site").exists()


def test_check_fails_when_repositories_cannot_be_discovered(
    tmp_path: Path, token_registry: RunningRegistry
) -> None:
    write_config(tmp_path, f"registries:\n  - name: anon\n    url: {token_registry.url}\n")
    result = run_cli(["check"], tmp_path)
    assert result.exit_code == 1
    assert "list repositories in the config" in result.stdout


def test_serve_without_site_exits_1(tmp_path: Path) -> None:
    result = run_cli(["serve"], tmp_path)
    assert result.exit_code == 1
    assert "site/index.html not found; run sitegen build first" in result.stderr


def test_serve_previews_on_loopback(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>hello</h1>")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sitegen", "serve", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/index.html", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("serve did not start")
        assert response.text == "<h1>hello</h1>"
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=5)
    assert f"http://127.0.0.1:{port}/" in out.decode()


def test_version_and_module_entry_point() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "sitegen", "--version"],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    assert completed.stdout.startswith("sitegen, version ")


def test_output_into_the_home_directory_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / "work").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    write_config(home / "work", "registries:\n  - name: a\n    url: http://127.0.0.1:1\n")
    result = run_cli(["build", "-o", str(home)], home / "work")
    assert result.exit_code == 1
    assert f"refusing to build into {home}: it is or contains" in result.stderr
