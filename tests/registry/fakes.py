"""Fakes for protocol tests: fake time, registry configs, a token registry behind
``httpx.MockTransport``, real-world fixture files, and a loopback server for fakes that
the CLI must reach over real sockets.

Every fake answers from the captured real-world files in tests/fixtures/real-world
where one exists (see that directory's README for where each file comes from).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx

from sitegen.config import Auth, Limits, RegistryConfig, Secret
from sitegen.registry.auth import Credentials
from sitegen.registry.client import RegistryClient
from sitegen.registry.clock import Clock
from sitegen.registry.transport import RetryPolicy

REAL_WORLD = Path(__file__).parent.parent / "fixtures" / "real-world"
REGISTRY = "https://registry.test"
REALM = "https://auth.test/token"
SERVICE = "registry.test"
BEARER = f'Bearer realm="{REALM}",service="{SERVICE}"'

Handler = Callable[[httpx.Request], "httpx.Response | Awaitable[httpx.Response]"]
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to completion (the tests are plain functions)."""
    return asyncio.run(coro)


# -- real-world fixture files -------------------------------------------------------------


def fixture_bytes(name: str) -> bytes:
    """A captured body, byte for byte."""
    return (REAL_WORLD / name).read_bytes()


def fixture_json(name: str) -> Any:
    """A captured JSON body, parsed."""
    return json.loads(fixture_bytes(name))


def fixture_headers(name: str) -> tuple[int | None, list[tuple[str, str]]]:
    """A captured header file: (status from the status line if any, [(name, value)])."""
    status = None
    headers = []
    for line in fixture_bytes(name).decode().splitlines():
        if line.startswith("HTTP/"):
            status = int(line.split()[1])
            continue
        name_, sep, value = line.partition(":")
        if sep:
            headers.append((name_.strip(), value.strip()))
    return status, headers


def fixture_header(name: str, header: str) -> str:
    """The first value of ``header`` in a captured header file."""
    for key, value in fixture_headers(name)[1]:
        if key.lower() == header.lower():
            return value
    raise KeyError(f"{header} not in {name}")


def fixture_variants(name: str) -> list[str]:
    """Each separately observed value in a ``*-variants.txt`` file."""
    return [value for _, value in fixture_headers(name)[1]]


# -- time and configuration ------------------------------------------------------------


@dataclass
class FakeTime:
    """Monotonic and wall clocks that move only when told, and a sleep that records."""

    now: float = 1000.0
    epoch: float = 1_750_000_000.0  # wall clock at now == 0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.epoch + self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)

    def clock(self, jitter: Callable[[], float] = lambda: 0.0) -> Clock:
        """This fake time as the client's ``Clock`` (no jitter unless given)."""
        return Clock(sleep=self.sleep, monotonic=self.monotonic, wall=self.wall, jitter=jitter)


def registry_config(
    name: str = "reg",
    url: str = REGISTRY,
    *,
    username: str | None = None,
    password: str | None = None,
    **settings: Any,
) -> RegistryConfig:
    """A registry config as ``load_config`` would build it (no YAML needed)."""
    host = urlsplit(url).netloc
    auth = Auth(username, Secret(password)) if password is not None else Auth()
    return RegistryConfig(name=name, url=url, host=host, pull_host=host, auth=auth, **settings)


def make_client(
    handler: Handler | httpx.AsyncBaseTransport,
    *configs: RegistryConfig,
    time: FakeTime | None = None,
    credentials: dict[str, Credentials] | None = None,
    retry: RetryPolicy | None = None,
    limits: Limits | None = None,
    jitter: Callable[[], float] = lambda: 0.0,
) -> RegistryClient:
    """A client on a fake transport, with fake time and (by default) no jitter."""
    transport = (
        handler if isinstance(handler, httpx.AsyncBaseTransport) else httpx.MockTransport(handler)
    )
    return RegistryClient(
        configs or (registry_config(),),
        credentials=credentials,
        transport=transport,
        clock=(time or FakeTime()).clock(jitter),
        retry=retry,
        limits=limits,
    )


