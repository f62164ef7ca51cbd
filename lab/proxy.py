"""A loopback TCP relay that adds latency to every HTTP request, like a distant registry.

Real registries sit 20-100 ms away; on loopback a crawler's concurrency barely matters.
``DelayProxy`` listens on 127.0.0.1, relays bytes to an upstream host:port, and holds
back every chunk the client sends that starts a new HTTP request (it begins with a
method token) by ``delay`` seconds. Keep-alive connections therefore pay the delay once
per request, as they would over a real network. Responses pass through untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

_METHODS = (b"GET ", b"HEAD ", b"POST ", b"PUT ", b"PATCH ", b"DELETE ", b"OPTIONS ")
_CHUNK = 65536


@dataclass
class DelayProxy:
    """A running relay. ``url`` is what clients use instead of the upstream's URL."""

    upstream_host: str
    upstream_port: int
    delay: float
    host: str = "127.0.0.1"
    port: int = 0
    requests: int = 0
    connections: int = 0  # accepted from clients
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _server: asyncio.Server | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> DelayProxy:
        """Start serving in a background thread; returns when the port is bound."""
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            self._server = loop.run_until_complete(
                asyncio.start_server(self._handle, self.host, self.port)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=run, name="delay-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("delay proxy did not start")
        return self

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            self._pipe(reader, up_writer, delay_requests=True),
            self._pipe(up_reader, writer, delay_requests=False),
        )

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, delay_requests: bool
    ) -> None:
        try:
            while True:
                chunk = await reader.read(_CHUNK)
                if not chunk:
                    break
                if delay_requests and chunk.startswith(_METHODS):
                    self.requests += 1
                    await asyncio.sleep(self.delay)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(ConnectionError, OSError, RuntimeError):
                writer.close()


@contextlib.contextmanager
def delayed(upstream_url: str, delay: float) -> Iterator[DelayProxy]:
    """Run a ``DelayProxy`` in front of ``http://host:port`` for the ``with`` block."""
    hostport = upstream_url.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    proxy = DelayProxy(upstream_host=host, upstream_port=int(port), delay=delay).start()
    try:
        yield proxy
    finally:
        proxy.stop()
