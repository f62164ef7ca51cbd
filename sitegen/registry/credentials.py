"""Where a registry's credentials come from (docs/protocol.md item 9).

Order, first match wins:

1. ``auth`` in the config (``${ENV}`` references are expanded by the config reader);
2. the containers and docker auth files, in the order containers/image reads them:
   ``$REGISTRY_AUTH_FILE``, ``$XDG_RUNTIME_DIR/containers/auth.json``,
   ``$XDG_CONFIG_HOME/containers/auth.json`` (default ``~/.config``), then
   ``$DOCKER_CONFIG/config.json`` or, without ``DOCKER_CONFIG``, ``~/.docker/config.json``.
   In each file ``credHelpers[host]`` comes first, then ``credsStore``, then
   ``auths[host]`` (``auth`` = base64 ``user:password``, or ``username``/``password``,
   plus ``identitytoken``). The user ``<token>`` means the password is an identity
   (OAuth2 refresh) token. Docker Hub is filed under ``https://index.docker.io/v1/``
   (docker) or ``docker.io`` (podman); every alias is looked up;
3. anonymous.

Credential helpers run as ``docker-credential-<name> get`` with the server on stdin,
a bounded timeout, no inherited stdin, and their stderr never shown (it may echo
secrets): a failing helper is reported by name and exit status only.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sitegen.config import RegistryConfig, Secret
from sitegen.errors import ConfigError, FileRefused
from sitegen.files import read_limited, reason
from sitegen.oci.references import DOCKER_HUB_HOSTS, is_docker_hub
from sitegen.registry.auth import ANONYMOUS, Credentials

log = logging.getLogger("sitegen.registry")

HELPER_TIMEOUT = 30.0  # seconds; helpers may unlock a keychain, but must not hang a build
MAX_AUTH_FILE_BYTES = 4 << 20
MAX_HELPER_OUTPUT = 1 << 20
DOCKER_HUB_KEY = "https://index.docker.io/v1/"
_TOKEN_USER = "<token>"  # noqa: S105 - a marker user name, not a password


def resolve_credentials(
    config: RegistryConfig, environ: Mapping[str, str], *, helper_timeout: float = HELPER_TIMEOUT
) -> Credentials:
    """The credentials for ``config``: explicit config, then auth files, else anonymous.

    ``environ`` supplies ``HOME``, ``PATH`` (for credential helpers) and the auth-file
    variables; nothing is read from the real environment. Raises ``ConfigError`` for
    an auth file that exists but cannot be read or parsed.
    """
    if config.auth.password is not None:
        return Credentials(
            username=config.auth.username, password=config.auth.password, source="the config file"
        )
    hosts = _hosts(config.host)
    for path in auth_files(environ):
        document = _load(path)
        if document is None:
            continue
        found = _from_file(document, path, hosts, environ, helper_timeout)
        if found is not None:
            return found
    return ANONYMOUS


def auth_files(environ: Mapping[str, str]) -> list[Path]:
    """The auth files to read, in order (they need not exist)."""
    files: list[Path] = []
    home = environ.get("HOME", "")
    if environ.get("REGISTRY_AUTH_FILE"):
        files.append(Path(environ["REGISTRY_AUTH_FILE"]))
    if environ.get("XDG_RUNTIME_DIR"):
        files.append(Path(environ["XDG_RUNTIME_DIR"], "containers", "auth.json"))
    config_home = environ.get("XDG_CONFIG_HOME") or (str(Path(home, ".config")) if home else "")
    if config_home:
        files.append(Path(config_home, "containers", "auth.json"))
    if environ.get("DOCKER_CONFIG"):
        files.append(Path(environ["DOCKER_CONFIG"], "config.json"))
    elif home:
        files.append(Path(home, ".docker", "config.json"))
    return files


def _hosts(host: str) -> tuple[str, ...]:
    """The keys ``host`` may be filed under (normalised: no scheme, no path)."""
    return DOCKER_HUB_HOSTS if is_docker_hub(host) else (host.lower(),)


def _normalise_key(key: str) -> str:
    """``https://index.docker.io/v1/`` -> ``index.docker.io``; ``quay.io/org`` stays.

    Like containers/image: only keys written with a scheme (docker's legacy form) lose
    their path; podman's repository-scoped keys keep it and never match a bare host.
    """
    key = key.strip().lower()
    for scheme in ("https://", "http://"):
        if key.startswith(scheme):
            return key[len(scheme) :].split("/", 1)[0]
    return key.rstrip("/")


def _load(path: Path) -> dict[str, Any] | None:
    # A regular file only, read with a bound: REGISTRY_AUTH_FILE=/dev/zero or a FIFO
    # must not eat the memory or hang the build.
    try:
        document = json.loads(read_limited(path, MAX_AUTH_FILE_BYTES).decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, FileRefused) as exc:
        raise ConfigError(f"{path}: cannot read: {reason(exc)}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        # The message of a JSON error quotes no content, only the position.
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a JSON object")
    return document


def _from_file(
    document: Mapping[str, Any],
    path: Path,
    hosts: tuple[str, ...],
    environ: Mapping[str, str],
    timeout: float,
) -> Credentials | None:
    helpers = document.get("credHelpers")
    if isinstance(helpers, dict):
        for key, helper in helpers.items():
            if _normalise_key(key) in hosts and isinstance(helper, str) and helper:
                found = _from_helper(helper, _server(hosts), path, environ, timeout)
                if found is not None:
                    return found
    store = document.get("credsStore")
    if isinstance(store, str) and store:
        found = _from_helper(store, _server(hosts), path, environ, timeout)
        if found is not None:
            return found
    auths = document.get("auths")
    if isinstance(auths, dict):
        for key, entry in _matching(auths, hosts):
            found = _from_entry(entry, f"{path} ({key})")
            if found is not None:
                return found
    return None


def _matching(auths: Mapping[str, Any], hosts: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    """Entries for ``hosts``, the exact host's own key before an alias's."""
    for host in hosts:
        for key, entry in auths.items():
            if _normalise_key(key) == host:
                yield key, entry


def _server(hosts: tuple[str, ...]) -> str:
    """What a credential helper is asked for: docker's key for Docker Hub, else the host."""
    return DOCKER_HUB_KEY if hosts == DOCKER_HUB_HOSTS else hosts[0]


def _from_entry(entry: Any, source: str) -> Credentials | None:
    """One ``auths`` entry; None when it holds nothing usable (credsStore placeholders)."""
    if not isinstance(entry, dict):
        return None
    username = entry.get("username") if isinstance(entry.get("username"), str) else None
    password = entry.get("password") if isinstance(entry.get("password"), str) else None
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded.strip():
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ConfigError(f"{source}: 'auth' is not base64 of user:password") from None
        user, sep, secret = decoded.partition(":")
        if not sep:
            raise ConfigError(f"{source}: 'auth' is not base64 of user:password")
        username, password = user, secret
    identity = entry.get("identitytoken")
    if isinstance(identity, str) and identity:
        return _credentials(username, None, identity, source)
    if password:
        return _credentials(username, password, None, source)
    return None


def _credentials(
    username: str | None, password: str | None, identity: str | None, source: str
) -> Credentials:
    if username == _TOKEN_USER and password:
        username, password, identity = None, None, password
    if identity is not None:
        # The user name beside an identity token is informational (ACR's all-zero GUID).
        user = username if username and username != _TOKEN_USER else None
        return Credentials(username=user, identity_token=Secret(identity), source=source)
    return Credentials(username=username or None, password=Secret(password or ""), source=source)


def _from_helper(
    name: str, server: str, path: Path, environ: Mapping[str, str], timeout: float
) -> Credentials | None:
    """``docker-credential-<name> get``; None when it has nothing for ``server``."""
    program = f"docker-credential-{name}"
    source = f"credential helper {program} (named in {path})"
    executable = shutil.which(program, path=environ.get("PATH", ""))
    if executable is None:
        log.warning("%s: %s is not on PATH; trying other sources", path, program)
        return None
    try:
        done = subprocess.run(  # noqa: S603 - the program is the helper the user named
            [executable, "get"],
            input=server.encode(),
            capture_output=True,
            timeout=timeout,
            env=dict(environ),
            check=False,
        )
    except subprocess.TimeoutExpired:
        log.warning("%s did not answer within %g s; trying other sources", program, timeout)
        return None
    except OSError as exc:
        log.warning("%s could not be run (%s); trying other sources", program, exc.strerror)
        return None
    if done.returncode != 0:
        # "credentials not found" is the helper protocol's normal miss; any other
        # failure is named by exit status only: helpers' stderr may echo secrets.
        if b"credentials not found" not in done.stdout + done.stderr:
            log.warning(
                "%s failed for %s (exit status %d); trying other sources",
                program,
                server,
                done.returncode,
            )
        return None
    try:
        answer = json.loads(done.stdout[:MAX_HELPER_OUTPUT].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        log.warning("%s answered something that is not JSON; trying other sources", program)
        return None
    if not isinstance(answer, dict):
        return None
    username, secret = answer.get("Username"), answer.get("Secret")
    if not isinstance(secret, str) or not secret:
        return None
    return _credentials(username if isinstance(username, str) else None, secret, None, source)
