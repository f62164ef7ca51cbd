"""The network layer under the crawl: httpx's own transport against sitegen's, side by side.

``python -m bench.network [--tags 2000] [--rounds 3] [--tls]``

A loopback registry (Debian's distribution registry) is filled with ``--tags`` tags
(``bench.dataset``), crawled cold once, then crawled warm (one HEAD per tag) in
alternating rounds through each transport: httpx's ``AsyncHTTPTransport`` (httpcore on
anyio) and ``sitegen.registry.network.NetworkTransport`` (httpcore on asyncio's
streams). No delay is added, so the crawl is bound by CPU and the CPU this process
spends per request is the measure (the registry runs in its own process and is not
counted). Each transport's best round is printed, with the ratio of sitegen's to httpx's.
``--tls``: the registry serves HTTPS with a self-signed certificate both transports
trust, as hosted registries serve (TLS on every connection, asyncio's TLS against
anyio's).
"""

from __future__ import annotations

import argparse
import os
import shutil
import ssl
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench import elsewhere, scale
from bench.fill import fill
from bench.run import default_workdir
from lab.registry import start_registry
from sitegen import build
from sitegen.config import load_config
from sitegen.crawl import Progress, run
from sitegen.crawl.cache import Cache
from sitegen.crawl.state import State
from sitegen.registry.network import NetworkTransport

POOL = httpx.Limits(max_connections=16, max_keepalive_connections=16)
Verify = ssl.SSLContext | bool
TRANSPORTS: dict[str, Callable[[Verify], httpx.AsyncBaseTransport]] = {
    "httpx (anyio)": lambda verify: httpx.AsyncHTTPTransport(verify=verify, limits=POOL),
    "sitegen (asyncio)": lambda verify: NetworkTransport(verify=verify, limits=POOL),
}


def crawl_once(
    config_path: Path, cache_dir: Path, transport: httpx.AsyncBaseTransport
) -> tuple[int, float, float]:
    """One crawl: (requests, seconds, CPU seconds of this process)."""
    config = load_config(config_path, environ={})
    state = State.load(cache_dir)
    cache = Cache(cache_dir)
    cpu, started = elsewhere.cpu_seconds(), time.perf_counter()
    outcome, stats = run(
        build.gather(config, cache, state=state, transport=transport, progress=Progress())
    )
    cpu, seconds = elsewhere.cpu_seconds() - cpu, time.perf_counter() - started
    if not state.repositories:
        outcome.update(state, cache, 7)
        state.save(cache_dir)
    return sum(stats.requests.values()), seconds, cpu


def measure(tags: int, rounds: int, *, tls: bool = False) -> dict[str, tuple[int, float, float]]:
    """Each transport's best warm round: (requests, seconds, CPU us per request)."""
    work = Path(tempfile.mkdtemp(prefix="sitegen-network-", dir=default_workdir()))
    registry = start_registry(work / "registry", log_level="error", tls=tls)
    verify: Verify = True
    try:
        if registry.ca_file is not None:
            verify = ssl.create_default_context(cafile=str(registry.ca_file))
            os.environ["SSL_CERT_FILE"] = str(registry.ca_file)  # for the filler's client
        try:
            fill(registry.url, scale.spec_for(tags))
        finally:
            os.environ.pop("SSL_CERT_FILE", None)
        config_path = scale.write_config(work / "registries.yaml", registry.url)
        cache_dir = work / "cache"
        first = TRANSPORTS["httpx (anyio)"](verify)
        requests, seconds, _ = crawl_once(config_path, cache_dir, first)
        print(f"cold: {requests} requests in {seconds:.2f} s")
        best: dict[str, tuple[int, float, float]] = {}
        for round_ in range(1, rounds + 1):
            for name, make in TRANSPORTS.items():
                requests, seconds, cpu = crawl_once(config_path, cache_dir, make(verify))
                per_request = cpu / requests * 1e6
                print(
                    f"warm round {round_}, {name}: {requests} requests in {seconds:.2f} s, "
                    f"{per_request:.0f} us of CPU per request"
                )
                if name not in best or per_request < best[name][2]:
                    best[name] = (requests, seconds, per_request)
        return best
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.network")
    parser.add_argument("--tags", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tls", action="store_true", help="the registry serves HTTPS")
    args = parser.parse_args(argv)
    best = measure(args.tags, args.rounds, tls=args.tls)
    print("\ntransport            requests  seconds  us CPU/request")
    for name, (requests, seconds, per_request) in best.items():
        print(f"{name:<20} {requests:>8}  {seconds:>7.2f}  {per_request:>14.0f}")
    (_, old_s, old_cpu), (_, new_s, new_cpu) = best.values()
    print(
        f"ratio sitegen/httpx: CPU per request x{new_cpu / old_cpu:.3f}, "
        f"seconds x{new_s / old_s:.3f}"
    )


if __name__ == "__main__":
    main()