async def respond(handler: Handler, request: httpx.Request) -> httpx.Response:
    """Call a sync or async handler."""
    result = handler(request)
    if inspect.isawaitable(result):
        return await result
    return result


# -- a token-auth registry ----------------------------------------------------------------


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


class TokenRegistry:
    """``https://registry.test`` with token auth from ``https://auth.test/token``.

    Every token grants exactly the scopes it was requested with; a request to a
    repository needs a token for ``repository:<name>:pull``. ``token_body(n, scopes)``
    shapes the token service's answer; ``routes`` maps a path to a handler for the
    authorised request. Every request is recorded.
    """

    def __init__(self, challenge: str = BEARER) -> None:
        self.challenge = challenge
        self.requests: list[httpx.Request] = []
        self.tokens: dict[str, tuple[str, ...]] = {}
        self.routes: dict[str, Handler] = {}
        self.token_body: Callable[[int, tuple[str, ...]], Any] = lambda n, scopes: {
            "token": f"tok-{n}"
        }
        self.refused: set[str] = set()  # tokens the registry no longer accepts

    @property
    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.host == "auth.test"]

    def registry_requests(self, path: str | None = None) -> list[httpx.Request]:
        return [
            r
            for r in self.requests
            if r.url.host == "registry.test" and (path is None or r.url.path == path)
        ]

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "auth.test":
            return self.issue(request)
        path = request.url.path
        if path == "/v2/":
            return json_response(401, {}, {"WWW-Authenticate": self.challenge})
        needed = self.scope_for(path)
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ")
        granted = self.tokens.get(token)
        if granted is None or token in self.refused or needed not in granted:
            scope_param = f',scope="{needed}"' if needed else ""
            return json_response(
                401,
                {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                {"WWW-Authenticate": self.challenge + scope_param},
            )
        handler = self.routes.get(path)
        if handler is not None:
            return await respond(handler, request)
        if path.endswith("/tags/list"):
            name = path[len("/v2/") : -len("/tags/list")]
            return json_response(200, {"name": name, "tags": ["v1"]})
        return json_response(404, {"errors": [{"code": "NOT_FOUND", "message": "not found"}]})

    def issue(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            form = parse_qs(request.content.decode())
            scopes = tuple(s for v in form.get("scope", []) for s in v.split())
        else:
            scopes = tuple(request.url.params.get_list("scope"))
        n = len(self.tokens) + 1
        body = self.token_body(n, scopes)
        token = body.get("token") or body.get("access_token")
        self.tokens[token] = scopes
        return json_response(200, body)

    @staticmethod
    def scope_for(path: str) -> str:
        if path.startswith("/v2/_catalog"):
            return "registry:catalog:*"
        for marker in ("/tags/list", "/manifests/", "/blobs/", "/referrers/"):
            if marker in path:
                name = path[len("/v2/") : path.index(marker)]
                return f"repository:{name}:pull"
        return ""


# -- a loopback server for fakes the CLI talks to -------------------------------------------


@contextmanager
def serve(handler: Handler, peers: list[int] | None = None) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1 over real HTTP; yields ``http://127.0.0.1:PORT``.

    ``peers`` collects the client port of every request (one port per connection).
    A request in absolute form (sent to a proxy) gets an ``X-Via-Proxy: 1`` header.
    """

    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if peers is not None:
                peers.append(self.client_address[1])
            host = self.headers.get("Host", "127.0.0.1")
            headers = list(self.headers.items())
            url = f"http://{host}{self.path}"
            if self.path.startswith("http://"):
                url = self.path
                headers.append(("X-Via-Proxy", "1"))
            request = httpx.Request(self.command, url, headers=headers, content=body)
            response = asyncio.run(respond(handler, request))
            data = response.read()
            self.send_response(response.status_code)
            for key, value in response.headers.multi_items():
                if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_HEAD = do_POST = _any

    class _Server(ThreadingHTTPServer):
        daemon_threads = True

    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
