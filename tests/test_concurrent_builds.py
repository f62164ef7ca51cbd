"""Two builds at once into the same output, or with the same cache directory: the second
stops at once with one line and exit 1, before sending any request; the first finishes
with its site and its crawl state whole."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.proxy import delayed
from lab.registry import RunningRegistry


@pytest.mark.parametrize("shared", ["output", "cache"])
def test_a_second_build_stops_while_the_first_holds_the_lock(
    tmp_path: Path, plain_registry: RunningRegistry, shared: str
) -> None:
    (tmp_path / "registries.yaml").write_text(
        f"registries:\n  - name: lab\n    url: {plain_registry.url}\n"
    )
    mine = ["-o", "site", "--cache-dir", "cache"]
    theirs = ["-o", "site", "--cache-dir", "other-cache"]
    if shared == "cache":
        theirs = ["-o", "other-site", "--cache-dir", "cache"]
    env = {**os.environ, "NO_COLOR": "1"}
    # The first build crawls through a proxy that holds every request back 50 ms.
    with delayed(plain_registry.url, 0.05) as proxy:
        (tmp_path / "slow.yaml").write_text(
            f"registries:\n  - name: lab\n    url: {proxy.url}\n    concurrency: 1\n"
        )
        first = subprocess.Popen(
            [sys.executable, "-m", "sitegen", "build", "-c", "slow.yaml", *mine],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 20
            while proxy.requests < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert proxy.requests >= 3, "the first build did not start crawling"
            # The second build's registry counts connections: it must get none.
            with socket.socket() as listener:
                listener.bind(("127.0.0.1", 0))
                listener.listen()
                listener.setblocking(False)
                port = listener.getsockname()[1]
                (tmp_path / "other.yaml").write_text(
                    f"registries:\n  - name: lab\n    url: http://127.0.0.1:{port}\n"
                    "    timeout: 1\n    retries: 0\n"
                )
                second = subprocess.run(
                    [sys.executable, "-m", "sitegen", "build", "-c", "other.yaml", *theirs],
                    cwd=tmp_path,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=False,
                )
                with pytest.raises(BlockingIOError):
                    listener.accept()
            assert first.poll() is None, "the first build ended before the second started"
        finally:
            _, first_errors = first.communicate(timeout=120)

    what = "the output site" if shared == "output" else "the cache directory cache"
    assert second.returncode == 1
    assert second.stdout == ""
    assert second.stderr == (
        f"error: another sitegen build (process {first.pid}) is using {what}; "
        "try again when it has finished\n"
    )
    assert not (tmp_path / "other-site").exists()
    assert not (tmp_path / "other-cache" / "state.json").exists()

    assert first.returncode == 0, first_errors
    assert (tmp_path / "site" / "index.html").is_file()
    state = json.loads((tmp_path / "cache" / "state.json").read_text())
    assert len(state["repositories"]) == 7
    # Once the first build is done, the second one runs.
    again = subprocess.run(
        [sys.executable, "-m", "sitegen", "build", *theirs],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr


def test_builds_into_two_outputs_side_by_side_leave_each_other_alone(
    tmp_path: Path, plain_registry: RunningRegistry
) -> None:
    """Each build cleans up what killed builds left beside its output: only its own
    target's leftovers, never the directory another build is writing right now."""
    root = Path(__file__).resolve().parent.parent
    theme = tmp_path / "slow-theme"
    theme.mkdir()
    # Pages that take a while to render keep the first build writing long enough.
    (theme / "base.html").write_text(
        (root / "templates" / "base.html")
        .read_text()
        .replace(
            "{% block content %}{% endblock %}",
            "{% for _ in range(800000) %}{% endfor %}{% block content %}{% endblock %}",
        )
    )
    registries = f"registries:\n  - name: lab\n    url: {plain_registry.url}\n"
    (tmp_path / "slow.yaml").write_text("site:\n  theme_dir: slow-theme\n" + registries)
    (tmp_path / "registries.yaml").write_text(registries)
    first = subprocess.Popen(
        [sys.executable, "-m", "sitegen", "build", "-c", "slow.yaml", "-o", "one", "--no-cache"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and first.poll() is None:
            if any(p.name.startswith(".sitegen-staging-") for p in tmp_path.iterdir()):
                break
            time.sleep(0.005)
        second = subprocess.run(
            [sys.executable, "-m", "sitegen", "build", "-o", "two", "--no-cache"],
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert first.poll() is None, "the first build was not writing while the second ran"
    finally:
        _, first_errors = first.communicate(timeout=120)
    assert second.returncode == 0, second.stderr
    assert first.returncode == 0, first_errors
    assert (tmp_path / "one" / "index.html").is_file()
    assert (tmp_path / "two" / "index.html").is_file()
