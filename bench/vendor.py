"""A warm rebuild through a vendor listing API against a HEAD per tag, side by side.

``python -m bench.vendor [--tags 10000] [--delay 0.02] [--concurrency 8] [--vendor hub]``

Both paths crawl the same registry (``bench.dataset``: 50 tags per repository, every
fifth release a 4-platform index), served in process by ``lab.fakeregistry`` and
``lab.fakevendor`` (the vendor's entries are real captured ones) behind one
``httpx.MockTransport`` whose handler waits ``--delay`` seconds per request
(``asyncio.sleep``: requests overlap as on a network, up to the registry's
concurrency; no socket). Each path first crawls cold without delay to fill its own
cache, then the warm crawl is measured with the delay: its requests by kind (the
client's own counts), its seconds, against the lower bound ``requests x delay /
concurrency``, and the CPU time this process spent on it (per tag: the crawl's own work,
the fakes included, as nothing else runs in the process). Rendering is left out: it is
the same for both paths. The issue's target: the vendor path sends at most 2% of the
HEAD path's requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import elsewhere
from bench.dataset import Spec, contents
from lab.fakeregistry import FakeRegistry
from lab.fakevendor import FakeVendorAPI
from sitegen.config import load_config
from sitegen.crawl import crawl
from sitegen.crawl.cache import Cache
from sitegen.crawl.state import State
from sitegen.registry.client import RegistryClient
from sitegen.registry.transport import KINDS

TARGET = 0.02  # vendor requests / HEAD-path requests
REGISTRY_URLS = {"hub": ("docker.io", "registry-1.docker.io"), "harbor": ("https://registry.test",
                 "registry.test"), "quay": ("https://quay.io", "quay.io"),
                 "acr": ("https://myregistry.azurecr.io", "myregistry.azurecr.io")}  # fmt: skip


def write_config(
    path: Path, vendor: str, api: str, repositories: list[str], concurrency: int
) -> Path:
    """One registry with its repositories listed (Docker Hub has no ``_catalog``)."""
    url = REGISTRY_URLS[vendor][0]
    path.write_text(
        "registries:\n"
        "  - name: bench\n"
        f"    url: {url}\n"
        f"    api: {api}\n"
        f"    concurrency: {concurrency}\n"
        f"    repositories: [{', '.join(repositories)}]\n"
    )
    return path


def delayed(api: FakeVendorAPI, delay: list[float]) -> httpx.MockTransport:
    """The fake's transport with ``delay[0]`` seconds per request."""

    async def handler(request: httpx.Request) -> httpx.Response:
        if delay[0]:
            await asyncio.sleep(delay[0])
        return api.handle(request)

    return httpx.MockTransport(handler)


def measure(
    spec: Spec, vendor: str, api: str, delay: float, concurrency: int, work: Path
) -> dict[str, Any]:
    """Cold crawl without delay, then the measured warm crawl of one path."""
    registry = FakeRegistry()
    names: list[str] = []
    for repository, built, tags in contents(spec):
        registry.add(repository, built, tags)
        if repository not in names:
            names.append(repository)
    fake = FakeVendorAPI(registry, vendor, registry_host=REGISTRY_URLS[vendor][1])
    config = load_config(
        write_config(work / f"{api}.yaml", vendor, api, names, concurrency), environ={}
    )
    wait = [0.0]
    cache = Cache(work / f"cache-{api}")

    async def once() -> tuple[dict[str, int], float, float, int]:
        started, cpu = time.perf_counter(), elsewhere.cpu_seconds()
        async with RegistryClient(config.registries, transport=delayed(fake, wait)) as client:
            outcome = await crawl(config, client, cache, state=State(), now="2024-06-01T00:00:00Z")
        seconds, cpu = time.perf_counter() - started, elsewhere.cpu_seconds() - cpu
        tags = sum(len(r.tags) for g in outcome.catalog.registries for r in g.repositories)
        return {k: client.stats.count(k) for k in KINDS}, seconds, cpu, tags

    asyncio.run(once())  # cold: fills the cache
    wait[0] = delay
    counts, seconds, cpu, shown = asyncio.run(once())
    total = sum(counts.values())
    return {
        "path": "vendor API" if api != "none" else "HEAD per tag",
        "tags": shown,
        "requests": total,
        "by_kind": {k: n for k, n in counts.items() if n},
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "lower_bound_seconds": round(total * delay / concurrency, 3),
    }


def run(tags: int, delay: float, concurrency: int, vendor: str) -> dict[str, Any]:
    """Both paths on the same data; their numbers and ratios."""
    spec = Spec(repositories=max(1, tags // Spec().tags_per_repository))
    with tempfile.TemporaryDirectory(prefix="sitegen-bench-vendor-") as directory:
        work = Path(directory)
        head = measure(spec, vendor, "none", delay, concurrency, work)
        listed = measure(spec, vendor, vendor, delay, concurrency, work)
    request_ratio = listed["requests"] / head["requests"]
    return {
        "vendor": vendor,
        "tags": spec.tags,
        "repositories": spec.repositories,
        "delay_ms": delay * 1000,
        "concurrency": concurrency,
        "transport": "in-process httpx.MockTransport, asyncio.sleep(delay) per request",
        "head": head,
        "vendor_api": listed,
        "request_ratio": round(request_ratio, 6),
        "time_ratio": round(listed["seconds"] / head["seconds"], 4) if head["seconds"] else None,
        "target": TARGET,
        "passed": request_ratio <= TARGET and listed["tags"] == head["tags"],
    }


def table(result: dict[str, Any]) -> str:
    """The side-by-side table, as printed and as in docs/performance.md."""
    rows = [
        "| Path | Tags shown | Requests | By kind | Seconds | Lower bound (s) |",
        "| --- | ---: | ---: | --- | ---: | ---: |",
    ]
    for key in ("head", "vendor_api"):
        p = result[key]
        kinds = ", ".join(f"{n} {k}" for k, n in p["by_kind"].items())
        rows.append(
            f"| {p['path']} | {p['tags']:,} | {p['requests']:,} | {kinds} | "
            f"{p['seconds']:.2f} | {p['lower_bound_seconds']:.2f} |"
        )
    verdict = "PASS" if result["passed"] else "FAIL"
    rows.append("")
    ratio = result["vendor_api"]["requests"] / result["head"]["requests"]
    rows.append(
        f"Vendor API / HEAD path: {result['vendor_api']['requests']:,} / "
        f"{result['head']['requests']:,} requests = {ratio:.4%} "
        f"(target <= {result['target']:.0%}: {verdict}); "
        f"{result['time_ratio']:.1%} of the time."
    )
    per_tag = [
        f"{p['path']} {p['cpu_seconds'] / p['tags'] * 1e6:,.0f} µs"
        for p in (result["head"], result["vendor_api"])
        if p["tags"]
    ]
    rows.append(f"CPU of the warm crawl per tag: {', '.join(per_tag)}.")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Run both paths and print the table; exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.vendor")
    parser.add_argument("--tags", type=int, default=10_000)
    parser.add_argument("--delay", type=float, default=0.02, help="seconds per request")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--vendor", choices=sorted(REGISTRY_URLS), default="hub")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    result = run(args.tags, args.delay, args.concurrency, args.vendor)
    header = (
        f"Warm rebuild, {result['tags']:,} tags in {result['repositories']} repositories, "
        f"{result['delay_ms']:g} ms per request, concurrency {result['concurrency']}, "
        f"{result['vendor']} ({result['transport']})"
    )
    print(header)
    print()
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
