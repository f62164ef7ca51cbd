"""A disk that is full or read-only, or an output that cannot be created: the build
stops with one line naming the path and the reason, exit 1; the site in place and its
crawl state stay as they were, and no staging directory is left behind.

Where the tests run as root and may create a mount namespace (``unshare --mount``, as
here and on CI machines that allow it), the disk is a real tmpfs of a few MiB, filled
up or remounted read-only, seen by the build exactly as a real full or read-only disk.
Where that is not allowed (an unprivileged container), the full-disk test limits the
build's file size instead (``RLIMIT_FSIZE``: writes fail with ``File too large``), and
the read-only tests are skipped, saying why: root ignores permission bits, so no
``chmod`` can stand in for a read-only disk.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lab.registry import RunningRegistry
from tests.helpers import tree


class Namespace:
    """A private mount namespace kept open by a sleeping process; ``run`` runs a
    command in it, and ``view`` is how a path there looks from here."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sleep", "600"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        # unshare(2) runs a moment after the process starts: until then, entering its
        # namespace would enter ours, and a mount there would be a real mount here.
        ours = Path("/proc/self/ns/mnt").readlink()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(OSError):
                if Path(f"/proc/{self.process.pid}/ns/mnt").readlink() != ours:
                    self.ready = True
                    return
            time.sleep(0.01)
        self.ready = False

    def run(
        self, *command: str, cwd: Path | None = None, limit: Callable[[], None] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            # cd once inside: setns() leaves the working directory in the old
            # namespace's mounts, and renames from there into ours would be EXDEV.
            [
                *("nsenter", "-t", str(self.process.pid), "-m", "--"),
                *("sh", "-c", 'cd "$0" && exec "$@"', str(cwd or Path.cwd()), *command),
            ],
            env={**os.environ, "NO_COLOR": "1"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=limit,
            check=False,
        )

    def view(self, path: Path) -> Path:
        return Path(f"/proc/{self.process.pid}/root") / path.relative_to("/")

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(10)


@contextlib.contextmanager
def small_disk(directory: Path) -> Iterator[Namespace | None]:
    """A 8 MiB tmpfs on ``directory`` in a private mount namespace, or None where
    this machine does not allow one."""
    directory.mkdir()
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("nsenter")):
        yield None
        return
    namespace = Namespace()
    try:
        if not namespace.ready:
            yield None
            return
        mounted = namespace.run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(directory))
        yield namespace if mounted.returncode == 0 else None
    finally:
        namespace.stop()


