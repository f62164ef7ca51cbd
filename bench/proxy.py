"""``lab.proxy.DelayProxy`` in a process of its own, so it never competes for our GIL.

``python -m bench.proxy UPSTREAM_URL DELAY_SECONDS`` prints the port it listens on,
then answers ``count`` on stdin with the number of requests relayed so far; it stops
when stdin closes. ``ProxyProcess`` drives it from the benchmark.
"""

from __future__ import annotations

import subprocess
import sys
from types import TracebackType

from bench.measure import cpu_seconds
from lab.proxy import DelayProxy

START_TIMEOUT = 10.0


class ProxyProcess:
    """A running ``bench.proxy`` child: its URL, its request count, its CPU time."""

    def __init__(self, upstream: str, delay: float) -> None:
        self.delay = delay
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.proxy", upstream, str(delay)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise RuntimeError(f"proxy did not start: {line!r}")
        self.port = int(line)
        self.url = f"http://127.0.0.1:{self.port}"
        self.host = f"127.0.0.1:{self.port}"

    def requests(self) -> int:
        """Requests relayed so far."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def cpu_seconds(self) -> float:
        """User plus system CPU time the proxy has used."""
        return cpu_seconds(self.process.pid)

    def stop(self) -> None:
        """Close its stdin (it exits), and make sure it is gone; safe to repeat."""
        if self.process.poll() is None:
            if self.process.stdin is not None:
                self.process.stdin.close()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def __enter__(self) -> ProxyProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    """Serve until stdin closes."""
    upstream, delay = sys.argv[1], float(sys.argv[2])
    hostport = upstream.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    proxy = DelayProxy(upstream_host=host, upstream_port=int(port), delay=delay).start()
    try:
        print(proxy.port, flush=True)
        for line in sys.stdin:
            if line.strip() == "count":
                print(proxy.requests, flush=True)
    finally:
        proxy.stop()


if __name__ == "__main__":
    main()
