"""One build against N shards, side by side, on the same registry through the same relay.

``python -m bench.shards [--tags 10000] [--shards 4] [--delay 0.02]``: fills Debian's
registry on loopback with the benchmark's dataset (``bench.dataset``), puts the 20 ms
relay in front of it (``bench.proxy``), then measures, cold and warm:

- ``sitegen build`` of the whole registry;
- ``sitegen crawl --shard I/N`` for each share, one after the other (on a CI matrix they
  run side by side on N machines, so the wall time there is the slowest share), then
  ``sitegen render`` of the shares.

It prints each run's seconds and requests, the sharded wall time on N machines (slowest
share plus render) against the single build, and checks that the rendered site is the
single build's, file for file (``api/stamp.js`` apart: it holds crawl durations). The
numbers go to ``bench/results/shards.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.dataset import Spec
from bench.fill import fill
from bench.measure import Measured, run
from bench.proxy import ProxyProcess
from bench.scale import write_config
from lab.registry import start_registry

BENCH = Path(__file__).resolve().parent
STAMP = "api/stamp.js"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.shards")
    parser.add_argument("--tags", type=int, default=10_000, help="multiple of 50")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--delay", type=float, default=0.02, help="seconds per request")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workdir", default="/dev/shm" if Path("/dev/shm").is_dir() else None)
    parser.add_argument("--output", type=Path, default=BENCH / "results" / "shards.json")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-shards-", dir=args.workdir))
    registry = proxy = None
    try:
        spec = Spec(repositories=max(1, args.tags // 50))
        registry = start_registry(work / "registry", log_level="error")
        print(f"filling {spec.tags} tags in {spec.repositories} repositories", file=sys.stderr)
        fill(registry.url, spec)
        proxy = ProxyProcess(registry.url, args.delay)
        config = write_config(work / "proxied.yaml", proxy.url, concurrency=args.concurrency)
        env = {**os.environ, "TMPDIR": str(work)}
        results: dict[str, Any] = {
            "tags": spec.tags,
            "shards": args.shards,
            "delay_ms": args.delay * 1000,
            "concurrency": args.concurrency,
        }
        for phase in ("cold", "warm"):
            results[phase] = _phase(work, config, args.shards, proxy, env)
            _print(phase, results[phase], args.shards)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2) + "\n")
        return 0
    finally:
        if proxy is not None:
            proxy.stop()
        if registry is not None:
            registry.stop()
        shutil.rmtree(work, ignore_errors=True)


def _phase(
    work: Path, config: Path, shards: int, proxy: ProxyProcess, env: dict[str, str]
) -> dict[str, Any]:
    sitegen = [sys.executable, "-m", "sitegen"]
    before = proxy.requests()
    single = _check(
        run(
            [
                *(*sitegen, "build", "-q", "-c", str(config), "-o", str(work / "one")),
                *("--cache-dir", str(work / "cache-one")),
            ],
            env=env,
            cwd=work,
        )
    )
    found: dict[str, Any] = {
        "single": {"seconds": round(single.seconds, 2), "requests": proxy.requests() - before}
    }
    crawls = []
    for index in range(1, shards + 1):
        before = proxy.requests()
        measured = _check(
            run(
                [
                    *(*sitegen, "crawl", "-q", "-c", str(config)),
                    *("--shard", f"{index}/{shards}", "--out", str(work / "parts" / str(index))),
                    *("--cache-dir", str(work / f"cache-{index}")),
                ],
                env=env,
                cwd=work,
            )
        )
        crawls.append(
            {"seconds": round(measured.seconds, 2), "requests": proxy.requests() - before}
        )
    parts = [str(work / "parts" / str(index)) for index in range(1, shards + 1)]
    rendered = _check(
        run([*sitegen, "render", "-q", "-c", str(config), "-o", str(work / "merged"), *parts],
            env=env, cwd=work)
    )  # fmt: skip
    slowest = max(c["seconds"] for c in crawls)
    wall = slowest + rendered.seconds
    one, merged = tree(work / "one"), tree(work / "merged")
    one.pop(STAMP, None)
    merged.pop(STAMP, None)
    found["shards"] = crawls
    found["render_seconds"] = round(rendered.seconds, 2)
    found["sharded_wall_seconds"] = round(wall, 2)
    found["speedup"] = round(single.seconds / wall, 2)
    found["requests_ratio"] = round(
        sum(c["requests"] for c in crawls) / max(found["single"]["requests"], 1), 2
    )
    found["same_site"] = one == merged
    return found


def tree(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root``."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _check(measured: Measured) -> Measured:
    if measured.returncode != 0:
        tail = "\n".join((measured.stdout + measured.stderr).strip().splitlines()[-20:])
        raise SystemExit(f"failed with exit code {measured.returncode}:\n{tail}")
    return measured


def _print(phase: str, found: dict[str, Any], shards: int) -> None:
    single = found["single"]
    print(f"{phase}: one build {single['seconds']:.1f}s, {single['requests']} requests")
    for index, crawl in enumerate(found["shards"], 1):
        print(f"  share {index}/{shards}: {crawl['seconds']:.1f}s, {crawl['requests']} requests")
    print(
        f"  render {found['render_seconds']:.1f}s; on {shards} machines: "
        f"{found['sharded_wall_seconds']:.1f}s (x{found['speedup']} faster); "
        f"requests x{found['requests_ratio']} of one build; "
        f"same site: {'yes' if found['same_site'] else 'NO'}"
    )


if __name__ == "__main__":
    sys.exit(main())
