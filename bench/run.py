"""The benchmark: sitegen against a real registry at scale, side by side with skopeo and
curl + jq loops, and rendering from cache up to 100,000 tags.

``python -m bench [--quick]`` (see bench/README.md). In one run:

1. Start Debian's distribution registry on loopback and fill it through the API
   (``bench.dataset``: 50 tags per repository in releases of five aliases, 20% of the
   tags 4-platform indexes).
2. Put ``bench.proxy`` (a TCP relay adding ``--delay`` per HTTP request, in its own
   process) in front of it. Check that the relay is not the bottleneck: the same warm
   build with 0 ms delay, direct and through the relay.
3. ``sitegen build`` as a subprocess through the relay: cold (empty cache), warm (no
   change), and after 1% of the tags moved to new images. Wall time, requests by kind
   and bytes (the registry's own access log, and sitegen's ``--report``), peak RSS,
   pages per second, and the lower bound ``requests x delay / concurrency``.
4. The skopeo loop and the curl + jq script (``bench/competitors/``) on a sample of the
   same repositories through the same relay; their per-tag cost is extrapolated to the
   whole registry and compared with the cold build, and sitegen also crawls just the
   sample cold.
5. ``bench.stream``, once the registry and the relay have stopped: the same data, cold
   and warm, with the registry elsewhere (served in this process with the same delay:
   no registry or relay process on these CPUs).
6. ``bench.scale``: render from cache at 1k, 10k (and 100k) tags, time and peak memory.

Everything is written under ``--workdir`` (tmpfs by default: see bench/README.md) and
removed at the end; every process started here is stopped in a ``finally``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import report as tables
from bench.dataset import Spec
from bench.fill import fill, move
from bench.measure import (
    AccessLog,
    Measured,
    cpu_seconds,
    file_creation_rate,
    filesystem_of,
    load_average,
    machine,
    run,
)
from bench.proxy import ProxyProcess
from bench.scale import write_config
from lab.registry import RunningRegistry, start_registry

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"


@dataclass(frozen=True)
class Mode:
    """How much a run measures."""

    repositories: int  # 50 tags each
    sample_repositories: int  # the competitors' sample (50 tags each)
    scale: tuple[int, ...]  # tag counts of the render-from-cache curve
    disk_scale: int  # the curve point also rendered on the disk (not tmpfs)


MODES = {
    "quick": Mode(repositories=40, sample_repositories=2, scale=(1_000, 10_000), disk_scale=1_000),
    "full": Mode(
        repositories=200, sample_repositories=6, scale=(1_000, 10_000, 100_000), disk_scale=10_000
    ),
}


class Bench:
    """One benchmark run: the registry, the relay, the numbers so far."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.mode = MODES["quick" if args.quick else "full"]
        self.work = work
        self.spec = Spec(repositories=self.mode.repositories)
        self.delay: float = args.delay
        self.concurrency: int = args.concurrency
        self.env = {**os.environ, "TMPDIR": str(work / "tmp")}
        (work / "tmp").mkdir(parents=True, exist_ok=True)
        self.results: dict[str, Any] = {
            "mode": "quick" if args.quick else "full",
            "delay_ms": round(self.delay * 1000, 1),
            "concurrency": self.concurrency,
            "machine": machine(),
            "workdir": filesystem_of(work),
            "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "load_average_start": load_average(),
            "dataset": self.spec.describe(),
        }
        self.registry: RunningRegistry | None = None
        self.proxy: ProxyProcess | None = None
        self.log: AccessLog | None = None

    # -- steps -----------------------------------------------------------------------

    def start(self) -> None:
        """Registry, fill, relay."""
        say(f"registry: filling {self.spec.tags} tags in {self.spec.repositories} repositories")
        self.registry = start_registry(self.work / "registry", log_level="error")
        self.log = AccessLog(self.registry.log_path, self.registry.url)
        filled = fill(self.registry.url, self.spec)
        self.results["fill"] = filled.as_dict()
        say(f"  filled in {filled.seconds:.1f}s ({filled.tags / filled.seconds:.0f} tags/s)")
        self.proxy = ProxyProcess(self.registry.url, self.delay)
        write_config(self.work / "proxied.yaml", self.proxy.url, concurrency=self.concurrency)
        write_config(self.work / "direct.yaml", self.registry.url, concurrency=self.concurrency)

    def builds(self) -> None:
        """Cold and warm, each also with every page rendered after the crawl (its own
        cache); the relay check; then 1% of the tags moved."""
        assert self.registry is not None
        runs: dict[str, Any] = {}
        cache, after = self.work / "cache", self.work / "cache-after"
        runs["cold"] = self.sitegen("cold", "proxied.yaml", cache, self.proxy)
        runs["cold_after"] = self.sitegen(
            "cold, render after crawl", "proxied.yaml", after, self.proxy, stream=False
        )
        runs["warm"] = self.sitegen("warm", "proxied.yaml", cache, self.proxy)
        runs["warm_after"] = self.sitegen(
            "warm, render after crawl", "proxied.yaml", after, self.proxy, stream=False
        )
        shutil.rmtree(after, ignore_errors=True)
        with ProxyProcess(self.registry.url, 0.0) as instant:
            write_config(self.work / "instant.yaml", instant.url, concurrency=self.concurrency)
            direct = self.sitegen("warm, 0 ms, direct", "direct.yaml", cache, None)
            relayed = self.sitegen("warm, 0 ms, relay", "instant.yaml", cache, instant)
        self.results["relay_check"] = {
            "direct_seconds": direct["seconds"],
            "relay_seconds": relayed["seconds"],
            "direct_crawl_seconds": direct["crawl_seconds"],
            "relay_crawl_seconds": relayed["crawl_seconds"],
            "relay_cpu_seconds": relayed["proxy_cpu_seconds"],
            "overhead": round(relayed["crawl_seconds"] / max(direct["crawl_seconds"], 1e-9), 2),
        }
        moved = move(self.registry.url, self.spec)
        say(f"moved {moved.tags} tags to new images")
        runs["moved"] = self.sitegen("1% moved", "proxied.yaml", cache, self.proxy)
        self.results["builds"] = runs

    def elsewhere(self) -> None:
        """The same data with the registry elsewhere (``bench.stream``): cold and warm,
        each also with every page rendered after the crawl, served in this process with
        the same delay, once the registry and the relay have stopped: no registry or
        relay process on these CPUs, as when the registry is another machine's."""
        from bench import stream  # here: bench.stream imports this module

        say("sitegen: the registry elsewhere (bench.stream)")
        rows = stream.run(self.spec.tags, self.delay, self.concurrency)
        for row in rows:
            say(f"  {row['build']}, {row['render']}: {row['seconds']:.1f}s (x{row['ratio']})")
        self.results["elsewhere"] = rows

    def competitors(self) -> None:
        """skopeo and curl + jq on a sample, and sitegen cold on the same sample."""
        assert self.proxy is not None and self.registry is not None
        sample = [self.spec.repository(n) for n in range(self.mode.sample_repositories)]
        tags = len(sample) * self.spec.tags_per_repository
        found: dict[str, Any] = {"repositories": sample, "tags": tags}
        config = self.work / "sample.yaml"
        write_config(config, self.proxy.url, concurrency=self.concurrency)
        with config.open("a") as handle:
            handle.write("    repositories:\n" + "".join(f"      - {r}\n" for r in sample))
        found["sitegen"] = self.sitegen(
            "sample, cold", "sample.yaml", self.work / "cache-sample", self.proxy
        )
        scripts = BENCH / "competitors"
        for name, tool, command in (
            ("skopeo", "skopeo", ["bash", str(scripts / "skopeo-loop.sh"), self.proxy.host]),
            ("curl_jq", "curl", ["bash", str(scripts / "curl-jq.sh"), self.proxy.url]),
        ):
            missing = [t for t in (tool, "jq") if shutil.which(t) is None]
            if missing:
                say(f"{name}: skipped, {' and '.join(missing)} not installed")
                found[name] = {"skipped": f"{', '.join(missing)} not installed"}
                continue
            out = self.work / f"out-{name}"
            found[name] = self.external(name, [*command, str(out), *sample])
            found[name]["tags"] = tags
            shutil.rmtree(out, ignore_errors=True)
        self.results["competitors"] = found

    def scale(self) -> None:
        """Render from cache at each size; the disk point on the disk too."""
        points: list[dict[str, Any]] = []
        config = write_config(self.work / "scale.yaml", "https://registry.test")
        disk = Path(self.args.disk_dir) if self.args.disk_dir else None
        plan: list[tuple[int, Path]] = [(n, self.work) for n in self.mode.scale]
        if disk is not None and filesystem_of(disk) != filesystem_of(self.work):
            plan.append((self.mode.disk_scale, disk))
        self.results["filesystems"] = {}
        for place in {where for _, where in plan}:
            rate = file_creation_rate(place)
            self.results["filesystems"][filesystem_of(place)] = round(rate)
            say(f"file system {filesystem_of(place)}: {rate:.0f} page directories/s (plain loop)")
        for tags, where in plan:
            model = self.work / f"model-{tags}.pickle"
            if not model.exists():
                say(f"scale: crawling {tags} tags from memory")
                made = run(
                    [
                        *(sys.executable, "-m", "bench.scale", "model"),
                        *("--tags", str(tags), "--config", str(config), "--out", str(model)),
                    ],
                    env=self.env,
                    cwd=BENCH.parent,
                )
                check(made, "bench.scale model")
            scratch = Path(tempfile.mkdtemp(prefix="bench-site-", dir=where))
            try:
                say(f"scale: rendering {tags} tags on {filesystem_of(where)}")
                drawn = run(
                    [
                        *(sys.executable, "-m", "bench.scale", "render", "--config", str(config)),
                        *("--model", str(model), "--site", str(scratch / "site")),
                    ],
                    env={**self.env, "TMPDIR": str(scratch)},
                    cwd=BENCH.parent,
                )
                check(drawn, "bench.scale render")
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            point = json.loads(drawn.stdout.strip().splitlines()[-1])
            point["filesystem"] = filesystem_of(where)
            point["process_peak_rss_mb"] = round(drawn.peak_rss_mb, 1)
            point["pages_per_second"] = round(point["pages"] / point["seconds"])
            point["cores_busy"] = round(point["cpu_seconds"] / point["seconds"], 2)
            points.append(point)
            say(
                f"  {point['pages']} pages, {point['files']} files in {point['seconds']:.1f}s "
                f"({point['pages_per_second']}/s, {point['cores_busy']} cores busy), "
                f"peak RSS {point['peak_rss_mb']:.0f} MB"
            )
        self.results["scale"] = points

    # -- one measured process --------------------------------------------------------

    def sitegen(
        self,
        label: str,
        config: str,
        cache: Path,
        relay: ProxyProcess | None,
        *,
        stream: bool = True,
    ) -> dict[str, Any]:
        """``sitegen build`` in a child process, measured from every side; ``stream``:
        repositories rendered as their crawl ends (else every page after the crawl)."""
        assert self.log is not None and self.registry is not None
        say(f"sitegen: {label}")
        site, report = self.work / "site", self.work / "report.json"
        usage = self.work / "rusage.json"
        offset = self.log.mark()
        relayed = relay.requests() if relay else 0
        relay_cpu = relay.cpu_seconds() if relay else 0.0
        registry_cpu = cpu_seconds(self.registry_pid())
        load = load_average()
        measured = run(
            [
                *(sys.executable, "-m", "bench.child", str(usage), "build", "-q"),
                *("-c", str(self.work / config), "-o", str(site), "--cache-dir", str(cache)),
                *("--report", str(report)),
            ],
            env={**self.env, "SITEGEN_STREAM": "1" if stream else "0"},
            cwd=self.work,
        )
        check(measured, f"sitegen build ({label})")
        traffic = self.log.since(offset)
        built = json.loads(report.read_text())
        own = json.loads(usage.read_text())
        sent = (relay.requests() - relayed) if relay else traffic.total
        delay = relay.delay if relay else 0.0
        bound = sent * delay / self.concurrency
        result = {
            "label": label,
            "seconds": round(measured.seconds, 2),
            "crawl_seconds": built["crawl_seconds"],
            "render_seconds": built["render_seconds"],
            "pages": built["pages"],
            "tags": built["tags"],
            "pages_per_second": round(built["pages"] / max(built["render_seconds"], 1e-9)),
            "requests": built["requests"],
            "bytes_received": built["bytes_received"],
            "cache_hits": built["cache_hits"],
            "failures": built["failures"],
            "logged": traffic.as_dict(),
            "relayed": sent,
            "lower_bound_seconds": round(bound, 2),
            # Three decimals: a target's PASS is not decided by rounding.
            "ratio": round(measured.seconds / bound, 3) if bound else None,
            "crawl_ratio": round(built["crawl_seconds"] / bound, 3) if bound else None,
            "cpu_seconds": round(measured.cpu, 2),
            "peak_rss_mb": own["peak_rss_mb"],
            "children_peak_rss_mb": own["children_peak_rss_mb"],
            "proxy_cpu_seconds": round(relay.cpu_seconds() - relay_cpu, 2) if relay else 0.0,
            "registry_cpu_seconds": round(cpu_seconds(self.registry_pid()) - registry_cpu, 2),
            "load_average": load,
        }
        say(
            f"  {result['seconds']:.1f}s (crawl {result['crawl_seconds']:.1f}s, render "
            f"{result['render_seconds']:.1f}s); {traffic.total} requests "
            + (f"(lower bound {bound:.1f}s, x{result['ratio']})" if bound else "")
        )
        return result

    def external(self, name: str, command: list[str]) -> dict[str, Any]:
        """A competitor script through the relay, measured the same way."""
        assert self.log is not None and self.proxy is not None
        say(f"{name}: running on the sample")
        offset = self.log.mark()
        relayed = self.proxy.requests()
        measured = run(command, env=self.env, cwd=self.work)
        check(measured, name)
        traffic = self.log.since(offset)
        sent = self.proxy.requests() - relayed
        result = {
            "seconds": round(measured.seconds, 2),
            "cpu_seconds": round(measured.cpu, 2),
            "logged": traffic.as_dict(),
            "relayed": sent,
            # One request at a time: each one waits the full delay.
            "lower_bound_seconds": round(sent * self.delay, 2),
        }
        say(f"  {measured.seconds:.1f}s, {traffic.total} requests")
        return result

    def registry_pid(self) -> int:
        """The registry process id (for its CPU time)."""
        assert self.registry is not None and self.registry.process is not None
        return self.registry.process.pid

    def stop(self) -> None:
        """Stop the relay and the registry (safe to repeat)."""
        if self.proxy is not None:
            self.proxy.stop()
        if self.registry is not None:
            self.registry.stop()


