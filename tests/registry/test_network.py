"""The sockets under the shared client (sitegen/registry/network.py): a connection the
server closed while idle is never reused, a connection that broke is retried, and a TLS
refusal is not."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from sitegen.errors import TransportError
from sitegen.registry.client import RegistryClient
from tests.registry.fakes import FakeTime, json_response, make_client, registry_config, run

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


@contextmanager
def one_answer_per_connection(connections: list[int]) -> Iterator[str]:
    """A server that answers one request per connection as keep-alive, then hangs up.

    Bounded: it serves at most eight connections and stops with the block."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set() and len(connections) < 8:
            try:
                peer, address = listener.accept()
            except TimeoutError:
                continue
            with peer:
                connections.append(address[1])
                peer.settimeout(5)
                received = b""
                while b"\r\n\r\n" not in received:
                    chunk = peer.recv(4096)
                    if not chunk:
                        break
                    received += chunk
                peer.sendall(ANSWER)  # no "Connection: close": the client may keep it

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        done.set()
        thread.join(timeout=5)
        listener.close()


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    connections: list[int] = []
    fake_time = FakeTime()

    async def go(url: str) -> None:
        config = registry_config(url=url)
        async with RegistryClient([config], environ={}, clock=fake_time.clock()) as client:
            await client["reg"].ping()
            await asyncio.sleep(0.2)  # the server's close arrives meanwhile
            assert await client["reg"].catalog() == []

    with one_answer_per_connection(connections) as url:
        run(go(url))
    # A second connection, and no failed attempt on the first one: nothing was retried.
    assert len(connections) == 2
    assert fake_time.sleeps == []


def failing_once(cause: BaseException) -> httpx.MockTransport:
    """A registry whose first tag listing breaks with ``cause`` under a read error."""
    failed: list[bool] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return json_response(200, {})
        if not failed:
            failed.append(True)
            raise httpx.ReadError(str(cause)) from cause
        return json_response(200, {"tags": ["v1"]})

    return httpx.MockTransport(handler)


def test_a_tls_connection_that_ended_mid_exchange_is_retried() -> None:
    fake_time = FakeTime()
    ended = ssl.SSLEOFError(8, "EOF occurred in violation of protocol (_ssl.c:2427)")

    async def go() -> list[str]:
        async with make_client(failing_once(ended), time=fake_time) as client:
            return await client["reg"].tags("team/app")

    assert run(go()) == ["v1"]
    assert fake_time.sleeps == [0.25]


def test_a_tls_refusal_is_not_retried() -> None:
    fake_time = FakeTime()
    refused = ssl.SSLError(1, "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert (_ssl.c:2580)")

    async def go() -> None:
        async with make_client(failing_once(refused), time=fake_time) as client:
            await client["reg"].tags("team/app")

    with pytest.raises(TransportError) as caught:
        run(go())
    assert "the registry refused the TLS connection" in str(caught.value)
    assert fake_time.sleeps == []
