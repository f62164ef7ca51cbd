"""What killed builds leave beside the site is cleaned up, and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lab.registry import RunningRegistry
from sitegen.site import output
from sitegen.site.output import MARKER, recover, staging
from tests.helpers import files, run_cli, write_config


def test_leftovers_of_killed_builds_are_removed(tmp_path: Path) -> None:
    marked = tmp_path / ".sitegen-staging-marked"
    marked.mkdir()
    (marked / MARKER).write_text("")
    (marked / "index.html").write_text("half a site")
    # Killed between creating its staging directory and marking it.
    empty = tmp_path / ".sitegen-retired-1-site"
    empty.mkdir()
    # Not marked and not empty: may be someone else's, so it stays.
    foreign = tmp_path / ".sitegen-staging-foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")

    recover(tmp_path / "site")  # what every build does first, holding the lock
    with staging(tmp_path / "site") as stage:
        stage.write("index.html", "<!doctype html>")

    assert not marked.exists() and not empty.exists()
    assert (foreign / "notes.txt").read_text() == "keep me"
    assert (tmp_path / "site" / "index.html").read_text() == "<!doctype html>"


def test_a_cache_inside_the_output_is_refused_before_any_request(
    tmp_path: Path, plain_registry: RunningRegistry
) -> None:
    """The site is published and replaced as a whole: a cache inside it would publish the
    raw, unmasked manifests and configs, and be deleted by every build."""
    write_config(tmp_path, f"registries:\n  - name: lab\n    url: {plain_registry.url}\n")
    assert run_cli(["build", "--cache-dir", "cache"], tmp_path).exit_code == 0
    site = tmp_path / "site"
    before = files(site)
    (tmp_path / "site-link").symlink_to("site")
    (tmp_path / "cache-link").symlink_to("site/.cache")
    spellings = [
        ["--cache-dir", "site/.cache"],
        ["--cache-dir", "site"],
        ["--cache-dir", str(site / "deep" / "cache")],
        ["--cache-dir", "./site/../site/.cache/", "-o", "site/"],
        ["--cache-dir", "site-link/.cache"],
        ["--cache-dir", "cache-link"],
        ["--cache-dir", "site/.cache", "-o", "site-link"],
        ["--cache-dir", str(tmp_path / "site-link"), "-o", str(site)],
    ]
    requests = len(plain_registry.access_log())
    for args in spellings:
        result = run_cli(["build", *args], tmp_path)
        assert result.exit_code == 1, (args, result.output)
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: refusing to keep the cache in "), (
            args,
            result.stderr,
        )
        assert "inside the output directory" in lines[0] or "is the output directory" in lines[0]
    assert len(plain_registry.access_log(requests)) == 0
    assert files(site) == before
    assert not (site / ".cache").exists()
    # Beside the output, with a name that merely starts like it, is fine.
    assert run_cli(["build", "--cache-dir", "site-cache"], tmp_path).exit_code == 0


def _old_site(root: Path, outside: Path) -> None:
    """A retired site: marked, deep, odd names, and links to what is not the site's."""
    root.mkdir()
    (root / MARKER).write_text("")
    for number in range(300):
        page = root / "registry" / f"repository-{number % 7}" / f"-tag-{number}"
        page.mkdir(parents=True)
        (page / "index.html").write_text("<!doctype html>")
        (page / "deeper" / "still").mkdir(parents=True)
        (page / "deeper" / "still" / "index.json").write_text("{}")
    (root / "-rf").write_text("a name like an option")
    (root / "registry" / "linked-dir").symlink_to(outside, target_is_directory=True)
    (root / "registry" / "repository-1" / "linked-file").symlink_to(outside / "keep.txt")


@pytest.mark.parametrize("rm", ["processes", "python"])
def test_an_old_site_is_removed_whole_and_nothing_it_links_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rm: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the site's")
    started = []
    popen = output.subprocess.Popen

    def counted(*args: Any, **kwargs: Any) -> Any:
        started.append(args[0])
        return popen(*args, **kwargs)

    monkeypatch.setattr(output.subprocess, "Popen", counted)
    monkeypatch.setattr(output.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    if rm == "python":
        monkeypatch.setattr(output.shutil, "which", lambda name: None)
    old = tmp_path / ".sitegen-retired-1-site"
    _old_site(old, outside)
    output.remove_site(old)
    assert not old.exists()
    assert (outside / "keep.txt").read_text() == "not the site's"
    if rm == "processes":
        assert len(started) >= 2
        assert all(command[1:3] == ["-rf", "--"] for command in started)
    else:
        assert started == []
