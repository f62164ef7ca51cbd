"""Run ``sitegen`` and record its own resource use when it exits.

``python -m bench.child RUSAGE_FILE sitegen-arguments...`` is ``sitegen ARGS`` plus,
at exit, a JSON file with the peak resident memory and CPU time of the sitegen process
itself and, separately, of the processes it started and waited for (render workers,
Pagefind). ``wait4`` from outside only gives the largest of them all.
"""

from __future__ import annotations

import atexit
import json
import resource
import sys
from pathlib import Path


def _record(path: Path) -> None:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    path.write_text(
        json.dumps(
            {
                "peak_rss_mb": round(own.ru_maxrss / 1024, 1),
                "cpu_seconds": round(own.ru_utime + own.ru_stime, 3),
                "children_peak_rss_mb": round(children.ru_maxrss / 1024, 1),
                "children_cpu_seconds": round(children.ru_utime + children.ru_stime, 3),
            }
        )
    )


def main() -> None:
    """Register the recorder, then hand the arguments to sitegen's command line."""
    atexit.register(_record, Path(sys.argv[1]))
    from sitegen.cli import main as sitegen

    sitegen(sys.argv[2:], prog_name="sitegen")


if __name__ == "__main__":
    main()
