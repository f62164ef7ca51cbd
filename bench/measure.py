"""Measuring tools: child processes with their own rusage, CPU time of running
processes, the registry's access log by request kind, and the machine.

Every number the benchmark prints comes from one of these, so how it is measured is
written down once.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    """One child process: wall time, CPU time and peak RSS from ``wait4``.

    ``wait4`` reports the child and every descendant it waited for (Linux
    ``RUSAGE_BOTH``), so CPU time includes e.g. render workers; ``peak_rss_mb`` is the
    largest resident set of any single one of those processes.
    """

    returncode: int
    seconds: float
    user: float
    system: float
    peak_rss_mb: float
    stdout: str = field(repr=False)
    stderr: str = field(repr=False)

    @property
    def cpu(self) -> float:
        """User plus system CPU seconds."""
        return self.user + self.system


def run(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 3600.0,
) -> Measured:
    """Run ``command`` to completion and measure it (bounded by ``timeout``)."""
    out_path = (
        Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-out-{os.getpid()}-{time.monotonic_ns()}"
    )
    with (
        out_path.with_suffix(".out").open("w+") as out,
        out_path.with_suffix(".err").open("w+") as err,
    ):
        started = time.monotonic()
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.005)
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    out_path.with_suffix(".out").unlink(missing_ok=True)
    out_path.with_suffix(".err").unlink(missing_ok=True)
    return Measured(
        returncode=process.returncode,
        seconds=seconds,
        user=usage.ru_utime,
        system=usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,
        stdout=stdout,
        stderr=stderr,
    )


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a running process, from /proc (Linux)."""
    with Path(f"/proc/{pid}/stat").open() as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# 127.0.0.1 - - [24/Nov/2026:16:24:21 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "curl/7.88.1"
_ACCESS_RE = re.compile(r'^\S+ \S+ \S+ \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+|-)')
KINDS = ("ping", "catalog", "list", "head", "manifest", "blob", "referrers", "other")


def request_kind(method: str, path: str) -> str:
    """What a registry request does, from its method and path."""
    route = path.split("?", 1)[0]
    if route in ("/v2/", "/v2"):
        return "ping"
    if route == "/v2/_catalog":
        return "catalog"
    if route.endswith("/tags/list"):
        return "list"
    if "/manifests/" in route:
        return "head" if method == "HEAD" else "manifest"
    if "/blobs/" in route:
        return "blob"
    if "/referrers/" in route:
        return "referrers"
    return "other"


@dataclass
class Traffic:
    """Requests by kind and response body bytes sent, as the registry logged them."""

    requests: Counter[str] = field(default_factory=Counter)
    bytes: int = 0

    @property
    def total(self) -> int:
        """All requests."""
        return sum(self.requests.values())

    def as_dict(self) -> dict[str, object]:
        """For the results file, kinds in a fixed order."""
        return {
            "requests": {k: self.requests[k] for k in KINDS if self.requests[k]},
            "total": self.total,
            "bytes": self.bytes,
        }


class AccessLog:
    """Reads a registry's access log from a remembered offset.

    The registry writes a line after each response; ``sync`` (a probe request the
    harness sends and leaves out) makes sure every earlier line is on disk first.
    """

    def __init__(self, path: Path, probe_url: str) -> None:
        self.path = path
        self.probe_url = probe_url
        self._probes = 0

    def mark(self) -> int:
        """The current end of the log."""
        self._sync()
        return self.path.stat().st_size

    def since(self, offset: int) -> Traffic:
        """Requests logged after ``offset`` (harness probes excluded)."""
        self._sync()
        traffic = Traffic()
        with self.path.open(encoding="utf-8", errors="replace") as log:
            log.seek(offset)
            for line in log:
                match = _ACCESS_RE.match(line)
                if match is None or "lab-probe" in match[2]:
                    continue
                traffic.requests[request_kind(match[1], match[2])] += 1
                # A HEAD is logged with the Content-Length it announced, but sends no body.
                if match[1] != "HEAD" and match[4].isdigit():
                    traffic.bytes += int(match[4])
        return traffic

    def _sync(self) -> None:
        import httpx

        self._probes += 1
        marker = f"lab-probe=bench-{self._probes}"
        deadline = time.monotonic() + 5.0
        httpx.get(f"{self.probe_url}/v2/?{marker}", timeout=5)
        while marker not in self.path.read_text(errors="replace")[-4096:]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the access log never showed {marker}: {self.path}")
            time.sleep(0.01)


def filesystem_of(path: Path) -> str:
    """``ext4 /dev/vda`` style description of the file system holding ``path``."""
    best = ("", "", "")
    resolved = str(path.resolve())
    with Path("/proc/mounts").open() as mounts:
        for line in mounts:
            device, mount, kind = line.split()[:3]
            inside = resolved == mount or resolved.startswith(mount.rstrip("/") + "/")
            if inside and len(mount) >= len(best[1]):
                best = (device, mount, kind)
    return f"{best[2]} ({best[0]} on {best[1]})"


def file_creation_rate(directory: Path, count: int = 2000) -> float:
    """Page directories (a directory and two small files) a plain loop creates per second.

    The ceiling any site generator meets on this file system, measured the simplest
    way, so the render numbers can be read against it.
    """
    root = directory / f"fs-probe-{os.getpid()}"
    root.mkdir(parents=True)
    html, data = b"x" * 12_000, b"y" * 7_000
    try:
        started = time.perf_counter()
        for number in range(count):
            page = root / f"p{number}"
            page.mkdir()
            (page / "index.html").write_bytes(html)
            (page / "index.json").write_bytes(data)
        return count / (time.perf_counter() - started)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _version(command: Sequence[str]) -> str:
    try:
        done = subprocess.run(
            list(command), capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return "not installed"
    return (
        (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else ""
    )


def machine() -> dict[str, object]:
    """The machine and tool versions, for the results file."""
    model = ""
    with Path("/proc/cpuinfo").open() as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with Path("/proc/meminfo").open() as meminfo:
        total_kb = int(meminfo.readline().split()[1])
    return {
        "cpu": model,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gib": round(total_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "registry": _version(["docker-registry", "--version"]),
        "skopeo": _version(["skopeo", "--version"]),
        "curl": _version(["curl", "--version"]),
        "jq": _version(["jq", "--version"]),
    }


def load_average() -> float:
    """The 1-minute load average: other work on the machine skews every number."""
    return os.getloadavg()[0]
