"""docs/protocol.md item 24: bounded concurrency per registry, one pool, HTTP/1.1 unless HTTP/2 is
asked for, CA bundle and insecure per registry (against a real TLS registry), proxies
from the environment, and a timeout that bounds a registry that never answers."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lab.registry import RunningRegistry, running_registry
from sitegen.errors import ConfigError, TransportError
from sitegen.registry.client import RegistryClient
from tests.registry.fakes import (
    FakeTime,
    json_response,
    make_client,
    registry_config,
    run,
    serve,
)


def test_concurrency_per_registry_is_never_exceeded() -> None:
    in_flight: dict[str, int] = {"a.test": 0, "b.test": 0}
    peak: dict[str, int] = {"a.test": 0, "b.test": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return json_response(200, {})
        host = request.url.host
        in_flight[host] += 1
        peak[host] = max(peak[host], in_flight[host])
        for _ in range(5):  # let every other task run while this one is "on the wire"
            await asyncio.sleep(0)
        in_flight[host] -= 1
        return json_response(200, {"tags": ["v1"]})

    async def go() -> None:
        configs = (
            registry_config("a", "https://a.test", concurrency=3),
            registry_config("b", "https://b.test", concurrency=5),
        )
        async with make_client(handler, *configs) as client:
            await asyncio.gather(
                *(client[name].tags(f"r{i}") for i in range(30) for name in ("a", "b"))
            )

    run(go())
    assert peak == {"a.test": 3, "b.test": 5}


def test_one_connection_pool_for_the_run() -> None:
    peers: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return json_response(200, {})
        return json_response(200, {"tags": ["v1"]})

    async def go(url: str) -> None:
        configs = (registry_config("a", url), registry_config("b", url))
        async with RegistryClient(configs, environ={}) as client:
            for i in range(10):
                await client["a"].tags(f"r{i}")
                await client["b"].tags(f"r{i}")

    with serve(handler, peers) as url:
        run(go(url))
    assert len(peers) == 22 and len(set(peers)) == 1  # every request on one connection


def test_a_registry_that_never_answers_times_out() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return json_response(200, {})
        await asyncio.Event().wait()  # never
        raise AssertionError

    fake_time = FakeTime()

    async def go() -> None:
        config = registry_config(timeout=0.05, retries=1)
        async with make_client(handler, config, time=fake_time) as client:
            with pytest.raises(TransportError) as caught:
                await client["reg"].tags("team/app")
            assert str(caught.value) == (
                "reg/team/app: list tags failed: timed out "
                "(https://registry.test/v2/team/app/tags/list?...)"
            )

    started = time.monotonic()
    run(go())
    assert time.monotonic() - started < 2
    assert fake_time.sleeps == [0.25]  # one retry, after a (fake) backoff


def test_a_silent_socket_times_out() -> None:
    # A real socket that accepts connections (the kernel's backlog) and never answers.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"

        async def go() -> None:
            config = registry_config(url=url, timeout=0.2, retries=0)
            async with RegistryClient([config], environ={}) as client:
                with pytest.raises(TransportError, match="ping failed: timed out"):
                    await client["reg"].ping()

        started = time.monotonic()
        run(go())
        assert time.monotonic() - started < 3


def test_proxies_come_from_the_environment() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v2/":
            return json_response(200, {})
        return json_response(200, {"tags": ["v1"]})

    async def go(registry: str, environ: dict[str, str]) -> None:
        config = registry_config(url=registry)
        async with RegistryClient([config], environ=environ) as client:
            assert await client["reg"].tags("team/app") == ["v1"]

    with serve(handler) as proxy, serve(handler) as direct:
        # The registry's name does not resolve: only the proxy can reach it.
        run(go("http://registry.example.invalid:5000", {"HTTP_PROXY": proxy}))
        assert [str(r.url) for r in seen] == [
            "http://registry.example.invalid:5000/v2/",
            "http://registry.example.invalid:5000/v2/team/app/tags/list?n=100",
        ]
        assert all(r.headers.get("x-via-proxy") == "1" for r in seen)
        seen.clear()
        run(go(direct, {"http_proxy": proxy, "NO_PROXY": "localhost,127.0.0.1"}))
        assert len(seen) == 2 and not any(r.headers.get("x-via-proxy") for r in seen)


def test_proxy_variables_of_the_process_reach_every_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the process's own environment (the default), a proxy variable sends every
    request through the proxy: the registry's, and a token service's on another host."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "auth.example.invalid":
            return json_response(200, {"token": "t0ken"})
        if request.headers.get("authorization") != "Bearer t0ken":
            challenge = 'Bearer realm="http://auth.example.invalid/token",service="reg"'
            return json_response(401, {}, headers={"WWW-Authenticate": challenge})
        return json_response(200, {"tags": ["v1"]})

    async def go() -> list[str]:
        config = registry_config(url="http://registry.example.invalid:5000")
        async with RegistryClient([config]) as client:
            return await client["reg"].tags("team/app")

    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with serve(handler) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        assert run(go()) == ["v1"]
    hosts = {r.url.host for r in seen}
    assert hosts == {"registry.example.invalid", "auth.example.invalid"}
    assert all(r.headers.get("x-via-proxy") == "1" for r in seen)


# -- TLS against a real registry ------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    with running_registry(tmp_path_factory.mktemp("tls"), tls=True) as registry:
        yield registry


def catalog(registry: RunningRegistry, **settings: object) -> list[str]:
    """The registry's catalog; nothing on the way is worth a retry (no sleeps)."""
    fake_time = FakeTime()

    async def go() -> list[str]:
        config = registry_config(url=registry.url, **settings)  # type: ignore[arg-type]
        async with RegistryClient([config], environ={}, clock=fake_time.clock()) as client:
            return await client["reg"].catalog()

    try:
        return run(go())
    finally:
        assert fake_time.sleeps == []


