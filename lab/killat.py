"""Run ``sitegen`` and SIGKILL it at a chosen file-system operation.

Usage::

    python -m lab.killat EVENT PATTERN WHEN COUNT [--no-renameat2] -- SITEGEN-ARGS...

An audit hook (PEP 578) watches the operations Python reports. ``EVENT`` is an audit
event name (``os.rename``, ``os.remove``, ``shutil.rmtree``, ...), ``PATTERN`` a regular
expression searched in the event's arguments joined by spaces, ``COUNT`` which match to
act on (1: the first). ``WHEN`` is ``before`` (the process dies instead of doing it) or
``after`` (``os.rename`` only: the rename is done, then the process dies). A test can so
stop a build between any two steps of its swap with no hook in sitegen itself, and
exactly there: no timing, no polling.

``--no-renameat2`` makes the C library look as if it had no ``renameat2`` (glibc before
2.28, musl), so the build takes its fallback swap. The process exits with status 3 when
the chosen operation never happened.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    """Install the hook, then run ``sitegen`` with the arguments after ``--``."""
    split = argv.index("--")
    options, sitegen_args = argv[:split], argv[split + 1 :]
    no_renameat2 = "--no-renameat2" in options
    event, pattern, when, count = (o for o in options if o != "--no-renameat2")
    wanted = re.compile(pattern)
    target = int(count)
    seen = 0
    acting = False

    def hook(name: str, args: tuple[Any, ...]) -> None:
        nonlocal seen, acting
        if no_renameat2 and name == "ctypes.dlsym" and args[1:] == ("renameat2",):
            raise AttributeError("renameat2")  # what ctypes raises for a missing symbol
        if name != event or acting or not wanted.search(" ".join(map(str, args))):
            return
        seen += 1
        if seen != target:
            return
        if when == "after":
            acting = True
            Path(args[0]).rename(args[1])
        os.kill(os.getpid(), signal.SIGKILL)

    sys.addaudithook(hook)
    from sitegen.cli import main as sitegen

    try:
        sitegen(sitegen_args, prog_name="sitegen")
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    print(f"killat: {event} matching {pattern!r} happened {seen} times", file=sys.stderr)
    return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
