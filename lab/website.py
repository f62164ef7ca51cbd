"""A built site on loopback, and the Chromium that opens it: shared by the browser tests
and ``python -m lab.screenshots``.

- ``running(server)``: an HTTP server in a thread, for as long as the ``with`` lasts;
- ``serve_directory(root)``: a quiet static server for ``root`` (search needs HTTP,
  not ``file://``);
- ``CHROMIUM`` and ``CHROMIUM_ARGS``: Debian's Chromium, headless, as root, without the
  background traffic a closed network refuses;
- ``DESKTOP`` and ``PHONE``: the two widths every page is checked at.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1366, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No request log on the terminal."""


@contextmanager
def running(server: http.server.ThreadingHTTPServer) -> Iterator[str]:
    """``server`` (bound to 127.0.0.1) served in a thread; yields its base URL."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """``root`` over HTTP on 127.0.0.1; yields ``http://127.0.0.1:PORT/``."""
    handler = functools.partial(_Quiet, directory=str(root))
    with running(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)) as url:
        yield url