def protocols(registry: RunningRegistry) -> list[str]:
    """The HTTP versions of the catalog requests in the registry's access log."""
    return [
        line.split('"')[1].rsplit(" ", 1)[1]
        for line in registry.log_path.read_text().splitlines()
        if "/v2/_catalog" in line and line.startswith("127.0.0.1 ")
    ]


def test_an_untrusted_certificate_is_a_clear_error(tls_registry: RunningRegistry) -> None:
    with pytest.raises(TransportError) as caught:
        catalog(tls_registry)
    message = str(caught.value)
    assert message.startswith(
        "reg: ping failed: TLS certificate not trusted (self-signed certificate)"
    )
    assert "set ca_file to the CA that signed it, or insecure: true" in message


def test_ca_file_trusts_the_registry(tls_registry: RunningRegistry) -> None:
    assert catalog(tls_registry, ca_file=tls_registry.ca_file) == []


def test_insecure_skips_verification(tls_registry: RunningRegistry) -> None:
    assert catalog(tls_registry, insecure=True) == []


def test_http_1_1_by_default_and_http2_when_asked(tls_registry: RunningRegistry) -> None:
    before = len(protocols(tls_registry))
    catalog(tls_registry, ca_file=tls_registry.ca_file)
    catalog(tls_registry, ca_file=tls_registry.ca_file, http2=True)
    assert protocols(tls_registry)[before:] == ["HTTP/1.1", "HTTP/2.0"]


@pytest.mark.parametrize("http2", [False, True], ids=["default", "http2"])
def test_the_process_s_ssl_cert_file_is_trusted(
    tls_registry: RunningRegistry, monkeypatch: pytest.MonkeyPatch, http2: bool
) -> None:
    """With the process's own environment, ``SSL_CERT_FILE`` (a company's CA) is trusted,
    on the shared transport and on a registry's own (here for HTTP/2), as httpx does."""
    for name in [n for n in os.environ if n.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_registry.ca_file))

    async def go() -> list[str]:
        config = registry_config(url=tls_registry.url, http2=http2)
        async with RegistryClient([config]) as client:
            return await client["reg"].catalog()

    assert run(go()) == []


def test_http2_without_h2_is_a_clear_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "h2", None)  # as if h2 were not installed
    config = registry_config(url="https://registry.test", http2=True)
    with pytest.raises(ConfigError) as caught:
        RegistryClient([config], environ={})
    assert str(caught.value) == (
        "registry 'reg' sets http2: true, which needs the h2 package "
        "(pip install 'httpx[http2]'), or remove http2 to use HTTP/1.1"
    )


@pytest.fixture(scope="module")
def mtls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A registry that demands a client certificate (http.tls.clientcas)."""
    with running_registry(tmp_path_factory.mktemp("mtls"), tls=True, client_tls=True) as registry:
        yield registry


def test_client_certificate_for_mutual_tls(mtls_registry: RunningRegistry) -> None:
    """docs/protocol.md item 24: a per-registry client certificate, next to the CA bundle."""
    assert mtls_registry.client_cert is not None
    cert, key = mtls_registry.client_cert
    with pytest.raises(TransportError) as refused:
        catalog(mtls_registry, ca_file=mtls_registry.ca_file)  # no certificate: refused
    assert "set client_cert" in str(refused.value)
    assert (
        catalog(mtls_registry, ca_file=mtls_registry.ca_file, client_cert=cert, client_key=key)
        == []
    )


def test_unreadable_client_certificate_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "cert.pem"
    bad.write_text("not a certificate")
    config = registry_config(url="https://registry.test", client_cert=bad)
    with pytest.raises(ConfigError, match=r"client_cert: .*cert.pem: no PEM certificate in it"):
        RegistryClient([config], environ={})
