"""``python -m lab.demo``: fill a fresh loopback registry with the samples, build a site.

1. start a registry without auth on 127.0.0.1 (port ``$DEMO_REGISTRY_PORT`` or a free
   one) with its storage in a temporary directory;
2. push ``lab.samples`` (``base/alpine`` with skopeo from an OCI layout when skopeo is
   installed, the rest through the registry API) and ``lab.basesamples`` (images built
   on ``base/alpine``);
3. run ``sitegen build -c CONFIG -o OUTPUT`` with ``DEMO_REGISTRY=127.0.0.1:PORT`` in
   its environment (the demo ``registries.yaml`` refers to ``${DEMO_REGISTRY}``);
   then, unless ``--one-build``, the next night's news (``release_update``: a new
   ``apps/web``, and ``base/alpine:3.20`` moves, so the Rebuild page lists the images
   built on it) and build again;
4. stop the registry (or, with ``--keep-running``, leave it up until Ctrl-C) and say
   how to look at the site.

The exit status is sitegen's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from lab.basesamples import push_base_samples
from lab.registry import RunningRegistry, start_registry
from lab.samples import SampleRepo, push_samples, release_update

PORT_ENV = "DEMO_REGISTRY_PORT"
REGISTRY_ENV = "DEMO_REGISTRY"
SKOPEO_REPOS = ("base/alpine",)
# Its own cache, emptied on every run: each demo registry starts fresh, and a history
# carried over from an earlier demo would report changes that never happened.
DEMO_CACHE = ".sitegen-demo-cache"


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m lab.demo",
        description="Run a sample registry on 127.0.0.1 and build a catalog site from it.",
    )
    parser.add_argument("--config", "-c", default="registries.yaml", help="sitegen config")
    parser.add_argument("--output", "-o", default="site", help="site output directory")
    parser.add_argument(
        "--one-build",
        action="store_true",
        help="build once; by default a new release is pushed and the site rebuilt, to show "
        "what a nightly build publishes about changes",
    )
    parser.add_argument(
        "--keep-running",
        action="store_true",
        help="leave the registry up after the build, until Ctrl-C",
    )
    return parser.parse_args(argv)


def _port() -> int:
    value = os.environ.get(PORT_ENV, "").strip()
    if not value:
        return 0
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SystemExit(f"{PORT_ENV}={value!r} is not a port number")
    return int(value)


def _summary(repos: Sequence[SampleRepo]) -> str:
    lines = []
    for repo in repos:
        tags = ", ".join(repo.tags) or "(no tags: all deleted)"
        lines.append(f"  {repo.name:<14} {tags}")
    return "\n".join(lines)


def _build(registry: RunningRegistry, config: str, output: str) -> int:
    command = [
        sys.executable,
        "-m",
        "sitegen",
        "build",
        "-c",
        config,
        "-o",
        output,
        "--cache-dir",
        DEMO_CACHE,
    ]
    env = {**os.environ, REGISTRY_ENV: registry.host}
    print(f"$ {REGISTRY_ENV}={registry.host} sitegen build -c {config} -o {output}", flush=True)
    return subprocess.run(command, env=env, stdin=subprocess.DEVNULL, check=False).returncode


def _sitegen() -> str:
    """How to call the sitegen that belongs to this Python (``.venv/bin/sitegen``)."""
    beside = Path(sys.executable).parent / "sitegen"
    return os.path.relpath(beside) if beside.exists() else "sitegen"


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # SystemExit unwinds through the finally blocks, so `kill PID` stops the registry
    # too instead of orphaning it.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the exit status of ``sitegen build``."""
    args = _parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    port = _port()
    if not Path(args.config).is_file():
        print(f"warning: {args.config} not found; sitegen build will say why", file=sys.stderr)
    via_skopeo = SKOPEO_REPOS if shutil.which("skopeo") else ()
    shutil.rmtree(DEMO_CACHE, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="sitegen-demo-") as scratch:
        registry = start_registry(Path(scratch), port=port, log_level="warn")
        try:
            print(f"registry running at {registry.url} (storage {registry.root})", flush=True)
            repos = push_samples(registry, via_skopeo=via_skopeo, workdir=Path(scratch))
            repos += push_base_samples(registry)
            how = f"{', '.join(via_skopeo)} with skopeo, the rest" if via_skopeo else "all"
            print(f"pushed {len(repos)} repositories ({how} through the API):")
            print(_summary(repos), flush=True)
            status = _build(registry, args.config, args.output)
            if status == 0 and not args.one_build:
                release_update(registry)
                print(
                    "\nnext night: apps/web v1.3.0 released, latest moved to it; "
                    "base/alpine 3.20.2 released, 3.20, 3 and latest moved to it",
                    flush=True,
                )
                status = _build(registry, args.config, args.output)
            if args.keep_running:
                print(
                    f"\nregistry still running at {registry.url}; "
                    f"DEMO_REGISTRY={registry.host}. Press Ctrl-C to stop.",
                    flush=True,
                )
                try:
                    while registry.process is not None and registry.process.poll() is None:
                        time.sleep(1)
                except KeyboardInterrupt:
                    print()
        finally:
            registry.stop()
    if status == 0:
        print(
            f"\nsite built in {args.output}/. Look at it with:\n"
            f"  {_sitegen()} serve -o {args.output}     (then open the URL it prints)\n"
            f"or open {Path(args.output) / 'index.html'} in a browser."
        )
    else:
        print(f"\nsitegen build failed with exit status {status}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
