"""Time and chance as the registry client sees them, in one value that tests replace.

Retries sleep and jitter their backoff (docs/protocol.md item 13), a 429 holds a host
back until a moment on the monotonic clock, tokens expire on it (item 4), and an
HTTP-date ``Retry-After`` or a token's ``issued_at`` is read against the wall clock.
A test passes one fake ``Clock`` whose time moves only when told, and nothing sleeps
for real.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Clock:
    """How the client sleeps, reads its clocks and draws jitter."""

    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    monotonic: Callable[[], float] = time.monotonic  # deadlines and token lifetimes
    wall: Callable[[], float] = time.time  # seconds since the epoch: dates from servers
    jitter: Callable[[], float] = random.random  # in [0, 1): spreads retries apart


SYSTEM_CLOCK = Clock()
