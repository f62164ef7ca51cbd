"""docs/protocol.md item 9: credentials from the config, podman/docker auth files and credential
helpers. Every test passes its own environ (a temporary HOME and PATH): the real home
and the real helpers are never touched."""

from __future__ import annotations

import json
import logging
import os
import stat
import time
from pathlib import Path

import pytest

from sitegen.errors import ConfigError
from sitegen.registry.auth import ANONYMOUS
from sitegen.registry.credentials import resolve_credentials
from tests.helpers import b64
from tests.registry.fakes import registry_config

GHCR = registry_config(url="https://ghcr.io")
HUB = registry_config(url="https://registry-1.docker.io")  # what load_config makes of docker.io


def write(path: Path, document: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A fake HOME, and PATH with a directory for fake helpers in front of the system's."""
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "bin").mkdir()
    return {"HOME": str(home), "PATH": os.pathsep.join((str(tmp_path / "bin"), "/usr/bin", "/bin"))}


def helper(env: dict[str, str], name: str, script: str) -> Path:
    """A fake ``docker-credential-<name>`` (a shell script) on the environ's PATH."""
    path = Path(env["PATH"].split(os.pathsep)[0]) / f"docker-credential-{name}"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def docker_config(env: dict[str, str], document: object) -> Path:
    return write(Path(env["HOME"]) / ".docker" / "config.json", document)


def test_explicit_config_comes_first(env: dict[str, str]) -> None:
    docker_config(env, {"auths": {"ghcr.io": {"auth": b64("file-user:file-pw")}}})
    config = registry_config(url="https://ghcr.io", username="cfg-user", password="cfg-pw")
    creds = resolve_credentials(config, env)
    assert (creds.username, creds.password and creds.password.reveal()) == ("cfg-user", "cfg-pw")
    assert creds.source == "the config file"


def test_nothing_anywhere_is_anonymous(env: dict[str, str]) -> None:
    assert resolve_credentials(GHCR, env) is ANONYMOUS
    assert resolve_credentials(GHCR, {}) is ANONYMOUS  # not even a HOME


def test_docker_config_auth_base64(env: dict[str, str]) -> None:
    path = docker_config(env, {"auths": {"ghcr.io": {"auth": b64("octo:ghp_s3cret:with-colon")}}})
    creds = resolve_credentials(GHCR, env)
    assert creds.username == "octo"
    assert creds.password is not None and creds.password.reveal() == "ghp_s3cret:with-colon"
    assert creds.source == f"{path} (ghcr.io)"
    assert "ghp_s3cret" not in repr(creds)


def test_username_and_password_fields(env: dict[str, str]) -> None:
    docker_config(env, {"auths": {"https://ghcr.io": {"username": "u", "password": "p"}}})
    creds = resolve_credentials(GHCR, env)
    assert (creds.username, creds.password and creds.password.reveal()) == ("u", "p")


def test_identitytoken_is_an_identity_token(env: dict[str, str]) -> None:
    # ACR: the user is an all-zero GUID, the identity token a refresh token.
    guid = "00000000-0000-0000-0000-000000000000"
    acr = registry_config(url="https://contoso.azurecr.io")
    docker_config(
        env,
        {
            "auths": {
                "contoso.azurecr.io": {"auth": b64(f"{guid}:"), "identitytoken": "refresh-tok"}
            }
        },
    )
    creds = resolve_credentials(acr, env)
    assert creds.identity_token is not None and creds.identity_token.reveal() == "refresh-tok"
    assert creds.password is None and creds.username == guid


def test_user_token_means_the_password_is_an_identity_token(env: dict[str, str]) -> None:
    docker_config(env, {"auths": {"ghcr.io": {"auth": b64("<token>:refresh-tok")}}})
    creds = resolve_credentials(GHCR, env)
    assert creds.identity_token is not None and creds.identity_token.reveal() == "refresh-tok"
    assert creds.password is None and creds.username is None


@pytest.mark.parametrize(
    "key", ["https://index.docker.io/v1/", "docker.io", "index.docker.io", "registry-1.docker.io"]
)
def test_docker_hub_under_any_of_its_keys(env: dict[str, str], key: str) -> None:
    docker_config(env, {"auths": {key: {"auth": b64("hubuser:hubpw")}}})
    assert resolve_credentials(HUB, env).username == "hubuser"


def test_a_repository_scoped_key_does_not_apply_to_the_whole_registry(env: dict[str, str]) -> None:
    docker_config(env, {"auths": {"ghcr.io/some-org": {"auth": b64("u:p")}}})
    assert resolve_credentials(GHCR, env) is ANONYMOUS


