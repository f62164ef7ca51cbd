"""Files a user names - the config itself, descriptions, TLS files, a theme, docker and
podman auth files - are read only if they are regular files, and only up to a bound.

A FIFO must not hang the build and ``/dev/zero`` must not eat the memory; a CA bundle
that is not PEM, or a key that does not match its certificate, is a config error that
names file, line, column and key, not a traceback at the first connection. Every case
runs the real ``sitegen build`` in a process with a time and a memory limit, and reads
its output as a user would.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from lab.registry import RunningRegistry, write_self_signed

MEMORY = 1 << 30  # the build's address space: /dev/zero read whole would pass it


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def sitegen_build(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``sitegen build ARGS`` as a user runs it, stopped after 30 s."""
    return subprocess.run(
        [sys.executable, "-m", "sitegen", "build", *args],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=limit_memory,
        check=False,
    )


def one_error(done: subprocess.CompletedProcess[str]) -> str:
    """The single line a failed build printed, without ``error: ``."""
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0].removeprefix("error: ")


REGISTRY = "registries:\n  - name: lab\n    url: http://127.0.0.1:9\n"


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def zero(path: Path) -> Path:
    path.symlink_to("/dev/zero")
    return path


SPECIAL: dict[str, tuple[Callable[[Path], Path], str]] = {
    "fifo": (fifo, "not a regular file (a named pipe)"),
    "zero": (zero, "not a regular file (a character device)"),
}


@pytest.mark.parametrize("kind", list(SPECIAL))
def test_a_description_that_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    make, problem = SPECIAL[kind]
    make(tmp_path / "about.md")
    make(tmp_path / "readme.md")
    (tmp_path / "registries.yaml").write_text(
        REGISTRY + "    repositories:\n      - name: team/app\n        description: readme.md\n"
    )
    assert one_error(sitegen_build(tmp_path)) == (
        "registries.yaml:6:22: registries[0].repositories[0].description: "
        f"cannot read description file readme.md: {problem}"
    )
    (tmp_path / "registries.yaml").write_text("site:\n  description: about.md\n" + REGISTRY)
    assert one_error(sitegen_build(tmp_path)) == (
        f"registries.yaml:2:16: site.description: cannot read description file about.md: {problem}"
    )


@pytest.mark.parametrize("kind", list(SPECIAL))
def test_a_config_that_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    make, problem = SPECIAL[kind]
    make(tmp_path / "registries.yaml")
    assert one_error(sitegen_build(tmp_path)) == f"registries.yaml: cannot read: {problem}"


def test_a_huge_config_is_refused(tmp_path: Path) -> None:
    with (tmp_path / "registries.yaml").open("w") as handle:
        handle.write(REGISTRY)
        handle.truncate(64 << 20)  # sparse: 64 MiB of NUL bytes after the YAML
    assert one_error(sitegen_build(tmp_path)) == (
        "registries.yaml: cannot read: larger than 16 MiB"
    )


@pytest.mark.parametrize("kind", list(SPECIAL))
def test_an_auth_file_that_is_not_a_regular_file(
    tmp_path: Path, plain_registry: RunningRegistry, kind: str
) -> None:
    make, problem = SPECIAL[kind]
    auth = make(tmp_path / "auth.json")
    (tmp_path / "registries.yaml").write_text(
        f"registries:\n  - name: lab\n    url: {plain_registry.url}\n"
    )
    requests = len(plain_registry.access_log())
    done = sitegen_build(tmp_path, env={"REGISTRY_AUTH_FILE": str(auth)})
    assert one_error(done) == f"{auth}: cannot read: {problem}"
    assert plain_registry.access_log(requests) == []
    assert not (tmp_path / "site").exists()


def tls_config(tmp_path: Path, **files: str) -> None:
    lines = "".join(f"    {key}: {value}\n" for key, value in files.items())
    (tmp_path / "registries.yaml").write_text(
        "registries:\n  - name: lab\n    url: https://127.0.0.1:9\n" + lines
    )


def test_a_ca_file_that_is_not_pem(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("this is not a certificate\n")
    tls_config(tmp_path, ca_file="ca.pem")
    assert one_error(sitegen_build(tmp_path)) == (
        f"registries.yaml:4:14: registries[0].ca_file: {tmp_path}/ca.pem: no PEM certificate in it"
    )
    # A certificate block that OpenSSL cannot read.
    (tmp_path / "ca.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
    )
    message = one_error(sitegen_build(tmp_path))
    assert message.startswith(
        f"registries.yaml:4:14: registries[0].ca_file: {tmp_path}/ca.pem: "
        "not a PEM certificate bundle ("
    ), message


@pytest.mark.parametrize("kind", list(SPECIAL))
def test_a_ca_file_that_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    make, problem = SPECIAL[kind]
    make(tmp_path / "ca.pem")
    tls_config(tmp_path, ca_file="ca.pem")
    assert one_error(sitegen_build(tmp_path)) == (
        f"registries.yaml:4:14: registries[0].ca_file: {tmp_path}/ca.pem: {problem}"
    )


def test_a_client_key_that_does_not_match_its_certificate(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    cert, _ = write_self_signed(tmp_path / "one")
    _, other_key = write_self_signed(tmp_path / "two")
    tls_config(tmp_path, client_cert="one/tls-cert.pem", client_key="two/tls-key.pem")
    assert one_error(sitegen_build(tmp_path)) == (
        f"registries.yaml:5:17: registries[0].client_key: {other_key}: "
        f"the private key does not match the certificate in {cert}"
    )


def test_a_client_certificate_that_is_not_pem(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    _, key = write_self_signed(tmp_path / "one")
    (tmp_path / "cert.pem").write_text("not a certificate\n")
    tls_config(tmp_path, client_cert="cert.pem", client_key="one/tls-key.pem")
    assert one_error(sitegen_build(tmp_path)) == (
        f"registries.yaml:4:18: registries[0].client_cert: {tmp_path}/cert.pem: "
        "no PEM certificate in it"
    )
    # A certificate without its key, and no client_key.
    tls_config(tmp_path, client_cert="one/tls-cert.pem")
    assert one_error(sitegen_build(tmp_path)) == (
        f"registries.yaml:4:18: registries[0].client_cert: {tmp_path}/one/tls-cert.pem: "
        "no PEM private key in it; give it as client_key"
    )
    assert key.is_file()


def test_an_encrypted_client_key_is_refused_without_a_prompt(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    _, key = write_self_signed(tmp_path / "one")
    private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    tls_config(tmp_path, client_cert="one/tls-cert.pem", client_key="one/tls-key.pem")
    assert one_error(sitegen_build(tmp_path)) == (
        f"registries.yaml:5:17: registries[0].client_key: {key}: the private key is "
        "encrypted; give an unencrypted key (sitegen cannot ask for a passphrase)"
    )


@pytest.mark.parametrize("kind", list(SPECIAL))
def test_a_theme_file_that_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    make, problem = SPECIAL[kind]
    (tmp_path / "theme" / "static").mkdir(parents=True)
    (tmp_path / "theme" / "home.html").write_text('{% extends "base.html" %}')
    make(tmp_path / "theme" / "static" / "logo.svg")
    (tmp_path / "registries.yaml").write_text("site:\n  theme_dir: theme\n" + REGISTRY)
    assert one_error(sitegen_build(tmp_path)) == (
        f"registries.yaml:2:14: site.theme_dir: static/logo.svg: {problem}"
    )