def check(measured: Measured, what: str) -> None:
    """Fail the run, with the tail of the output, when a step failed."""
    if measured.returncode != 0:
        tail = "\n".join((measured.stdout + measured.stderr).strip().splitlines()[-20:])
        raise SystemExit(f"{what} failed with exit code {measured.returncode}:\n{tail}")


def say(text: str) -> None:
    """Progress on stderr; the tables go to stdout."""
    print(text, file=sys.stderr, flush=True)


def default_workdir() -> Path:
    """tmpfs when there is one (see bench/README.md), else the temporary directory."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 8 << 30:
        return shm
    return Path(tempfile.gettempdir())


def main(argv: list[str] | None = None) -> int:
    """Command line: run everything, print the tables, write the results."""
    summary = " ".join(__doc__.split("\n\n")[0].split())  # the first paragraph
    parser = argparse.ArgumentParser(prog="python -m bench", description=summary)
    parser.add_argument("--quick", action="store_true", help="a smaller run, under 3 minutes")
    parser.add_argument("--delay", type=float, default=0.020, help="seconds added per request")
    parser.add_argument("--concurrency", type=int, default=8, help="sitegen's per registry")
    parser.add_argument("--workdir", type=Path, default=None, help="default: /dev/shm")
    parser.add_argument(
        "--disk-dir",
        default=tempfile.gettempdir(),
        help="also render one curve point here, when it is another file system",
    )
    parser.add_argument("--output", type=Path, default=None, help="results JSON file")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the tables")
    parser.add_argument("--skip-competitors", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument(
        "--skip-elsewhere", action="store_true", help="no builds with the registry elsewhere"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)

    started = time.monotonic()
    base = args.workdir or default_workdir()
    work = Path(tempfile.mkdtemp(prefix="sitegen-bench-", dir=base))
    bench = Bench(args, work)
    try:
        bench.start()
        bench.builds()
        if not args.skip_competitors:
            bench.competitors()
    finally:
        bench.stop()
    if not args.skip_elsewhere:
        bench.elsewhere()
    try:
        if not args.skip_scale:
            bench.scale()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    results = bench.results
    results["load_average_end"] = load_average()
    results["seconds"] = round(time.monotonic() - started, 1)
    results["targets"] = tables.targets(results)
    output = args.output or RESULTS / f"{results['mode']}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    text = tables.render(results)
    print(text)
    if args.markdown:
        args.markdown.write_text(tables.render(results, markdown=True))
    say(f"results: {output} ({results['seconds']:.0f}s in all)")
    return 0