def test_file_order(env: dict[str, str], tmp_path: Path) -> None:
    home = Path(env["HOME"])
    files = {
        "REGISTRY_AUTH_FILE": write(
            tmp_path / "explicit.json", {"auths": {"ghcr.io": {"auth": b64("explicit:p")}}}
        ),
        "XDG_RUNTIME_DIR": write(
            tmp_path / "run" / "containers" / "auth.json",
            {"auths": {"ghcr.io": {"auth": b64("runtime:p")}}},
        ),
        "config": write(
            home / ".config" / "containers" / "auth.json",
            {"auths": {"ghcr.io": {"auth": b64("podman:p")}}},
        ),
        "DOCKER_CONFIG": write(
            tmp_path / "dockercfg" / "config.json",
            {"auths": {"ghcr.io": {"auth": b64("dockerenv:p")}}},
        ),
        "home": docker_config(env, {"auths": {"ghcr.io": {"auth": b64("dockerhome:p")}}}),
    }
    full = {
        **env,
        "REGISTRY_AUTH_FILE": str(files["REGISTRY_AUTH_FILE"]),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "DOCKER_CONFIG": str(tmp_path / "dockercfg"),
    }
    seen = []
    for drop in ("REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "config", "DOCKER_CONFIG"):
        seen.append(resolve_credentials(GHCR, full).username)
        if drop in full:
            del full[drop]
        else:
            files[drop].unlink()
    seen.append(resolve_credentials(GHCR, full).username)
    assert seen == ["explicit", "runtime", "podman", "dockerenv", "dockerhome"]


def test_docker_config_replaces_the_home_docker_directory(
    env: dict[str, str], tmp_path: Path
) -> None:
    docker_config(env, {"auths": {"ghcr.io": {"auth": b64("dockerhome:p")}}})
    (tmp_path / "empty").mkdir()
    assert resolve_credentials(GHCR, {**env, "DOCKER_CONFIG": str(tmp_path / "empty")}) is ANONYMOUS


def test_creds_store_helper_gets_the_host_on_stdin(env: dict[str, str], tmp_path: Path) -> None:
    asked = tmp_path / "asked"
    helper(
        env,
        "fake",
        f'cat > "{asked}"\n[ "$1" = get ] || exit 2\n'
        'printf \'{"ServerURL":"ghcr.io","Username":"helper-user","Secret":"helper-secret"}\'\n',
    )
    path = docker_config(env, {"credsStore": "fake", "auths": {"ghcr.io": {}}})
    creds = resolve_credentials(GHCR, env)
    assert creds.username == "helper-user"
    assert creds.password is not None and creds.password.reveal() == "helper-secret"
    assert creds.source == f"credential helper docker-credential-fake (named in {path})"
    assert asked.read_text() == "ghcr.io"  # all of stdin, then EOF: nothing inherited


def test_docker_hub_helper_is_asked_for_dockers_key(env: dict[str, str], tmp_path: Path) -> None:
    asked = tmp_path / "asked"
    helper(env, "hub", f'cat > "{asked}"\nprintf \'{{"Username":"u","Secret":"s"}}\'\n')
    docker_config(env, {"credHelpers": {"docker.io": "hub"}})
    assert resolve_credentials(HUB, env).username == "u"
    assert asked.read_text() == "https://index.docker.io/v1/"


def test_cred_helpers_win_over_creds_store_and_auths(env: dict[str, str]) -> None:
    helper(env, "store", 'printf \'{"Username":"store","Secret":"s"}\'\n')
    helper(env, "special", 'printf \'{"Username":"special","Secret":"s"}\'\n')
    docker_config(
        env,
        {
            "credsStore": "store",
            "credHelpers": {"ghcr.io": "special"},
            "auths": {"ghcr.io": {"auth": b64("file:p")}},
        },
    )
    assert resolve_credentials(GHCR, env).username == "special"
    assert resolve_credentials(registry_config(url="https://quay.io"), env).username == "store"


def test_helper_token_user_is_an_identity_token(env: dict[str, str]) -> None:
    helper(env, "acr", 'printf \'{"Username":"<token>","Secret":"refresh-from-helper"}\'\n')
    docker_config(env, {"credHelpers": {"ghcr.io": "acr"}})
    creds = resolve_credentials(GHCR, env)
    assert (
        creds.identity_token is not None and creds.identity_token.reveal() == "refresh-from-helper"
    )


def test_helper_without_credentials_falls_through_quietly(
    env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    helper(env, "none", 'echo "credentials not found in native keychain"\nexit 1\n')
    docker_config(env, {"credsStore": "none", "auths": {"ghcr.io": {"auth": b64("fromfile:p")}}})
    with caplog.at_level(logging.WARNING):
        assert resolve_credentials(GHCR, env).username == "fromfile"
        assert resolve_credentials(registry_config(url="https://quay.io"), env) is ANONYMOUS
    assert caplog.records == []


def test_a_failing_helper_is_named_but_its_stderr_is_never_logged(
    env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    helper(env, "leaky", 'echo "decrypt failed for password hunter2-leak" >&2\nexit 3\n')
    docker_config(env, {"credsStore": "leaky"})
    with caplog.at_level(logging.DEBUG):
        assert resolve_credentials(GHCR, env) is ANONYMOUS
    assert "docker-credential-leaky failed for ghcr.io (exit status 3)" in caplog.text
    assert "hunter2-leak" not in caplog.text


def test_a_missing_helper_is_reported(
    env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    docker_config(env, {"credsStore": "desktop"})
    with caplog.at_level(logging.WARNING):
        assert resolve_credentials(GHCR, env) is ANONYMOUS
    assert "docker-credential-desktop is not on PATH" in caplog.text


def test_a_hanging_helper_is_stopped(env: dict[str, str], caplog: pytest.LogCaptureFixture) -> None:
    helper(env, "slow", "exec sleep 30\n")
    docker_config(env, {"credsStore": "slow"})
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        assert resolve_credentials(GHCR, env, helper_timeout=0.5) is ANONYMOUS
    assert time.monotonic() - started < 5
    assert "docker-credential-slow did not answer within 0.5 s" in caplog.text


def test_an_unreadable_auth_file_is_a_config_error(env: dict[str, str]) -> None:
    path = Path(env["HOME"]) / ".docker" / "config.json"
    path.parent.mkdir()
    path.write_text('{"auths": {"ghcr.io": {"auth": "secret-ish"')
    with pytest.raises(ConfigError, match=f"{path}: not valid JSON"):
        resolve_credentials(GHCR, env)
    docker_config(env, {"auths": {"ghcr.io": {"auth": "not base64!"}}})
    with pytest.raises(ConfigError, match="'auth' is not base64 of user:password"):
        resolve_credentials(GHCR, env)