def fill(namespace: Namespace, directory: Path, leave: int) -> None:
    """Fill the disk at ``directory`` but for ``leave`` bytes."""
    path = namespace.view(directory)
    stats = os.statvfs(path)
    free = stats.f_bavail * stats.f_frsize
    fd = os.open(path / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.posix_fallocate(fd, 0, max(0, free - leave))
    finally:
        os.close(fd)


def sitegen(
    cwd: Path,
    *args: str,
    namespace: Namespace | None = None,
    limit: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    command = (sys.executable, "-m", "sitegen", "build", *args)
    if namespace is not None:
        return namespace.run(*command, cwd=cwd, limit=limit)
    return subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
        check=False,
    )


def one_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.startswith("registries ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def config(tmp_path: Path, registry: RunningRegistry) -> None:
    (tmp_path / "registries.yaml").write_text(
        f"registries:\n  - name: lab\n    url: {registry.url}\n"
    )


def no_leftovers(directory: Path) -> None:
    assert not [p.name for p in directory.iterdir() if p.name.startswith(".sitegen-staging-")]


def test_a_full_disk_under_the_site_keeps_the_old_site(
    tmp_path: Path, plain_registry: RunningRegistry
) -> None:
    config(tmp_path, plain_registry)
    disk = tmp_path / "disk"
    with small_disk(disk) as namespace:
        site = (namespace.view(disk) if namespace else disk) / "site"
        first = sitegen(tmp_path, "-o", "disk/site", "--cache-dir", "cache", namespace=namespace)
        assert first.returncode == 0, first.stderr
        before, state = tree(site), (tmp_path / "cache" / "state.json").read_bytes()

        if namespace is not None:
            fill(namespace, disk, leave=64 << 10)  # the marker fits, the pages do not
            reason, limit = "No space left on device", None
        else:

            def limit() -> None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

            reason = "File too large"
        done = sitegen(
            tmp_path, "-o", "disk/site", "--cache-dir", "cache", namespace=namespace, limit=limit
        )
        message = one_error(done)
        assert re.fullmatch(
            rf"error: cannot write the site: {re.escape(str(disk))}/site/\S+: {reason}; "
            "the site in place was not changed",
            message,
        ), message
        assert tree(site) == before
        assert (tmp_path / "cache" / "state.json").read_bytes() == state
        no_leftovers(site.parent)


def test_a_full_disk_under_the_cache_keeps_the_old_site_and_state(
    tmp_path: Path, plain_registry: RunningRegistry
) -> None:
    config(tmp_path, plain_registry)
    disk = tmp_path / "disk"
    with small_disk(disk) as namespace:
        if namespace is None:
            pytest.skip("needs a mount namespace (root and unshare) for a small real disk")
        first = sitegen(tmp_path, "--cache-dir", "disk/cache", namespace=namespace)
        assert first.returncode == 0, first.stderr
        cache = namespace.view(disk) / "cache"
        before, state = tree(tmp_path / "site"), (cache / "state.json").read_bytes()
        fill(namespace, disk, leave=0)
        message = one_error(sitegen(tmp_path, "--cache-dir", "disk/cache", namespace=namespace))
        assert message == (
            "error: cannot save the crawl state in disk/cache: No space left on device"
        )
        assert tree(tmp_path / "site") == before
        assert (cache / "state.json").read_bytes() == state
        assert not (cache / "state.json.next").exists()
        no_leftovers(tmp_path)


@pytest.mark.parametrize("place", ["site", "cache"])
def test_a_read_only_disk_keeps_the_old_site(
    tmp_path: Path, plain_registry: RunningRegistry, place: str
) -> None:
    config(tmp_path, plain_registry)
    disk = tmp_path / "disk"
    with small_disk(disk) as namespace:
        if namespace is None:
            pytest.skip("needs a mount namespace (root and unshare) to remount a disk read-only")
        args = ["-o", "disk/site"] if place == "site" else ["--cache-dir", "disk/cache"]
        assert sitegen(tmp_path, *args, namespace=namespace).returncode == 0
        site = namespace.view(disk) / "site" if place == "site" else tmp_path / "site"
        before = tree(site)
        remount = namespace.run("mount", "-o", "remount,ro", str(disk))
        assert remount.returncode == 0, remount.stderr
        message = one_error(sitegen(tmp_path, *args, namespace=namespace))
        if place == "site":
            assert message == (
                f"error: cannot write the output disk/site: {disk}/.sitegen-lock-site: "
                "Read-only file system"
            )
        else:
            assert message == (
                "error: cannot use the cache directory disk/cache: disk/cache/lock: "
                "Read-only file system"
            )
        assert tree(site) == before


def test_an_output_whose_parent_cannot_be_created(
    tmp_path: Path, plain_registry: RunningRegistry
) -> None:
    config(tmp_path, plain_registry)
    (tmp_path / "notes.txt").write_text("a file, not a directory")
    requests = len(plain_registry.access_log())
    done = sitegen(tmp_path, "-o", "notes.txt/site")
    assert one_error(done) == (
        f"error: cannot write the output notes.txt/site: {tmp_path}/notes.txt: Not a directory"
    )
    assert plain_registry.access_log(requests) == []  # before any request
    assert (tmp_path / "notes.txt").read_text() == "a file, not a directory"
